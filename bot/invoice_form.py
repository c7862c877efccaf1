"""The new-invoice modal: client, dates, lines added and removed in place with running totals,
and "Create" as a draft or issued.

A modal holds at most 100 blocks, so the lines are not rows of inputs: each added line is a
section whose "Remove" button carries the line, and one form at the bottom adds the next
line. The totals shown are the domain's (`preview_lines`), the same code the invoice uses.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DatePickerElement,
    DividerBlock,
    ExternalDataSelectElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks import day_text, escape, form_block_id, note
from bot.edge.state import ViewState
from domain.errors import FieldErrors, InvalidValue, ValidationError
from domain.ids import AppointmentId, ClientId, ServiceTypeId, TaxRateId
from domain.invoices import MAX_DESCRIPTION, LineInput
from domain.money import Currency, Money, parse_amount, parse_decimal
from domain.numbers import example, written
from domain.practice import format_percent
from domain.usecases.invoice_screens import NewInvoiceForm
from domain.usecases.invoicing import LinesPreview

log = logging.getLogger(__name__)

CALLBACK_ID = "invoice_new"

CLIENT = "invoice_client"
ISSUE_DATE = "issue_date"
DUE_DATE = "due_date"
CREATE_AS = "create_as"
LINE_DATE = "line_date"
LINE_SERVICE = "line_service"
LINE_DESCRIPTION = "line_description"
LINE_QUANTITY = "line_quantity"
LINE_PRICE = "line_unit_price"
LINE_TAX = "line_tax_rate"
ADD_LINE = "invoice_line_add"
REMOVE_LINE = "invoice_line_remove"
LINE_BLOCK = "invoice_line"
LINE_PROBLEM = "line_problem"
TOTALS = "invoice_totals"

AS_DRAFT = "draft"
AS_ISSUED = "issue"
NO_TAX = "none"
MAX_LINES = 50
"""What one modal holds: 50 line sections and the rest stay under Slack's 100 blocks."""
OPTION_TEXT = 75

# Domain field -> the input showing its error. A line's fields are shown under the line form.
BLOCK_FOR_FIELD = {
    "client": CLIENT,
    "issue_date": ISSUE_DATE,
    "due_date": DUE_DATE,
    "lines": LINE_SERVICE,
    "service_date": LINE_DATE,
    "service_type": LINE_SERVICE,
    "description": LINE_DESCRIPTION,
    "quantity": LINE_QUANTITY,
    "unit_price": LINE_PRICE,
    "tax_rate": LINE_TAX,
    "appointment": LINE_SERVICE,
}
_LINE_FORM_BLOCK = {
    "service_date": LINE_DATE,
    "service_type": LINE_SERVICE,
    "description": LINE_DESCRIPTION,
    "quantity": LINE_QUANTITY,
    "unit_price": LINE_PRICE,
    "tax_rate": LINE_TAX,
    "appointment": LINE_SERVICE,
}


@dataclass(frozen=True)
class PendingLine:
    """What the line form holds, as typed."""

    service_date: date | None = None
    service_type_id: str | None = None
    description: str = ""
    quantity: str = "1"
    unit_price: str = ""
    tax_rate: str | None = None
    """A rate's id, `NO_TAX`, or None for the practice's default."""

    @property
    def filled(self) -> bool:
        return bool(self.service_type_id or self.description.strip() or self.unit_price.strip())


@dataclass(frozen=True)
class Draft:
    """The modal's contents: what is chosen above, the lines added, the line form."""

    client: tuple[str, str] | None
    """(id, shown text) of the chosen client."""
    issue_date: date
    due_date: date
    lines: tuple[LineInput, ...] = ()
    pending: PendingLine = field(default_factory=PendingLine)
    generation: int = 0
    """Moves on whenever the line form must show new values (Slack keeps what a user typed
    into an input while its block id stays the same)."""
    create_as: str = AS_DRAFT
    problem: str = ""
    editing: Editing | None = None
    """The draft being edited, or None for a new invoice."""
    relist: str = ""
    """The appointment list the form was opened from, to redraw once the invoice exists
    (`bot.appointments.invoiced_from`); empty when opened elsewhere."""


