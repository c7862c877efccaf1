"""Lists of invoices with filters, the practice's totals per currency, and the Home tab's
overview built on them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from domain.errors import ValidationError
from domain.ids import PracticeId
from domain.invoices import Invoice, InvoiceListing, UnpaidTotals
from domain.money import Currency, Money
from domain.ports import Env, InvoiceFilter, UnitOfWork
from domain.practice import Practice
from domain.roles import Role
from domain.usecases._common import load_practice


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
            criteria = replace(criteria, overdue_on=env.today_at(practice))
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
        return list(_summary(load_practice(uow, practice_id), 0, uow, env).totals)


@dataclass(frozen=True, slots=True)
class PracticeSummary:
    latest: tuple[InvoiceListing, ...]
    """The newest invoices first, with their clients' names."""
    totals: tuple[CurrencyTotals, ...]
    """`billing_totals`: the practice's own currency and any other it billed, in code order."""


def practice_summary(practice: Practice, latest: int, uow: UnitOfWork, env: Env) -> PracticeSummary:
    """The `latest` newest invoices and the totals of `practice`, in one read (every /invoice
    and Home refresh shows them).

    It takes the practice its caller already holds rather than its id: the totals need only
    its time zone and currency, and reading it again would cost each refresh a round trip."""
    with uow:
        return _summary(practice, latest, uow, env)


def _summary(practice: Practice, latest: int, uow: UnitOfWork, env: Env) -> PracticeSummary:
    """`practice_summary` inside a unit of work a use case of this module has open."""
    today = env.today_at(practice)
    start, end = _month_bounds(today, practice.zone)
    overview = uow.invoices.overview(
        practice.id, latest=latest, today=today, received_from=start, received_to=end
    )
    unpaid = {totals.outstanding.currency: totals for totals in overview.unpaid}
    paid = {amount.currency: amount for amount in overview.received}
    currencies = sorted(set(unpaid) | set(paid) | {practice.currency}, key=lambda c: c.code)
    totals = tuple(
        CurrencyTotals(
            currency,
            owed.outstanding,
            owed.overdue,
            paid.get(currency, currency.zero()),
            owed.unpaid_count,
            owed.overdue_count,
        )
        for currency in currencies
        for owed in [unpaid.get(currency) or _nothing_owed(currency)]
    )
    return PracticeSummary(overview.latest, totals)


@dataclass(frozen=True, slots=True)
class HomeOverview:
    """What the Home tab shows of a practice besides its billing details."""

    active_tax_rates: int
    active_services: int
    summary: PracticeSummary | None
    """The latest invoices and totals; None for someone without a billing role."""


def home_overview(
    practice: Practice, role: Role | None, latest: int, uow: UnitOfWork, env: Env
) -> HomeOverview:
    """How far the practice's setup is, and for billing roles only its `latest` newest
    invoices and totals. Takes the practice its caller holds, as `practice_summary` does."""
    with uow:
        rates = len(uow.tax_rates.list(practice.id))
        services = len(uow.service_types.list(practice.id))
        summary = None if role is None else _summary(practice, latest, uow, env)
    return HomeOverview(rates, services, summary)


def _nothing_owed(currency: Currency) -> UnpaidTotals:
    return UnpaidTotals(currency.zero(), 0, currency.zero(), 0)
