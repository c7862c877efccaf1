"""Stripe's events applied to invoices: once, in any order, only within the account's own
practice, and with the side effects a practice expects (card, channel, receipt)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.ids import PracticeId
from domain.invoices import Invoice, InvoiceStatus
from domain.money import Money
from domain.online_payments import (
    CardPayment,
    Checkout,
    CheckoutRequest,
    CheckoutState,
    NewAccount,
    PaymentGatewayUnavailable,
    StripeEvent,
)
from domain.outbox import OutboxKind
from domain.ports import Env
from domain.stripe_connect import AccountStatus, StripeConnection
from domain.usecases.card_payments import (
    EventOutcome,
    Reconciled,
    apply_stripe_event,
    reconcile_card_payments,
)
from domain.usecases.invoicing import void_invoice
from domain.usecases.stripe_setup import StartStripeSetup, start_stripe_setup
from factories import ACTOR, a_client, a_practice, an_issued_invoice
from fakes import FakeUnitOfWork


class FakeStripe:
    """The PaymentGateway port as a dictionary of PaymentIntents, for rules that do not
    depend on Stripe's wire protocol (the contract tests cover that against the stand-in)."""

    def __init__(self) -> None:
        self.accounts: dict[str, str] = {}
        self.intents: dict[str, CardPayment] = {}
        self.sessions: dict[str, list[Checkout]] = {}
        self.down: set[str] = set()

    def create_express_account(self, request: NewAccount) -> str:
        return self.accounts.setdefault(request.idempotency_key, f"acct_{len(self.accounts) + 1}")

    def account_status(self, account_id: str) -> AccountStatus:
        return AccountStatus(True, True, True)

    def onboarding_link(self, account_id: str, *, refresh_url: str, return_url: str) -> str:
        return f"https://connect.example/{account_id}"

    def dashboard_link(self, account_id: str) -> str:
        return f"https://dashboard.example/{account_id}"

    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        raise AssertionError("not used here")

    def recent_checkouts(self, account_id: str, since: datetime) -> list[Checkout]:
        if account_id in self.down:
            raise PaymentGatewayUnavailable("Stripe could not be reached.")
        return self.sessions.get(account_id, [])

    def card_payment(self, account_id: str, payment_intent_id: str) -> CardPayment:
        return self.intents[payment_intent_id]


NOW = datetime(2025, 3, 14, 15, 0, tzinfo=UTC)


def _connected(uow: FakeUnitOfWork, practice_id: PracticeId, account_id: str) -> None:
    with uow:
        uow.stripe_connections.add(
            StripeConnection(practice_id, account_id, NOW, AccountStatus(True, True, True))
        )
        uow.commit()


def _setup(uow: FakeUnitOfWork, env: Env) -> tuple[Invoice, FakeStripe]:
    practice = a_practice(uow, env)
    client = a_client(uow, env, practice, name="Ada Lovelace", email="ada@example.org")
    invoice = an_issued_invoice(uow, env, practice, client=client, lines=1)
    _connected(uow, practice.id, "acct_A")
    stripe = FakeStripe()
    stripe.intents["pi_1"] = CardPayment(
        "pi_1", "ch_1", Money.of("100.00", "USD"), NOW, invoice.id, practice.id
    )
    return invoice, stripe


def _completed(invoice: Invoice, event_id: str = "evt_paid", **changes: Any) -> StripeEvent:
    data = {
        "id": "cs_1",
        "object": "checkout.session",
        "payment_status": "paid",
        "status": "complete",
        "payment_intent": "pi_1",
        "amount_total": 10000,
        "currency": "usd",
        "metadata": {"invoice_id": invoice.id, "practice_id": invoice.practice_id},
        **changes,
    }
    return StripeEvent(event_id, "checkout.session.completed", "acct_A", NOW, data)


def _refunded(amount_refunded: int, event_id: str) -> StripeEvent:
    data = {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": "pi_1",
        "amount": 10000,
        "amount_refunded": amount_refunded,
        "currency": "usd",
    }
    return StripeEvent(event_id, "charge.refunded", "acct_A", NOW + timedelta(hours=1), data)


