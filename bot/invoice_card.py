"""The invoice card: an invoice's message in the billing channel (or its creator's DM), kept
up to date in place whatever changed the invoice, and its "Details" modal.

In privacy mode a posted card shows the client's initials and no service; the full invoice
is in the Details modal and in `/invoice <number>`, which only the asking user sees.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.blocks import day_text, escape, note
from bot.edge.deps import BotDeps
from domain.audit import AuditEvent
from domain.ids import InvoiceId, PracticeId
from domain.invoices import UNPAID_STATUSES, CardPlace, Invoice, InvoiceStatus
from domain.money import Currency
from domain.numbers import written
from domain.payments import PaymentMethod
from domain.practice import format_percent
from domain.reminders import (
    STEP_NOW,
    DeliveryState,
    InvoiceReminders,
    ReminderEntry,
    ReminderState,
)
from domain.usecases.invoice_screens import InvoiceCard, invoice_card, place_card

log = logging.getLogger(__name__)

ISSUE = "invoice_issue"
VOID = "invoice_void"
RECORD_PAYMENT = "invoice_record_payment"
DETAILS = "invoice_details"
HISTORY = "invoice_history"
EDIT = "invoice_edit"
SEND_LINK = "invoice_send_link"
REMIND_NOW = "invoice_remind_now"
PAUSE_REMINDERS = "invoice_pause_reminders"
RESUME_REMINDERS = "invoice_resume_reminders"
DOWNLOAD_PDF = "invoice_download_pdf"
HISTORY_CALLBACK_ID = "invoice_history_modal"
ACTIONS_BLOCK = "invoice_actions"
DETAILS_CALLBACK_ID = "invoice_details_modal"

# What Slack answers when the card's message or channel is gone: post a new card.
GONE = frozenset({"message_not_found", "channel_not_found", "is_archived", "cant_update_message"})
# What Slack answers when the billing channel cannot take a post: the creator's DM instead.
CHANNEL_UNUSABLE = frozenset({"channel_not_found", "is_archived", "not_in_channel"})


def status_text(card: InvoiceCard) -> str:
    """The status as people need it: overdue is the practice's today past the due date."""
    status = card.invoice.status
    if card.is_overdue:
        return "Overdue" if status is InvoiceStatus.OPEN else f"Overdue ({status.label.lower()})"
    return "Open" if status is InvoiceStatus.OPEN else status.label


def _who(card: InvoiceCard, private: bool) -> str:
    return escape(card.client_name) if private or not card.privacy_mode else card.client_initials


def _reminder_actions(invoice: Invoice, on: bool, paused: bool) -> list[ButtonElement]:
    value = invoice.id
    buttons = [
        ButtonElement(
            text="Remind now",
            action_id=REMIND_NOW,
            value=value,
            confirm=ConfirmObject(
                title="E-mail a reminder now?",
                text=f"The client gets a reminder of the balance of {invoice.number} and its "
                "pay link now (once a day at most).",
                confirm="Send",
                deny="Cancel",
            ),
        )
    ]
    if paused:
        buttons.append(
            ButtonElement(text="Resume reminders", action_id=RESUME_REMINDERS, value=value)
        )
    elif on:
        buttons.append(
            ButtonElement(text="Pause reminders", action_id=PAUSE_REMINDERS, value=value)
        )
    return buttons


