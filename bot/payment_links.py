""" "Send payment link" on an invoice's card: the confirm modal and the sending."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.blocks import day_text, escape, note, text_input
from bot.edge.deps import BotDeps, Caller
from bot.edge.listen import Saved, action, open_or_push, submission
from bot.edge.respond import notice_modal
from bot.edge.state import ViewState
from bot.invoice_card import SEND_LINK, publish_card
from domain.errors import NotFound
from domain.ids import InvoiceId
from domain.online_payments import below_card_minimum
from domain.roles import Role
from domain.usecases.invoice_screens import InvoiceCard, invoice_card
from domain.usecases.pay_links import SendPaymentLink, send_payment_link

CALLBACK_ID = "invoice_send_link_modal"
NAME = "link_client_name"
EMAIL = "link_email"
SAVE = "link_save_to_client"
MESSAGE = "link_message"
BLOCKS = {"client_name": NAME, "email": EMAIL, "message": MESSAGE}


def send_link_modal(card: InvoiceCard) -> View:
    invoice = card.invoice
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"*{invoice.number}* · balance {invoice.balance.format(card.locale)} · due "
                f"{day_text(invoice.due_date)}"
            )
        ),
        text_input(NAME, "Client's name", card.client_name, max_length=120),
        text_input(
            EMAIL,
            "E-mail",
            card.client_email,
            max_length=254,
            placeholder="name@example.com",
            hint="The invoice and its pay link go to this address.",
        ),
        InputBlock(
            block_id=SAVE,
            label="Client record",
            optional=True,
            element=CheckboxesElement(
                action_id=SAVE,
                options=[Option(value="save", text="Save this name and e-mail to the client")],
            ),
        ),
        text_input(
            MESSAGE,
            "Message",
            None,
            optional=True,
            multiline=True,
            max_length=1000,
            placeholder="Optional: a note shown above the invoice in the e-mail",
        ),
    ]
    link = card.pay_link
    if link is not None and link.last_sent_at is not None and link.times_sent:
        sent_on = day_text(link.last_sent_at.astimezone(card.zone).date())
        blocks.append(
            note(
                f"Sent before to {escape(link.last_sent_to or '?')} on {sent_on}. Sending "
                "again e-mails the same link."
            )
        )
    if not card.takes_cards:
        blocks.append(
            note(
                ":warning: Card payments are not set up yet: the client's page will say how "
                "else to pay. A billing admin can set up Stripe from Billing Bot's Home tab."
            )
        )
    elif below_card_minimum(invoice.balance):
        blocks.append(
            note(
                f":warning: {invoice.balance.format(card.locale)} is below the smallest amount "
                "Stripe charges by card: the client's page will ask them to pay another way."
            )
        )
    return View(
        type="modal",
        callback_id=CALLBACK_ID,
        title="Send payment link",
        submit="Send",
        close="Cancel",
        private_metadata=json.dumps({"invoice": invoice.id}),
        blocks=blocks,
    )


def _invoice_id(body: dict[str, Any]) -> InvoiceId:
    return InvoiceId(str(body["actions"][0]["value"]))


def open_send_link(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    card = invoice_card(caller.practice.id, _invoice_id(body), deps.read(), deps.env)
    open_or_push(client, body, send_link_modal(card))


def send(deps: BotDeps, caller: Caller, view: dict[str, Any], client: WebClient) -> Saved:
    state = ViewState(view)
    try:
        invoice_id = InvoiceId(str(json.loads(view.get("private_metadata") or "{}")["invoice"]))
    except (ValueError, KeyError, TypeError):
        raise NotFound("invoice", "?") from None
    sent = send_payment_link(
        SendPaymentLink(
            practice_id=caller.practice.id,
            actor=caller.user_id,
            invoice_id=invoice_id,
            client_name=state.text(NAME),
            email=state.text(EMAIL),
            message=state.text(MESSAGE),
            save_to_client=bool(state.checked(SAVE)),
        ),
        deps.uow(),
        deps.env,
    )
    again = " again" if sent.resent else ""
    notice = notice_modal(
        "Payment link sent",
        f"*{sent.invoice.number}*: the invoice and its pay link are on their way{again} to "
        f"{escape(sent.link.last_sent_to or '')}. The card shows when it was sent.",
    )
    return Saved(
        ack={"response_action": "update", "view": notice},
        then=partial(publish_card, deps, client, caller.practice.id, invoice_id, caller.user_id),
    )


def register(app: App, deps: BotDeps) -> None:
    app.action(SEND_LINK)(action(deps, Role.STAFF, partial(open_send_link, deps)))
    app.view(CALLBACK_ID)(submission(deps, Role.STAFF, BLOCKS, partial(send, deps)))
