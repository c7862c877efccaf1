"""Stripe's webhook events applied through the real repositories, on SQLite and PostgreSQL:
delivered again, late, out of order and from several threads at once, each payment lands
once, refunds and failures leave the invoice as the practice expects, and an event can only
ever touch invoices of the practice whose account it came from.

The events are the Stripe stand-in's own, made by paying, refunding and onboarding there,
and read by the app's adapter from signed bodies, as the webhook endpoint reads them.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from domain.errors import StaleEdit
from domain.invoices import Invoice, InvoiceStatus
from domain.money import Money
from domain.online_payments import CheckoutRequest, NewAccount, PayLink, StripeEvent
from domain.outbox import OutboxKind
from domain.ports import Env
from domain.practice import Practice
from domain.stripe_connect import AccountStatus, StripeConnection
from domain.usecases.card_payments import EventOutcome, apply_stripe_event
from domain.usecases.pay_links import PayPageState, pay_page
from factories import a_client, a_practice, an_issued_invoice
from gateways.stripe_payments import StripeGateway
from sandbox.stripe import CARD_SUCCEEDS, ManualClock, StripeStandIn
from sandbox.stripe.signing import signature_header
from storage.orm import LedgerEntryRow, OutboxRow, StripeEventRow
from storage.unit_of_work import SqlAlchemyUnitOfWork

THREADS = 8
#: Stripe retries a delivery its endpoint failed; a conflict must clear well within this.
DELIVERY_ATTEMPTS = 10

NewUow = Callable[[], SqlAlchemyUnitOfWork]


@pytest.fixture
def env(short_ids_env: Env) -> Env:
    return short_ids_env


@pytest.fixture(scope="module")
def stripe_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="module")
def standin(stripe_clock: ManualClock) -> Iterator[StripeStandIn]:
    # No webhook endpoint: events accumulate, and each test delivers them as it pleases.
    with StripeStandIn(clock=stripe_clock) as started:
        yield started


@pytest.fixture(scope="module")
def gateway(standin: StripeStandIn) -> StripeGateway:
    return StripeGateway(
        standin.secret_key,
        api_base=standin.base_url,
        webhook_secret=standin.webhook_secret,
        max_network_retries=0,
    )


@dataclass(frozen=True)
class Connected:
    practice: Practice
    account_id: str
    invoice: Invoice


def _connected_practice(
    new_uow: NewUow, env: Env, gateway: StripeGateway, standin: StripeStandIn, name: str
) -> Connected:
    practice = a_practice(new_uow(), env, name=name)
    client = a_client(new_uow(), env, practice, name="Grace Hopper", email="grace@example.org")
    invoice = an_issued_invoice(new_uow(), env, practice, client=client, lines=1)
    account_id = gateway.create_express_account(
        NewAccount(practice.id, "US", None, name, f"acct-key-{practice.id}")
    )
    standin.driver.complete_onboarding(account_id)
    uow = new_uow()
    with uow:
        uow.stripe_connections.add(
            StripeConnection(
                practice.id, account_id, env.clock.now(), AccountStatus(True, True, True)
            )
        )
        uow.commit()
    return Connected(practice, account_id, invoice)


def _checkout(
    gateway: StripeGateway, env: Env, on: Connected, invoice: Invoice | None = None
) -> str:
    """A Checkout Session on `on`'s account for `invoice` (by default its own)."""
    invoice = invoice or on.invoice
    session = gateway.create_checkout(
        CheckoutRequest(
            account_id=on.account_id,
            practice_id=invoice.practice_id,
            invoice_id=invoice.id,
            invoice_number=invoice.number,
            practice_name=on.practice.billing.name,
            amount=invoice.balance,
            success_url="https://app.example/done",
            cancel_url="https://app.example/pay",
            idempotency_key=f"checkout-{invoice.id}-{on.account_id}",
            # Stripe's clock, not the app's fixed one.
            expires_at=datetime.now(UTC) + timedelta(hours=23),
        )
    )
    return session.id


