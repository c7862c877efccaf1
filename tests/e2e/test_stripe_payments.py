"""The practice gets paid: Stripe setup, a payment link e-mailed, the client's pay page, Stripe
Checkout, the webhook, the card turning Paid and the receipt — against the real server, the
Slack and Stripe stand-ins and a real SMTP server."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from payments_scenario import (
    billing_card,
    create_issued,
    mail_to,
    ready,
    set_up_stripe,
    stored,
    stripe_of,
    text_part,
)
from slack_app_fixture import BACKGROUND_TIMEOUT, SlackWorld, slack_world

from bot.invoice_card import SEND_LINK
from bot.payment_links import EMAIL
from domain.invoices import InvoiceStatus
from helpers import wait_until
from sandbox.slack import View


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackWorld]:
    path = tmp_path_factory.mktemp("stripe-world")
    with slack_world(path, f"sqlite:///{path / 'billing.sqlite3'}", payments=True) as started:
        yield started


def test_the_whole_story_from_stripe_setup_to_the_receipt(world: SlackWorld) -> None:
    p = ready(world, "Story Clinic", "grace@story.example")
    set_up_stripe(world, p)
    invoice = create_issued(world, p)
    card = billing_card(world, p, invoice)

    clicked = world.slack.driver.block_action(SEND_LINK, message=card, user=p.seat.admin)
    modal: View = world.opened_view(clicked)
    sent = world.slack.driver.submit_view(modal, {EMAIL: "grace@story.example"})
    assert sent.status == 200 and sent.response_action == "update"

    link_mail = mail_to(world, "grace@story.example", f"Invoice {invoice.number}")
    pay_url = re.search(r"http://\S+/pay/[A-Za-z0-9_-]+", text_part(link_mail))
    assert pay_url is not None
    page = httpx.get(pay_url.group(0), timeout=10)
    assert page.status_code == 200 and "Pay $120.00 by card" in page.text

    to_stripe = httpx.post(pay_url.group(0), timeout=10, follow_redirects=False)
    assert to_stripe.status_code == 303
    stripe = stripe_of(world)
    session = stripe.requests("/v1/checkout/sessions", method="POST")[-1].response
    assert to_stripe.headers["location"] == session["url"]
    stripe.driver.pay(session["id"])

    wait_until(
        lambda: stored(world, invoice).status is InvoiceStatus.PAID,
        BACKGROUND_TIMEOUT,
        what="the invoice to be paid",
    )
    billing_card(world, p, invoice, says="Paid")
    receipt = mail_to(world, "grace@story.example", "Receipt")
    assert "$120.00" in text_part(receipt) and "Card" in text_part(receipt)
    paid_page = httpx.get(pay_url.group(0), timeout=10)
    assert "Paid in full" in paid_page.text


def test_a_second_click_on_pay_reuses_the_open_checkout(world: SlackWorld) -> None:
    p = ready(world, "Reuse Clinic", "grace@reuse.example")
    set_up_stripe(world, p)
    invoice = create_issued(world, p)
    card = billing_card(world, p, invoice)
    clicked = world.slack.driver.block_action(SEND_LINK, message=card, user=p.seat.admin)
    world.slack.driver.submit_view(world.opened_view(clicked), {EMAIL: "grace@reuse.example"})
    mail = mail_to(world, "grace@reuse.example", f"Invoice {invoice.number}")
    pay_url = re.search(r"http://\S+/pay/[A-Za-z0-9_-]+", text_part(mail))
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