@dataclass(frozen=True)
class Editing:
    """Which draft the form edits, at which version (a concurrent edit is refused)."""

    invoice_id: str
    version: int
    number: str


# -- lines carried in the modal ----------------------------------------------------------------


def encode_line(line: LineInput) -> str:
    """A line as its "Remove" button's value (at most 2,000 characters: a description is at
    most 200)."""
    return json.dumps(
        {
            "d": line.service_date.isoformat(),
            "t": line.description,
            "q": str(line.quantity),
            "p": str(line.unit_price.amount),
            "r": line.tax_rate_id,
            "s": line.service_type_id,
            "a": line.appointment_id,
        },
        separators=(",", ":"),
    )


def decode_line(value: str, currency: Currency) -> LineInput:
    data = json.loads(value)
    return LineInput(
        service_date=date.fromisoformat(data["d"]),
        description=str(data["t"]),
        quantity=Decimal(data["q"]),
        unit_price=Money(Decimal(data["p"]), currency),
        tax_rate_id=TaxRateId(data["r"]) if data.get("r") else None,
        service_type_id=ServiceTypeId(data["s"]) if data.get("s") else None,
        appointment_id=AppointmentId(data["a"]) if data.get("a") else None,
    )


def lines_in(view: dict[str, Any], currency: Currency) -> tuple[LineInput, ...]:
    """The lines the modal holds, in order, read from their "Remove" buttons."""
    lines = []
    for block in view.get("blocks") or []:
        accessory = block.get("accessory") or {}
        if accessory.get("action_id") == REMOVE_LINE:
            lines.append(decode_line(str(accessory["value"]), currency))
    return tuple(lines)


# -- reading the modal -------------------------------------------------------------------------


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        found = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _chosen_client(view: dict[str, Any]) -> tuple[str, str] | None:
    for block in (view.get("state") or {}).get("values", {}).values():
        element = block.get(CLIENT)
        if element and element.get("selected_option"):
            option = element["selected_option"]
            return str(option["value"]), str((option.get("text") or {}).get("text") or "")
    return None


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _editing(metadata: dict[str, Any]) -> Editing | None:
    edited = metadata.get("i")
    if not edited:
        return None
    return Editing(str(edited), int(metadata.get("v") or 0), str(metadata.get("n") or ""))


def draft_of(view: dict[str, Any], currency: Currency, today: date) -> Draft:
    """The modal as the user left it."""
    state = ViewState(view)
    metadata = _metadata(view)
    issue = _day(state.date(ISSUE_DATE)) or today
    return Draft(
        client=_chosen_client(view),
        issue_date=issue,
        due_date=_day(state.date(DUE_DATE)) or issue,
        lines=lines_in(view, currency),
        pending=PendingLine(
            service_date=_day(state.date(LINE_DATE)),
            service_type_id=state.selected(LINE_SERVICE),
            description=state.text(LINE_DESCRIPTION),
            quantity=state.text(LINE_QUANTITY),
            unit_price=state.text(LINE_PRICE),
            tax_rate=state.selected(LINE_TAX),
        ),
        generation=int(metadata.get("g") or 0),
        create_as=state.selected(CREATE_AS) or AS_DRAFT,
        editing=_editing(metadata),
        relist=str(metadata.get("l") or ""),
    )


def _price(text: str, currency: Currency, locale: str) -> Money:
    """The unit price as the practice writes amounts (`locale`: 89,50 in de_DE)."""
    if not text.strip():
        typed = example(Decimal(80), locale, decimals=currency.exponent)
        raise InvalidValue(f"Enter the unit price, e.g. {typed}.")
    return Money(parse_amount(text, currency, locale, noun="price"), currency)


def _quantity(text: str, locale: str) -> Decimal:
    return parse_decimal(text or "1", locale)


