"""What the Stripe end-to-end tests do again and again, against `slack_world(...,
payments=True)`: a practice ready to bill, Stripe set up the way an admin does it, an
invoice issued, its pay link, and reading what reached the billing channel and the mailbox.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from email.message import EmailMessage as MimeMessage

import httpx
from slack_app_fixture import BACKGROUND_TIMEOUT, Seat, SlackWorld

from bot import invoice_form
from bot.home import STRIPE_SETUP
from bot.payment_settings import GO_TO_SETUP
from domain.clients import Client
from domain.invoices import Invoice, LineInput
from domain.money import Money
from domain.ports import InvoiceFilter
from domain.services import ServiceType
from domain.usecases.invoicing import CreateInvoice, create_invoice
from domain.usecases.pay_links import SendPaymentLink, send_payment_link
from domain.usecases.records import (
    AddClient,
    AddServiceType,
    ClientDetails,
    add_client,
    add_service_type,
)
from domain.usecases.settings import ConfigureBillingDetails, configure_billing_details
from helpers import wait_until
from sandbox.slack import Channel, Message
from sandbox.stripe import StripeStandIn
from sandbox.stripe.signing import signature_header

#: The service every scenario bills: health data, which must never reach Stripe or a log.
SERVICE = "Couples therapy"
PAY_URL = re.compile(r"http://\S+/pay/[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Practice:
    seat: Seat
    client: Client
    service: ServiceType
    billing: Channel


def stripe_of(world: SlackWorld) -> StripeStandIn:
    assert world.stripe is not None
    return world.stripe


def ready(
    world: SlackWorld, name: str, email: str, *, client_name: str = "Grace Hopper"
) -> Practice:
    """A practice installed through OAuth, its billing details and #billing set, one
    service and one client."""
    seat = world.new_practice(name)
    practice = world.practice(seat.workspace)
    admin = seat.admin.id
    billing = world.slack.create_channel(seat.workspace, "billing", members=[seat.admin])
    world.slack.invite_bot(billing)
    configure_billing_details(
        ConfigureBillingDetails(
            practice.id,
            admin,
            practice.billing.name,
            "USD",
            "America/New_York",
            country="US",
            billing_channel_id=billing.id,
        ),
        world.uow(),
        world.env,
    )
    service = add_service_type(
        AddServiceType(practice.id, admin, SERVICE, "120", None), world.uow(), world.env
    )
    client = add_client(
        AddClient(practice.id, admin, ClientDetails(client_name, email)),
        world.uow(),
        world.env,
    )
    return Practice(seat, client, service, billing)


def setup_link(world: SlackWorld, p: Practice) -> str:
    """The signed link behind the Stripe setup button, as the admin finds it: Home's
    Stripe step opens the modal that holds it."""
    home = world.open_home(p.seat.admin)
    clicked = world.slack.driver.block_action(STRIPE_SETUP, view=home, user=p.seat.admin)
    modal = world.opened_view(clicked)
    button = next(
        element
        for block in modal.blocks
        for element in block.get("elements", [])
        if element.get("action_id") == GO_TO_SETUP
    )
    return str(button["url"])


def set_up_stripe(world: SlackWorld, p: Practice) -> str:
    """The admin's way through: Home's Stripe step, the modal's link, Stripe's onboarding,
    back to the app. Returns the account id."""
    started = httpx.get(setup_link(world, p), follow_redirects=False, timeout=10)
    assert started.status_code == 303, started.text
    stripe = stripe_of(world)
    account = stripe.requests("/v1/account_links", method="POST")[-1].params["account"]
    onboarding = httpx.get(started.headers["location"], timeout=10)
    assert onboarding.status_code == 200
    stripe.driver.complete_onboarding(account)
    return_url = stripe.requests("/v1/account_links", method="POST")[-1].params["return_url"]
    back = httpx.get(return_url, timeout=10)
    assert back.status_code == 200 and "Stripe is set up" in back.text
    return str(account)


def create_issued(world: SlackWorld, p: Practice) -> Invoice:
    """An invoice for one session, made in Slack's modal and issued at once (its card is
    posted in #billing)."""
    command = world.slack.driver.slash_command(
        p.seat.admin, "/invoice", f"new {p.client.name.split()[0]}", channel=p.seat.general
    )
    view = world.opened_view(command)
    before = view.hash
    world.slack.driver.block_action(invoice_form.LINE_SERVICE, view=view, value=p.service.id)
    world.wait_for_update(view, before)
    before = view.hash
    world.slack.driver.block_action(invoice_form.ADD_LINE, view=view)
    world.wait_for_update(view, before)
    submitted = world.slack.driver.submit_view(
        view, {invoice_form.CREATE_AS: invoice_form.AS_ISSUED}
    )
    assert submitted.status == 200
    practice = world.practice(p.seat.workspace)
    with world.uow() as uow:
        return uow.invoices.find(practice.id, InvoiceFilter())[0]


