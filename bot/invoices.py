"""`/invoice`: what is outstanding and the latest invoices, shown only to the caller."""

from __future__ import annotations

from functools import lru_cache, partial
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from bot.blocks import invoice_row, note
from bot.edge.deps import BotDeps, Caller
from bot.edge.listen import command
from bot.hub import USAGE
from domain.roles import Role
from domain.usecases.reporting import PracticeSummary, practice_summary

INVOICE_COMMAND = "/invoice"
LATEST = 5


def invoice_summary(summary: PracticeSummary) -> list[Block]:
    """An ephemeral summary (only the caller sees it, so client names may appear)."""
    if not summary.latest:
        return [
            SectionBlock(text=MarkdownTextObject(text="No invoices yet.")),
            note("Invoices are created from an appointment or a client record."),
        ]
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"*Outstanding* {t.outstanding.format()} ({t.unpaid_count}) · "
                f"*Overdue* {t.overdue.format()} ({t.overdue_count}) · "
                f"*Paid this month* {t.paid_this_month.format()}"
            )
        )
        for t in summary.totals
    ]
    blocks.extend(invoice_row(invoice) for invoice in summary.latest)
    return blocks


def summary_blocks(summary: PracticeSummary) -> list[dict[str, Any]]:
    """`invoice_summary` as Slack's JSON. Between two changes to a practice's invoices every
    /invoice shows the same summary, and slack_sdk takes longer to render it than the read
    takes, so each summary is rendered once (the list is new; Bolt only serialises it)."""
    return list(_rendered_summary(summary))


@lru_cache(maxsize=1024)
def _rendered_summary(summary: PracticeSummary) -> tuple[dict[str, Any], ...]:
    return tuple(block.to_dict() for block in invoice_summary(summary))


def invoice_command(
    deps: BotDeps, caller: Caller, text: str, body: dict[str, Any], client: WebClient, ack: Ack
) -> None:
    """Answer with the summary, or the usage for `help`."""
    if text in ("help", "?"):
        ack(USAGE)
        return
    caller.require(Role.STAFF)
    summary = practice_summary(caller.practice, LATEST, deps.read(), deps.env)
    ack(text="Invoices", blocks=summary_blocks(summary))


def register(app: App, deps: BotDeps) -> None:
    app.command(INVOICE_COMMAND)(command(deps, partial(invoice_command, deps)))
