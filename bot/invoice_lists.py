"""`/invoice list` and `/invoice export`: a filtered invoice list paged with Next in place,
only the caller sees it, and a CSV of invoices and payments uploaded to the caller's DM."""

from __future__ import annotations

import csv
import io
import json
import logging
import secrets
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.webhook import WebhookClient

from bot.blocks import day_text, escape, note
from bot.edge.deps import BotDeps, Caller
from bot.edge.listen import action
from bot.invoice_card import DETAILS
from domain.invoices import SETTLED_STATUSES, InvoiceListing, InvoiceStatus
from domain.money import Money
from domain.roles import Role
from domain.usecases.invoice_lists import (
    Export,
    InvoiceList,
    invoice_export,
    invoice_list,
    parse_export_words,
)

log = logging.getLogger(__name__)

OPEN = DETAILS
"""A row's button: the invoice's details (registered by `bot.invoices`, as on its card)."""
ROW_PREFIX = "invoice:"
"""The block id of a row: this and the invoice's id."""
LIST_NEXT = "invoice_list_next"
"""The list's Next button; its value is `_Position` as JSON."""
WORDS_KEPT = 500
"""Longer list words are not carried on the Next button (Slack takes 2,000 characters)."""

LIST_USAGE = (
    "• `/invoice list [unpaid | overdue | paid | draft | void] [client] "
    "[this month | last month | YYYY-MM]` lists the invoices that match, 20 at a time, "
    "with totals per currency (only you see it).\n"
    "• `/invoice export [this month | last month | YYYY-MM]` sends you a CSV of the invoices "
    "issued then (all of them without a month) and their payments. It has client names, so it "
    "goes to your DM with the app only, never to a channel."
)
EXPORT_ON_ITS_WAY = (
    "Export is on its way to your DM with the app: a CSV with client names, for you only."
)
CSV_COLUMNS = (
    "kind",
    "invoice number",
    "client name",
    "issue date",
    "due date",
    "status",
    "currency",
    "total",
    "paid",
    "balance",
    "payment date",
    "method",
    "reference",
)


# -- the list -------------------------------------------------------------------------------


def list_row(invoice: InvoiceListing, locale: str, *, with_client: bool = True) -> SectionBlock:
    """One invoice of the list: number, client (for the caller's eyes only, so the full name;
    left out of a list of one client's, whose title names them), due date, total, balance,
    and a button beside it opening the invoice (a row's own accessory, so a page of 20 stays
    within Slack's 50 blocks)."""
    parts = [
        f"*{invoice.number}*",
        *([escape(invoice.client_name)] if with_client else []),
        f"due {day_text(invoice.due_date)}",
        f"total {invoice.total.format(locale)}",
    ]
    if invoice.status not in SETTLED_STATUSES and invoice.status is not InvoiceStatus.DRAFT:
        parts.append(f"balance {invoice.balance.format(locale)}")
    parts.append(invoice.status.label)
    return SectionBlock(
        block_id=ROW_PREFIX + invoice.id,
        text=MarkdownTextObject(text=" · ".join(parts)),
        accessory=ButtonElement(text=f"Open {invoice.number}", action_id=OPEN, value=invoice.id),
    )


def _title(listed: InvoiceList) -> str:
    words = listed.words
    what = f"{words.status.capitalize()} invoices" if words.status else "Invoices"
    if listed.client is not None:
        what += f" of {escape(listed.client.name)}"
    if words.period is not None:
        what += f" issued in {words.period.label}"
    return what


def _position(text: str, before: int, shown: int) -> str:
    return json.dumps({"words": text, "before": before, "shown": shown}, separators=(",", ":"))


def invoice_list_blocks(listed: InvoiceList, text: str) -> list[Block]:
    """A page of the list: its title and place, the rows, the totals of every invoice the
    filter holds, and Next while there are more."""
    page = listed.page
    if not page.rows:
        return [SectionBlock(text=MarkdownTextObject(text=f"*{_title(listed)}*: none."))]
    first = listed.shown_before + 1
    last = listed.shown_before + len(page.rows)
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(text=f"*{_title(listed)}* · {first}–{last} of {page.count}")
        )
    ]
    one_client = listed.client is not None
    blocks.extend(list_row(row, listed.locale, with_client=not one_client) for row in page.rows)
    blocks.append(
        note(
            "\n".join(
                f"*{totals.total.currency.code}* {totals.count} "
                f"invoice{'s' if totals.count != 1 else ''}: total "
                f"{totals.total.format(listed.locale)} · balance "
                f"{totals.balance.format(listed.locale)}"
                for totals in page.totals
            )
        )
    )
    if page.next_before is not None and len(text) <= WORDS_KEPT:
        value = _position(text, page.next_before, last)
        blocks.append(
            ActionsBlock(elements=[ButtonElement(text="Next", action_id=LIST_NEXT, value=value)])
        )
    return blocks