def _actions(
    invoice: Invoice,
    link_sent: bool = False,
    *,
    reminders_on: bool = False,
    reminders_paused: bool = False,
) -> list[ButtonElement]:
    value = invoice.id
    status = invoice.status
    buttons: list[ButtonElement] = []
    if status is InvoiceStatus.DRAFT:
        buttons.append(ButtonElement(text="Edit", action_id=EDIT, value=value))
        buttons.append(
            ButtonElement(
                text="Issue",
                action_id=ISSUE,
                value=value,
                style="primary",
                confirm=ConfirmObject(
                    title="Issue this invoice?",
                    text=f"{invoice.number} becomes open: it can be sent and paid, and no "
                    "longer edited.",
                    confirm="Issue",
                    deny="Cancel",
                ),
            )
        )
    if status in (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID):
        buttons.append(
            ButtonElement(
                text="Record payment", action_id=RECORD_PAYMENT, value=value, style="primary"
            )
        )
        buttons.append(
            ButtonElement(
                text="Resend payment link" if link_sent else "Send payment link",
                action_id=SEND_LINK,
                value=value,
            )
        )
        buttons += _reminder_actions(invoice, reminders_on, reminders_paused)
    if status in (InvoiceStatus.DRAFT, InvoiceStatus.OPEN):
        buttons.append(
            ButtonElement(
                text="Void",
                action_id=VOID,
                value=value,
                style="danger",
                confirm=ConfirmObject(
                    title="Void this invoice?",
                    text=f"Voiding {invoice.number} cancels it for good. You will give a reason.",
                    confirm="Continue",
                    deny="Cancel",
                    style="danger",
                ),
            )
        )
    buttons.append(ButtonElement(text="Details", action_id=DETAILS, value=value))
    buttons.append(ButtonElement(text="History", action_id=HISTORY, value=value))
    buttons.append(ButtonElement(text="Download PDF", action_id=DOWNLOAD_PDF, value=value))
    return buttons


def card_blocks(card: InvoiceCard, *, private: bool = False) -> list[Block]:
    """The card. `private`: only the asking user sees it (names shown even in privacy mode);
    otherwise it is posted, and privacy mode shows initials and no service."""
    invoice, locale = card.invoice, card.locale
    fields = [
        MarkdownTextObject(text=f"*Client*\n{_who(card, private)}"),
        MarkdownTextObject(text=f"*Status*\n{status_text(card)}"),
        MarkdownTextObject(text=f"*Issue date*\n{day_text(invoice.issue_date)}"),
        MarkdownTextObject(text=f"*Due date*\n{day_text(invoice.due_date)}"),
        MarkdownTextObject(text=f"*Total*\n{invoice.total.format(locale)}"),
        MarkdownTextObject(text=f"*Paid*\n{invoice.amount_paid.format(locale)}"),
        MarkdownTextObject(text=f"*Balance*\n{invoice.balance.format(locale)}"),
    ]
    blocks: list[Block] = [
        SectionBlock(
            block_id="invoice_card",
            text=MarkdownTextObject(text=f"*Invoice {invoice.number}*"),
            fields=fields,
        )
    ]
    if invoice.status is InvoiceStatus.VOID:
        reason = f": {escape(invoice.void_reason)}" if private and invoice.void_reason else ""
        blocks.append(note(f"Voided{reason}"))
    link = card.pay_link
    if link is not None and link.last_sent_at is not None and link.last_sent_to:
        sent_on = day_text(link.last_sent_at.astimezone(card.zone).date())
        to = escape(link.last_sent_to) if private or not card.privacy_mode else "the client"
        times = f" ({link.times_sent} times)" if link.times_sent > 1 else ""
        blocks.append(note(f":email: Payment link sent to {to} on {sent_on}{times}"))
    if card.reminders_paused and invoice.status in UNPAID_STATUSES:
        blocks.append(note(":double_vertical_bar: Automatic reminders are paused."))
    blocks.append(
        ActionsBlock(
            block_id=ACTIONS_BLOCK,
            elements=_actions(
                invoice,
                link_sent=bool(link and link.times_sent),
                reminders_on=card.reminders_on,
                reminders_paused=card.reminders_paused,
            ),
        )
    )
    return blocks


def card_text(card: InvoiceCard, *, private: bool = False) -> str:
    """The notification text of a card (what a phone's lock screen shows)."""
    invoice = card.invoice
    return (
        f"Invoice {invoice.number} · {_who(card, private)} · {invoice.total.format(card.locale)} · "
        f"{status_text(card)}"
    )


