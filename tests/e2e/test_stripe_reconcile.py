"""`billing-bot reconcile` beside the running server: a client paid while Stripe's webhook
did not get through, and the operator's command records the payment as the webhook would
have, once, however often it runs and whenever the webhook turns up after all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from payments_scenario import (
    issued,
    mail_to,
    mails,
    pay_url,
    ready,
    set_up_stripe,
    stored,
    stripe_of,
)
from slack_app_fixture import SlackWorld, slack_world
from sqlalchemy import select

from domain.invoices import InvoiceStatus
from domain.payments import EntryKind
from helpers import cli_env, run_cli
from storage.orm import OutboxRow


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackWorld]:
    path = tmp_path_factory.mktemp("reconcile-world")
    with slack_world(path, f"sqlite:///{path / 'billing.sqlite3'}", payments=True) as started:
        yield started


def _reconcile(world: SlackWorld, cwd: Path) -> tuple[int, str]:
    result = run_cli("reconcile", cwd=cwd, env=cli_env(**world.settings))
    return result.returncode, result.stdout + result.stderr


def _receipts_enqueued(world: SlackWorld, practice_id: str) -> int:
    with world.engine.connect() as connection:
        rows = connection.execute(
            select(OutboxRow.payload).where(
                OutboxRow.practice_id == practice_id, OutboxRow.kind == "client_email"
            )
        ).scalars()
        return sum(1 for payload in rows if payload.get("template") == "receipt")


def test_a_payment_whose_webhook_was_lost_is_recorded_by_reconcile_once(
    world: SlackWorld, tmp_path: Path
) -> None:
    p = ready(world, "Lost Webhook Clinic", "grace@lost.example")
    account = set_up_stripe(world, p)
    invoice = issued(world, p)
    url = pay_url(world, p, invoice)
    stripe = stripe_of(world)
    stripe.webhooks.wait_until_idle()
    stripe.webhooks.hold()  # Stripe's deliveries do not get through from here on
    try:
        to_stripe = httpx.post(url, timeout=10, follow_redirects=False)
        assert to_stripe.status_code == 303
        session = stripe.requests("/v1/checkout/sessions", method="POST")[-1].response
        stripe.driver.pay(session["id"])
        assert stored(world, invoice).status is InvoiceStatus.OPEN

        first_status, first = _reconcile(world, tmp_path)
        paid = stored(world, invoice)
        receipt = mail_to(world, "grace@lost.example", "Receipt")
        second_status, second = _reconcile(world, tmp_path)
    finally:
        late = stripe.webhooks.release()
    stripe.webhooks.wait_until_idle(timeout=10)

    assert first_status == 0, first
    assert f"practice {invoice.practice_id}: 1 checked, 1 recorded" in first
    assert paid.status is InvoiceStatus.PAID
    assert "$120.00" in str(receipt.get_body(preferencelist=("plain",)))
    assert second_status == 0, second
    assert f"practice {invoice.practice_id}: 1 checked, 0 recorded" in second
    # The webhook that turns up at last finds the payment recorded.
    assert late >= 1
    completed = [
        attempt
        for attempt in stripe.webhooks.attempts("checkout.session.completed")
        if attempt.account == account
    ]
    assert completed and all(a.succeeded for a in completed)
    assert '"outcome":"duplicate"' in completed[-1].response_body.replace(" ", "")
    payments = [e for e in stored(world, invoice).ledger if e.kind is EntryKind.PAYMENT]
    assert len(payments) == 1
    assert _receipts_enqueued(world, invoice.practice_id) == 1
    assert len(mails(world, "grace@lost.example", "Receipt")) == 1


def test_reconcile_exits_1_when_stripe_cannot_be_reached(world: SlackWorld, tmp_path: Path) -> None:
    p = ready(world, "Outage Clinic", "grace@outage.example")
    set_up_stripe(world, p)
    stripe = stripe_of(world)
    stripe.faults.outage(times=None, path="/v1/checkout/sessions")
    try:
        status, output = _reconcile(world, tmp_path)
    finally:
        stripe.faults.clear()

    assert status == 1
    practice = world.practice(p.seat.workspace)
    assert f"practice {practice.id}: Stripe could not be reached" in output
    assert "run it again later" in output