def _stored(uow: FakeUnitOfWork, invoice: Invoice) -> Invoice:
    return uow.committed.invoices[invoice.id]


def test_a_paid_checkout_records_one_payment_and_tells_everyone(
    uow: FakeUnitOfWork, env: Env
) -> None:
    invoice, stripe = _setup(uow, env)

    outcome = apply_stripe_event(_completed(invoice), uow, env, stripe)

    stored = _stored(uow, invoice)
    assert outcome is EventOutcome.APPLIED
    assert stored.status is InvoiceStatus.PAID
    assert stored.amount_paid == Money.of("100.00", "USD")
    kinds = sorted(message.kind for message in uow.committed.outbox.values())
    assert kinds == sorted(
        [
            OutboxKind.SLACK_CARD,
            OutboxKind.HOME_REFRESH,
            OutboxKind.SLACK_POST,
            OutboxKind.CLIENT_EMAIL,
        ]
    )


def test_the_same_payment_from_three_deliveries_and_two_event_types_is_recorded_once(
    uow: FakeUnitOfWork, env: Env
) -> None:
    invoice, stripe = _setup(uow, env)
    events = [
        _completed(invoice),
        _completed(invoice),
        _completed(invoice, "evt_async"),
        _completed(invoice, "evt_paid"),
    ]

    outcomes = [apply_stripe_event(event, uow, env, stripe) for event in events]

    assert outcomes.count(EventOutcome.APPLIED) == 1
    assert len(_stored(uow, invoice).ledger) == 1


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_refunds_and_the_payment_in_any_order_end_the_same(
    uow: FakeUnitOfWork, env: Env, order: tuple[int, ...]
) -> None:
    invoice, stripe = _setup(uow, env)
    events = [_completed(invoice), _refunded(2500, "evt_r1"), _refunded(4000, "evt_r2")]

    for index in order:
        apply_stripe_event(events[index], uow, env, stripe)

    stored = _stored(uow, invoice)
    assert stored.amount_paid == Money.of("60.00", "USD")
    assert stored.status is InvoiceStatus.PARTIALLY_PAID


def test_an_event_from_one_practices_account_never_touches_another_practices_invoice(
    uow: FakeUnitOfWork, env: Env
) -> None:
    invoice, stripe = _setup(uow, env)
    other = a_practice(uow, env, name="Other Practice")
    _connected(uow, other.id, "acct_B")
    crafted = _completed(invoice)
    crafted = StripeEvent("evt_b", crafted.type, "acct_B", crafted.created, crafted.data)

    outcome = apply_stripe_event(crafted, uow, env, stripe)

    assert outcome is EventOutcome.IGNORED
    assert _stored(uow, invoice).ledger == ()


def test_an_event_for_an_unknown_account_is_acknowledged_and_changes_nothing(
    uow: FakeUnitOfWork, env: Env
) -> None:
    invoice, stripe = _setup(uow, env)
    event = StripeEvent("evt_x", "checkout.session.completed", "acct_gone", NOW, {})

    assert apply_stripe_event(event, uow, env, stripe) is EventOutcome.IGNORED
    assert _stored(uow, invoice).ledger == ()


def test_money_paid_on_a_void_invoice_is_not_recorded_but_reported(
    uow: FakeUnitOfWork, env: Env
) -> None:
    invoice, stripe = _setup(uow, env)
    void_invoice(invoice.practice_id, invoice.id, "Sent twice", ACTOR, uow, env)

    apply_stripe_event(_completed(invoice), uow, env, stripe)

    stored = _stored(uow, invoice)
    assert stored.status is InvoiceStatus.VOID and stored.ledger == ()
    posts = [m.payload for m in uow.committed.outbox.values() if m.kind is OutboxKind.SLACK_POST]
    assert [post["news"] for post in posts] == ["paid_void_invoice"]


