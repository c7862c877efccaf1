"""Recording money received by hand, and refunds: the ledger makes the amount paid."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from domain.errors import InvoiceIsVoid, InvoiceStateConflict, ValidationError
from domain.invoices import InvoiceStatus
from domain.money import Money
from domain.payments import EntryKind, PaymentMethod
from domain.ports import Env
from domain.usecases.invoicing import void_invoice
from domain.usecases.payments import (
    RecordPayment,
    record_manual_payment,
    record_manual_refund,
)
from factories import ACTOR, a_payment, a_practice, an_invoice, an_issued_invoice
from fakes import FakeUnitOfWork


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def refund(invoice_id: str, practice_id: str, amount: str) -> RecordPayment:
    return RecordPayment(practice_id, ACTOR, invoice_id, amount, "bank_transfer")  # type: ignore[arg-type]


def test_a_partial_payment_leaves_the_rest_to_pay(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    invoice = an_issued_invoice(uow, env, practice, lines=3, price="100.00")

    after = record_manual_payment(
        RecordPayment(practice.id, ACTOR, invoice.id, "120.50", "bank_transfer", None, " TX-1 "),
        uow,
        env,
    )

    assert after.status is InvoiceStatus.PARTIALLY_PAID
    assert after.amount_paid == usd("120.50")
    assert after.balance == usd("179.50")
    (entry,) = after.ledger
    assert entry.kind is EntryKind.PAYMENT
    assert entry.method is PaymentMethod.BANK_TRANSFER
    assert entry.reference == "TX-1"
    assert entry.received_at == env.clock.now()
    assert entry.recorded_by == ACTOR


def test_the_amount_paid_is_the_sum_of_the_ledger(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    invoice = an_issued_invoice(uow, env, practice, lines=1, price="100.00")

    for amount in ("10.00", "20.00", "70.00"):
        invoice = a_payment(uow, env, practice, invoice, amount)

    with uow:
        kept = uow.invoices.get(practice.id, invoice.id)
    assert kept is not None
    assert kept.amount_paid == usd("100.00")
    assert kept.balance == usd("0.00")
    assert kept.status is InvoiceStatus.PAID
    assert [entry.amount for entry in kept.ledger] == [usd("10.00"), usd("20.00"), usd("70.00")]


def test_a_payment_larger_than_the_balance_is_refused_with_the_balance_in_the_message(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    invoice = an_issued_invoice(uow, env, practice, lines=1, price="100.00")
    invoice = a_payment(uow, env, practice, invoice, "30.00")
    before = uow.committed

    with pytest.raises(ValidationError) as refused:
        a_payment(uow, env, practice, invoice, "70.01")

    assert refused.value.errors == {
        "amount": "$70.01 is more than the balance of $70.00 on INV-0001. Enter at most $70.00."
    }
    assert uow.committed == before


def test_an_absurdly_large_payment_is_refused_as_a_field_error(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    invoice = an_issued_invoice(uow, env, practice)
    before = uow.committed

    with pytest.raises(ValidationError) as refused:
        a_payment(uow, env, practice, invoice, "1" + "0" * 30)

    assert set(refused.value.errors) == {"amount"}
    assert "too large" in refused.value.errors["amount"]
    assert uow.committed == before


def test_a_paid_invoice_takes_no_further_payment(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    invoice = an_issued_invoice(uow, env, practice, lines=1, price="100.00")
    invoice = a_payment(uow, env, practice, invoice, "100.00")
    before = uow.committed

    with pytest.raises(ValidationError) as refused:
        a_payment(uow, env, practice, invoice, "0.01")

    assert "balance of $0.00" in refused.value.errors["amount"]
    assert uow.committed == before


def test_a_payment_on_a_void_invoice_is_refused(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    invoice = an_issued_invoice(uow, env, practice)
    void_invoice(practice.id, invoice.id, "duplicate", ACTOR, uow, env)
    before = uow.committed

    with pytest.raises(InvoiceIsVoid, match="no payment can be recorded"):
        a_payment(uow, env, practice, invoice, "10.00")

    assert uow.committed == before


def test_a_payment_on_a_draft_is_refused_until_it_is_issued(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    draft = an_invoice(uow, env, practice)
    before = uow.committed

    with pytest.raises(InvoiceStateConflict, match="Issue it before recording a payment"):
        a_payment(uow, env, practice, draft, "10.00")

    assert uow.committed == before


def test_a_payment_received_on_an_earlier_day_is_dated_noon_that_day_in_the_practices_zone(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env, time_zone="Asia/Tokyo", currency="JPY")
    invoice = an_issued_invoice(uow, env, practice, lines=1, price="8000")

    after = a_payment(uow, env, practice, invoice, "8000", received_on=date(2025, 3, 10))

    assert after.ledger[0].received_at == datetime(2025, 3, 10, 12, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert after.status is InvoiceStatus.PAID


def test_a_payment_dated_in_the_future_is_refused(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    invoice = an_issued_invoice(uow, env, practice)
    before = uow.committed

    with pytest.raises(ValidationError) as refused:
        a_payment(uow, env, practice, invoice, "10.00", received_on=date(2025, 3, 15))

    assert refused.value.errors == {
        "received_on": "The payment date is in the future. Pick today or an earlier day."
    }
    assert uow.committed == before


def test_today_is_the_practices_today_not_utcs(uow: FakeUnitOfWork, env: Env) -> None:
    # 15:00 UTC on the 14th is already the 15th in Auckland.
    practice = a_practice(uow, env, time_zone="Pacific/Auckland")
    invoice = an_issued_invoice(uow, env, practice)

    after = a_payment(uow, env, practice, invoice, "10.00", received_on=date(2025, 3, 15))

    assert after.ledger[0].received_at == datetime(2025, 3, 14, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("amount", "method", "field", "hint"),
    [
        ("0", "cash", "amount", "greater than 0"),
        ("-5", "cash", "amount", "greater than 0"),
        ("10.005", "cash", "amount", "at most 2 decimals"),
        ("ten", "cash", "amount", "'ten' is not a number"),
        ("10.00", "cheque", "method", "Choose card, cash, bank transfer, other"),
    ],
)
def test_a_bad_payment_names_the_field_and_the_fix(
    uow: FakeUnitOfWork, env: Env, amount: str, method: str, field: str, hint: str
) -> None:
    practice = a_practice(uow, env)
    invoice = an_issued_invoice(uow, env, practice)
    before = uow.committed

    with pytest.raises(ValidationError) as refused:
        a_payment(uow, env, practice, invoice, amount, method=method)

    assert set(refused.value.errors) == {field}
    assert hint in refused.value.errors[field]
    assert uow.committed == before


def test_a_payment_is_audited_with_ids_and_amounts_only(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    invoice = an_issued_invoice(uow, env, practice)

    after = a_payment(uow, env, practice, invoice, "12.34")

    with uow:
        event = uow.audit.for_subject(practice.id, invoice.id)[-1]
    assert (event.actor, event.action, event.at) == (ACTOR, "payment.recorded", env.clock.now())
    assert event.details == {
        "payment_id": after.ledger[0].id,
        "method": "cash",
        "amount_minor": "1234",
        "currency": "USD",
    }


# -- refunds ----------------------------------------------------------------------------------


def test_a_refund_reduces_the_amount_paid(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    invoice = an_issued_invoice(uow, env, practice, lines=1, price="100.00")
    invoice = a_payment(uow, env, practice, invoice, "100.00")

    after = record_manual_refund(refund(invoice.id, practice.id, "25.00"), uow, env)

    assert after.amount_paid == usd("75.00")
    assert after.balance == usd("25.00")
    assert after.status is InvoiceStatus.PARTIALLY_PAID
    assert after.ledger[-1].kind is EntryKind.REFUND


def test_a_refund_larger_than_what_was_paid_is_refused(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    invoice = an_issued_invoice(uow, env, practice, lines=1, price="100.00")
    invoice = a_payment(uow, env, practice, invoice, "40.00")
    before = uow.committed

    with pytest.raises(ValidationError) as refused:
        record_manual_refund(refund(invoice.id, practice.id, "40.01"), uow, env)

    assert refused.value.errors == {
        "amount": "A refund of $40.01 is more than the $40.00 paid. Enter at most $40.00."
    }
    assert uow.committed == before


def test_an_invoice_with_money_paid_cannot_be_voided(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    invoice = an_issued_invoice(uow, env, practice)
    a_payment(uow, env, practice, invoice, "50.00")
    before = uow.committed

    with pytest.raises(InvoiceStateConflict, match=r"\$50\.00 paid on it\. Refund the payments"):
        void_invoice(practice.id, invoice.id, "", ACTOR, uow, env)

    assert uow.committed == before


def test_an_invoice_refunded_in_full_can_be_voided(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    invoice = an_issued_invoice(uow, env, practice)
    a_payment(uow, env, practice, invoice, "50.00")
    record_manual_refund(refund(invoice.id, practice.id, "50.00"), uow, env)

    voided = void_invoice(practice.id, invoice.id, "client moved away", ACTOR, uow, env)

    assert voided.status is InvoiceStatus.VOID
    assert voided.amount_paid == usd("0.00")


def test_an_amount_on_a_void_invoice_is_refused_for_the_void_not_the_balance(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    invoice = an_issued_invoice(uow, env, practice)
    void_invoice(practice.id, invoice.id, "duplicate", ACTOR, uow, env)

    with pytest.raises(InvoiceIsVoid):
        a_payment(uow, env, practice, invoice, "999999.00")