def pending_line(
    pending: PendingLine, issue_date: date, currency: Currency, locale: str
) -> LineInput:
    """The line form as a line, its numbers read as `locale` writes them; raises
    ValidationError naming the form's inputs."""
    errors = FieldErrors()
    quantity = errors.check("quantity", partial(_quantity, pending.quantity, locale))
    price = errors.check("unit_price", partial(_price, pending.unit_price, currency, locale))
    if len(pending.description.strip()) > MAX_DESCRIPTION:
        errors.add("description", f"Keep the description to {MAX_DESCRIPTION} characters.")
    errors.raise_if_any()
    assert quantity is not None and price is not None
    rate = pending.tax_rate
    return LineInput(
        service_date=pending.service_date or issue_date,
        description=pending.description.strip(),
        quantity=quantity,
        unit_price=price,
        tax_rate_id=TaxRateId(rate) if rate and rate != NO_TAX else None,
        service_type_id=ServiceTypeId(pending.service_type_id) if pending.service_type_id else None,
    )


def line_form_errors(error: ValidationError, pending_index: int) -> dict[str, str]:
    """The domain's `lines.N.field` errors as the modal shows them: the line being added under
    its own inputs, a line added earlier under the form with its number."""
    shown: dict[str, str] = {}
    for key, message in error.errors.items():
        parts = key.split(".")
        if parts[0] != "lines" or len(parts) < 3:
            shown.setdefault(BLOCK_FOR_FIELD.get(parts[0], LINE_SERVICE), message)
            continue
        index, name = int(parts[1]), parts[2]
        if index == pending_index:
            shown.setdefault(_LINE_FORM_BLOCK.get(name, LINE_SERVICE), message)
        else:
            shown.setdefault(LINE_SERVICE, f"Line {index + 1}: {message}")
    return shown


# -- the view ----------------------------------------------------------------------------------


def _option_text(text: str) -> str:
    return text if len(text) <= OPTION_TEXT else text[: OPTION_TEXT - 1] + "…"


def _option(value: str, text: str) -> Option:
    return Option(value=value, text=_option_text(text))


def _client_input(form: NewInvoiceForm, chosen: tuple[str, str] | None) -> InputBlock:
    if form.clients:
        choices = [_option(c.id, f"{c.name} ({c.email})") for c in form.clients]
        initial = next((o for o in choices if chosen and o.value == chosen[0]), None)
        element: StaticSelectElement | ExternalDataSelectElement = StaticSelectElement(
            action_id=CLIENT,
            placeholder="Choose a client",
            options=choices,
            initial_option=initial,
        )
        hint = None
    else:
        element = ExternalDataSelectElement(
            action_id=CLIENT,
            placeholder="Type to search clients",
            min_query_length=1,
            initial_option=_option(*chosen) if chosen else None,
        )
        hint = f"Type part of a name or e-mail to find one of the {form.client_count} clients."
    return InputBlock(block_id=CLIENT, label="Client", element=element, hint=hint)


def _date_input(block_id: str, label: str, day: date | None, *, optional: bool = False) -> Any:
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=optional,
        element=DatePickerElement(
            action_id=block_id.split(".")[0], initial_date=day.isoformat() if day else None
        ),
    )


def _tax_label(percent: Decimal, name: str) -> str:
    return f"{name} {format_percent(percent)}" if name else "No tax"


def _line_section(index: int, line: LineInput, preview: LinesPreview, locale: str) -> SectionBlock:
    if index < len(preview.lines):
        priced = preview.lines[index]
        text = (
            f"*{index + 1}.* {day_text(priced.service_date)} · {escape(priced.description)}\n"
            f"{written(priced.quantity, locale)} × {priced.unit_price.format(locale)} · "
            f"{_tax_label(priced.tax_percent, priced.tax_name)} · *{priced.total.format(locale)}*"
        )
    else:  # the line no longer prices (its service or rate went away): shown as entered
        text = (
            f"*{index + 1}.* {day_text(line.service_date)} · {escape(line.description)}\n"
            f"{written(line.quantity, locale)} × {line.unit_price.format(locale)}"
        )
    return SectionBlock(
        block_id=f"{LINE_BLOCK}.{index}",
        text=MarkdownTextObject(text=text),
        accessory=ButtonElement(text="Remove", action_id=REMOVE_LINE, value=encode_line(line)),
    )


