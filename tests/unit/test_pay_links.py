"""The Pay button's Checkout: what the app asks Stripe for, so that clicks pressed again
(after a timeout, or twice at once) get one session."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from domain.money import Money
from domain.online_payments import (
    CardPayment,
    Checkout,
    CheckoutRequest,
    CheckoutState,
    NewAccount,
    PaymentGatewayUnavailable,
)
from domain.ports import Env
from domain.stripe_connect import AccountStatus, StripeConnection
from domain.usecases.pay_links import (
    PayUrls,
    SendPaymentLink,
    send_payment_link,
    start_checkout,
)
from factories import ACTOR, a_client, a_practice, an_issued_invoice
from fakes import FakeUnitOfWork, FixedClock

URLS = PayUrls("https://app.example/pay/t/done", "https://app.example/pay/t")


class TimingOutStripe:
    """Stripe that makes each session but whose first answer never arrives."""

    def __init__(self) -> None:
        self.requests: list[CheckoutRequest] = []

    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        self.requests.append(request)
        if len(self.requests) == 1:
            raise PaymentGatewayUnavailable("Stripe could not be reached.")
        return Checkout(
            id="cs_1",
            account_id=request.account_id,
            url="https://checkout.example/cs_1",
            state=CheckoutState.OPEN,
            paid=False,
            amount=request.amount,
            expires_at=request.expires_at,
            created_at=request.expires_at - timedelta(hours=23),
        )

    def create_express_account(self, request: NewAccount) -> str:
        raise AssertionError("not used here")

    def account_status(self, account_id: str) -> AccountStatus:
        raise AssertionError("not used here")

    def onboarding_link(self, account_id: str, *, refresh_url: str, return_url: str) -> str:
        raise AssertionError("not used here")

    def dashboard_link(self, account_id: str) -> str:
        raise AssertionError("not used here")

    def recent_checkouts(self, account_id: str, since: datetime) -> list[Checkout]:
        raise AssertionError("not used here")

    def card_payment(self, account_id: str, payment_intent_id: str) -> CardPayment:
        raise AssertionError("not used here")


def test_a_click_after_stripe_timed_out_asks_for_the_very_same_session(
    uow: FakeUnitOfWork, env: Env, clock: FixedClock
) -> None:
    practice = a_practice(uow, env)
    client = a_client(uow, env, practice)
    invoice = an_issued_invoice(uow, env, practice, client=client, lines=1)
    with uow:
        uow.stripe_connections.add(
            StripeConnection(practice.id, "acct_1", clock.now(), AccountStatus(True, True, True))
        )
        uow.commit()
    token = send_payment_link(
        SendPaymentLink(practice.id, ACTOR, invoice.id, "Ada Lovelace", "ada@example.com"),
        uow,
        env,
    ).link.token
    stripe = TimingOutStripe()

    with pytest.raises(PaymentGatewayUnavailable):
        start_checkout(token, URLS, uow, env, stripe)
    clock.advance(minutes=7, seconds=13)
    url = start_checkout(token, URLS, uow, env, stripe)

    first, again = stripe.requests
    # Stripe replays a key only for the same parameters: any difference is an error.
    assert again == first
    assert url == "https://checkout.example/cs_1"
    assert first.amount == Money.of("100.00", "USD")
    assert timedelta(hours=22) <= first.expires_at - clock.now() <= timedelta(hours=23)
