"""What goes wrong around a card payment, as the client, the practice and Stripe meet it:
a declined card, a link to a void or paid invoice, a balance too small for a card, a wrong
e-mail address, Stripe failing, slow or rate-limiting, forged webhooks, and the mail server
down while a client pays — against the real server, both stand-ins and a real SMTP server.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
from payments_scenario import (
    billing_card,
    create_issued,
    issued,
    mail_to,
    mails,
    pay_url,
    ready,
    set_up_stripe,
    signed,
    stored,
    stripe_of,
    text_part,
)
from slack_app_fixture import BACKGROUND_TIMEOUT, SlackWorld, slack_world, view_text
from sqlalchemy import select

from bot.invoice_card import SEND_LINK
from bot.payment_links import EMAIL
from domain.invoices import Invoice, InvoiceStatus
from domain.usecases.invoicing import void_invoice
from domain.usecases.payments import RecordPayment, record_manual_payment
from helpers import wait_until
from sandbox.stripe import CARD_DECLINED
from sandbox.stripe.signing import signature_header
from storage.orm import OutboxRow

#: The outbox retries a failed delivery after this many seconds here (30 in production).
RETRY_SECONDS = "1"
#: Stripe's answers time out after this many seconds here (20 in production).
STRIPE_TIMEOUT = 2.0


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackWorld]:
    path = tmp_path_factory.mktemp("stripe-bad-input")
    with slack_world(
        path,
        f"sqlite:///{path / 'billing.sqlite3'}",
        payments=True,
        extra_settings={
            "OUTBOX_RETRY_SECONDS": RETRY_SECONDS,
            "STRIPE_TIMEOUT_SECONDS": str(STRIPE_TIMEOUT),
        },
    ) as started:
        yield started


def _sessions_made(world: SlackWorld) -> int:
    """Checkout Sessions Stripe made for the app (replays of one count once)."""
    requests = stripe_of(world).requests("/v1/checkout/sessions", method="POST")
    return sum(1 for request in requests if request.status == 200 and not request.replayed)


def _what_is_stored(world: SlackWorld) -> dict[str, list[str]]:
    """Every row of the app, but with outbox messages by id alone: the worker marks earlier
    messages sent meanwhile, which is not something a request stored; nor is a PDF it
    rendered for an e-mail meanwhile (`document_files`, a cache)."""
    rows = world.rows(skip=("slack_request_signatures", "outbox", "document_files"))
    with world.engine.connect() as connection:
        rows["outbox"] = sorted(connection.execute(select(OutboxRow.id)).scalars())
    return rows


def _pay(url: str) -> httpx.Response:
    return httpx.post(url, timeout=60, follow_redirects=False)


# -- the client's page -------------------------------------------------------------------


def test_a_declined_card_leaves_the_invoice_open_and_payable(world: SlackWorld) -> None:
    p = ready(world, "Declined Clinic", "grace@declined.example")
    set_up_stripe(world, p)
    invoice = issued(world, p)
    url = pay_url(world, p, invoice)
    to_stripe = _pay(url)
    assert to_stripe.status_code == 303
    session = stripe_of(world).requests("/v1/checkout/sessions", method="POST")[-1].response

    declined = stripe_of(world).driver.pay(session["id"], CARD_DECLINED)
    stripe_of(world).webhooks.wait_until_idle(timeout=10)

    assert not declined.paid and declined.decline_code == "generic_decline"
    after = stored(world, invoice)
    assert after.status is InvoiceStatus.OPEN and after.ledger == ()
    page = httpx.get(url, timeout=10)
    assert "Pay $120.00 by card" in page.text
    assert mails(world, "grace@declined.example", "Receipt") == []


def test_a_link_to_a_voided_invoice_shows_the_void_page_and_pays_nothing(
    world: SlackWorld,
) -> None:
    p = ready(world, "Void Clinic", "grace@void.example")
    set_up_stripe(world, p)
    invoice = issued(world, p)
    url = pay_url(world, p, invoice)
    void_invoice(
        invoice.practice_id, invoice.id, "Billed twice", p.seat.admin.id, world.uow(), world.env
    )
    sessions = _sessions_made(world)

    page = httpx.get(url, timeout=10)
    pressed = _pay(url)

    assert page.status_code == 200
    assert "This invoice was cancelled by" in page.text and "Pay $" not in page.text
    assert pressed.status_code == 409 and "nothing to pay" in pressed.text
    assert _sessions_made(world) == sessions


def test_paying_a_paid_invoice_by_post_makes_no_checkout_and_says_it_is_paid(
    world: SlackWorld,
) -> None:
    p = ready(world, "Paid Clinic", "grace@paid.example")
    set_up_stripe(world, p)
    invoice = issued(world, p)
    url = pay_url(world, p, invoice)
    _by_hand(world, p.seat.admin.id, invoice, "120.00")
    sessions = _sessions_made(world)

    pressed = _pay(url)

    assert pressed.status_code == 409
    assert "Paid in full" in pressed.text and "Pay $" not in pressed.text
    assert _sessions_made(world) == sessions


def _by_hand(world: SlackWorld, admin: str, invoice: Invoice, amount: str) -> Invoice:
    return record_manual_payment(
        RecordPayment(invoice.practice_id, admin, invoice.id, amount, "cash"),
        world.uow(),
        world.env,
    )


def test_a_balance_below_stripes_minimum_offers_no_card_and_the_send_modal_warns(
    world: SlackWorld,
) -> None:
    p = ready(world, "Small Balance Clinic", "grace@small.example")
    set_up_stripe(world, p)
    invoice = create_issued(world, p)
    billing_card(world, p, invoice)
    left = _by_hand(world, p.seat.admin.id, invoice, "119.80")
    assert left.balance.format("en_US") == "$0.20"
    url = pay_url(world, p, invoice)
    sessions = _sessions_made(world)

    page = httpx.get(url, timeout=10)
    pressed = _pay(url)
    card = billing_card(world, p, invoice)
    clicked = world.slack.driver.block_action(SEND_LINK, message=card, user=p.seat.admin)
    modal = world.opened_view(clicked)

    assert "Pay $" not in page.text and "<form" not in page.text
    assert "below the smallest amount a card payment can take" in page.text
    assert "by bank transfer or in person" in page.text
    assert pressed.status_code == 409 and _sessions_made(world) == sessions
    assert "$0.20 is below the smallest amount Stripe charges by card" in view_text(modal)


def test_an_invalid_client_email_in_the_send_modal_is_shown_under_it_and_nothing_is_stored(
    world: SlackWorld,
) -> None:
    p = ready(world, "Typo Clinic", "grace@typo.example")
    invoice = create_issued(world, p)
    card = billing_card(world, p, invoice)
    clicked = world.slack.driver.block_action(SEND_LINK, message=card, user=p.seat.admin)
    modal = world.opened_view(clicked)
    before = _what_is_stored(world)

    refused = world.slack.driver.submit_view(modal, {EMAIL: "grace@typo"})

    assert refused.response_action == "errors"
    assert set(refused.errors) == {EMAIL} and "e-mail" in refused.errors[EMAIL].lower()
    assert _what_is_stored(world) == before


# -- Stripe failing ----------------------------------------------------------------------


def test_stripe_failing_while_making_the_checkout_asks_the_client_to_try_again_later(
    world: SlackWorld,
) -> None:
    p = ready(world, "Outage Clinic", "grace@outage.example")
    set_up_stripe(world, p)
    invoice = issued(world, p)
    url = pay_url(world, p, invoice)
    stripe = stripe_of(world)
    before = _what_is_stored(world)

    tried_before = len(stripe.requests("/v1/checkout/sessions", method="POST"))
    stripe.faults.outage(times=None, path="/v1/checkout/sessions")
    try:
        failing = _pay(url)
    finally:
        stripe.faults.clear()
    after_outage = _what_is_stored(world)
    # The client is waiting: one try and one more, not the SDK's four.
    tried = len(stripe.requests("/v1/checkout/sessions", method="POST")) - tried_before
    # Slow: Stripe makes the session but its answer comes after the app stopped waiting.
    stripe.faults.delay(STRIPE_TIMEOUT * 3, times=None, path="/v1/checkout/sessions")
    try:
        slow = _pay(url)
    finally:
        stripe.faults.clear()
    after_timeout = _what_is_stored(world)
    recovered = _pay(url)

    assert tried == 2
    for answer in (failing, slow):
        assert answer.status_code == 503
        assert "Please try again in a minute" in answer.text
    assert after_outage == before and after_timeout == before
    assert stored(world, invoice).status is InvoiceStatus.OPEN
    # Once Stripe answers, the click made during the timeout is the session it gets: the
    # same idempotency key, so no second session.
    assert recovered.status_code == 303
    made = [
        r
        for r in stripe.requests("/v1/checkout/sessions", method="POST")
        if r.status == 200 and r.account is not None and not r.replayed
    ]
    assert recovered.headers["location"] == made[-1].response["url"]


def test_stripe_rate_limiting_the_checkout_is_waited_out(world: SlackWorld) -> None:
    p = ready(world, "Busy Clinic", "grace@busy.example")
    set_up_stripe(world, p)
    invoice = issued(world, p)
    url = pay_url(world, p, invoice)
    stripe = stripe_of(world)
    seen = len(stripe.requests("/v1/checkout/sessions", method="POST"))
    stripe.faults.rate_limit(times=2, path="/v1/checkout/sessions")

    pressed = _pay(url)

    tries = stripe.requests("/v1/checkout/sessions", method="POST")[seen:]
    assert [request.status for request in tries] == [429, 429, 200]
    assert len({request.idempotency_key for request in tries}) == 1
    assert pressed.status_code == 303
    assert pressed.headers["location"] == tries[-1].response["url"]


# -- forged webhooks ---------------------------------------------------------------------


def test_unsigned_forged_stale_and_malformed_webhooks_are_refused_and_store_nothing(
    world: SlackWorld,
) -> None:
    p = ready(world, "Forged Clinic", "grace@forged.example")
    account = set_up_stripe(world, p)
    invoice = issued(world, p)
    paid_event = {
        "id": "evt_forged_1",
        "object": "event",
        "type": "checkout.session.completed",
        "account": account,
        "created": int(time.time()),
        "data": {
            "object": {
                "id": "cs_forged",
                "object": "checkout.session",
                "payment_status": "paid",
                "payment_intent": "pi_forged",
                "amount_total": 12000,
                "currency": "usd",
                "metadata": {"invoice_id": invoice.id, "practice_id": invoice.practice_id},
            }
        },
    }
    body, good = signed(world, paid_event)
    secret = stripe_of(world).webhook_secret
    now = int(time.time())
    not_json = b"{this is not json"
    attempts = {
        "unsigned": (body, {}),
        "another secret": (body, {"Stripe-Signature": signature_header("whsec_other", now, body)}),
        "stale": (body, {"Stripe-Signature": signature_header(secret, now - 600, body)}),
        "garbled header": (body, {"Stripe-Signature": "t=abc,v1=zz"}),
        "body changed after signing": (body.replace(b"12000", b"99"), good),
        "signed but not JSON": (
            not_json,
            {"Stripe-Signature": signature_header(secret, now, not_json)},
        ),
        "empty": (b"", good),
    }
    before = _what_is_stored(world)

    answers = {
        name: httpx.post(
            f"{world.app_url}/stripe/webhook", content=content, headers=headers, timeout=10
        )
        for name, (content, headers) in attempts.items()
    }

    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(
        attempts, 400
    )
    assert all(json.loads(answer.text).get("error") for answer in answers.values())
    assert _what_is_stored(world) == before
    assert stored(world, invoice).status is InvoiceStatus.OPEN


# -- the mail server down ----------------------------------------------------------------


def test_a_receipt_due_while_the_mail_server_is_down_is_sent_once_it_is_back(
    world: SlackWorld,
) -> None:
    assert world.mail is not None
    p = ready(world, "Mail Outage Clinic", "grace@mailout.example")
    set_up_stripe(world, p)
    invoice = issued(world, p)
    url = pay_url(world, p, invoice)
    mail_to(world, "grace@mailout.example", f"Invoice {invoice.number}")
    world.mail.stop()
    try:
        to_stripe = _pay(url)
        assert to_stripe.status_code == 303
        session = stripe_of(world).requests("/v1/checkout/sessions", method="POST")[-1]
        stripe_of(world).driver.pay(session.response["id"])
        wait_until(
            lambda: stored(world, invoice).status is InvoiceStatus.PAID,
            BACKGROUND_TIMEOUT,
            what="the invoice to be paid",
        )
        failed = wait_until(
            lambda: _receipt_attempts(world, invoice),
            BACKGROUND_TIMEOUT,
            what="a first attempt at the receipt to fail",
        )
    finally:
        world.mail.start()

    receipt = mail_to(world, "grace@mailout.example", "Receipt", timeout=30)

    assert failed >= 1
    assert "$120.00" in text_part(receipt)
    assert len(mails(world, "grace@mailout.example", "Receipt")) == 1
    assert "event=outbox_retry" in world.server.output()


def _receipt_attempts(world: SlackWorld, invoice: Invoice) -> int:
    """Failed attempts at the invoice's receipt so far."""
    with world.engine.connect() as connection:
        rows = connection.execute(
            select(OutboxRow.payload, OutboxRow.attempts, OutboxRow.sent_at).where(
                OutboxRow.practice_id == invoice.practice_id, OutboxRow.kind == "client_email"
            )
        ).all()
    return sum(
        row.attempts
        for row in rows
        if row.payload.get("template") == "receipt" and row.sent_at is None
    )