def test_money_paid_on_a_void_invoice_is_reported_once_however_often_stripe_says_so(
    uow: FakeUnitOfWork, env: Env
) -> None:
    invoice, stripe = _setup(uow, env)
    void_invoice(invoice.practice_id, invoice.id, "Sent twice", ACTOR, uow, env)
    # The payment, then the same PaymentIntent again: the practice's refund, a second event
    # type, and reconciliation all name it.
    events = [_completed(invoice), _completed(invoice, "evt_async"), _refunded(10000, "evt_r")]

    outcomes = [apply_stripe_event(event, uow, env, stripe) for event in events]

    assert outcomes[0] is EventOutcome.APPLIED
    assert EventOutcome.APPLIED not in outcomes[1:]
    reports = [event for event in uow.committed.audit if event.action == "payment.unrecorded"]
    assert len(reports) == 1


def test_a_late_older_account_update_does_not_undo_a_newer_one(
    uow: FakeUnitOfWork, env: Env
) -> None:
    invoice, stripe = _setup(uow, env)
    ready = {
        "charges_enabled": True,
        "payouts_enabled": True,
        "details_submitted": True,
        "requirements": {"currently_due": [], "past_due": []},
    }
    pending = {
        "charges_enabled": False,
        "payouts_enabled": False,
        "details_submitted": False,
        "requirements": {"currently_due": ["external_account"], "past_due": []},
    }
    newer = StripeEvent("evt_new", "account.updated", "acct_A", NOW + timedelta(minutes=5), ready)
    older = StripeEvent("evt_old", "account.updated", "acct_A", NOW, pending)

    apply_stripe_event(newer, uow, env, stripe)
    apply_stripe_event(older, uow, env, stripe)

    connection = uow.committed.stripe_connections[invoice.practice_id]
    assert connection.takes_cards


def test_deauthorizing_stops_card_payments_and_tells_the_practice(
    uow: FakeUnitOfWork, env: Env
) -> None:
    invoice, stripe = _setup(uow, env)
    event = StripeEvent(
        "evt_deauth", "account.application.deauthorized", "acct_A", NOW, {"object": "application"}
    )

    apply_stripe_event(event, uow, env, stripe)

    assert not uow.committed.stripe_connections[invoice.practice_id].takes_cards
    news = [m.payload.get("news") for m in uow.committed.outbox.values()]
    assert "stripe_disconnected" in news


def test_pressing_setup_twice_makes_one_account(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    stripe = FakeStripe()
    command = StartStripeSetup(practice.id, ACTOR, "https://app/refresh", "https://app/return")

    first = start_stripe_setup(command, uow, env, stripe)
    second = start_stripe_setup(command, uow, env, stripe)

    assert first == second
    assert len(stripe.accounts) == 1
    assert uow.committed.stripe_connections[practice.id].account_id == "acct_1"


def _paid_session(invoice: Invoice) -> Checkout:
    return Checkout(
        id="cs_1",
        account_id="acct_A",
        url=None,
        state=CheckoutState.COMPLETE,
        paid=True,
        amount=Money.of("100.00", "USD"),
        expires_at=NOW + timedelta(hours=23),
        created_at=NOW,
        payment_intent_id="pi_1",
        invoice_id=invoice.id,
        practice_id=invoice.practice_id,
    )


def test_reconciling_records_a_missed_payment_once_and_an_unreachable_account_stops_no_other(
    uow: FakeUnitOfWork, env: Env
) -> None:
    invoice, stripe = _setup(uow, env)
    broken = a_practice(uow, env, name="Broken Practice")
    _connected(uow, broken.id, "acct_down")
    stripe.sessions["acct_A"] = [_paid_session(invoice)]
    stripe.down.add("acct_down")

    first = reconcile_card_payments(uow, env, stripe)
    second = reconcile_card_payments(uow, env, stripe)
    webhook = apply_stripe_event(_completed(invoice), uow, env, stripe)

    assert sorted(first, key=lambda r: r.unavailable) == [
        Reconciled(invoice.practice_id, 1, 1),
        Reconciled(broken.id, 0, 0, unavailable=True),
    ]
    assert Reconciled(invoice.practice_id, 1, 0) in second
    assert webhook is EventOutcome.DUPLICATE
    assert _stored(uow, invoice).status is InvoiceStatus.PAID
    assert len(_stored(uow, invoice).ledger) == 1
