"""Record money received by hand (cash, bank transfer) and refunds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import partial

from domain.errors import FieldErrors, InvalidValue
from domain.ids import InvoiceId, PaymentId, PracticeId
from domain.invoices import Invoice
from domain.money import Money, parse_amount
from domain.payments import EntryKind, LedgerEntry, PaymentMethod
from domain.ports import Env, UnitOfWork
from domain.practice import Practice
from domain.text import optional_text
from domain.usecases import _reminder_plans
from domain.usecases._common import audit, load_practice
from domain.usecases.invoicing import load_invoice


@dataclass(frozen=True, slots=True)
class RecordPayment:
    practice_id: PracticeId
    actor: str
    invoice_id: InvoiceId
    amount: str | Decimal
    method: PaymentMethod | str
    received_on: date | None = None
    reference: str = ""


def _positive_amount(value: str | Decimal, invoice: Invoice, locale: str) -> Money:
    if isinstance(value, float):
        raise TypeError("an amount must be a Decimal or text, not a float")
    amount = parse_amount(value, invoice.currency, locale) if isinstance(value, str) else value
    if amount <= 0:
        raise InvalidValue("Enter an amount greater than 0.")
    if amount != amount.quantize(invoice.currency.quantum):
        raise InvalidValue(
            f"{invoice.currency.code} amounts have at most {invoice.currency.exponent} decimals."
        )
    return Money(amount, invoice.currency)


def _method(value: PaymentMethod | str) -> PaymentMethod:
    try:
        return PaymentMethod(value)
    except ValueError:
        choices = ", ".join(method.label.lower() for method in PaymentMethod)
        raise InvalidValue(f"'{value}' is not a payment method. Choose {choices}.") from None


def _received_at(practice: Practice, received_on: date | None, env: Env) -> datetime:
    """A date a person picked, as a moment: noon in the practice's zone keeps the day the same
    in every zone a report may use."""
    today = env.today_at(practice)
    if received_on is None or received_on == today:
        return env.clock.now()
    if received_on > today:
        raise InvalidValue("The payment date is in the future. Pick today or an earlier day.")
    return datetime.combine(received_on, time(12), tzinfo=practice.zone)


def _record(
    cmd: RecordPayment, kind: EntryKind, uow: UnitOfWork, env: Env
) -> tuple[Invoice, LedgerEntry]:
    with uow:
        practice = load_practice(uow, cmd.practice_id)
        invoice = load_invoice(uow, practice.id, cmd.invoice_id)
        # The invoice's state is the first thing to tell: no amount would be accepted.
        invoice.check_can_take_payments()
        errors = FieldErrors()
        amount = errors.check(
            "amount", partial(_positive_amount, cmd.amount, invoice, practice.locale)
        )
        method = errors.check("method", partial(_method, cmd.method))
        received_at = errors.check(
            "received_on", partial(_received_at, practice, cmd.received_on, env)
        )
        reference = errors.check(
            "reference", partial(optional_text, cmd.reference, label="reference", max_length=120)
        )
        if kind is EntryKind.PAYMENT and amount is not None and amount > invoice.balance:
            owed = invoice.balance.format(practice.locale)
            balance = owed if not invoice.balance.is_negative else "nothing"
            errors.add(
                "amount",
                f"{amount.format(practice.locale)} is more than the balance of {owed} on "
                f"{invoice.number}. Enter at most {balance}.",
            )
        errors.raise_if_any()
        assert amount is not None and method is not None and received_at is not None
        entry = LedgerEntry(
            id=PaymentId(env.ids.new_id()),
            kind=kind,
            method=method,
            amount=amount,
            received_at=received_at,
            recorded_by=cmd.actor,
            reference=reference or "",
        )
        updated = invoice.record(entry, locale=practice.locale)
        uow.invoices.update(updated)
        _reminder_plans.invoice_changed(uow, env, invoice, updated)
        audit(
            uow,
            env,
            practice.id,
            cmd.actor,
            f"{kind.value}.recorded",
            "invoice",
            invoice.id,
            payment_id=entry.id,
            method=method.value,
            amount_minor=str(amount.minor_units),
            currency=amount.currency.code,
        )
        uow.commit()
        return updated, entry


def record_manual_payment(cmd: RecordPayment, uow: UnitOfWork, env: Env) -> Invoice:
    """Record cash, a bank transfer or another payment taken outside Stripe.

    Refused when larger than the balance (the message quotes it) or on a void invoice."""
    invoice, _ = _record(cmd, EntryKind.PAYMENT, uow, env)
    return invoice


def record_manual_refund(cmd: RecordPayment, uow: UnitOfWork, env: Env) -> Invoice:
    """Record money given back outside Stripe; at most what has been paid."""
    invoice, _ = _record(cmd, EntryKind.REFUND, uow, env)
    return invoice