def _events(
    standin: StripeStandIn, gateway: StripeGateway, account_id: str, *types: str
) -> list[StripeEvent]:
    """The account's events of `types` so far, oldest first, as the webhook endpoint reads
    them: a signed body through the adapter's verification."""
    found = []
    for event in standin.driver.events():
        if event.get("account") != account_id or (types and event["type"] not in types):
            continue
        payload = json.dumps(event).encode()
        signature = signature_header(standin.webhook_secret, int(time.time()), payload)
        found.append(gateway.verified_event(payload, signature))
    return found


def _deliver(
    event: StripeEvent, new_uow: NewUow, env: Env, gateway: StripeGateway
) -> tuple[EventOutcome, list[Exception]]:
    """One delivery as Stripe makes it: tried again while the endpoint fails."""
    failures: list[Exception] = []
    for _ in range(DELIVERY_ATTEMPTS):
        try:
            return apply_stripe_event(event, new_uow(), env, gateway), failures
        except Exception as failure:  # what the endpoint would answer non-2xx for
            failures.append(failure)
    raise AssertionError(f"{event.id} still failing after {DELIVERY_ATTEMPTS} deliveries")


def _deliver_concurrently(
    events: Sequence[StripeEvent], new_uow: NewUow, env: Env, gateway: StripeGateway
) -> tuple[list[EventOutcome], list[Exception]]:
    """Every event three times, shuffled, from `THREADS` threads released at once."""
    deliveries = [event for event in events for _ in range(3)]
    random.Random(16).shuffle(deliveries)
    start = threading.Barrier(THREADS)

    def run(index: int) -> list[tuple[EventOutcome, list[Exception]]]:
        start.wait(timeout=30)
        return [_deliver(event, new_uow, env, gateway) for event in deliveries[index::THREADS]]

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = [item for batch in pool.map(run, range(THREADS)) for item in batch]
    return [outcome for outcome, _ in results], [f for _, fs in results for f in fs]


def _invoice(new_uow: NewUow, invoice: Invoice) -> Invoice:
    uow = new_uow()
    with uow:
        found = uow.invoices.get(invoice.practice_id, invoice.id)
    assert found is not None
    return found


def _outbox(engine: Engine, practice: Practice) -> list[OutboxRow]:
    """What the practice's outbox holds: the side effects waiting to be delivered."""
    with Session(engine) as session:
        return list(session.scalars(select(OutboxRow).where(OutboxRow.practice_id == practice.id)))


def _news(rows: Sequence[OutboxRow]) -> Counter[str]:
    """What the billing channel will be told, by kind of news."""
    return Counter(
        str(row.payload.get("news")) for row in rows if row.kind == OutboxKind.SLACK_POST
    )


def _mails(rows: Sequence[OutboxRow]) -> Counter[str]:
    return Counter(
        str(row.payload.get("template")) for row in rows if row.kind == OutboxKind.CLIENT_EMAIL
    )


def _count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(table)) or 0)


def _only_retryable(failures: Sequence[Exception]) -> None:
    """A delivery that lost a race fails as a stale edit, which Stripe's retry clears."""
    assert all(isinstance(failure, StaleEdit) for failure in failures), failures


# -- the tests -----------------------------------------------------------------------------