def details_modal(card: InvoiceCard) -> View:
    """The whole invoice, for billing roles: lines, tax per rate, totals, payments."""
    invoice, locale = card.invoice, card.locale
    totals = invoice.totals
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"*{invoice.number}* · {escape(card.client_name)} · {status_text(card)}\n"
                f"Issued {day_text(invoice.issue_date)} · due {day_text(invoice.due_date)}"
            )
        ),
        HeaderBlock(text="Lines"),
    ]
    for number, line in enumerate(invoice.lines[:40], start=1):
        service = card.service_names.get(line.service_type_id or "", "")
        what = escape(line.description)
        if service and service != line.description:
            what += f" ({escape(service)})"
        tax = f"{line.tax_name} {format_percent(line.tax_percent)}" if line.tax_name else "No tax"
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"*{number}.* {day_text(line.service_date)} · {what}\n"
                    f"{written(line.quantity, locale)} × {line.unit_price.format(locale)} · "
                    f"{tax} · *{line.total.format(locale)}*"
                )
            )
        )
    if len(invoice.lines) > 40:
        blocks.append(note(f"and {len(invoice.lines) - 40} more lines"))
    rows = [f"Subtotal: {totals.subtotal.format(locale)}"]
    rows += [
        f"{t.label} on {t.taxable.format(locale)}: {t.tax.format(locale)}" for t in totals.taxes
    ]
    rows += [
        f"*Total: {totals.total.format(locale)}*",
        f"Paid: {totals.amount_paid.format(locale)}",
        f"*Balance: {totals.balance.format(locale)}*",
    ]
    blocks += [DividerBlock(), SectionBlock(text=MarkdownTextObject(text="\n".join(rows)))]
    if invoice.ledger:
        blocks.append(HeaderBlock(text="Payments"))
        for entry in invoice.ledger[:10]:
            sign = "Refund" if entry.kind.value == "refund" else entry.method.label
            reference = f" · {escape(entry.reference)}" if entry.reference else ""
            blocks.append(
                note(
                    f"{day_text(entry.received_at.date())} · {sign} · "
                    f"{entry.amount.format(locale)}{reference}"
                )
            )
    if invoice.void_reason:
        blocks.append(note(f"Voided: {escape(invoice.void_reason)}"))
    return View(
        type="modal",
        callback_id=DETAILS_CALLBACK_ID,
        title=f"Invoice {invoice.number}"[:24],
        close="Close",
        blocks=blocks,
    )


_HAPPENED = {
    "reminder.sent": "Reminder sent by hand",
    "reminders.paused": "Reminders paused",
    "reminders.resumed": "Reminders resumed",
    "invoice.created": "Created",
    "invoice.edited": "Edited",
    "invoice.issued": "Issued",
    "invoice.voided": "Voided",
    "payment.recorded": "Payment recorded",
    "refund.recorded": "Refund recorded",
    "payment_link.sent": "Payment link sent",
    "payment.processing": "Card payment processing",
    "payment.failed": "Card payment failed",
    "payment.disputed": "Card payment disputed",
    "payment.unrecorded": "Card payment taken after the invoice was voided: not recorded",
}


def _reminder_step(entry: ReminderEntry) -> str:
    if entry.key.step == STEP_NOW:
        return "Sent by hand"
    offset = entry.key.offset or 0
    when = (
        "on the due date"
        if offset == 0
        else f"{abs(offset)} day{'s' if abs(offset) != 1 else ''} "
        + ("before" if offset < 0 else "after")
    )
    repeat = f", repeat {entry.key.occurrence}" if entry.key.occurrence else ""
    return f"Reminder {when}{repeat}"


def _reminder_outcome(entry: ReminderEntry, paused: bool) -> str:
    if entry.state is ReminderState.SCHEDULED:
        # Paused, the next reminder stays planned, and is skipped if its moment comes first.
        return "not sent while paused" if paused else "scheduled"
    if entry.state is ReminderState.SKIPPED:
        return f"skipped: {entry.reason.words if entry.reason else 'not sent'}"
    if entry.delivery is DeliveryState.DELIVERED:
        return "sent"
    if entry.delivery is DeliveryState.FAILED:
        return f"failed after {entry.attempts} attempts ({escape(entry.last_error)})"
    if entry.delivery is DeliveryState.RETRYING:
        return f"retrying, {entry.attempts} attempts so far ({escape(entry.last_error)})"
    return "sending"


