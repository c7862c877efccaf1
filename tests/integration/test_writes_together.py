"""Writes sent together (`UnitOfWork.writes_together`, PostgreSQL's pipeline mode): what a
block writes is stored as if written one by one, a read inside the block reads what was
written before it (the writes travel with it), and a write over a record changed meanwhile
still refuses (StaleEdit), at that read or at the block's end, and leaves nothing of its
transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from domain.audit import AuditEvent
from domain.errors import StaleEdit
from domain.ids import AuditEventId, PaymentId
from domain.invoices import Invoice
from domain.payments import EntryKind, LedgerEntry, PaymentMethod
from domain.ports import Env
from factories import a_practice, an_issued_invoice
from storage.unit_of_work import SqlAlchemyUnitOfWork

NewUow = Callable[[], SqlAlchemyUnitOfWork]


@pytest.fixture
def env(short_ids_env: Env) -> Env:
    return short_ids_env


def _card_payment(invoice: Invoice, payment_id: str, intent: str) -> Invoice:
    entry = LedgerEntry(
        id=PaymentId(payment_id),
        kind=EntryKind.PAYMENT,
        method=PaymentMethod.CARD,
        amount=invoice.balance,
        received_at=datetime(2026, 11, 25, 15, 31, tzinfo=UTC),
        recorded_by="stripe",
        reference="Paid online through Stripe",
        stripe_payment_intent_id=intent,
    )
    return invoice.record(entry, locale="en_US")


def _audit(invoice: Invoice, event_id: str) -> AuditEvent:
    return AuditEvent(
        AuditEventId(event_id),
        invoice.practice_id,
        "stripe",
        "payment.recorded",
        "invoice",
        invoice.id,
        datetime(2026, 11, 25, 15, 31, tzinfo=UTC),
        {"payment_id": "p"},
    )


def _audited(new_uow: NewUow, invoice: Invoice) -> list[str]:
    with new_uow() as uow:
        return [event.id for event in uow.audit.for_subject(invoice.practice_id, invoice.id)]


def _paid_by_another(new_uow: NewUow, invoice: Invoice, payment_id: str) -> Invoice:
    """The invoice as another transaction stored it with a card payment, committed."""
    paid = _card_payment(invoice, payment_id, f"pi_{payment_id}")
    with new_uow() as first:
        first.invoices.update(paid, replacing=invoice)
        first.commit()
    return paid


def _an_open_invoice(new_uow: NewUow, env: Env) -> Invoice:
    practice = a_practice(new_uow(), env)
    return an_issued_invoice(new_uow(), env, practice, lines=1)


def test_writes_sent_together_are_stored_as_if_written_one_by_one(
    new_uow: NewUow, env: Env
) -> None:
    invoice = _an_open_invoice(new_uow, env)
    paid = _card_payment(invoice, "pay-1", "pi_together")
    with new_uow() as uow:
        with uow.writes_together():
            uow.audit.record(_audit(invoice, "audit-together"))
            uow.invoices.update(paid, replacing=invoice)
        uow.commit()
    with new_uow() as uow:
        stored = uow.invoices.get(invoice.practice_id, invoice.id)
    assert stored == paid
    assert stored.balance.is_zero
    assert "audit-together" in _audited(new_uow, invoice)


def test_a_payment_over_one_stored_meanwhile_is_refused_and_leaves_nothing(
    new_uow: NewUow, env: Env
) -> None:
    """Two deliveries of one card payment read the invoice at once; the second to write
    finds it paid and must leave neither its audit entry nor a second ledger entry. Its
    ledger entry also clashes with the first's, yet the refusal says StaleEdit, which
    Stripe's retry clears, rather than a database error."""
    invoice = _an_open_invoice(new_uow, env)
    with new_uow() as first:
        first.invoices.update(_card_payment(invoice, "pay-first", "pi_same"), replacing=invoice)
        first.commit()

    def pay_again(late: SqlAlchemyUnitOfWork) -> None:
        with late.writes_together():
            late.audit.record(_audit(invoice, "audit-late"))
            late.invoices.update(_card_payment(invoice, "pay-late", "pi_same"), replacing=invoice)

    with new_uow() as late, pytest.raises(StaleEdit):
        pay_again(late)
    with new_uow() as uow:
        stored = uow.invoices.get(invoice.practice_id, invoice.id)
    assert stored is not None
    assert [entry.id for entry in stored.ledger] == ["pay-first"]
    assert "audit-late" not in _audited(new_uow, invoice)


