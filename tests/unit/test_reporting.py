"""Lists of invoices with filters, the practice's totals per currency, and the Home tab's
overview."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from domain.errors import ValidationError
from domain.invoices import Invoice, InvoiceStatus
from domain.money import Currency, Money
from domain.ports import Env, InvoiceFilter
from domain.practice import Practice
from domain.roles import Role
from domain.usecases.invoicing import void_invoice
from domain.usecases.payments import RecordPayment, record_manual_refund
from domain.usecases.reporting import (
    CurrencyTotals,
    billing_totals,
    home_overview,
    list_invoices,
    practice_summary,
)
from factories import (
    ACTOR,
    a_client,
    a_payment,
    a_practice,
    a_service,
    a_tax_rate,
    an_env,
    an_invoice,
    an_issued_invoice,
)
from fakes import FakeUnitOfWork, FixedClock


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


@dataclass
class Book:
    """A practice's invoices in every state, made on Friday 14 March 2025."""

    practice: Practice
    ada_draft: Invoice
    ada_overdue: Invoice
    grace_partly_paid: Invoice
    grace_paid: Invoice
    ada_void: Invoice


@pytest.fixture
def book(uow: FakeUnitOfWork, env: Env) -> Book:
    practice = a_practice(uow, env)
    ada = a_client(uow, env, practice, name="Ada")
    grace = a_client(uow, env, practice, name="Grace", email="grace@example.com")
    draft = an_invoice(uow, env, practice, client=ada, issue_date=date(2025, 3, 1))
    overdue = an_issued_invoice(
        uow, env, practice, client=ada, issue_date=date(2025, 3, 5), due_date=date(2025, 3, 10)
    )
    partly = an_issued_invoice(uow, env, practice, client=grace, issue_date=date(2025, 3, 12))
    partly = a_payment(uow, env, practice, partly, "100.00")
    paid = an_issued_invoice(
        uow, env, practice, client=grace, lines=1, issue_date=date(2025, 3, 13)
    )
    paid = a_payment(uow, env, practice, paid, "100.00")
    void = an_issued_invoice(uow, env, practice, client=ada, issue_date=date(2025, 3, 13))
    void = void_invoice(practice.id, void.id, "duplicate", ACTOR, uow, env)
    return Book(practice, draft, overdue, partly, paid, void)


def numbers(invoices: list[Invoice]) -> list[str]:
    return [invoice.number for invoice in invoices]


def totals_in(totals: list[CurrencyTotals], code: str) -> CurrencyTotals:
    (found,) = [line for line in totals if line.currency == Currency(code)]
    return found


# -- lists ------------------------------------------------------------------------------------


def test_all_invoices_are_listed_newest_number_first(uow: FakeUnitOfWork, book: Book) -> None:
    listed = list_invoices(book.practice.id, InvoiceFilter(), uow)

    assert numbers(listed) == ["INV-0005", "INV-0004", "INV-0003", "INV-0002", "INV-0001"]


def test_invoices_are_listed_by_status(uow: FakeUnitOfWork, book: Book) -> None:
    unpaid = InvoiceFilter(statuses=frozenset({InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID}))

    listed = list_invoices(book.practice.id, unpaid, uow)

    assert listed == [book.grace_partly_paid, book.ada_overdue]


def test_overdue_invoices_are_listed_for_a_given_day(uow: FakeUnitOfWork, book: Book) -> None:
    listed = list_invoices(book.practice.id, InvoiceFilter(overdue_on=date(2025, 3, 14)), uow)

    assert listed == [book.ada_overdue]


def test_invoices_are_listed_for_one_client(uow: FakeUnitOfWork, book: Book) -> None:
    listed = list_invoices(book.practice.id, InvoiceFilter(client_id=book.ada_draft.client_id), uow)

    assert listed == [book.ada_void, book.ada_overdue, book.ada_draft]


def test_an_issue_date_range_includes_both_ends(uow: FakeUnitOfWork, book: Book) -> None:
    march_5_to_12 = InvoiceFilter(issued_from=date(2025, 3, 5), issued_to=date(2025, 3, 12))

    listed = list_invoices(book.practice.id, march_5_to_12, uow)

    assert listed == [book.grace_partly_paid, book.ada_overdue]


def test_filters_combine_and_the_list_is_limited(uow: FakeUnitOfWork, book: Book) -> None:
    graces_paid = InvoiceFilter(
        statuses=frozenset({InvoiceStatus.PAID}), client_id=book.grace_paid.client_id
    )

    listed = list_invoices(book.practice.id, graces_paid, uow)
    newest_two = list_invoices(book.practice.id, InvoiceFilter(limit=2), uow)

    assert listed == [book.grace_paid]
    assert numbers(newest_two) == ["INV-0005", "INV-0004"]


def test_a_date_range_that_ends_before_it_starts_is_refused(
    uow: FakeUnitOfWork, book: Book
) -> None:
    backwards = InvoiceFilter(issued_from=date(2025, 3, 12), issued_to=date(2025, 3, 5))

    with pytest.raises(ValidationError) as refused:
        list_invoices(book.practice.id, backwards, uow)

    assert refused.value.errors == {"issued_to": "The end of the range is before its start."}


# -- totals -----------------------------------------------------------------------------------


