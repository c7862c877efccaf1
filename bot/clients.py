"""`/client`: the practice's clients for billing staff: the "Add client" form, finding a client,
the list A-Z, and a client's record (shown only to the caller), with its Edit form."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
    EmailInputElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View
from slack_sdk.webhook import WebhookClient

from bot import appointments
from bot.blocks import (
    ADDRESS_LINE1,
    ADDRESS_LINE2,
    CITY,
    COUNTRY,
    POSTAL_CODE,
    REGION,
    address_inputs,
    day_text,
    escape,
    note,
    text_input,
)
from bot.edge.deps import BotDeps, Caller
from bot.edge.listen import Saved, action, command, submission
from bot.edge.respond import notice_modal
from bot.edge.state import ViewState
from domain.appointments import AppointmentStatus
from domain.clients import Client
from domain.errors import NotFound
from domain.ids import ClientId
from domain.invoices import SETTLED_STATUSES, InvoiceListing, InvoiceStatus
from domain.roles import Role
from domain.usecases.client_record import (
    AppointmentEntry,
    ClientMatches,
    ClientPage,
    ClientRecord,
    client_details,
    client_page,
    client_record,
    find_clients,
)
from domain.usecases.queries import scheduling_choices
from domain.usecases.records import AddClient, ClientDetails, EditClient, add_client, edit_client

COMMAND = "/client"
CALLBACK_ID = "client_add"
EDIT_CALLBACK_ID = "client_edit"

NAME = "name"
EMAIL = "email"
PHONE = "phone"
NOTES = "notes"

OPEN_CLIENT = "client_open"
"""A client's row in a search or the list; its value is the client id."""
LIST_PAGE = "client_list_page"
LIST_PREVIOUS = "client_list_previous"
"""The list's Next and Previous buttons; their value is the position of the page to show."""
ADD_CLIENT = "client_add_open"
"""Offered when nothing matched; its value is what was searched for, to start the form."""
EDIT_CLIENT = "client_edit_open"
NEW_APPOINTMENT = "client_new_appointment"
#: Answered by bot/invoices.py, which owns the new-invoice form.
CREATE_INVOICE = "client_create_invoice"
"""The record's buttons; their value is the client id."""
CLIENT_ROW_PREFIX = "client:"
RECORD_ACTIONS = "client_record_actions"
LIST_ACTIONS = "client_list_actions"

# Domain field -> block; they share names (ClientDetails' fields).
BLOCK_FOR_FIELD = {
    field: field
    for field in (
        NAME,
        EMAIL,
        PHONE,
        ADDRESS_LINE1,
        ADDRESS_LINE2,
        CITY,
        REGION,
        POSTAL_CODE,
        COUNTRY,
        NOTES,
    )
}
MATCHES_SHOWN = 10
# What a button's value carries back of a search (Slack allows 2,000 characters).
SEARCH_KEPT = 200
HEADER_TEXT = 150

USAGE = (
    "*`/client`* finds and keeps the practice's clients (billing staff and admins).\n"
    "• `/client` or `/client new` opens a form to add a client.\n"
    "• `/client <name or e-mail>` finds a client (any case, accents optional) and shows "
    "their record: contact details, appointments, invoices and what they owe.\n"
    "• `/client list` lists every client A–Z, 20 at a time.\n"
    "• `/client help` shows this help.\n"
    "• `/appointment` schedules an appointment for a client."
)


# -- the form -------------------------------------------------------------------------------


def add_client_modal(practice_country: str = "", *, name: str = "", email: str = "") -> View:
    """An empty client form (but `name` or `email` if given, e.g. from a search that found
    nobody); the country starts as the practice's, which also decides how a phone number
    without a country code is read."""
    blank = ClientDetails(name=name, email=email, country=practice_country)
    return _client_form(CALLBACK_ID, "Add client", "Add", blank, None)


