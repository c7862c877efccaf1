"""Lists of invoices with filters, and the practice's totals per currency."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from billing_bot.domain.errors import ValidationError
from billing_bot.domain.ids import PracticeId
from billing_bot.domain.invoices import Invoice
from billing_bot.domain.money import Currency, Money
from billing_bot.domain.ports import InvoiceFilter, UnitOfWork
from billing_bot.domain.usecases._common import Env, load_practice, practice_today


def list_invoices(
    practice_id: PracticeId,
    criteria: InvoiceFilter,
    uow: UnitOfWork,
    env: Env | None = None,
    *,
    overdue: bool = False,
) -> list[Invoice]:
    """The practice's invoices that match every given criterion, newest number first.

    `overdue=True` keeps the unpaid ones past due on the practice's today (in its time
    zone), which needs `env` for the clock.
    """
    if criteria.issued_from and criteria.issued_to and criteria.issued_to < criteria.issued_from:
        raise ValidationError.single("issued_to", "The end of the range is before its start.")
    with uow:
        practice = load_practice(uow, practice_id)
        if overdue:
            if env is None:
                raise TypeError("overdue=True needs env to know the practice's today")
            criteria = replace(criteria, overdue_on=practice_today(practice, env))
        return uow.invoices.find(practice_id, criteria)


@dataclass(frozen=True, slots=True)
class CurrencyTotals:
    currency: Currency
    outstanding: Money
    overdue: Money
    paid_this_month: Money
    unpaid_count: int
    overdue_count: int


def _month_bounds(today: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    first = today.replace(day=1)
    following = (
        first.replace(year=first.year + 1, month=1)
        if first.month == 12
        else first.replace(month=first.month + 1)
    )
    return (
        datetime.combine(first, time(0), tzinfo=zone),
        datetime.combine(following, time(0), tzinfo=zone),
    )


def billing_totals(practice_id: PracticeId, uow: UnitOfWork, env: Env) -> list[CurrencyTotals]:
    """Outstanding, overdue and paid-this-month per currency (months in the practice's zone)."""
    with uow:
        practice = load_practice(uow, practice_id)
        today = practice_today(practice, env)
        unpaid = uow.invoices.unpaid(practice_id)
        start, end = _month_bounds(today, practice.zone)
        received = uow.invoices.payments_between(practice_id, start, end)
    outstanding: dict[Currency, Money] = {}
    overdue: dict[Currency, Money] = {}
    counts: dict[Currency, list[int]] = defaultdict(lambda: [0, 0])
    for invoice in unpaid:
        currency = invoice.currency
        outstanding[currency] = outstanding.get(currency, currency.zero()) + invoice.balance
        counts[currency][0] += 1
        if invoice.is_overdue(today):
            overdue[currency] = overdue.get(currency, currency.zero()) + invoice.balance
            counts[currency][1] += 1
    paid: dict[Currency, Money] = {}
    for amount in received:
        paid[amount.currency] = paid.get(amount.currency, amount.currency.zero()) + amount
    currencies = sorted(set(outstanding) | set(paid) | {practice.currency}, key=lambda c: c.code)
    return [
        CurrencyTotals(
            currency,
            outstanding.get(currency, currency.zero()),
            overdue.get(currency, currency.zero()),
            paid.get(currency, currency.zero()),
            counts[currency][0],
            counts[currency][1],
        )
        for currency in currencies
    ]