def _as_json(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]


def list_command(deps: BotDeps, caller: Caller, text: str, ack: Ack) -> None:
    """`/invoice list …` (`text` is what follows `list`): the first page, or what is not
    understood with the usage."""
    caller.require(Role.STAFF)
    listed = invoice_list(caller.practice, text, deps.read(), deps.env)
    ack(text=_title(listed), blocks=_as_json(invoice_list_blocks(listed, text)))


def next_page(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    """Next: the following page in place of the one shown (the filter is read again, so a
    client renamed meanwhile is matched as now)."""
    try:
        position = json.loads(str((body.get("actions") or [{}])[0].get("value") or ""))
        text, before, shown = (
            str(position["words"]),
            int(position["before"]),
            int(position["shown"]),
        )
    except (ValueError, KeyError, TypeError):
        return
    listed = invoice_list(
        caller.practice, text, deps.read(), deps.env, before=before, shown_before=shown
    )
    WebhookClient(body["response_url"]).send(
        text=_title(listed),
        blocks=_as_json(invoice_list_blocks(listed, text)),
        response_type="ephemeral",
        replace_original=True,
    )


# -- the export -----------------------------------------------------------------------------


def _exact(money: Money | None) -> str:
    """The amount with exactly its currency's minor-unit digits (1250.50, JPY 1250)."""
    if money is None:
        return ""
    return format(money.amount.quantize(money.currency.quantum), "f")


def spreadsheet_cell(text: str) -> str:
    # A spreadsheet runs a cell starting with one of these as a formula; a client's name or a
    # payment reference is text, so it is kept from being run.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_csv(export: Export) -> bytes:
    """The export as CSV (UTF-8 with a byte order mark, so spreadsheets read accents right)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in export.rows:
        writer.writerow(
            (
                row.kind,
                row.number,
                spreadsheet_cell(row.client_name),
                row.issue_date.isoformat(),
                row.due_date.isoformat(),
                row.status.value,
                row.currency.code,
                _exact(row.total),
                _exact(row.paid),
                _exact(row.balance),
                row.payment_date.isoformat() if row.payment_date else "",
                row.method,
                spreadsheet_cell(row.reference),
            )
        )
    return out.getvalue().encode("utf-8-sig")


def export_command(
    deps: BotDeps, caller: Caller, text: str, body: dict[str, Any], client: WebClient, ack: Ack
) -> Callable[[], Any]:
    """`/invoice export [period]`: acknowledged at once, built and uploaded after the ack."""
    caller.require(Role.STAFF)
    period = parse_export_words(text, deps.env.today_at(caller.practice))
    ack(EXPORT_ON_ITS_WAY)
    response_url = str(body.get("response_url") or "")

    def upload() -> None:
        try:
            export = invoice_export(caller.practice, period, deps.read(), deps.env)
            name = f"invoices-{period.slug if period else 'all'}.csv"
            dm = client.conversations_open(users=caller.user_id)["channel"]["id"]
            client.files_upload_v2(
                channel=dm,
                content=export_csv(export),
                filename=name,
                title=name,
                initial_comment=(
                    f"Your export: {export.invoices} invoice"
                    f"{'s' if export.invoices != 1 else ''}"
                    f"{' issued in ' + period.label if period else ''}, with their payments."
                ),
            )
        except SlackApiError as error:  # Slack refused: its error code says why
            _report_failure(response_url, caller, str(error.response.get("error")), None)
        except Exception as error:  # logged with its traceback, under the id the user sees
            _report_failure(response_url, caller, type(error).__name__, error)

    return upload


def _report_failure(
    response_url: str, caller: Caller, reason: str, error: Exception | None
) -> None:
    """Log a failed export with ids only, and tell the user under the same error id."""
    error_id = secrets.token_hex(4)
    log.error(
        "event=invoice_export_failed error_id=%s practice_id=%s user_id=%s reason=%s",
        error_id,
        caller.practice.id,
        caller.user_id,
        reason,
        exc_info=error,
    )
    if response_url:
        WebhookClient(response_url).send(
            text=(
                f"Sorry, the export could not be sent to your DM (error {error_id}). "
                "Please try again."
            ),
            response_type="ephemeral",
            replace_original=False,
        )


def register(app: App, deps: BotDeps) -> None:
    app.action(LIST_NEXT)(action(deps, Role.STAFF, partial(next_page, deps)))