def test_a_payment_and_a_partial_refund_each_delivered_three_times_at_once_land_once(
    engine, new_uow, env, gateway, standin
):
    a = _connected_practice(new_uow, env, gateway, standin, "Concurrent Care")
    paid = standin.driver.pay(_checkout(gateway, env, a), CARD_SUCCEEDS)
    standin.driver.refund(paid.charge["id"], 3000)
    events = _events(standin, gateway, a.account_id)
    handled = {event.type for event in events}
    assert {"checkout.session.completed", "charge.refunded"} <= handled

    outcomes, failures = _deliver_concurrently(events, new_uow, env, gateway)

    _only_retryable(failures)
    stored = _invoice(new_uow, a.invoice)
    assert stored.status is InvoiceStatus.PARTIALLY_PAID
    assert stored.amount_paid == Money.of("70.00", "USD")
    assert [entry.kind.value for entry in stored.ledger].count("payment") == 1
    assert [entry.kind.value for entry in stored.ledger].count("refund") == 1
    rows = _outbox(engine, a.practice)
    assert _news(rows) == Counter({"card_payment": 1, "refund": 1})
    assert _mails(rows) == Counter({"receipt": 1})
    # The card is redrawn once per change of the invoice: the payment, then the refund.
    assert sum(1 for row in rows if row.kind == OutboxKind.SLACK_CARD) == 2
    assert len({row.dedupe_key for row in rows}) == len(rows)
    assert _count(engine, StripeEventRow) == len(events)
    assert outcomes.count(EventOutcome.DUPLICATE) >= 2 * len(events)


def test_a_refund_that_arrives_before_its_payment_ends_as_if_in_order(
    engine, new_uow, env, gateway, standin
):
    a = _connected_practice(new_uow, env, gateway, standin, "Late Payment Care")
    paid = standin.driver.pay(_checkout(gateway, env, a), CARD_SUCCEEDS)
    standin.driver.refund(paid.charge["id"], 2500)
    [completed] = _events(standin, gateway, a.account_id, "checkout.session.completed")
    [refunded] = _events(standin, gateway, a.account_id, "charge.refunded")

    first = apply_stripe_event(refunded, new_uow(), env, gateway)
    second = apply_stripe_event(completed, new_uow(), env, gateway)

    assert (first, second) == (EventOutcome.APPLIED, EventOutcome.DUPLICATE)
    stored = _invoice(new_uow, a.invoice)
    assert stored.status is InvoiceStatus.PARTIALLY_PAID
    assert stored.amount_paid == Money.of("75.00", "USD")
    rows = _outbox(engine, a.practice)
    assert _news(rows) == Counter({"card_payment": 1, "refund": 1})
    assert _mails(rows) == Counter({"receipt": 1})


def test_two_partial_refunds_out_of_order_and_then_the_rest_leave_nothing_paid(
    engine, new_uow, env, gateway, standin
):
    a = _connected_practice(new_uow, env, gateway, standin, "Refund Care")
    paid = standin.driver.pay(_checkout(gateway, env, a), CARD_SUCCEEDS)
    apply_stripe_event(
        *_events(standin, gateway, a.account_id, "checkout.session.completed"),
        new_uow(),
        env,
        gateway,
    )
    standin.driver.refund(paid.charge["id"], 1000)
    standin.driver.refund(paid.charge["id"], 4000)
    ten, fifty = _events(standin, gateway, a.account_id, "charge.refunded")

    apply_stripe_event(fifty, new_uow(), env, gateway)
    apply_stripe_event(ten, new_uow(), env, gateway)
    partly = _invoice(new_uow, a.invoice)
    standin.driver.refund(paid.charge["id"])
    everything = _events(standin, gateway, a.account_id, "charge.refunded")[-1]
    apply_stripe_event(everything, new_uow(), env, gateway)

    assert partly.status is InvoiceStatus.PARTIALLY_PAID
    assert partly.amount_paid == Money.of("50.00", "USD")
    refunded = _invoice(new_uow, a.invoice)
    assert refunded.amount_paid == Money.of("0.00", "USD")
    assert refunded.status is InvoiceStatus.OPEN
    assert _news(_outbox(engine, a.practice))["refund"] == 2


def test_a_failed_bank_debit_leaves_the_invoice_open_and_tells_the_billing_channel(
    engine, new_uow, env, gateway, standin
):
    a = _connected_practice(new_uow, env, gateway, standin, "Debit Care")
    session_id = _checkout(gateway, env, a)
    standin.driver.start_async_payment(session_id)
    standin.driver.fail_async(session_id)
    events = _events(standin, gateway, a.account_id)

    for event in events + events:
        apply_stripe_event(event, new_uow(), env, gateway)

    stored = _invoice(new_uow, a.invoice)
    assert stored.status is InvoiceStatus.OPEN and stored.ledger == ()
    rows = _outbox(engine, a.practice)
    assert _news(rows) == Counter({"payment_failed": 1})
    assert _mails(rows) == Counter()


