"""`/invoice` and everything done to an invoice in Slack: the summary, the new-invoice modal and
its line buttons, an invoice looked up by number, and the card's buttons (Issue, Void, Record
payment, Details), each change shown on the invoice's card in place."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from functools import lru_cache, partial
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    Block,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot import clients, home, invoice_form, invoice_lists
from bot.appointments import CREATE_INVOICE, client_options, invoiced_from, redraw_list
from bot.blocks import escape, invoice_row, note, text_input
from bot.edge.deps import BotDeps, Caller
from bot.edge.listen import Saved, action, command, open_or_push, options, submission
from bot.edge.respond import notice_modal
from bot.edge.state import ViewState
from bot.invoice_card import (
    DETAILS,
    EDIT,
    HISTORY,
    ISSUE,
    RECORD_PAYMENT,
    VOID,
    card_blocks,
    card_text,
    details_modal,
    history_modal,
    publish_card,
)
from bot.invoice_form import (
    ADD_LINE,
    AS_ISSUED,
    BLOCK_FOR_FIELD,
    LINE_DESCRIPTION,
    LINE_SERVICE,
    MAX_LINES,
    REMOVE_LINE,
    Draft,
    Editing,
    PendingLine,
    all_lines,
    client_id_of,
    draft_of,
    first_draft,
    line_form_errors,
    lines_problem,
    new_invoice_modal,
    pending_line,
    update_in_place,
    with_service,
)
from domain.errors import InvalidValue, NotFound, ValidationError
from domain.ids import AppointmentId, ClientId, InvoiceId
from domain.invoices import LineInput
from domain.payments import PaymentMethod
from domain.roles import Role
from domain.usecases.calendar import client_uninvoiced_sessions
from domain.usecases.invoice_screens import (
    InvoiceCard,
    NewInvoiceForm,
    edit_form,
    invoice_card,
    invoice_history,
    invoice_numbered,
    new_invoice_form,
)
from domain.usecases.invoicing import (
    CreateInvoice,
    EditDraft,
    LinesPreview,
    create_invoice,
    edit_draft,
    issue_invoice,
    preview_lines,
    void_invoice,
)
from domain.usecases.payments import RecordPayment, record_manual_payment
from domain.usecases.reminders import invoice_reminders
from domain.usecases.reporting import PracticeSummary, practice_summary

INVOICE_COMMAND = "/invoice"
LATEST = 5

VOID_CALLBACK_ID = "invoice_void_modal"
VOID_REASON = "void_reason"
PAYMENT_CALLBACK_ID = "invoice_payment_modal"
PAY_AMOUNT = "amount"
PAY_DATE = "received_on"
PAY_METHOD = "method"
PAY_REFERENCE = "reference"

USAGE = (
    "*`/invoice`* shows what is outstanding and the latest invoices (billing staff and admins).\n"
    "• `/invoice new [client]` opens the new-invoice form, for that client if one matches.\n"
    "• `/invoice INV-0042` shows that invoice, with its actions.\n"
    f"{invoice_lists.LIST_USAGE}\n"
    "• `/invoice help` shows this help.\n"
    "The Home tab's *+ New invoice* opens the same form."
)
_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9/_.-]{0,23}")

# The modal's inputs are named by their action ids, so each maps to itself.
SUBMIT_BLOCKS = {
    invoice_form.CLIENT: invoice_form.CLIENT,
    **{block: block for block in BLOCK_FOR_FIELD.values()},
    **BLOCK_FOR_FIELD,
}
VOID_BLOCKS = {"reason": VOID_REASON}
PAYMENT_BLOCKS = {
    "amount": PAY_AMOUNT,
    "received_on": PAY_DATE,
    "method": PAY_METHOD,
    "reference": PAY_REFERENCE,
}
METHOD_CHOICES = (
    (PaymentMethod.CASH, "Cash"),
    (PaymentMethod.BANK_TRANSFER, "Bank transfer"),
    (PaymentMethod.CARD, "Card terminal"),
    (PaymentMethod.OTHER, "Other"),
)


# -- /invoice -----------------------------------------------------------------------------


def invoice_summary(summary: PracticeSummary, locale: str) -> list[Block]:
    """An ephemeral summary (only the caller sees it, so client names may appear), amounts as
    the practice writes them (`locale`)."""
    if not summary.latest:
        return [
            SectionBlock(text=MarkdownTextObject(text="No invoices yet.")),
            note("`/invoice new` or the Home tab's *+ New invoice* creates one."),
        ]
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"*Outstanding* {t.outstanding.format(locale)} ({t.unpaid_count}) · "
                f"*Overdue* {t.overdue.format(locale)} ({t.overdue_count}) · "
                f"*Paid this month* {t.paid_this_month.format(locale)}"
            )
        )
        for t in summary.totals
    ]
    blocks.extend(invoice_row(invoice, locale) for invoice in summary.latest)
    return blocks


def summary_blocks(summary: PracticeSummary, locale: str) -> list[dict[str, Any]]:
    """`invoice_summary` as Slack's JSON. Between two changes to a practice's invoices every
    /invoice shows the same summary, and slack_sdk takes longer to render it than the read
    takes, so each summary is rendered once (the list is new; Bolt only serialises it)."""
    return list(_rendered_summary(summary, locale))


@lru_cache(maxsize=1024)
def _rendered_summary(summary: PracticeSummary, locale: str) -> tuple[dict[str, Any], ...]:
    return tuple(block.to_dict() for block in invoice_summary(summary, locale))


def invoice_command(
    deps: BotDeps, caller: Caller, text: str, body: dict[str, Any], client: WebClient, ack: Ack
) -> Callable[[], Any] | None:
    """The summary; `list …`, `export …`, `new [client]`, an invoice number, `help`; usage
    for anything else."""
    words = text.split()
    first = words[0].casefold() if words else ""
    if first in ("help", "?"):
        ack(USAGE)
        return None
    rest = text.split(None, 1)[1] if len(words) > 1 else ""
    if first == "list":
        invoice_lists.list_command(deps, caller, rest, ack)
        return None
    if first == "export":
        return invoice_lists.export_command(deps, caller, rest, body, client, ack)
    if words and first != "new" and (len(words) > 1 or not _NUMBER.fullmatch(words[0])):
        ack(USAGE)
        return None
    caller.require(Role.STAFF)
    if not words:
        summary = practice_summary(caller.practice, LATEST, deps.read(), deps.env)
        ack(text="Invoices", blocks=summary_blocks(summary, caller.practice.locale))
        return None
    if first == "new":
        modal = _opening_modal(deps, caller, client_text=" ".join(words[1:]))
        ack()
        return partial(client.views_open, trigger_id=body["trigger_id"], view=modal)
    try:
        card = invoice_numbered(caller.practice.id, words[0], deps.read(), deps.env)
    except NotFound:
        ack(
            f"No invoice is numbered `{escape(words[0])}` in this practice. "
            "`/invoice` lists the latest ones."
        )
        return None
    ack(text=card_text(card, private=True), blocks=card_blocks(card, private=True))
    return None


# -- the new-invoice modal ------------------------------------------------------------------


def _preview(deps: BotDeps, caller: Caller, draft: Draft) -> tuple[LinesPreview, str]:
    """The lines priced by the domain, or none and what is wrong with them."""
    try:
        found = preview_lines(
            caller.practice.id,
            client_id_of(draft),
            draft.lines,
            deps.read(),
            deps.env,
            own_invoice=InvoiceId(draft.editing.invoice_id) if draft.editing else None,
        )
        return found, ""
    except ValidationError as error:
        empty = preview_lines(caller.practice.id, None, (), deps.read(), deps.env)
        return empty, lines_problem(error)


def _opening_modal(
    deps: BotDeps,
    caller: Caller,
    *,
    client_text: str = "",
    client_id: ClientId | None = None,
    appointment_ids: tuple[AppointmentId, ...] = (),
    relist: str = "",
) -> View:
    form = new_invoice_form(
        caller.practice.id,
        deps.read(),
        deps.env,
        client_text=client_text,
        client_id=client_id,
        appointment_ids=appointment_ids,
    )
    draft = replace(first_draft(form), relist=relist)
    preview, problem = _preview(deps, caller, draft)
    return new_invoice_modal(form, replace(draft, problem=problem), preview)


def from_appointment(
    deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient
) -> None:
    """ "Create invoice" on an appointment: the form prefilled with its client, date and
    service; an appointment already on an invoice that is not void says which. Pressed in an
    `/appointment` list, that list is redrawn once the invoice is created."""
    appointment_id, relist = invoiced_from(body)
    modal = _opening_modal(deps, caller, appointment_ids=(appointment_id,), relist=relist)
    open_or_push(client, body, modal)


def for_sessions(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    """ "Invoice all for a client" on the Home tab: the form with a line for each of the
    client's attended sessions not yet invoiced (another practice's client is not found)."""
    client_id = ClientId(str(body["actions"][0].get("value") or ""))
    sessions = client_uninvoiced_sessions(caller.practice.id, client_id, deps.read(), deps.env)
    if not sessions:
        raise InvalidValue("Every attended session of this client is invoiced already.")
    open_or_push(client, body, _opening_modal(deps, caller, appointment_ids=sessions))


def open_new_invoice(
    deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient
) -> None:
    """ "+ New invoice" on the Home tab."""
    open_or_push(client, body, _opening_modal(deps, caller))


def for_client(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    """ "Create invoice" on a client's record: the form with that client chosen (another
    practice's client is not found)."""
    client_id = ClientId(str(body["actions"][0].get("value") or ""))
    open_or_push(client, body, _opening_modal(deps, caller, client_id=client_id))