def test_totals_show_what_is_outstanding_overdue_and_paid_this_month(
    uow: FakeUnitOfWork, env: Env, book: Book
) -> None:
    totals = billing_totals(book.practice.id, uow, env)

    (usd_totals,) = totals
    assert usd_totals.currency == Currency("USD")
    assert usd_totals.outstanding == usd("500.00")
    assert usd_totals.overdue == usd("300.00")
    assert usd_totals.paid_this_month == usd("200.00")
    assert (usd_totals.unpaid_count, usd_totals.overdue_count) == (2, 1)


def test_a_practice_with_nothing_billed_sees_zeros_in_its_currency(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env, currency="JPY")

    totals = billing_totals(practice.id, uow, env)

    zero = Money.of(0, "JPY")
    assert [(t.currency.code, t.outstanding, t.overdue, t.paid_this_month) for t in totals] == [
        ("JPY", zero, zero, zero)
    ]


def test_refunds_reduce_what_was_paid_this_month(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    invoice = an_issued_invoice(uow, env, practice, lines=1)
    a_payment(uow, env, practice, invoice, "100.00")
    record_manual_refund(RecordPayment(practice.id, ACTOR, invoice.id, "30.00", "cash"), uow, env)

    totals = billing_totals(practice.id, uow, env)

    assert totals_in(totals, "USD").paid_this_month == usd("70.00")
    assert totals_in(totals, "USD").outstanding == usd("30.00")


def test_a_payment_dated_last_month_is_not_paid_this_month(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    invoice = an_issued_invoice(uow, env, practice, lines=1, issue_date=date(2025, 2, 20))

    a_payment(uow, env, practice, invoice, "100.00", received_on=date(2025, 2, 28))

    assert totals_in(billing_totals(practice.id, uow, env), "USD").paid_this_month == usd("0.00")


def test_the_month_turns_at_midnight_in_the_practices_zone(
    uow: FakeUnitOfWork, env: Env, clock: FixedClock
) -> None:
    practice = a_practice(uow, env, time_zone="America/New_York")
    # 03:00 UTC on 1 March is still 22:00 on 28 February in New York.
    clock.set(datetime(2025, 3, 1, 3, 0, tzinfo=UTC))
    invoice = an_issued_invoice(uow, env, practice, lines=1)
    a_payment(uow, env, practice, invoice, "100.00")

    february = totals_in(billing_totals(practice.id, uow, env), "USD")
    clock.set(datetime(2025, 3, 1, 5, 0, tzinfo=UTC))  # midnight in New York
    march = totals_in(billing_totals(practice.id, uow, env), "USD")

    assert february.paid_this_month == usd("100.00")
    assert march.paid_this_month == usd("0.00")


def test_an_invoice_counts_as_overdue_from_midnight_in_the_practices_zone(
    uow: FakeUnitOfWork, env: Env, clock: FixedClock
) -> None:
    practice = a_practice(uow, env, time_zone="Pacific/Auckland")
    an_issued_invoice(
        uow, env, practice, lines=1, issue_date=date(2025, 3, 6), due_date=date(2025, 3, 20)
    )
    clock.set(datetime(2025, 3, 20, 10, 59, tzinfo=UTC))  # 23:59 on the 20th in Auckland

    on_the_due_date = totals_in(billing_totals(practice.id, uow, env), "USD")
    clock.advance(minutes=1)
    the_day_after = totals_in(billing_totals(practice.id, uow, env), "USD")

    assert on_the_due_date.overdue == usd("0.00")
    assert the_day_after.overdue == usd("100.00")
    assert the_day_after.overdue_count == 1


def test_overdue_list_uses_the_practices_today_not_utcs(uow: FakeUnitOfWork) -> None:
    # 02:00 UTC on 11 March is still 10 March in Los Angeles: an invoice due on 10 March
    # is not overdue there yet, though it would be by the UTC date.
    env, _ = an_env(datetime(2025, 3, 11, 2, 0, tzinfo=UTC))
    practice = a_practice(uow, env, time_zone="America/Los_Angeles")
    an_issued_invoice(uow, env, practice, issue_date=date(2025, 3, 1), due_date=date(2025, 3, 10))

    listed = list_invoices(practice.id, InvoiceFilter(), uow, env, overdue=True)

    assert listed == []


# -- summary and Home ---------------------------------------------------------------------------


def test_the_summary_shows_the_newest_invoices_with_the_totals(
    uow: FakeUnitOfWork, env: Env, book: Book
) -> None:
    summary = practice_summary(book.practice, 2, uow, env)

    assert [listing.number for listing in summary.latest] == ["INV-0005", "INV-0004"]
    assert list(summary.totals) == billing_totals(book.practice.id, uow, env)


def test_the_home_overview_counts_the_active_rates_and_services_for_the_setup_checklist(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    a_tax_rate(uow, env, practice)
    a_service(uow, env, practice)
    a_service(uow, env, practice)

    overview = home_overview(practice, Role.STAFF, 5, uow, env)

    assert (overview.active_tax_rates, overview.active_services) == (1, 2)


def test_the_home_overview_shows_billing_roles_the_summary(
    uow: FakeUnitOfWork, env: Env, book: Book
) -> None:
    overview = home_overview(book.practice, Role.STAFF, 3, uow, env)

    assert overview.summary == practice_summary(book.practice, 3, uow, env)


def test_the_home_overview_shows_no_billing_data_to_someone_without_a_role(
    uow: FakeUnitOfWork, env: Env, book: Book
) -> None:
    overview = home_overview(book.practice, None, 3, uow, env)

    assert overview.summary is None