def test_an_older_account_update_arriving_last_does_not_undo_a_newer_one(
    new_uow, env, gateway, standin, stripe_clock
):
    a = _connected_practice(new_uow, env, gateway, standin, "Status Care")
    standin.driver.set_requirements(
        a.account_id, currently_due=["external_account"], charges_enabled=False
    )
    stripe_clock.advance(60)
    standin.driver.set_requirements(a.account_id, currently_due=[], charges_enabled=True)
    older, newer = _events(standin, gateway, a.account_id, "account.updated")[-2:]

    apply_stripe_event(newer, new_uow(), env, gateway)
    apply_stripe_event(older, new_uow(), env, gateway)

    uow = new_uow()
    with uow:
        connection = uow.stripe_connections.get(a.practice.id)
    assert connection is not None
    assert connection.status.charges_enabled and connection.status.needs == ()
    assert _pay_state(new_uow, env, a) is PayPageState.PAYABLE


def _pay_state(new_uow: NewUow, env: Env, on: Connected) -> PayPageState:
    """What the client's pay page offers for `on`'s invoice."""
    uow = new_uow()
    with uow:
        uow.pay_links.add(
            PayLink(on.practice.id, on.invoice.id, f"token-{on.invoice.id}", env.clock.now())
        )
        uow.commit()
        link = uow.pay_links.for_invoice(on.practice.id, on.invoice.id)
    assert link is not None
    return pay_page(link.token, new_uow()).state


def test_a_deauthorized_account_stops_card_payments_and_tells_the_admins_once(
    engine, new_uow, env, gateway, standin
):
    a = _connected_practice(new_uow, env, gateway, standin, "Leaving Care")
    standin.driver.deauthorize(a.account_id)
    [event] = _events(standin, gateway, a.account_id, "account.application.deauthorized")

    outcomes = [apply_stripe_event(event, new_uow(), env, gateway) for _ in range(3)]

    assert outcomes == [EventOutcome.APPLIED, EventOutcome.DUPLICATE, EventOutcome.DUPLICATE]
    uow = new_uow()
    with uow:
        connection = uow.stripe_connections.get(a.practice.id)
    assert connection is not None and not connection.connected
    assert _pay_state(new_uow, env, a) is PayPageState.NO_CARDS
    assert _news(_outbox(engine, a.practice)) == Counter({"stripe_disconnected": 1})


def test_an_event_from_one_practices_account_naming_anothers_invoice_changes_nothing(
    engine, new_uow, env, gateway, standin
):
    a = _connected_practice(new_uow, env, gateway, standin, "Practice A Care")
    b = _connected_practice(new_uow, env, gateway, standin, "Practice B Care")
    # A session on A's account whose metadata names B's invoice (and B's practice).
    paid = standin.driver.pay(_checkout(gateway, env, a, invoice=b.invoice), CARD_SUCCEEDS)
    standin.driver.refund(paid.charge["id"], 1000)
    events = _events(
        standin, gateway, a.account_id, "checkout.session.completed", "charge.refunded"
    )
    before_a = _invoice(new_uow, a.invoice)
    outbox_before = (_outbox(engine, a.practice), _outbox(engine, b.practice))

    outcomes = [apply_stripe_event(event, new_uow(), env, gateway) for event in events]

    assert EventOutcome.APPLIED not in outcomes
    assert _invoice(new_uow, b.invoice) == b.invoice
    assert _invoice(new_uow, a.invoice) == before_a
    assert [_ids(_outbox(engine, a.practice)), _ids(_outbox(engine, b.practice))] == [
        _ids(rows) for rows in outbox_before
    ]
    assert _count(engine, LedgerEntryRow) == 0


def _ids(rows: Sequence[OutboxRow]) -> set[str]:
    return {row.id for row in rows}