def edit_client_modal(client: Client) -> View:
    """The client form filled in with `client` as stored; it carries the version it shows,
    so a save over someone else's change meanwhile is refused."""
    address = client.address
    shown = ClientDetails(
        name=client.name,
        email=client.email,
        phone=client.phone,
        address_line1=address.line1,
        address_line2=address.line2,
        city=address.city,
        region=address.region,
        postal_code=address.postal_code,
        country=address.country,
        notes=client.notes,
    )
    metadata = json.dumps({"client": client.id, "version": client.version})
    return _client_form(EDIT_CALLBACK_ID, "Edit client", "Save", shown, metadata)


def _client_form(
    callback_id: str, title: str, submit: str, shown: ClientDetails, metadata: str | None
) -> View:
    return View(
        type="modal",
        callback_id=callback_id,
        title=title,
        submit=submit,
        close="Cancel",
        private_metadata=metadata,
        blocks=[
            text_input(NAME, "Name", shown.name, max_length=200),
            InputBlock(
                block_id=EMAIL,
                label="E-mail",
                hint="Invoices, payment links and receipts go here.",
                element=EmailInputElement(action_id=EMAIL, initial_value=shown.email or None),
            ),
            text_input(
                PHONE,
                "Phone",
                shown.phone,
                optional=True,
                max_length=40,
                hint="With the country code, e.g. +1 415 555 0100, or local to the country below.",
            ),
            DividerBlock(),
            *address_inputs(
                "Address",
                shown.address_line1,
                shown.address_line2,
                shown.city,
                shown.region,
                shown.postal_code,
                shown.country,
            ),
            DividerBlock(),
            text_input(
                NOTES,
                "Notes",
                shown.notes,
                optional=True,
                multiline=True,
                max_length=2000,
                hint="For the practice only; never shown on invoices or in channels.",
            ),
        ],
    )


def client_added_modal(added: Client) -> View:
    """What the form turns into once the client is saved (only the user who added sees it)."""
    return notice_modal(
        "Client added",
        f"*{escape(added.name)}* ({escape(added.email)}) was added.\n"
        "Schedule an appointment with `/appointment`.",
    )


def client_saved_modal(saved: Client) -> View:
    """What the Edit form turns into once the change is saved."""
    return notice_modal(
        "Client saved",
        f"*{escape(saved.name)}* ({escape(saved.email)}) was saved.\n"
        f"`/client {escape(saved.name)}` shows the record as it is now.",
    )


def details_from(view: dict[str, Any]) -> ClientDetails:
    state = ViewState(view)
    return ClientDetails(
        name=state.text(NAME),
        email=state.text(EMAIL),
        phone=state.text(PHONE),
        address_line1=state.text(ADDRESS_LINE1),
        address_line2=state.text(ADDRESS_LINE2),
        city=state.text(CITY),
        region=state.text(REGION),
        postal_code=state.text(POSTAL_CODE),
        country=state.text(COUNTRY),
        notes=state.text(NOTES),
    )


@dataclass(frozen=True, slots=True)
class EditedVersion:
    """Which client an Edit form shows, and the version it was read at."""

    client_id: ClientId
    version: int

    @classmethod
    def of(cls, view: dict[str, Any]) -> EditedVersion:
        """Read from the form's private_metadata; NotFound if it names no client."""
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
            return cls(ClientId(str(meta["client"])), int(meta["version"]))
        except (ValueError, TypeError, KeyError):
            raise NotFound("client", "?") from None


# -- search, list and record (messages only the caller sees) ------------------------------


def _client_row(client: Client) -> SectionBlock:
    return SectionBlock(
        block_id=f"{CLIENT_ROW_PREFIX}{client.id}",
        text=MarkdownTextObject(text=f"*{escape(client.name)}* · {escape(client.email)}"),
        accessory=ButtonElement(text="Open", action_id=OPEN_CLIENT, value=client.id),
    )


def _quoted(text: str) -> str:
    return f"“{escape(text[:SEARCH_KEPT])}”"


