"""Writes sent together (`UnitOfWork.writes_together`, PostgreSQL's pipeline mode): what a
block writes is stored as if written one by one, a write over a record changed meanwhile
still refuses (StaleEdit) and leaves nothing of its transaction, and a statement that could
not run inside the block is an error rather than a wrong answer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

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


@pytest.mark.postgres
def test_a_statement_through_sqlalchemy_inside_the_block_is_an_error(
    backend: str, new_uow: NewUow
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite sends nothing together")
    with new_uow() as uow:
        session = uow.invoices._session  # what a careless repository would use

        def read_inside() -> None:
            with uow.writes_together():
                session.execute(text("SELECT 1"))

        with pytest.raises(RuntimeError, match="inside sent_together"):
            read_inside()
        # The block is over: SQLAlchemy's statements work again.
        assert session.execute(text("SELECT 1")).scalar() == 1
