"""The practice gets paid: Stripe setup, a payment link e-mailed, the client's pay page, Stripe
Checkout, the webhook, the card turning Paid and the receipt — against the real server, the
Slack and Stripe stand-ins and a real SMTP server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage as MimeMessage

import httpx
import pytest
from slack_app_fixture import BACKGROUND_TIMEOUT, Seat, SlackWorld, slack_world

from bot import invoice_form
from bot.home import STRIPE_SETUP
from bot.invoice_card import SEND_LINK
from bot.payment_links import EMAIL
from bot.payment_settings import GO_TO_SETUP
from domain.clients import Client
from domain.invoices import Invoice, InvoiceStatus
from domain.ports import InvoiceFilter
from domain.services import ServiceType
from domain.usecases.records import (
    AddClient,
    AddServiceType,
    ClientDetails,
    add_client,
    add_service_type,
)
from domain.usecases.settings import ConfigureBillingDetails, configure_billing_details
from helpers import wait_until
from sandbox.slack import Channel, Message, View
from sandbox.stripe import StripeStandIn


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackWorld]:
    path = tmp_path_factory.mktemp("stripe-world")
    with slack_world(path, f"sqlite:///{path / 'billing.sqlite3'}", payments=True) as started:
        yield started


@dataclass(frozen=True)
class Practice:
    seat: Seat
    client: Client
    service: ServiceType
    billing: Channel


def _stripe(world: SlackWorld) -> StripeStandIn:
    assert world.stripe is not None
    return world.stripe


def _ready(world: SlackWorld, name: str, email: str) -> Practice:
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
        AddServiceType(practice.id, admin, "Couples therapy", "120", None), world.uow(), world.env
    )
    client = add_client(
        AddClient(practice.id, admin, ClientDetails("Grace Hopper", email)),
        world.uow(),
        world.env,
    )
    return Practice(seat, client, service, billing)


def _set_up_stripe(world: SlackWorld, p: Practice) -> str:
    """The admin's way through: Home's Stripe step, the modal's link, Stripe's onboarding,
    back to the app. Returns the account id."""
    home = world.open_home(p.seat.admin)
    clicked = world.slack.driver.block_action(STRIPE_SETUP, view=home, user=p.seat.admin)
    modal = world.opened_view(clicked)
    button = next(
        element
        for block in modal.blocks
        for element in block.get("elements", [])
        if element.get("action_id") == GO_TO_SETUP
    )
    started = httpx.get(button["url"], follow_redirects=False, timeout=10)
    assert started.status_code == 303, started.text
    stripe = _stripe(world)
    account = stripe.requests("/v1/account_links", method="POST")[-1].params["account"]
    onboarding = httpx.get(started.headers["location"], timeout=10)
    assert onboarding.status_code == 200
    stripe.driver.complete_onboarding(account)
    return_url = stripe.requests("/v1/account_links", method="POST")[-1].params["return_url"]
    back = httpx.get(return_url, timeout=10)
    assert back.status_code == 200 and "Stripe is set up" in back.text
    return str(account)


def _create_issued(world: SlackWorld, p: Practice) -> Invoice:
    command = world.slack.driver.slash_command(
        p.seat.admin, "/invoice", "new Grace", channel=p.seat.general
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


def _card(world: SlackWorld, p: Practice, invoice: Invoice, says: str = "") -> Message:
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


def _mail(world: SlackWorld, to: str, subject_has: str) -> MimeMessage:
    assert world.mail is not None
    sink = world.mail

    def arrived() -> MimeMessage | None:
        return next(
            (
                r.message
                for r in sink.received
                if to in r.rcpt_tos and subject_has in str(r.message["Subject"])
            ),
            None,
        )

    return wait_until(arrived, BACKGROUND_TIMEOUT, what=f"an e-mail about {subject_has}")


def _text_part(message: MimeMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _invoice(world: SlackWorld, invoice: Invoice) -> Invoice:
    with world.uow() as uow:
        found = uow.invoices.get(invoice.practice_id, invoice.id)
    assert found is not None
    return found


def test_the_whole_story_from_stripe_setup_to_the_receipt(world: SlackWorld) -> None:
    p = _ready(world, "Story Clinic", "grace@story.example")
    _set_up_stripe(world, p)
    invoice = _create_issued(world, p)
    card = _card(world, p, invoice)

    clicked = world.slack.driver.block_action(SEND_LINK, message=card, user=p.seat.admin)
    modal: View = world.opened_view(clicked)
    sent = world.slack.driver.submit_view(modal, {EMAIL: "grace@story.example"})
    assert sent.status == 200 and sent.response_action == "update"

    link_mail = _mail(world, "grace@story.example", f"Invoice {invoice.number}")
    pay_url = re.search(r"http://\S+/pay/[A-Za-z0-9_-]+", _text_part(link_mail))
    assert pay_url is not None
    page = httpx.get(pay_url.group(0), timeout=10)
    assert page.status_code == 200 and "Pay $120.00 by card" in page.text

    to_stripe = httpx.post(pay_url.group(0), timeout=10, follow_redirects=False)
    assert to_stripe.status_code == 303
    stripe = _stripe(world)
    session = stripe.requests("/v1/checkout/sessions", method="POST")[-1].response
    assert to_stripe.headers["location"] == session["url"]
    stripe.driver.pay(session["id"])

    wait_until(
        lambda: _invoice(world, invoice).status is InvoiceStatus.PAID,
        BACKGROUND_TIMEOUT,
        what="the invoice to be paid",
    )
    _card(world, p, invoice, says="Paid")
    receipt = _mail(world, "grace@story.example", "Receipt")
    assert "$120.00" in _text_part(receipt) and "Card" in _text_part(receipt)
    paid_page = httpx.get(pay_url.group(0), timeout=10)
    assert "Paid in full" in paid_page.text


def test_a_second_click_on_pay_reuses_the_open_checkout(world: SlackWorld) -> None:
    p = _ready(world, "Reuse Clinic", "grace@reuse.example")
    _set_up_stripe(world, p)
    invoice = _create_issued(world, p)
    card = _card(world, p, invoice)
    clicked = world.slack.driver.block_action(SEND_LINK, message=card, user=p.seat.admin)
    world.slack.driver.submit_view(world.opened_view(clicked), {EMAIL: "grace@reuse.example"})
    mail = _mail(world, "grace@reuse.example", f"Invoice {invoice.number}")
    pay_url = re.search(r"http://\S+/pay/[A-Za-z0-9_-]+", _text_part(mail))
    assert pay_url is not None

    first = httpx.post(pay_url.group(0), timeout=10, follow_redirects=False)
    second = httpx.post(pay_url.group(0), timeout=10, follow_redirects=False)

    assert first.headers["location"] == second.headers["location"]


def test_an_unknown_pay_token_is_a_plain_404(world: SlackWorld) -> None:
    page = httpx.get(f"{world.app_url}/pay/not-a-real-token", timeout=10)

    assert page.status_code == 404 and "This link does not work" in page.text


def test_webhooks_signed_with_another_secret_or_malformed_are_refused(world: SlackWorld) -> None:
    url = f"{world.app_url}/stripe/webhook"

    unsigned = httpx.post(url, content=b'{"id": "evt_1"}', timeout=10)
    forged = httpx.post(
        url,
        content=b'{"id": "evt_1"}',
        headers={"Stripe-Signature": "t=1,v1=" + "0" * 64},
        timeout=10,
    )

    assert unsigned.status_code == 400 and forged.status_code == 400