def _line_form(form: NewInvoiceForm, draft: Draft) -> list[Block]:
    pending, generation = draft.pending, str(draft.generation)
    services = [
        _option(s.id, f"{s.name} · {s.default_price.format(form.locale)}") for s in form.services
    ]
    rates = [_option(NO_TAX, "No tax")] + [
        _option(r.id, _tax_label(r.percent, r.name)) for r in form.tax_rates
    ]
    chosen_rate = pending.tax_rate or form.default_tax_rate_id or NO_TAX
    blocks: list[Block] = [
        _date_input(
            form_block_id(LINE_DATE, generation),
            "Date",
            pending.service_date or draft.issue_date,
            optional=True,
        ),
    ]
    if services:
        blocks.append(
            InputBlock(
                block_id=form_block_id(LINE_SERVICE, generation),
                label="Service",
                optional=True,
                dispatch_action=True,
                hint="Its price and tax rate fill in.",
                element=StaticSelectElement(
                    action_id=LINE_SERVICE,
                    placeholder="Choose a service",
                    options=services[:100],
                    initial_option=next(
                        (o for o in services if o.value == pending.service_type_id), None
                    ),
                ),
            )
        )
    blocks += [
        InputBlock(
            block_id=form_block_id(LINE_DESCRIPTION, generation),
            label="Description",
            optional=True,
            element=PlainTextInputElement(
                action_id=LINE_DESCRIPTION,
                initial_value=pending.description or None,
                max_length=MAX_DESCRIPTION,
                placeholder="The service's name if left empty",
            ),
        ),
        InputBlock(
            block_id=form_block_id(LINE_QUANTITY, generation),
            label="Quantity",
            optional=True,
            element=PlainTextInputElement(
                action_id=LINE_QUANTITY, initial_value=pending.quantity or "1"
            ),
        ),
        InputBlock(
            block_id=form_block_id(LINE_PRICE, generation),
            label=f"Unit price ({form.currency.code})",
            optional=True,
            element=PlainTextInputElement(
                action_id=LINE_PRICE,
                initial_value=pending.unit_price or None,
                placeholder=example(Decimal(80), form.locale, decimals=form.currency.exponent),
            ),
        ),
        InputBlock(
            block_id=form_block_id(LINE_TAX, generation),
            label="Tax rate",
            optional=True,
            element=StaticSelectElement(
                action_id=LINE_TAX,
                options=rates[:100],
                initial_option=next((o for o in rates if o.value == chosen_rate), rates[0]),
            ),
        ),
    ]
    if draft.problem:
        blocks.append(
            ContextBlock(
                block_id=LINE_PROBLEM,
                elements=[MarkdownTextObject(text=f":warning: {escape(draft.problem)}")],
            )
        )
    room = MAX_LINES - len(draft.lines)
    blocks.append(
        ActionsBlock(
            block_id="line_actions",
            elements=[ButtonElement(text="Add line", action_id=ADD_LINE, value="add")],
        )
    )
    blocks.append(
        note(
            f"Up to {MAX_LINES} lines; {room} more can be added."
            if room > 0
            else f"This invoice has the most lines one form holds ({MAX_LINES})."
        )
    )
    return blocks


def _totals(preview: LinesPreview, locale: str) -> SectionBlock:
    totals = preview.totals
    rows = [f"Subtotal: {totals.subtotal.format(locale)}"]
    rows += [
        f"{summary.label} on {summary.taxable.format(locale)}: {summary.tax.format(locale)}"
        for summary in totals.taxes
    ]
    rows.append(f"*Total: {totals.total.format(locale)}*")
    return SectionBlock(block_id=TOTALS, text=MarkdownTextObject(text="\n".join(rows)))


