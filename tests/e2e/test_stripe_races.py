"""Races at the real server's door, on SQLite and PostgreSQL: Stripe's webhooks posted again
and at once, a webhook meeting another change of its invoice, and the Stripe setup button
pressed twice at the same moment."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from payments_scenario import (
    issued,
    mail_to,
    mails,
    pay_url,
    ready,
    set_up_stripe,
    setup_link,
    signed,
    stored,
    stripe_of,
)
from slack_app_fixture import SlackWorld, slack_world
from sqlalchemy import select, text

from domain.invoices import Invoice, InvoiceStatus
from domain.money import Money
from domain.payments import EntryKind
from helpers import wait_until
from storage.orm import AuditEventRow, OutboxRow, StripeConnectionRow

CLIENTS = 8
#: Stripe sends a delivery its endpoint did not answer 2xx again; here at once.
DELIVERY_ATTEMPTS = 10
T = TypeVar("T")


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[SlackWorld]:
    with slack_world(tmp_path, database_url, payments=True) as started:
        yield started


def _at_once(count: int, work: Callable[[int], T]) -> list[T]:
    start = threading.Barrier(count)

    def run(index: int) -> T:
        start.wait(timeout=30)
        return work(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def _paid_and_partly_refunded(world: SlackWorld) -> tuple[Invoice, list[dict[str, Any]]]:
    """A client pays $120 and the practice refunds $20, while Stripe's deliveries are held;
    returns the invoice and the events Stripe did not deliver."""
    p = ready(world, "Race Clinic", "grace@race.example")
    set_up_stripe(world, p)
    invoice = issued(world, p)
    url = pay_url(world, p, invoice)
    stripe = stripe_of(world)
    stripe.webhooks.wait_until_idle(timeout=10)
    stripe.webhooks.hold()
    to_stripe = httpx.post(url, timeout=10, follow_redirects=False)
    assert to_stripe.status_code == 303, to_stripe.text
    session = stripe.requests("/v1/checkout/sessions", method="POST")[-1].response
    payment = stripe.driver.pay(session["id"])
    stripe.driver.refund(payment.charge["id"], 2000)
    events = stripe.webhooks.pending()
    # The test posts them itself; Stripe's own copies go nowhere.
    stripe.set_webhook_endpoint(None)
    stripe.webhooks.release()
    return invoice, events


def _post_until_accepted(world: SlackWorld, event: dict[str, Any]) -> list[int]:
    """One delivery as Stripe makes it: sent again while the answer is not 2xx; the
    statuses of every attempt."""
    statuses = []
    for _ in range(DELIVERY_ATTEMPTS):
        body, headers = signed(world, event)
        answer = httpx.post(
            f"{world.app_url}/stripe/webhook", content=body, headers=headers, timeout=30
        )
        statuses.append(answer.status_code)
        if answer.is_success:
            return statuses
    raise AssertionError(f"{event['id']} refused {DELIVERY_ATTEMPTS} times: {statuses}")


def _receipts_enqueued(world: SlackWorld, invoice: Invoice) -> int:
    with world.engine.connect() as connection:
        payloads = connection.execute(
            select(OutboxRow.payload).where(
                OutboxRow.practice_id == invoice.practice_id, OutboxRow.kind == "client_email"
            )
        ).scalars()
        return sum(1 for payload in payloads if payload.get("template") == "receipt")


def test_stripes_events_posted_three_times_at_once_record_one_payment_and_one_refund(
    world: SlackWorld,
) -> None:
    invoice, events = _paid_and_partly_refunded(world)
    deliveries = [event for event in events for _ in range(3)]
    random.Random(7).shuffle(deliveries)

    answers = _at_once(
        CLIENTS,
        lambda index: [_post_until_accepted(world, event) for event in deliveries[index::CLIENTS]],
    )

    statuses = [status for batch in answers for attempts in batch for status in attempts]
    # Losing a race is a 409 that Stripe's next delivery clears; nothing else fails.
    assert set(statuses) <= {200, 409}, statuses
    paid = stored(world, invoice)
    assert paid.status is InvoiceStatus.PARTIALLY_PAID
    assert paid.amount_paid == Money.of("100.00", "USD")
    assert [entry.kind for entry in paid.ledger] == [EntryKind.PAYMENT, EntryKind.REFUND]
    mail_to(world, "grace@race.example", "Receipt")
    assert _receipts_enqueued(world, invoice) == 1
    assert len(mails(world, "grace@race.example", "Receipt")) == 1


@pytest.mark.postgres
def test_a_webhook_meeting_another_change_of_its_invoice_is_refused_and_applies_when_resent(
    tmp_path: Path, postgres_server: Any
) -> None:
    database_url = postgres_server.create_database()
    try:
        with slack_world(tmp_path, database_url, payments=True) as world:
            _conflict_then_retry(world)
    finally:
        postgres_server.drop_database(database_url)


def _conflict_then_retry(world: SlackWorld) -> None:
    invoice, events = _paid_and_partly_refunded(world)
    [completed] = [event for event in events if event["type"] == "checkout.session.completed"]
    url = f"{world.app_url}/stripe/webhook"
    answers: list[httpx.Response] = []

    with world.engine.connect() as someone_else:
        # Another change of the invoice (staff recording a payment, say), not yet committed
        # when Stripe's event arrives: the webhook's update waits for it, then finds the
        # invoice changed under it.
        someone_else.execute(
            text("UPDATE invoices SET version = version + 1 WHERE id = :id"), {"id": invoice.id}
        )
        body, headers = signed(world, completed)
        posting = threading.Thread(
            target=lambda: answers.append(
                httpx.post(url, content=body, headers=headers, timeout=30)
            )
        )
        posting.start()
        wait_until(
            lambda: _waiting_for_a_lock(world),
            10,
            what="the webhook's transaction to wait for the other change",
        )
        someone_else.commit()
        posting.join(timeout=30)

    [refused] = answers
    assert refused.status_code == 409
    assert stored(world, invoice).ledger == ()
    assert _post_until_accepted(world, completed) == [200]
    assert stored(world, invoice).status is InvoiceStatus.PAID
    assert "event=unhandled_error" not in world.server.output()


def _waiting_for_a_lock(world: SlackWorld) -> bool:
    with world.engine.connect() as connection:
        waiting = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND application_name = 'billing-bot' AND wait_event_type = 'Lock'"
            )
        ).scalar()
    return bool(waiting)


def test_the_stripe_setup_button_pressed_twice_at_once_makes_one_account(
    world: SlackWorld,
) -> None:
    p = ready(world, "Twice Clinic", "grace@twice.example")
    link = setup_link(world, p)

    answers = _at_once(2, lambda _: httpx.get(link, follow_redirects=False, timeout=30))

    assert [answer.status_code for answer in answers] == [303, 303]
    stripe = stripe_of(world)
    creates = stripe.requests("/v1/accounts", method="POST")
    creates = [request for request in creates if request.path == "/v1/accounts"]
    made = {request.response["id"] for request in creates}
    assert len(made) == 1, creates
    # Stripe made it once; a second create, if any, was its replay under the same key.
    assert sum(1 for request in creates if not request.replayed) == 1
    practice = world.practice(p.seat.workspace)
    with world.engine.connect() as connection:
        stored_accounts = connection.execute(
            select(StripeConnectionRow.account_id).where(
                StripeConnectionRow.practice_id == practice.id
            )
        ).all()
        audited = connection.execute(
            select(AuditEventRow.action).where(
                AuditEventRow.practice_id == practice.id,
                AuditEventRow.action == "stripe.account_created",
            )
        ).all()
    assert [row.account_id for row in stored_accounts] == list(made)
    assert len(audited) == 1
    # Both admins are sent to onboarding for that one account.
    links = stripe.requests("/v1/account_links", method="POST")
    assert len(links) == 2 and {link.params["account"] for link in links} == made