def reminder_rows(reminders: InvoiceReminders, zone: ZoneInfo) -> list[Block]:
    """The invoice's reminders in its history: sent, skipped (and why), failed and retried,
    and the next one."""
    rows: list[Block] = [HeaderBlock(text="Reminders")]
    if reminders.paused:
        rows.append(note(":double_vertical_bar: Automatic reminders are paused."))
    for entry in reminders.entries[-20:]:
        at = (entry.decided_at or entry.due_at).astimezone(zone)
        by = f" · <@{entry.actor}>" if entry.actor.startswith(("U", "W")) else ""
        rows.append(
            note(
                f"{day_text(at.date())} {at:%H:%M} · {_reminder_step(entry)}{by} · "
                f"*{_reminder_outcome(entry, reminders.paused)}*"
            )
        )
    if not reminders.entries:
        rows.append(note("No reminder yet."))
    return rows


def history_modal(
    invoice: Invoice,
    events: Sequence[AuditEvent],
    zone: ZoneInfo,
    locale: str,
    reminders: InvoiceReminders | None = None,
) -> View:
    """What was done to the invoice, by whom and when (the practice's clock, amounts as the
    practice writes them), oldest first, and its reminders."""
    rows: list[Block] = []
    for event in events[-40:]:
        what = _HAPPENED.get(event.action, event.action)
        minor, code = event.details.get("amount_minor"), event.details.get("currency")
        if minor and code:
            what += f" · {Currency(code).from_minor_units(int(minor)).format(locale)}"
        method = event.details.get("method")
        if method:
            what += f" · {PaymentMethod(method).label.lower()}"
        at = event.at.astimezone(zone)
        by = f"<@{event.actor}>" if event.actor.startswith(("U", "W")) else event.actor
        rows.append(note(f"{day_text(at.date())} {at:%H:%M} · {by} · *{what}*"))
    if not rows:
        rows.append(note("Nothing recorded yet."))
    if reminders is not None and invoice.status is not InvoiceStatus.DRAFT:
        rows += reminder_rows(reminders, zone)
    return View(
        type="modal",
        callback_id=HISTORY_CALLBACK_ID,
        title=f"History {invoice.number}"[:24],
        close="Close",
        blocks=rows,
    )


def publish_card(
    deps: BotDeps,
    client: WebClient,
    practice_id: PracticeId,
    invoice_id: InvoiceId,
    creator: str,
) -> None:
    """Show the invoice's current state on its card: update the message in place, or post it
    (again, if its message was deleted) to the billing channel, else to `creator`'s DM, and
    store where it now is. Where a post could not be stored, the next change posts anew."""
    card = invoice_card(practice_id, invoice_id, deps.read(), deps.env)
    blocks, text = card_blocks(card), card_text(card)
    if card.place is not None:
        try:
            client.chat_update(
                channel=card.place.channel_id, ts=card.place.ts, text=text, blocks=blocks
            )
            return
        except SlackApiError as error:
            if error.response.get("error") not in GONE:
                raise
            log.info(
                "event=invoice_card_gone practice_id=%s invoice_id=%s error=%s",
                practice_id,
                invoice_id,
                error.response.get("error"),
            )
    posted = _post(client, card.billing_channel_id, creator, text, blocks, card)
    place = CardPlace(str(posted["channel"]), str(posted["ts"]))
    try:
        place_card(practice_id, invoice_id, place, deps.uow(), deps.env)
    except Exception:
        log.error(
            "event=invoice_card_not_stored practice_id=%s invoice_id=%s channel=%s ts=%s",
            practice_id,
            invoice_id,
            place.channel_id,
            place.ts,
        )
        raise


def _post(
    client: WebClient,
    channel: str | None,
    creator: str,
    text: str,
    blocks: list[Block],
    card: InvoiceCard,
) -> Any:
    if channel:
        try:
            return client.chat_postMessage(channel=channel, text=text, blocks=blocks)
        except SlackApiError as error:
            reason = error.response.get("error")
            if reason not in CHANNEL_UNUSABLE:
                raise
            if reason == "not_in_channel":  # a public channel the app was never invited to
                try:
                    client.conversations_join(channel=channel)
                    return client.chat_postMessage(channel=channel, text=text, blocks=blocks)
                except SlackApiError as refused:
                    reason = refused.response.get("error")
            log.warning(
                "event=billing_channel_unusable practice_id=%s invoice_id=%s error=%s",
                card.invoice.practice_id,
                card.invoice.id,
                reason,
            )
    return client.chat_postMessage(channel=creator, text=text, blocks=blocks)