def test_a_read_inside_the_block_reads_the_writes_held_before_it(new_uow: NewUow, env: Env) -> None:
    invoice = _an_open_invoice(new_uow, env)
    paid = _card_payment(invoice, "pay-read", "pi_read")
    with new_uow() as uow:
        with uow.writes_together():
            uow.audit.record(_audit(invoice, "audit-read"))
            uow.invoices.update(paid, replacing=invoice)
            # On the driver's cursor: sent with the writes, in one round trip.
            read_back = uow.invoices.get(invoice.practice_id, invoice.id)
            uow.audit.record(_audit(invoice, "audit-after"))
            # Through SQLAlchemy: the writes held back go first, on their own.
            audited = [e.id for e in uow.audit.for_subject(invoice.practice_id, invoice.id)]
        uow.commit()

    assert read_back == paid
    assert {"audit-read", "audit-after"} <= set(audited)
    assert {"audit-read", "audit-after"} <= set(_audited(new_uow, invoice))


def test_a_write_over_a_record_changed_meanwhile_is_refused_at_the_read_it_travels_with(
    new_uow: NewUow, env: Env
) -> None:
    invoice = _an_open_invoice(new_uow, env)
    _paid_by_another(new_uow, invoice, "pay-one")

    def pay_and_read(late: SqlAlchemyUnitOfWork) -> None:
        with late.writes_together():
            late.invoices.update(_card_payment(invoice, "pay-two", "pi_two"), replacing=invoice)
            late.invoices.get(invoice.practice_id, invoice.id)
            pytest.fail("the read returned as if the write had gone in")

    with new_uow() as late, pytest.raises(StaleEdit):
        pay_and_read(late)


def test_writes_held_back_go_with_the_commit_and_a_stale_one_leaves_nothing_committed(
    new_uow: NewUow, env: Env
) -> None:
    invoice = _an_open_invoice(new_uow, env)
    with new_uow() as first, first.writes_together():
        first.audit.record(_audit(invoice, "audit-first"))
        paid = _card_payment(invoice, "pay-first", "pi_first")
        first.invoices.update(paid, replacing=invoice)
        first.commit()

    def void_and_commit(late: SqlAlchemyUnitOfWork) -> None:
        # A void adds no ledger entry to clash with the payment's: the stale write is the one
        # thing wrong, and the COMMIT sent with it must not keep the audit entry.
        voided = invoice.void(datetime(2026, 11, 25, 15, 32, tzinfo=UTC), "late", locale="en_US")
        with late.writes_together():
            late.audit.record(_audit(invoice, "audit-late"))
            late.invoices.update(voided, replacing=invoice)
            late.commit()

    with new_uow() as late, pytest.raises(StaleEdit):
        void_and_commit(late)
    with new_uow() as uow:
        stored = uow.invoices.get(invoice.practice_id, invoice.id)
    assert stored == paid
    audited = _audited(new_uow, invoice)
    assert "audit-first" in audited
    assert "audit-late" not in audited


def test_an_event_remembered_inside_the_block_is_known_after_the_next_read(
    new_uow: NewUow, env: Env
) -> None:
    practice = a_practice(new_uow(), env)
    at = datetime(2026, 11, 25, 15, 31, tzinfo=UTC)
    answers = []
    for _ in range(2):
        with new_uow() as uow:
            with uow.writes_together():
                first_time = uow.stripe_events.remember_later("evt_later", "x.y", at)
                assert uow.practices.get(practice.id) is not None
                answers.append(first_time())
            uow.commit()

    assert answers == [True, False]