def _redraw(
    deps: BotDeps,
    caller: Caller,
    client: WebClient,
    view: dict[str, Any],
    form: NewInvoiceForm,
    draft: Draft,
    what: str,
) -> None:
    preview, problem = _preview(deps, caller, draft)
    modal = new_invoice_modal(form, replace(draft, problem=draft.problem or problem), preview)
    update_in_place(client, view, modal, what=what)


def _form_and_draft(deps: BotDeps, caller: Caller, view: dict[str, Any]) -> tuple[Any, Draft]:
    practice = caller.practice
    form = new_invoice_form(practice.id, deps.read(), deps.env)
    return form, draft_of(view, practice.currency, deps.env.today_at(practice))


def add_line(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    """ "Add line": the form's line joins the lines, checked and priced by the domain."""
    view = body["view"]
    form, draft = _form_and_draft(deps, caller, view)
    if len(draft.lines) >= MAX_LINES:
        draft = replace(
            draft, problem=f"An invoice made here has at most {MAX_LINES} lines; not added."
        )
    else:
        try:
            line = pending_line(
                draft.pending, draft.issue_date, caller.practice.currency, caller.practice.locale
            )
            lines: tuple[LineInput, ...] = (*draft.lines, line)
            preview_lines(
                caller.practice.id,
                client_id_of(draft),
                lines,
                deps.read(),
                deps.env,
                own_invoice=InvoiceId(draft.editing.invoice_id) if draft.editing else None,
            )
        except ValidationError as error:
            messages = line_form_errors(error, len(draft.lines))
            draft = replace(draft, problem=" ".join(dict.fromkeys(messages.values())))
        else:
            pending = PendingLine(service_date=draft.pending.service_date)
            draft = replace(
                draft, lines=lines, pending=pending, generation=draft.generation + 1, problem=""
            )
    _redraw(deps, caller, client, view, form, draft, "add_line")


def remove_line(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    """ "Remove" beside a line."""
    view = body["view"]
    form, draft = _form_and_draft(deps, caller, view)
    block_id = str(body["actions"][0].get("block_id") or "")
    try:
        index = int(block_id.rsplit(".", 1)[1])
    except (IndexError, ValueError):
        return
    lines = tuple(line for i, line in enumerate(draft.lines) if i != index)
    _redraw(deps, caller, client, view, form, replace(draft, lines=lines), "remove_line")


def pick_service(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    """A service picked in the line form: its price and tax rate fill in."""
    view = body["view"]
    form, draft = _form_and_draft(deps, caller, view)
    _redraw(deps, caller, client, view, form, with_service(draft, form), "pick_service")


def _shown_on(view: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
    """Errors under blocks the modal has: without services there is no service input."""
    has_service = any(
        (block.get("element") or {}).get("action_id") == LINE_SERVICE
        for block in view.get("blocks") or []
    )
    if has_service or LINE_SERVICE not in errors:
        return errors
    moved = {k: v for k, v in errors.items() if k != LINE_SERVICE}
    moved.setdefault(LINE_DESCRIPTION, errors[LINE_SERVICE])
    return moved


def create(deps: BotDeps, caller: Caller, view: dict[str, Any], client: WebClient) -> Saved:
    """ "Create": a draft, or an issued invoice, with the lines and the filled-in line form."""
    practice = caller.practice
    draft = draft_of(view, practice.currency, deps.env.today_at(practice))
    try:
        lines = all_lines(draft, practice.currency, practice.locale)
        if draft.editing is not None:
            return _save_edit(deps, caller, client, draft, draft.editing, lines)
        invoice = create_invoice(
            CreateInvoice(
                practice.id,
                caller.user_id,
                client_id_of(draft),
                lines,
                draft.issue_date,
                draft.due_date,
                issue=draft.create_as == AS_ISSUED,
            ),
            deps.uow(),
            deps.env,
        )
    except ValidationError as error:
        fields = error.errors
        if not any(key.startswith("lines") for key in fields):
            raise ValidationError(_shown_on(view, fields)) from None
        raise ValidationError(_shown_on(view, line_form_errors(error, len(draft.lines)))) from None
    done = "saved as a draft" if invoice.status.value == "draft" else "issued"
    notice = notice_modal(
        "Invoice created",
        f"*{invoice.number}* for {invoice.total.format(practice.locale)} is {done}. Its card "
        "shows in the billing channel (or your DM with the app), with what can be done next.",
    )
    return Saved(
        ack={"response_action": "update", "view": notice},
        then=partial(_publish_and_refresh, deps, client, caller, invoice.id, draft.relist),
    )


def _publish_and_refresh(
    deps: BotDeps, client: WebClient, caller: Caller, invoice_id: InvoiceId, relist: str
) -> None:
    """The new invoice's card, the creator's Home tab, whose latest invoices and uninvoiced
    sessions it changed, and the appointment list the form came from, if any."""
    publish_card(deps, client, caller.practice.id, invoice_id, caller.user_id)
    if relist:
        redraw_list(deps, caller, relist)
    home.refresh(client, deps, caller.practice.workspace_id, caller.user_id)


def _save_edit(
    deps: BotDeps,
    caller: Caller,
    client: WebClient,
    draft: Draft,
    editing: Editing,
    lines: tuple[LineInput, ...],
) -> Saved:
    practice = caller.practice
    invoice = edit_draft(
        EditDraft(
            practice.id,
            caller.user_id,
            InvoiceId(editing.invoice_id),
            editing.version,
            client_id_of(draft),
            draft.issue_date,
            draft.due_date,
            lines,
        ),
        deps.uow(),
        deps.env,
    )
    notice = notice_modal(
        "Draft saved", f"*{invoice.number}* now totals {invoice.total.format(practice.locale)}."
    )
    return Saved(
        ack={"response_action": "update", "view": notice},
        then=partial(publish_card, deps, client, practice.id, invoice.id, caller.user_id),
    )


# -- the card's buttons ----------------------------------------------------------------------


def open_edit(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    """ "Edit" on a draft's card: the form filled in with the draft."""
    invoice, form = edit_form(caller.practice.id, _invoice_id(body), deps.read(), deps.env)
    draft = replace(first_draft(form), editing=Editing(invoice.id, invoice.version, invoice.number))
    preview, problem = _preview(deps, caller, draft)
    open_or_push(client, body, new_invoice_modal(form, replace(draft, problem=problem), preview))


def show_history(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    invoice, events = invoice_history(caller.practice.id, _invoice_id(body), deps.read(), deps.env)
    practice = caller.practice
    reminders = invoice_reminders(practice.id, invoice.id, deps.read())
    open_or_push(
        client, body, history_modal(invoice, events, practice.zone, practice.locale, reminders)
    )


def _invoice_id(body: dict[str, Any]) -> InvoiceId:
    return InvoiceId(str(body["actions"][0].get("value") or ""))


def issue(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    invoice = issue_invoice(
        caller.practice.id, _invoice_id(body), caller.user_id, deps.uow(), deps.env
    )
    publish_card(deps, client, caller.practice.id, invoice.id, caller.user_id)


def void_modal(card: InvoiceCard) -> View:
    return View(
        type="modal",
        callback_id=VOID_CALLBACK_ID,
        title="Void invoice",
        submit="Void invoice",
        close="Cancel",
        private_metadata=card.invoice.id,
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"Void *{card.invoice.number}* "
                    f"({card.invoice.total.format(card.locale)})? "
                    "A void invoice stays on record and cannot be paid or reopened."
                )
            ),
            text_input(
                VOID_REASON,
                "Reason",
                None,
                multiline=True,
                max_length=500,
                placeholder="e.g. Created for the wrong client",
            ),
        ],
    )


def open_void(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    card = invoice_card(caller.practice.id, _invoice_id(body), deps.read(), deps.env)
    open_or_push(client, body, void_modal(card))


def void(deps: BotDeps, caller: Caller, view: dict[str, Any], client: WebClient) -> Saved:
    invoice = void_invoice(
        caller.practice.id,
        InvoiceId(str(view.get("private_metadata") or "")),
        ViewState(view).text(VOID_REASON),
        caller.user_id,
        deps.uow(),
        deps.env,
    )
    return Saved(
        ack={
            "response_action": "update",
            "view": notice_modal("Invoice voided", f"*{invoice.number}* is void."),
        },
        then=partial(publish_card, deps, client, caller.practice.id, invoice.id, caller.user_id),
    )


def payment_modal(card: InvoiceCard, today: date) -> View:
    invoice = card.invoice
    choices = [Option(value=m.value, text=label) for m, label in METHOD_CHOICES]
    return View(
        type="modal",
        callback_id=PAYMENT_CALLBACK_ID,
        title="Record payment",
        submit="Record",
        close="Cancel",
        private_metadata=json.dumps({"invoice": invoice.id}),
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"*{invoice.number}* · {escape(card.client_name)} · balance "
                    f"{invoice.balance.format(card.locale)}"
                )
            ),
            InputBlock(
                block_id=PAY_AMOUNT,
                label=f"Amount ({invoice.currency.code})",
                hint="Less than the balance leaves the invoice partially paid.",
                element=PlainTextInputElement(
                    action_id=PAY_AMOUNT, initial_value=invoice.balance.typed(card.locale)
                ),
            ),
            InputBlock(
                block_id=PAY_DATE,
                label="Received on",
                element=DatePickerElement(action_id=PAY_DATE, initial_date=today.isoformat()),
            ),
            InputBlock(
                block_id=PAY_METHOD,
                label="Method",
                element=StaticSelectElement(
                    action_id=PAY_METHOD, options=choices, initial_option=choices[0]
                ),
            ),
            text_input(
                PAY_REFERENCE,
                "Reference",
                None,
                optional=True,
                max_length=120,
                placeholder="e.g. bank transfer reference",
            ),
        ],
    )


def open_payment(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    card = invoice_card(caller.practice.id, _invoice_id(body), deps.read(), deps.env)
    open_or_push(client, body, payment_modal(card, deps.env.today_at(caller.practice)))


def record_payment(deps: BotDeps, caller: Caller, view: dict[str, Any], client: WebClient) -> Saved:
    state = ViewState(view)
    try:
        invoice_id = InvoiceId(str(json.loads(view.get("private_metadata") or "{}")["invoice"]))
    except (ValueError, KeyError, TypeError):
        raise NotFound("invoice", "?") from None
    picked = state.date(PAY_DATE)
    invoice = record_manual_payment(
        RecordPayment(
            caller.practice.id,
            caller.user_id,
            invoice_id,
            state.text(PAY_AMOUNT),
            state.selected(PAY_METHOD) or "",
            date.fromisoformat(picked) if picked else None,
            state.text(PAY_REFERENCE),
        ),
        deps.uow(),
        deps.env,
    )
    notice = notice_modal(
        "Payment recorded",
        f"*{invoice.number}*: paid {invoice.amount_paid.format(caller.practice.locale)}, "
        f"balance {invoice.balance.format(caller.practice.locale)} "
        f"({invoice.status.label.lower()}).",
    )
    return Saved(
        ack={"response_action": "update", "view": notice},
        then=partial(publish_card, deps, client, caller.practice.id, invoice.id, caller.user_id),
    )


def show_details(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    card = invoice_card(caller.practice.id, _invoice_id(body), deps.read(), deps.env)
    open_or_push(client, body, details_modal(card))


def register(app: App, deps: BotDeps) -> None:
    invoice_lists.register(app, deps)
    staff_change = partial(action, deps, Role.STAFF, changes=True)
    app.command(INVOICE_COMMAND)(command(deps, partial(invoice_command, deps)))
    app.action(home.NEW_INVOICE)(action(deps, Role.STAFF, partial(open_new_invoice, deps)))
    app.action(clients.CREATE_INVOICE)(action(deps, Role.STAFF, partial(for_client, deps)))
    app.action(CREATE_INVOICE)(action(deps, Role.STAFF, partial(from_appointment, deps)))
    app.action(home.INVOICE_ALL)(action(deps, Role.STAFF, partial(for_sessions, deps)))
    app.options(invoice_form.CLIENT)(options(deps, partial(client_options, deps)))
    app.action(ADD_LINE)(action(deps, Role.STAFF, partial(add_line, deps)))
    app.action(REMOVE_LINE)(action(deps, Role.STAFF, partial(remove_line, deps)))
    app.action(LINE_SERVICE)(action(deps, Role.STAFF, partial(pick_service, deps)))
    app.view(invoice_form.CALLBACK_ID)(
        submission(deps, Role.STAFF, SUBMIT_BLOCKS, partial(create, deps))
    )
    app.action(ISSUE)(staff_change(partial(issue, deps)))
    app.action(VOID)(action(deps, Role.STAFF, partial(open_void, deps)))
    app.view(VOID_CALLBACK_ID)(submission(deps, Role.STAFF, VOID_BLOCKS, partial(void, deps)))
    app.action(RECORD_PAYMENT)(action(deps, Role.STAFF, partial(open_payment, deps)))
    app.view(PAYMENT_CALLBACK_ID)(
        submission(deps, Role.STAFF, PAYMENT_BLOCKS, partial(record_payment, deps))
    )
    app.action(DETAILS)(action(deps, Role.STAFF, partial(show_details, deps)))
    app.action(HISTORY)(action(deps, Role.STAFF, partial(show_history, deps)))
    app.action(EDIT)(action(deps, Role.STAFF, partial(open_edit, deps)))
