"""Paying on the Stripe stand-in's Checkout page and what follows, read back through the
official `stripe` SDK: test cards that succeed or are declined, bank debits that settle
later, refunds and disputes, each with the webhook the app would receive."""

from __future__ import annotations

import json

import httpx
import pytest
import stripe
from stripe import StripeClient
from stripe_scenario import AppSite, a_checkout_session, an_express_account

from sandbox.stripe import (
    CARD_DECLINED,
    CARD_INSUFFICIENT_FUNDS,
    CheckoutClosed,
    StripeError,
    StripeStandIn,
)

CARD_FORM = {
    "method": "card",
    "card_number": "4242 4242 4242 4242",
    "expiry": "12 / 34",
    "cvc": "123",
    "name": "Jenny Rosen",
}


@pytest.fixture
def practice(stripe_client: StripeClient, stripe_standin: StripeStandIn) -> str:
    return an_express_account(stripe_client, stripe_standin).id


def received_events(
    client: StripeClient, app: AppSite, secret: str, type_prefix: str
) -> list[stripe.Event]:
    """The webhooks the app received, verified as the app verifies them, of some types."""
    events = [client.construct_event(hook.body, hook.signature, secret) for hook in app.received]
    return [event for event in events if event.type.startswith(type_prefix)]


def test_paying_by_card_on_the_page_completes_the_session_and_tells_the_app(
    stripe_client: StripeClient, stripe_standin: StripeStandIn, practice: str, app: AppSite
) -> None:
    stripe_standin.set_webhook_endpoint(
        app.webhook_url, enabled_events=("checkout.session.completed",)
    )
    session = a_checkout_session(
        stripe_client,
        practice,
        payment_intent_data={"application_fee_amount": 240, "metadata": {"invoice_id": "42"}},
    )

    paid = httpx.post(session.url, data=CARD_FORM)

    assert paid.status_code == 303
    assert paid.headers["location"] == f"https://app.example/paid?session={session.id}"
    options = {"stripe_account": practice}
    done = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent.latest_charge"]}, options=options
    )
    assert (done.status, done.payment_status) == ("complete", "paid")
    assert done.customer_details.email == "client@example.org"
    intent = done.payment_intent
    assert intent.id.startswith("pi_")
    assert (intent.status, intent.amount_received) == ("succeeded", 12_000)
    assert intent.metadata.to_dict() == {"invoice_id": "42"}
    assert intent.application_fee_amount == 240
    charge = intent.latest_charge
    assert charge.id.startswith("ch_")
    assert (charge.status, charge.paid, charge.amount) == ("succeeded", True, 12_000)
    assert charge.payment_method_details.card.last4 == "4242"
    assert stripe_client.v1.payment_intents.retrieve(intent.id, options=options).id == intent.id
    stripe_standin.driver.wait_for_deliveries(1, event_type="checkout.session.completed")
    [event] = received_events(stripe_client, app, stripe_standin.webhook_secret, "checkout.")
    assert event.type == "checkout.session.completed"
    assert event.account == practice
    assert event.api_version == "2026-10-28.endive"
    assert event.livemode is False
    assert event.data.object["id"] == session.id
    assert event.data.object["payment_status"] == "paid"
    assert stripe_client.v1.events.retrieve(event.id, options=options).type == event.type


@pytest.mark.parametrize(
    ("card", "decline_code", "says"),
    [
        (CARD_DECLINED, "generic_decline", "Your card was declined."),
        (CARD_INSUFFICIENT_FUNDS, "insufficient_funds", "Your card has insufficient funds."),
    ],
)
def test_a_declined_card_leaves_the_session_open_and_says_why(
    stripe_client: StripeClient,
    stripe_standin: StripeStandIn,
    practice: str,
    card: str,
    decline_code: str,
    says: str,
) -> None:
    session = a_checkout_session(stripe_client, practice)

    declined = httpx.post(session.url, data={**CARD_FORM, "card_number": card})

    assert declined.status_code == 402
    assert says in declined.text
    options = {"stripe_account": practice}
    seen = stripe_client.v1.checkout.sessions.retrieve(session.id, options=options)
    assert (seen.status, seen.payment_status) == ("open", "unpaid")
    intent = stripe_client.v1.payment_intents.retrieve(seen.payment_intent, options=options)
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error.type == "card_error"
    assert intent.last_payment_error.decline_code == decline_code
    charge = stripe_client.v1.charges.retrieve(intent.latest_charge, options=options)
    assert (charge.status, charge.paid) == ("failed", False)
    assert stripe_standin.driver.events("checkout.session.completed") == []
    assert [e["type"] for e in stripe_standin.driver.events("payment_intent.*")][-1] == (
        "payment_intent.payment_failed"
    )


def test_the_page_asks_again_for_a_mistyped_card_without_charging(
    stripe_client: StripeClient, stripe_standin: StripeStandIn, practice: str
) -> None:
    session = a_checkout_session(stripe_client, practice)

    mistyped = httpx.post(session.url, data={**CARD_FORM, "card_number": "4242 4242 4242 4241"})
    past = httpx.post(session.url, data={**CARD_FORM, "expiry": "01 / 20"})

    assert mistyped.status_code == 400
    assert "Your card number is invalid." in mistyped.text
    assert "Your card&#x27;s expiration year is in the past." in past.text
    assert stripe_standin.driver.events("charge.*") == []


