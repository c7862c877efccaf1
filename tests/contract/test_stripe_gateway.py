"""The app's Stripe adapter (gateways/stripe_payments.py) through the official SDK against the
Stripe stand-in: what it sends, what it reads back, how it fails."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from domain.ids import InvoiceId, PracticeId
from domain.money import Money
from domain.online_payments import (
    CheckoutRequest,
    CheckoutState,
    InvalidWebhook,
    NewAccount,
    PaymentGatewayRefused,
    PaymentGatewayUnavailable,
)
from gateways.stripe_payments import StripeGateway
from sandbox.stripe import StripeStandIn
from sandbox.stripe.signing import signature_header

PRACTICE = PracticeId("p" * 32)
INVOICE = InvoiceId("i" * 32)


@pytest.fixture
def standin() -> Iterator[StripeStandIn]:
    with StripeStandIn() as running:
        yield running


@pytest.fixture
def gateway(standin: StripeStandIn) -> StripeGateway:
    return StripeGateway(
        standin.secret_key,
        api_base=standin.base_url,
        webhook_secret=standin.webhook_secret,
        max_network_retries=1,
        timeout_seconds=3,
    )


def _account(gateway: StripeGateway, key: str = "express-account-p1") -> str:
    return gateway.create_express_account(
        NewAccount(PRACTICE, "US", "admin@example.org", "Harbour Therapy", key)
    )


def _checkout_request(account_id: str, amount: str = "120.00", key: str = "k1") -> CheckoutRequest:
    return CheckoutRequest(
        account_id=account_id,
        practice_id=PRACTICE,
        invoice_id=INVOICE,
        invoice_number="INV-0042",
        practice_name="Harbour Therapy",
        amount=Money.of(amount, "USD"),
        success_url="http://127.0.0.1:9/pay/t/done?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="http://127.0.0.1:9/pay/t",
        idempotency_key=key,
        expires_at=datetime.now(UTC) + timedelta(hours=23),
    )


def test_the_same_key_makes_one_express_account(
    gateway: StripeGateway, standin: StripeStandIn
) -> None:
    first = _account(gateway)
    second = _account(gateway)

    assert first == second and first.startswith("acct_")
    created = standin.requests("/v1/accounts", method="POST")
    assert created[0].params["type"] == "express"
    assert created[1].replayed


def test_onboarding_then_status_reads_ready(gateway: StripeGateway, standin: StripeStandIn) -> None:
    account = _account(gateway)
    before = gateway.account_status(account)
    url = gateway.onboarding_link(
        account, refresh_url="http://127.0.0.1:9/r", return_url="http://127.0.0.1:9/b"
    )

    standin.driver.complete_onboarding(account)
    after = gateway.account_status(account)

    assert url.startswith(standin.base_url)
    assert not before.ready and before.needs
    assert after.ready and after.needs == ()
    assert gateway.dashboard_link(account).startswith("http")


def test_a_checkout_lives_on_the_practices_account_and_names_no_service(
    gateway: StripeGateway, standin: StripeStandIn
) -> None:
    account = _account(gateway)
    standin.driver.complete_onboarding(account)

    checkout = gateway.create_checkout(_checkout_request(account))

    sent = standin.requests("/v1/checkout/sessions", method="POST")[-1]
    assert sent.account == account
    assert sent.idempotency_key == "k1"
    item = sent.params["line_items"]["0"]["price_data"]
    assert item["product_data"]["name"] == "Invoice INV-0042"
    assert item["unit_amount"] == "12000" and item["currency"] == "usd"
    assert "customer_email" not in sent.params
    assert checkout.state is CheckoutState.OPEN and not checkout.paid
    assert checkout.amount == Money.of("120.00", "USD")
    assert checkout.invoice_id == INVOICE and checkout.url


def test_a_paid_checkout_is_listed_and_its_payment_names_the_invoice(
    gateway: StripeGateway, standin: StripeStandIn
) -> None:
    account = _account(gateway)
    standin.driver.complete_onboarding(account)
    checkout = gateway.create_checkout(_checkout_request(account))

    standin.driver.pay(checkout.id)
    listed = gateway.recent_checkouts(account, datetime.now(UTC) - timedelta(days=1))

    assert [c.id for c in listed] == [checkout.id]
    assert listed[0].paid and listed[0].payment_intent_id
    payment = gateway.card_payment(account, listed[0].payment_intent_id or "")
    assert payment.invoice_id == INVOICE and payment.practice_id == PRACTICE
    assert payment.amount == Money.of("120.00", "USD") and payment.charge_id


def test_an_amount_below_stripes_minimum_is_refused_with_its_code(
    gateway: StripeGateway, standin: StripeStandIn
) -> None:
    account = _account(gateway)
    standin.driver.complete_onboarding(account)

    with pytest.raises(PaymentGatewayRefused) as refused:
        gateway.create_checkout(_checkout_request(account, amount="0.20"))

    assert refused.value.code == "amount_too_small"


def test_an_outage_is_reported_as_unavailable_after_retrying(
    gateway: StripeGateway, standin: StripeStandIn
) -> None:
    account = _account(gateway)
    standin.faults.outage(times=None)

    with pytest.raises(PaymentGatewayUnavailable):
        gateway.account_status(account)


def test_a_webhook_is_read_only_with_a_good_recent_signature(
    gateway: StripeGateway, standin: StripeStandIn
) -> None:
    body = json.dumps(
        {
            "id": "evt_1",
            "object": "event",
            "type": "account.updated",
            "account": "acct_1",
            "created": int(time.time()),
            "data": {"object": {"id": "acct_1", "object": "account", "charges_enabled": True}},
            "api_version": "2026-10-28.endive",
            "livemode": False,
        }
    ).encode()
    now = int(time.time())

    event = gateway.verified_event(body, signature_header(standin.webhook_secret, now, body))

    assert event.account == "acct_1" and event.data["charges_enabled"] is True
    with pytest.raises(InvalidWebhook):
        gateway.verified_event(body, signature_header("whsec_other", now, body))
    with pytest.raises(InvalidWebhook):
        gateway.verified_event(body, signature_header(standin.webhook_secret, now - 301, body))
    with pytest.raises(InvalidWebhook):
        gateway.verified_event(
            b"not json", signature_header(standin.webhook_secret, now, b"not json")
        )
    with pytest.raises(InvalidWebhook):
        gateway.verified_event(body, None)


def test_rate_limiting_is_waited_out_with_the_same_idempotency_key(
    gateway: StripeGateway, standin: StripeStandIn
) -> None:
    account = _account(gateway)
    standin.driver.complete_onboarding(account)
    standin.faults.rate_limit(times=2, path="/v1/checkout/sessions")

    checkout = gateway.create_checkout(_checkout_request(account))

    tries = standin.requests("/v1/checkout/sessions", method="POST")
    assert [request.status for request in tries] == [429, 429, 200]
    assert {request.idempotency_key for request in tries} == {"k1"}
    assert tries[-1].response["id"] == checkout.id


def test_rate_limiting_that_lasts_is_reported_as_unavailable(
    gateway: StripeGateway, standin: StripeStandIn
) -> None:
    account = _account(gateway)
    standin.driver.complete_onboarding(account)
    standin.faults.rate_limit(times=None, path="/v1/checkout/sessions")

    with pytest.raises(PaymentGatewayUnavailable):
        gateway.create_checkout(_checkout_request(account))

    assert standin.requests("/v1/checkout/sessions", method="POST") != []
