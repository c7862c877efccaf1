"""`/client`: the "Add client" modal, for billing staff; `/client help` shows usage."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.models.blocks import DividerBlock, EmailInputElement, HeaderBlock, InputBlock
from slack_sdk.models.views import View

from bot.blocks import escape, text_input
from bot.edge.deps import BotDeps, Caller
from bot.edge.listen import Saved, command, submission
from bot.edge.respond import notice_modal
from bot.edge.state import ViewState
from domain.clients import Client
from domain.roles import Role
from domain.usecases.records import AddClient, ClientDetails, add_client

COMMAND = "/client"
CALLBACK_ID = "client_add"

NAME = "name"
EMAIL = "email"
PHONE = "phone"
ADDRESS_LINE1 = "address_line1"
ADDRESS_LINE2 = "address_line2"
CITY = "city"
REGION = "region"
POSTAL_CODE = "postal_code"
COUNTRY = "country"
NOTES = "notes"

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

USAGE = (
    "*`/client`* opens a form to add a client (billing staff and admins).\n"
    "• `/client help` shows this help.\n"
    "• `/appointment` schedules an appointment for a client."
)


def add_client_modal(practice_country: str = "") -> View:
    """An empty client form; the country starts as the practice's, which also decides how a
    phone number without a country code is read."""
    return View(
        type="modal",
        callback_id=CALLBACK_ID,
        title="Add client",
        submit="Add",
        close="Cancel",
        blocks=[
            text_input(NAME, "Name", None, max_length=200),
            InputBlock(
                block_id=EMAIL,
                label="E-mail",
                hint="Invoices, payment links and receipts go here.",
                element=EmailInputElement(action_id=EMAIL),
            ),
            text_input(
                PHONE,
                "Phone",
                None,
                optional=True,
                max_length=40,
                hint="With the country code, e.g. +1 415 555 0100, or local to the country below.",
            ),
            DividerBlock(),
            HeaderBlock(text="Address"),
            text_input(ADDRESS_LINE1, "Street", None, optional=True, max_length=120),
            text_input(ADDRESS_LINE2, "Address line 2", None, optional=True, max_length=120),
            text_input(CITY, "City", None, optional=True, max_length=80),
            text_input(REGION, "State or region", None, optional=True, max_length=80),
            text_input(POSTAL_CODE, "Postal code", None, optional=True, max_length=20),
            text_input(
                COUNTRY,
                "Country",
                practice_country,
                optional=True,
                max_length=2,
                hint="Two-letter code, e.g. US, GB, DE.",
            ),
            DividerBlock(),
            text_input(
                NOTES,
                "Notes",
                None,
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


def save_client(deps: BotDeps, caller: Caller, view: dict[str, Any], client: WebClient) -> Saved:
    """Add the client; the e-mail and phone are checked and normalised by the domain."""
    added = add_client(
        AddClient(caller.practice.id, caller.user_id, details_from(view)), deps.uow(), deps.env
    )
    # Nothing on the Home tab counts clients, so there is nothing to republish.
    return Saved(ack={"response_action": "update", "view": client_added_modal(added)})


def client_command(
    caller: Caller, text: str, body: dict[str, Any], client: WebClient, ack: Ack
) -> Callable[[], Any] | None:
    if text:
        # `help`, and any words the command does not take, get the usage.
        ack(USAGE)
        return None
    caller.require(Role.STAFF)
    ack()
    view = add_client_modal(caller.practice.billing.address.country)
    return partial(client.views_open, trigger_id=body["trigger_id"], view=view)


def register(app: App, deps: BotDeps) -> None:
    app.command(COMMAND)(command(deps, client_command))
    app.view(CALLBACK_ID)(submission(deps, Role.STAFF, BLOCK_FOR_FIELD, partial(save_client, deps)))