def client_matches(searched: str, matches: ClientMatches) -> list[Block]:
    """What a search found, the best first, each with a button opening its record; or,
    when nothing matched, a button to add the client."""
    if not matches.clients:
        return [
            SectionBlock(
                text=MarkdownTextObject(text=f"No client matches {_quoted(searched)}."),
                accessory=ButtonElement(
                    text="Add client", action_id=ADD_CLIENT, value=searched[:SEARCH_KEPT]
                ),
            ),
            note("Search by part of a name or e-mail, or list everyone with `/client list`."),
        ]
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"*{matches.total} clients* match {_quoted(searched)}"
                + (f"; the best {len(matches.clients)}:" if matches.more else ":")
            )
        )
    ]
    blocks.extend(_client_row(client) for client in matches.clients)
    if matches.more:
        blocks.append(
            note(f"…and {matches.more} more. Type more of the name or e-mail to narrow it down.")
        )
    return blocks


def client_list(page: ClientPage) -> list[Block]:
    """One page of the practice's clients A-Z, with buttons to the pages around it."""
    if not page.clients:
        return [
            SectionBlock(text=MarkdownTextObject(text="There are no clients yet.")),
            note("Add one with `/client new`."),
        ]
    first = page.offset + 1
    last = page.offset + len(page.clients)
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=f"*Clients {first}–{last} of {page.total}*"))
    ]
    blocks.extend(_client_row(client) for client in page.clients)
    buttons = []
    if page.previous_offset is not None:
        buttons.append(
            ButtonElement(text="Previous", action_id=LIST_PREVIOUS, value=str(page.previous_offset))
        )
    if page.next_offset is not None:
        buttons.append(ButtonElement(text="Next", action_id=LIST_PAGE, value=str(page.next_offset)))
    if buttons:
        blocks.append(ActionsBlock(block_id=LIST_ACTIONS, elements=buttons))
    return blocks


def _contact(client: Client) -> str:
    address = client.address
    lines = [
        " · ".join(escape(part) for part in (client.email, client.phone) if part),
        ", ".join(
            escape(part)
            for part in (
                address.line1,
                address.line2,
                address.city,
                address.region,
                address.postal_code,
                address.country,
            )
            if part
        ),
    ]
    return "\n".join(line for line in lines if line)


def _billed(invoice: InvoiceListing | None, locale: str) -> str:
    if invoice is None:
        return "not invoiced"
    shown = f"{invoice.number} {invoice.status.label.lower()}"
    if invoice.status is InvoiceStatus.PARTIALLY_PAID:
        shown += f", {invoice.balance.format(locale)} left"
    return shown


def _appointment_line(entry: AppointmentEntry, zone: ZoneInfo, locale: str) -> str:
    appointment = entry.appointment
    start = appointment.start.astimezone(zone)
    parts = [
        f"{start:%a} {day_text(start.date())}, {start:%H:%M}",
        escape(entry.service or "a service no longer offered"),
    ]
    if appointment.status is not AppointmentStatus.SCHEDULED:
        parts.append(appointment.status.value.replace("_", "-"))
    parts.append(_billed(entry.invoice, locale))
    return "• " + " · ".join(parts)


def _invoice_line(invoice: InvoiceListing, locale: str) -> str:
    parts = [f"*{invoice.number}*", invoice.total.format(locale), invoice.status.label]
    if invoice.status is InvoiceStatus.PARTIALLY_PAID:
        parts.append(f"{invoice.balance.format(locale)} left to pay")
    if invoice.status not in SETTLED_STATUSES:
        parts.append(f"due {day_text(invoice.due_date)}")
    return "• " + " · ".join(parts)


def _listed(title: str, lines: Sequence[str], more: str, empty: str) -> SectionBlock:
    body = "\n".join(lines) if lines else f"_{empty}_"
    return SectionBlock(text=MarkdownTextObject(text=f"*{title}*\n{body}{more}"))


def _more(count: int, what: str) -> str:
    return f"\n_…and {count} more {what}_" if count else ""