def new_invoice_modal(form: NewInvoiceForm, draft: Draft, preview: LinesPreview) -> View:
    """The form for `draft`, with `preview`'s priced lines and totals."""
    blocks: list[Block] = [
        _client_input(form, draft.client),
        _date_input(ISSUE_DATE, "Issue date", draft.issue_date),
        _date_input(DUE_DATE, "Due date", draft.due_date),
        HeaderBlock(text=f"Lines ({len(draft.lines)})"),
    ]
    blocks += [_line_section(i, line, preview, form.locale) for i, line in enumerate(draft.lines)]
    if not draft.lines:
        blocks.append(note("No lines yet: fill in the form below and press *Add line*."))
    blocks.append(DividerBlock())
    blocks += _line_form(form, draft)
    blocks += [DividerBlock(), _totals(preview, form.locale)]
    metadata: dict[str, Any] = {"g": draft.generation}
    if draft.relist:
        metadata["l"] = draft.relist
    editing = draft.editing
    if editing is None:
        choices = [
            Option(value=AS_DRAFT, text="Save as a draft"),
            Option(value=AS_ISSUED, text="Issue it now"),
        ]
        blocks.append(
            InputBlock(
                block_id=CREATE_AS,
                label="On create",
                element=RadioButtonsElement(
                    action_id=CREATE_AS,
                    options=choices,
                    initial_option=next(o for o in choices if o.value == draft.create_as),
                ),
            )
        )
    else:
        metadata.update(i=editing.invoice_id, v=editing.version, n=editing.number)
    return View(
        type="modal",
        callback_id=CALLBACK_ID,
        title="New invoice" if editing is None else f"Edit {editing.number}"[:24],
        submit="Create" if editing is None else "Save draft",
        close="Cancel",
        private_metadata=json.dumps(metadata, separators=(",", ":")),
        blocks=blocks,
    )


def first_draft(form: NewInvoiceForm) -> Draft:
    """The form as it opens: the prefill's client, dates and lines."""
    client = form.prefilled_client
    return Draft(
        client=(client.id, _option_text(f"{client.name} ({client.email})")) if client else None,
        issue_date=form.prefill.issue_date,
        due_date=form.prefill.due_date,
        lines=form.prefill.lines,
    )


def with_service(draft: Draft, form: NewInvoiceForm) -> Draft:
    """The line form once a service is picked: its price and tax rate filled in."""
    service = next((s for s in form.services if s.id == draft.pending.service_type_id), None)
    if service is None:
        return draft
    rate = service.default_tax_rate_id or form.default_tax_rate_id
    pending = replace(
        draft.pending,
        # As the practice types it back in, so that Create reads it as shown (89,50 in de_DE).
        unit_price=service.default_price.typed(form.locale),
        tax_rate=rate or NO_TAX,
    )
    return replace(draft, pending=pending, generation=draft.generation + 1)


def update_in_place(
    client: WebClient, view: dict[str, Any], modal: View, *, what: str
) -> Callable[[], None] | None:
    """`views.update` with the hash the user's view had: a stale update (the view changed
    meanwhile, e.g. a second click) is refused by Slack and dropped here, never applied over
    the newer view."""
    try:
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=modal)
    except SlackApiError as error:
        if error.response.get("error") != "hash_conflict":
            raise
        log.info("event=stale_view_update_dropped view_id=%s what=%s", view["id"], what)
    return None


def client_id_of(draft: Draft) -> ClientId | None:
    return ClientId(draft.client[0]) if draft.client else None


def all_lines(draft: Draft, currency: Currency, locale: str) -> tuple[LineInput, ...]:
    """The lines to create the invoice with: those added, and the form's line if filled in
    (people often press Create without Add line). Raises ValidationError on the form."""
    if not draft.pending.filled:
        return draft.lines
    if len(draft.lines) >= MAX_LINES:
        raise ValidationError.single(
            LINE_SERVICE, f"This invoice already has {MAX_LINES} lines; clear the line form."
        )
    try:
        line = pending_line(draft.pending, draft.issue_date, currency, locale)
    except ValidationError as error:
        raise ValidationError({BLOCK_FOR_FIELD[k]: m for k, m in error.errors.items()}) from None
    return (*draft.lines, line)


def lines_problem(error: ValidationError) -> str:
    return " ".join(dict.fromkeys(error.errors.values()))
