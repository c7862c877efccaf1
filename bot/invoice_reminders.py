"""Reminders in Slack, apart from their settings: "Remind now" and "Pause reminders" /
"Resume reminders" on an invoice's card, and the billing channel's daily overdue digest
with "Remind all 30+" and "Export"."""

from __future__ import annotations

import csv
import io
import logging
from functools import partial
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks import day_text, escape, note
from bot.edge.deps import BotDeps, Caller
from bot.edge.listen import action
from bot.edge.respond import notice_modal
from bot.invoice_card import PAUSE_REMINDERS, REMIND_NOW, RESUME_REMINDERS, publish_card
from bot.invoice_lists import spreadsheet_cell
from domain.clients import initials_of
from domain.ids import InvoiceId
from domain.practice import Practice
from domain.reminders import REMIND_ALL_AFTER_DAYS, OverdueDigest, SkipReason
from domain.roles import Role
from domain.usecases.reminders import (
    PauseReminders,
    RemindNow,
    RemindOverdue,
    overdue_invoices,
    pause_reminders,
    remind_now,
    remind_overdue,
)

log = logging.getLogger(__name__)

REMIND_ALL = "digest_remind_all"
EXPORT = "digest_export"
DIGEST_ACTIONS = "digest_actions"


def _invoice_id(body: dict[str, Any]) -> InvoiceId:
    return InvoiceId(str(body["actions"][0].get("value") or ""))


def _notice(client: WebClient, body: dict[str, Any], title: str, text: str) -> None:
    trigger = body.get("trigger_id")
    if trigger:
        client.views_open(trigger_id=trigger, view=notice_modal(title, text))


# -- the card ----------------------------------------------------------------------------------


def remind(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    reminded = remind_now(
        RemindNow(caller.practice.id, caller.user_id, _invoice_id(body)), deps.uow(), deps.env
    )
    deps.deliver_soon()
    _notice(
        client,
        body,
        "Reminder sent",
        f"*{reminded.invoice.number}*: a reminder of the balance of "
        f"{reminded.invoice.balance.format(caller.practice.locale)} is on its way to "
        f"{escape(reminded.to)}. The invoice's History lists it.",
    )


def set_paused(
    paused: bool, deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient
) -> None:
    invoice = pause_reminders(
        PauseReminders(caller.practice.id, caller.user_id, _invoice_id(body), paused),
        deps.uow(),
        deps.env,
    )
    publish_card(deps, client, caller.practice.id, invoice.id, caller.user_id)


# -- the digest -------------------------------------------------------------------------------


def _who(practice: Practice, name: str) -> str:
    return initials_of(name) if practice.privacy_mode else escape(name)


def digest_blocks(practice: Practice, digest: OverdueDigest) -> list[Block]:
    """The overdue digest as the billing channel shows it: counts and totals by age per
    currency, the largest balances (initials in privacy mode), and the actions."""
    locale = practice.locale
    blocks: list[Block] = [
        HeaderBlock(text="Overdue invoices"),
        SectionBlock(
            text=MarkdownTextObject(
                text=f"*{digest.count} invoice{'s' if digest.count != 1 else ''} overdue* "
                f"on {day_text(digest.today)}"
            )
        ),
    ]
    for currency, buckets in digest.buckets.items():
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=f"*{currency.code}* by days past due"),
                fields=[
                    MarkdownTextObject(
                        text=f"*{bucket.label}*\n{bucket.count} · {bucket.total.format(locale)}"
                    )
                    for bucket in buckets
                ],
            )
        )
    if digest.largest:
        lines = [
            f"• *{invoice.number}* · {_who(practice, invoice.client_name)} · "
            f"{invoice.balance.format(locale)} · {invoice.days_overdue(digest.today)} days"
            for invoice in digest.largest
        ]
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text="*Largest balances*\n" + "\n".join(lines)))
        )
    buttons = []
    if digest.count_past_30:
        many = digest.count_past_30
        buttons.append(
            ButtonElement(
                text=f"Remind all {REMIND_ALL_AFTER_DAYS}+",
                action_id=REMIND_ALL,
                value=digest.today.isoformat(),
                confirm=ConfirmObject(
                    title=f"Remind all {REMIND_ALL_AFTER_DAYS}+?",
                    text=f"E-mail a reminder now to the clients of the {many} invoice"
                    f"{'s' if many != 1 else ''} more than {REMIND_ALL_AFTER_DAYS} days "
                    "overdue (paused ones and those reminded by hand today are left out).",
                    confirm="Send reminders",
                    deny="Cancel",
                ),
            )
        )
    buttons.append(ButtonElement(text="Export", action_id=EXPORT, value=digest.today.isoformat()))
    blocks.append(ActionsBlock(block_id=DIGEST_ACTIONS, elements=buttons))
    if practice.privacy_mode:
        blocks.append(note("Full names are only in the Export, sent to whoever asks for it."))
    return blocks


def digest_text(digest: OverdueDigest) -> str:
    """The digest's notification text."""
    return f"{digest.count} invoice{'s' if digest.count != 1 else ''} overdue"


def remind_all(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    done = remind_overdue(RemindOverdue(caller.practice.id, caller.user_id), deps.uow(), deps.env)
    deps.deliver_soon()
    parts = [f"*{done.sent}* reminder{'s' if done.sent != 1 else ''} on the way."]
    if done.already_today:
        parts.append(f"{done.already_today} already reminded by hand today.")
    for reason, count in sorted(done.skipped.items()):
        if reason is SkipReason.PAUSED:
            parts.append(f"{count} with reminders paused left out.")
        else:
            parts.append(f"{count} left out ({reason.words}).")
    _notice(client, body, "Reminders sent", " ".join(parts))


EXPORT_COLUMNS = (
    "invoice number",
    "client name",
    "due date",
    "days overdue",
    "currency",
    "balance",
)


def export(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    """The overdue invoices as CSV, uploaded to the clicker's DM with the app only, since it
    has full names."""
    practice, today, rows = overdue_invoices(caller.practice.id, deps.read(), deps.env)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for invoice in rows:
        money = invoice.balance
        writer.writerow(
            (
                invoice.number,
                spreadsheet_cell(invoice.client_name),
                invoice.due_date.isoformat(),
                invoice.days_overdue(today),
                money.currency.code,
                format(money.amount.quantize(money.currency.quantum), "f"),
            )
        )
    name = f"overdue-{today.isoformat()}.csv"
    dm = client.conversations_open(users=caller.user_id)["channel"]["id"]
    client.files_upload_v2(
        channel=dm,
        content=out.getvalue().encode("utf-8-sig"),
        filename=name,
        title=name,
        initial_comment=f"Overdue invoices of {escape(practice.billing.name)} on "
        f"{day_text(today)}: {len(rows)}.",
    )
    _notice(
        client,
        body,
        "Export sent",
        "The overdue invoices are in your DM with Billing Bot: a CSV with client names, for "
        "you only.",
    )


def register(app: App, deps: BotDeps) -> None:
    staff_change = partial(action, deps, Role.STAFF, changes=True)
    app.action(REMIND_NOW)(staff_change(partial(remind, deps)))
    app.action(PAUSE_REMINDERS)(staff_change(partial(set_paused, True, deps)))
    app.action(RESUME_REMINDERS)(staff_change(partial(set_paused, False, deps)))
    app.action(REMIND_ALL)(staff_change(partial(remind_all, deps)))
    app.action(EXPORT)(action(deps, Role.STAFF, partial(export, deps)))