def client_record_blocks(record: ClientRecord, zone: ZoneInfo, locale: str) -> list[Block]:
    """A client's record, for a message only the caller sees: contact details, what they
    owe, their upcoming and past appointments with the invoice of each, their invoices; and
    buttons to edit the client or schedule an appointment for them. Times are on `zone`
    (the practice's clock), amounts as the practice writes them (`locale`)."""
    client = record.client
    if record.owed:
        owed = " · ".join(
            f"{t.outstanding.format(locale)} on {t.unpaid_count} unpaid invoice"
            + ("s" if t.unpaid_count != 1 else "")
            + (f", {t.overdue.format(locale)} overdue" if t.overdue_count else "")
            for t in record.owed
        )
    else:
        owed = "nothing"
    blocks: list[Block] = [
        HeaderBlock(text=client.name[:HEADER_TEXT]),
        SectionBlock(text=MarkdownTextObject(text=_contact(client))),
    ]
    if client.notes:
        blocks.append(note(f"Notes: {escape(client.notes)}"))
    blocks += [
        SectionBlock(text=MarkdownTextObject(text=f"*Open balance:* {owed}")),
        DividerBlock(),
        _listed(
            "Upcoming appointments",
            [_appointment_line(entry, zone, locale) for entry in record.upcoming],
            _more(record.more_upcoming, "upcoming"),
            "None scheduled.",
        ),
        _listed(
            "Past appointments",
            [_appointment_line(entry, zone, locale) for entry in record.past],
            _more(record.more_past, "earlier"),
            "None yet.",
        ),
        _listed(
            "Invoices",
            [_invoice_line(invoice, locale) for invoice in record.invoices],
            "\n_…and older ones_" if record.more_invoices else "",
            "None yet.",
        ),
        ActionsBlock(
            block_id=RECORD_ACTIONS,
            elements=[
                ButtonElement(text="Edit", action_id=EDIT_CLIENT, value=client.id),
                ButtonElement(text="New appointment", action_id=NEW_APPOINTMENT, value=client.id),
                ButtonElement(text="Create invoice", action_id=CREATE_INVOICE, value=client.id),
            ],
        ),
    ]
    return blocks


def _as_json(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]


# -- listeners ------------------------------------------------------------------------------


def save_client(deps: BotDeps, caller: Caller, view: dict[str, Any], client: WebClient) -> Saved:
    """Add the client; the e-mail and phone are checked and normalised by the domain."""
    added = add_client(
        AddClient(caller.practice.id, caller.user_id, details_from(view)), deps.uow(), deps.env
    )
    # Nothing on the Home tab counts clients, so there is nothing to republish.
    return Saved(ack={"response_action": "update", "view": client_added_modal(added)})


def save_edited_client(
    deps: BotDeps, caller: Caller, view: dict[str, Any], client: WebClient
) -> Saved:
    """Store the changed details over the version the form showed; StaleEdit (shown as a
    notice saying why) if someone else saved the client meanwhile."""
    edited = EditedVersion.of(view)
    saved = edit_client(
        EditClient(
            caller.practice.id, caller.user_id, edited.client_id, edited.version, details_from(view)
        ),
        deps.uow(),
        deps.env,
    )
    return Saved(ack={"response_action": "update", "view": client_saved_modal(saved)})


def _record_for(deps: BotDeps, caller: Caller, client_id: str) -> list[Block]:
    record = client_record(caller.practice.id, ClientId(client_id), deps.read(), deps.env)
    return client_record_blocks(record, caller.practice.zone, caller.practice.locale)