def issued(world: SlackWorld, p: Practice, price: str = "120.00") -> Invoice:
    """An issued invoice for one session at `price`, made straight through the use case
    (no card in #billing): for tests about the client's side."""
    practice = world.practice(p.seat.workspace)
    line = LineInput(
        service_date=date(2026, 3, 2),
        description=SERVICE,
        quantity=Decimal(1),
        unit_price=Money.of(price, "USD"),
        service_type_id=p.service.id,
    )
    return create_invoice(
        CreateInvoice(practice.id, p.seat.admin.id, p.client.id, (line,), issue=True),
        world.uow(),
        world.env,
    )


def pay_url(world: SlackWorld, p: Practice, invoice: Invoice) -> str:
    """The invoice's pay link, sent to the client as "Send payment link" does."""
    sent = send_payment_link(
        SendPaymentLink(
            invoice.practice_id,
            p.seat.admin.id,
            invoice.id,
            p.client.name,
            p.client.email or "",
        ),
        world.uow(),
        world.env,
    )
    return f"{world.app_url}/pay/{sent.link.token}"


def billing_card(world: SlackWorld, p: Practice, invoice: Invoice, says: str = "") -> Message:
    def posted() -> Message | None:
        return next(
            (
                m
                for m in world.slack.messages_in(p.billing)
                if not m.deleted and f"Invoice {invoice.number}" in m.text and says in m.text
            ),
            None,
        )

    return wait_until(posted, BACKGROUND_TIMEOUT, what=f"the card of {invoice.number} ({says})")


def mails(world: SlackWorld, to: str, subject_has: str) -> list[MimeMessage]:
    """Every e-mail the SMTP server took for `to` whose subject has `subject_has`."""
    assert world.mail is not None
    return [
        r.message
        for r in world.mail.received
        if to in r.rcpt_tos and subject_has in str(r.message["Subject"])
    ]


def mail_to(
    world: SlackWorld, to: str, subject_has: str, timeout: float = BACKGROUND_TIMEOUT
) -> MimeMessage:
    found = wait_until(
        lambda: mails(world, to, subject_has), timeout, what=f"an e-mail about {subject_has}"
    )
    return found[0]


def text_part(message: MimeMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def stored(world: SlackWorld, invoice: Invoice) -> Invoice:
    with world.uow() as uow:
        found = uow.invoices.get(invoice.practice_id, invoice.id)
    assert found is not None
    return found


def signed(world: SlackWorld, event: dict[str, object]) -> tuple[bytes, dict[str, str]]:
    """A webhook body and headers as Stripe sends them, signed with the endpoint's secret."""
    payload = json.dumps(event).encode()
    secret = stripe_of(world).webhook_secret
    return payload, {
        "Stripe-Signature": signature_header(secret, int(time.time()), payload),
        "Content-Type": "application/json",
    }