def test_after_a_decline_another_card_pays_the_same_intent(
    stripe_client: StripeClient, stripe_standin: StripeStandIn, practice: str
) -> None:
    session = a_checkout_session(stripe_client, practice)

    declined = stripe_standin.driver.pay(session.id, CARD_DECLINED)
    paid = stripe_standin.driver.pay(session.id)

    assert (declined.paid, declined.decline_code) == (False, "generic_decline")
    assert paid.paid
    assert paid.payment_intent["id"] == declined.payment_intent["id"]
    assert paid.session["payment_status"] == "paid"
    with pytest.raises(CheckoutClosed):
        stripe_standin.driver.pay(session.id)


def test_a_bank_debit_completes_unpaid_then_succeeds(
    stripe_client: StripeClient, stripe_standin: StripeStandIn, practice: str
) -> None:
    session = a_checkout_session(stripe_client, practice)

    started = httpx.post(session.url, data={"method": "us_bank_account"})
    pending = stripe_client.v1.checkout.sessions.retrieve(
        session.id, options={"stripe_account": practice}
    )
    stripe_standin.driver.succeed_async(session.id)
    settled = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent"]}, options={"stripe_account": practice}
    )

    assert started.status_code == 303
    assert (pending.status, pending.payment_status) == ("complete", "unpaid")
    assert settled.payment_status == "paid"
    assert settled.payment_intent.status == "succeeded"
    assert settled.payment_intent.latest_charge.startswith("py_")
    assert [e["type"] for e in stripe_standin.driver.events("checkout.session.*")] == [
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
    ]


def test_a_failed_bank_debit_leaves_the_session_unpaid(
    stripe_client: StripeClient, stripe_standin: StripeStandIn, practice: str
) -> None:
    session = a_checkout_session(stripe_client, practice, currency="eur")
    stripe_standin.driver.start_async_payment(session.id)

    failed = stripe_standin.driver.fail_async(session.id)

    assert (failed["status"], failed["payment_status"]) == ("complete", "unpaid")
    [event] = stripe_standin.driver.events("checkout.session.async_payment_failed")
    intent = stripe_standin.driver.object(failed["payment_intent"])
    assert intent["status"] == "requires_payment_method"
    assert (
        stripe_standin.driver.object(intent["latest_charge"])["payment_method_details"]["type"]
        == "sepa_debit"
    )
    assert event["data"]["object"]["payment_status"] == "unpaid"


def test_refunds_in_part_then_in_full_send_charge_refunded(
    stripe_client: StripeClient, stripe_standin: StripeStandIn, practice: str
) -> None:
    session = a_checkout_session(stripe_client, practice)
    charge_id = stripe_standin.driver.pay(session.id).charge["id"]
    options = {"stripe_account": practice}

    part = stripe_client.v1.refunds.create(
        params={"charge": charge_id, "amount": 2_000}, options=options
    )
    rest = stripe_client.v1.refunds.create(
        params={"payment_intent": part.payment_intent}, options=options
    )

    assert part.id.startswith("re_")
    assert (part.amount, rest.amount) == (2_000, 10_000)
    assert stripe_client.v1.refunds.retrieve(rest.id, options=options).status == "succeeded"
    refunded = [e["data"] for e in stripe_standin.driver.events("charge.refunded")]
    assert [(d["object"]["amount_refunded"], d["object"]["refunded"]) for d in refunded] == [
        (2_000, False),
        (12_000, True),
    ]
    assert refunded[0]["previous_attributes"] == {"amount_refunded": 0, "refunded": False}
    with pytest.raises(stripe.InvalidRequestError) as again:
        stripe_client.v1.refunds.create(params={"charge": charge_id}, options=options)
    assert again.value.code == "charge_already_refunded"


def test_a_refund_larger_than_what_is_left_is_refused(
    stripe_client: StripeClient, stripe_standin: StripeStandIn, practice: str
) -> None:
    charge_id = stripe_standin.driver.pay(a_checkout_session(stripe_client, practice).id).charge[
        "id"
    ]

    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.refunds.create(
            params={"charge": charge_id, "amount": 12_001},
            options={"stripe_account": practice},
        )

    assert refused.value.param == "amount"
    assert "($120.01) is greater than unrefunded amount on charge ($120.00)" in str(
        refused.value.user_message
    )


def test_a_dashboard_refund_and_a_dispute_reach_the_app(
    stripe_client: StripeClient, stripe_standin: StripeStandIn, practice: str, app: AppSite
) -> None:
    stripe_standin.set_webhook_endpoint(app.webhook_url, enabled_events=("charge.*",))
    first = stripe_standin.driver.pay(a_checkout_session(stripe_client, practice).id).charge
    second = stripe_standin.driver.pay(a_checkout_session(stripe_client, practice).id).charge

    stripe_standin.driver.refund(first["id"], 5_000)
    dispute = stripe_standin.driver.dispute(second["id"], reason="fraudulent")

    assert dispute["id"].startswith("dp_")
    every = stripe_standin.driver.wait_for_deliveries(5)
    deliveries = [d for d in every if d.event_type.startswith("charge.")]
    assert [d.event_type for d in deliveries] == [
        "charge.succeeded",
        "charge.succeeded",
        "charge.refunded",
        "charge.dispute.created",
    ]
    disputed = json.loads(deliveries[-1].payload)["data"]["object"]
    assert (disputed["charge"], disputed["status"], disputed["reason"]) == (
        second["id"],
        "needs_response",
        "fraudulent",
    )
    charge = stripe_client.v1.charges.retrieve(second["id"], options={"stripe_account": practice})
    assert charge.disputed is True
    with pytest.raises(StripeError, match="charged back"):
        stripe_standin.driver.refund(second["id"])
    closed = stripe_standin.driver.close_dispute(dispute["id"], won=False)
    assert closed["status"] == "lost"