def client_command(
    deps: BotDeps, caller: Caller, text: str, body: dict[str, Any], client: WebClient, ack: Ack
) -> Callable[[], Any] | None:
    """`/client [new [name]] | list | help | <search>`; everything but help is for billing
    staff, and what it shows only the caller sees (a command's answer is ephemeral)."""
    word, _, rest = text.partition(" ")
    if text.casefold() in ("help", "?"):
        ack(USAGE)
        return None
    caller.require(Role.STAFF)
    if not text or word.casefold() == "new":
        ack()
        view = add_client_modal(caller.practice.billing.address.country, name=rest.strip())
        return partial(client.views_open, trigger_id=body["trigger_id"], view=view)
    if text.casefold() == "list":
        page = client_page(caller.practice.id, 0, deps.read(), deps.env)
        ack(text="Clients", blocks=_as_json(client_list(page)))
        return None
    matches = find_clients(caller.practice.id, text, MATCHES_SHOWN, deps.read(), deps.env)
    if matches.total == 1:
        (found,) = matches.clients
        ack(text="Client record", blocks=_as_json(_record_for(deps, caller, found.id)))
    else:
        ack(text="Clients found", blocks=_as_json(client_matches(text, matches)))
    return None


def _pressed(body: dict[str, Any]) -> str:
    actions = body.get("actions") or [{}]
    return str(actions[0].get("value") or "")


def _respond(body: dict[str, Any], text: str, blocks: Sequence[Block], *, replace: bool) -> None:
    """Answer a button in a message only the caller sees, through its response_url: in
    place of that message, or as another one below it."""
    WebhookClient(body["response_url"]).send(
        text=text,
        blocks=_as_json(blocks),
        response_type="ephemeral",
        replace_original=replace,
    )


def open_record(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    """A client's record, below the search or list it was opened from (which stays, so the
    next one can be opened too)."""
    _respond(body, "Client record", _record_for(deps, caller, _pressed(body)), replace=False)


def turn_page(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    """The list's page at the position the button carries, in place of the page shown."""
    try:
        offset = int(_pressed(body))
    except ValueError:
        offset = 0
    page = client_page(caller.practice.id, offset, deps.read(), deps.env)
    _respond(body, "Clients", client_list(page), replace=True)


def open_add_form(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    """The Add client form, started with what was searched for (as the e-mail if it looks
    like one, else as the name)."""
    searched = _pressed(body).strip()[:SEARCH_KEPT]
    as_email = "@" in searched
    view = add_client_modal(
        caller.practice.billing.address.country,
        name="" if as_email else searched,
        email=searched if as_email else "",
    )
    client.views_open(trigger_id=body["trigger_id"], view=view)


def open_edit_form(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    """The client form filled in with the client as stored now."""
    found = client_details(caller.practice.id, ClientId(_pressed(body)), deps.read(), deps.env)
    client.views_open(trigger_id=body["trigger_id"], view=edit_client_modal(found))


def open_appointment_form(
    deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient
) -> None:
    """The /appointment form with this client already picked."""
    practice = caller.practice
    picked = client_details(practice.id, ClientId(_pressed(body)), deps.read(), deps.env)
    choices = scheduling_choices(practice.id, deps.read(), deps.env)
    if not choices.services:
        view = notice_modal("Billing Bot", appointments.NO_SERVICES)
    else:
        view = appointments.appointment_modal(
            choices.clients,
            choices.services,
            deps.env.today_at(practice),
            caller.user_id,
            practice.billing.time_zone,
            client=picked,
            locale=practice.locale,
        )
    client.views_open(trigger_id=body["trigger_id"], view=view)


def register(app: App, deps: BotDeps) -> None:
    app.command(COMMAND)(command(deps, partial(client_command, deps)))
    app.view(CALLBACK_ID)(submission(deps, Role.STAFF, BLOCK_FOR_FIELD, partial(save_client, deps)))
    app.view(EDIT_CALLBACK_ID)(
        submission(deps, Role.STAFF, BLOCK_FOR_FIELD, partial(save_edited_client, deps))
    )
    for action_id, handle in (
        (OPEN_CLIENT, open_record),
        (LIST_PAGE, turn_page),
        (LIST_PREVIOUS, turn_page),
        (ADD_CLIENT, open_add_form),
        (EDIT_CLIENT, open_edit_form),
        (NEW_APPOINTMENT, open_appointment_form),
    ):
        app.action(action_id)(action(deps, Role.STAFF, partial(handle, deps)))
