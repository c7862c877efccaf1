"""Small Block Kit builders shared by the feature modules' views."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from datetime import date

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)

from domain.invoices import SETTLED_STATUSES, InvoiceListing, InvoiceStatus


def form_generation(listed: Iterable[str]) -> str:
    """A short tag of what a modal lists above its "add" form, for that form's block ids.

    When a modal is updated, Slack keeps what the user typed into an input only while the
    input's block and action ids stay the same. A form whose list changed (it was just used)
    therefore comes back empty instead of offering the same entry again, and one whose list
    did not change keeps a half-typed entry."""
    return format(zlib.crc32("\n".join(listed).encode()), "08x")


def form_block_id(action_id: str, generation: str | None) -> str:
    """The block id of a form input: its action id, tagged with the form's generation."""
    return f"{action_id}.{generation}" if generation else action_id


def text_input(
    action_id: str,
    label: str,
    value: str | None,
    *,
    optional: bool = False,
    multiline: bool = False,
    max_length: int | None = None,
    placeholder: str | None = None,
    hint: str | None = None,
    generation: str | None = None,
) -> InputBlock:
    """A text field whose block is named after its action (see `form_generation`), so errors
    and values line up."""
    return InputBlock(
        block_id=form_block_id(action_id, generation),
        label=label,
        optional=optional,
        hint=hint,
        element=PlainTextInputElement(
            action_id=action_id,
            initial_value=value or None,
            multiline=multiline,
            max_length=max_length,
            placeholder=placeholder,
        ),
    )


def options(pairs: Sequence[tuple[str, str]]) -> list[Option]:
    return [Option(value=value, text=PlainTextObject(text=label)) for value, label in pairs]


def select_input(
    action_id: str,
    label: str,
    pairs: Sequence[tuple[str, str]],
    selected: str | None,
    *,
    optional: bool = False,
    hint: str | None = None,
    generation: str | None = None,
    dispatch_action: bool = False,
) -> InputBlock:
    """`dispatch_action`: a choice is sent to the app at once (a block action), so the
    modal can react to it before it is submitted."""
    choices = options(pairs)
    initial = next((option for option in choices if option.value == selected), None)
    return InputBlock(
        block_id=form_block_id(action_id, generation),
        label=label,
        optional=optional,
        hint=hint,
        dispatch_action=dispatch_action or None,
        element=StaticSelectElement(action_id=action_id, options=choices, initial_option=initial),
    )


def note(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def escape(text: str) -> str:
    """Text from people, made safe to place inside mrkdwn (no accidental @-mentions or links)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def day_text(day: date) -> str:
    """A calendar day as people read it in a list ("9 Dec 2026"), the same in every locale."""
    return f"{day.day} {day:%b %Y}"


def invoice_row(invoice: InvoiceListing, locale: str) -> SectionBlock:
    """One invoice as a line of a list only its viewer sees (Home, an ephemeral reply), its
    amounts as the practice writes them (`locale`)."""
    parts = [
        f"*{invoice.number}*",
        escape(invoice.client_name),
        invoice.total.format(locale),
        invoice.status.label,
    ]
    if invoice.status is InvoiceStatus.PARTIALLY_PAID:
        parts.append(f"{invoice.balance.format(locale)} left to pay")
    if invoice.status not in SETTLED_STATUSES:  # its due date no longer matters
        parts.append(f"due {day_text(invoice.due_date)}")
    return SectionBlock(text=MarkdownTextObject(text=" · ".join(parts)))


#: The postal address's inputs, named alike wherever an address is asked for.
ADDRESS_LINE1 = "address_line1"
ADDRESS_LINE2 = "address_line2"
CITY = "city"
REGION = "region"
POSTAL_CODE = "postal_code"
COUNTRY = "country"


def address_inputs(
    heading: str,
    line1: str,
    line2: str,
    city: str,
    region: str,
    postal_code: str,
    country: str,
) -> list[Block]:
    """A postal address's optional fields under `heading` (the practice's, a client's)."""
    return [
        HeaderBlock(text=heading),
        text_input(ADDRESS_LINE1, "Street", line1, optional=True, max_length=120),
        text_input(ADDRESS_LINE2, "Address line 2", line2, optional=True, max_length=120),
        text_input(CITY, "City", city, optional=True, max_length=80),
        text_input(REGION, "State or region", region, optional=True, max_length=80),
        text_input(POSTAL_CODE, "Postal code", postal_code, optional=True, max_length=20),
        text_input(
            COUNTRY,
            "Country",
            country,
            optional=True,
            max_length=2,
            hint="Two-letter code, e.g. US, GB, DE.",
        ),
    ]
