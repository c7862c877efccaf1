"""The filtered invoice list on SQLite and PostgreSQL: each filter, pages in a stable order,
totals over the whole filter (not the page), and one practice never listing another's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

import pytest
from storage_scenario import ADMIN, Setup, a_practice_with_records

from domain.clients import Client
from domain.invoices import UNPAID_STATUSES, Invoice, InvoiceStatus, LineInput, ListedTotals
from domain.money import Money
from domain.ports import Env, InvoiceFilter
from domain.usecases import invoicing, payments, records

NOV = (date(2026, 11, 1), date(2026, 11, 30))
TODAY = date(2026, 11, 25)


@dataclass(frozen=True)
class Book:
    a: Setup
    b: Setup
    grace: Client
    invoices: list[Invoice]
    """Practice A's invoices as stored, oldest first."""


def _invoice(
    uow, env: Env, setup: Setup, client: Client, price: str, issued: date, *, issue: bool
) -> Invoice:
    line = LineInput(issued, "Session", Decimal(1), Money.of(price, "USD"), None)
    return invoicing.create_invoice(
        invoicing.CreateInvoice(
            setup.practice.id, ADMIN, client.id, (line,), issued, issued, issue=issue
        ),
        uow,
        env,
    )


@pytest.fixture
def book(uow, env: Env) -> Book:
    a = a_practice_with_records(uow, env, "T0PRACTICEA", "Practice A")
    b = a_practice_with_records(uow, env, "T0PRACTICEB", "Practice B")
    grace = records.add_client(
        records.AddClient(a.practice.id, ADMIN, records.ClientDetails("Grace Hopper", "g@x.org")),
        uow,
        env,
    )
    made = []
    for n in range(23):
        client = grace if n % 3 == 0 else a.client
        issued = date(2026, 10, 20) + (date(2026, 10, 2) - date(2026, 10, 1)) * n
        issue = n % 5 != 0
        invoice = _invoice(uow, env, a, client, f"{100 + n}.{n:02d}", issued, issue=issue)
        if issue and n % 4 == 1:
            invoice = payments.record_manual_payment(
                payments.RecordPayment(a.practice.id, ADMIN, invoice.id, "10.00", "cash"), uow, env
            )
        if issue and n % 7 == 2:
            invoice = payments.record_manual_payment(
                payments.RecordPayment(
                    a.practice.id, ADMIN, invoice.id, invoice.balance.amount, "cash"
                ),
                uow,
                env,
            )
        if n == 8:
            invoice = invoicing.void_invoice(a.practice.id, invoice.id, "dup", ADMIN, uow, env)
        made.append(invoice)
    _invoice(uow, env, b, b.client, "999.99", date(2026, 11, 2), issue=True)
    return Book(a, b, grace, made)


def _expected(book: Book, keep: Callable[[Invoice], bool]) -> list[Invoice]:
    return sorted((i for i in book.invoices if keep(i)), key=lambda i: -i.sequence)


def _all_pages(uow, book: Book, criteria: InvoiceFilter) -> tuple[list[str], list[ListedTotals]]:
    numbers: list[str] = []
    totals: list[ListedTotals] = []
    before = None
    with uow:
        while True:
            page = uow.invoices.page(book.a.practice.id, replace(criteria, before_sequence=before))
            numbers += [row.number for row in page.rows]
            totals.append(list(page.totals))
            if page.next_before is None:
                return numbers, totals
            before = page.next_before


FILTERS: dict[str, tuple[InvoiceFilter, Callable[[Invoice, Book], bool]]] = {
    "everything": (InvoiceFilter(), lambda i, b: True),
    "unpaid": (InvoiceFilter(statuses=UNPAID_STATUSES), lambda i, b: i.status in UNPAID_STATUSES),
    "overdue": (
        InvoiceFilter(statuses=UNPAID_STATUSES, overdue_on=TODAY),
        lambda i, b: i.is_overdue(TODAY),
    ),
    "paid": (
        InvoiceFilter(statuses=frozenset({InvoiceStatus.PAID})),
        lambda i, b: i.status is InvoiceStatus.PAID,
    ),
    "draft": (
        InvoiceFilter(statuses=frozenset({InvoiceStatus.DRAFT})),
        lambda i, b: i.status is InvoiceStatus.DRAFT,
    ),
    "void": (
        InvoiceFilter(statuses=frozenset({InvoiceStatus.VOID})),
        lambda i, b: i.status is InvoiceStatus.VOID,
    ),
    "november": (
        InvoiceFilter(issued_from=NOV[0], issued_to=NOV[1]),
        lambda i, b: NOV[0] <= i.issue_date <= NOV[1],
    ),
}


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_each_filter_lists_what_it_holds_newest_first_with_its_totals(uow, book: Book, name):
    criteria, keep = FILTERS[name]
    expected = _expected(book, lambda i: keep(i, book))

    numbers, totals = _all_pages(uow, book, replace(criteria, limit=5))

    assert expected, "every filter holds some of the book's invoices"
    assert numbers == [i.number for i in expected]
    # Every page carries the totals of the whole filter, not of itself.
    assert all(page_totals == ListedTotals.of(expected) for page_totals in totals)


def test_a_clients_unpaid_invoices_in_a_month(uow, book: Book):
    criteria = InvoiceFilter(
        statuses=UNPAID_STATUSES, client_id=book.grace.id, issued_from=NOV[0], issued_to=NOV[1]
    )
    expected = _expected(
        book,
        lambda i: (
            i.client_id == book.grace.id
            and i.status in UNPAID_STATUSES
            and NOV[0] <= i.issue_date <= NOV[1]
        ),
    )

    numbers, _ = _all_pages(uow, book, criteria)

    assert numbers == [i.number for i in expected] and expected


def test_the_next_page_is_the_same_after_a_new_invoice_is_added(uow, env, book: Book):
    with uow:
        first = uow.invoices.page(book.a.practice.id, InvoiceFilter(limit=5))
    _invoice(uow, env, book.a, book.grace, "1.00", date(2026, 11, 20), issue=True)

    with uow:
        second = uow.invoices.page(
            book.a.practice.id, InvoiceFilter(limit=5, before_sequence=first.next_before)
        )

    newest_first = [i.number for i in _expected(book, lambda i: True)]
    assert [row.number for row in first.rows] == newest_first[:5]
    assert [row.number for row in second.rows] == newest_first[5:10]


def test_a_page_shows_the_client_name_amounts_and_due_date(uow, book: Book):
    with uow:
        page = uow.invoices.page(book.a.practice.id, InvoiceFilter(limit=1))

    newest = book.invoices[-1]
    (row,) = page.rows
    assert (row.number, row.client_name, row.total, row.balance, row.due_date) == (
        newest.number,
        "Grace Hopper" if newest.client_id == book.grace.id else "Ada Lovelace",
        newest.total,
        newest.balance,
        newest.due_date,
    )


def test_one_practice_never_lists_anothers_invoices(uow, book: Book):
    with uow:
        b_page = uow.invoices.page(book.b.practice.id, InvoiceFilter())
        crafted = uow.invoices.page(book.b.practice.id, InvoiceFilter(client_id=book.grace.id))

    assert [row.client_name for row in b_page.rows] == ["Ada Lovelace"]
    assert [t.total for t in b_page.totals] == [Money.of("999.99", "USD")]
    assert crafted.rows == () and crafted.totals == ()
