"""The invoice totals rollup: per practice, status, month of issue and currency, how many
invoices there are and what they total and still owe, kept as invoices are written and read
by `/invoice list` instead of summing the practice's whole history on every request.

`move_totals` is the only writer: the invoice repository calls it in the transaction that
writes the invoice, with the invoice as stored before (None for a new one) and after. It
adds to the sums rather than setting them, in one statement per bucket touched, so
concurrent writers of one bucket queue on its row and each adds its own change to what the
other committed; buckets are touched in key order, so two writers never wait on each other
in a circle.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from domain.ids import PracticeId
from domain.invoices import Invoice, InvoiceStatus, ListedTotals
from domain.money import Currency
from storage.orm import InvoiceTotalsRow
from storage.rendered import RenderedStatement

_Bucket = tuple[str, date, str]
"""(status, first day of the issue month, currency code): the rollup's key in a practice."""
_SUMS = ("invoice_count", "total_minor", "balance_minor")


def issue_month(day: date) -> date:
    """The rollup's month of an issue date: its month's first day."""
    return day.replace(day=1)


def _contribution(invoice: Invoice) -> tuple[_Bucket, tuple[int, int, int]]:
    """Where an invoice counts and what it adds there: the amounts the invoice's own row
    stores (`total_minor`, `total_minor - paid_minor`), so the rollup and a direct sum over
    the rows agree to the minor unit."""
    total = invoice.total.minor_units
    bucket = (invoice.status.value, issue_month(invoice.issue_date), invoice.currency.code)
    return bucket, (1, total, total - invoice.amount_paid.minor_units)


_KEY = ("practice_id", "status", "issue_month", "currency")
_COLUMNS = (*_KEY, *_SUMS)


@functools.lru_cache(maxsize=8)
def _upsert(dialect: Dialect, buckets: int) -> RenderedStatement:
    """INSERT of the changes of `buckets` buckets that adds them to the rows already there,
    in one statement (a payment moves two); rendered once and run on the driver's cursor
    (`storage.rendered`). The database takes VALUES rows in order, so the buckets are
    still touched in key order."""
    dialect_insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(InvoiceTotalsRow).values(
        [{name: bindparam(f"{name}_{number}") for name in _COLUMNS} for number in range(buckets)]
    )
    return RenderedStatement(
        statement.on_conflict_do_update(
            index_elements=[getattr(InvoiceTotalsRow, name) for name in _KEY],
            set_={
                name: getattr(InvoiceTotalsRow, name) + statement.excluded[name] for name in _SUMS
            },
        ),
        dialect,
    )


def move_totals(
    session: Session, practice_id: PracticeId, before: Invoice | None, after: Invoice | None
) -> None:
    """Move the practice's rollup from counting `before` to counting `after` (either None:
    the invoice is new, or gone), in the session's transaction."""
    changes: dict[_Bucket, list[int]] = {}
    for invoice, sign in ((before, -1), (after, 1)):
        if invoice is None:
            continue
        bucket, sums = _contribution(invoice)
        moved = changes.setdefault(bucket, [0, 0, 0])
        for at, value in enumerate(sums):
            moved[at] += sign * value
    values: dict[str, object] = {}
    buckets = 0
    for (status, month, currency), moved in sorted(changes.items()):
        if not any(moved):
            continue
        row = (practice_id, status, month, currency, *moved)
        values |= {f"{name}_{buckets}": value for name, value in zip(_COLUMNS, row, strict=True)}
        buckets += 1
    if buckets:
        _upsert(session.get_bind().dialect, buckets).in_session(session, **values)


def rollup_answers(issued_from: date | None, issued_to: date | None) -> bool:
    """Whether the rollup holds the totals of invoices issued between these days (both
    included; None: unbounded): only whole months, as `/invoice list` asks for."""
    starts_a_month = issued_from is None or issued_from.day == 1
    ends_a_month = issued_to is None or (issued_to + timedelta(days=1)).day == 1
    return starts_a_month and ends_a_month


@functools.cache
def _totals_query(*, statuses: bool, months: bool) -> Select[Any]:
    where: list[ColumnElement[bool]] = [InvoiceTotalsRow.practice_id == bindparam("practice_id")]
    if statuses:
        where.append(InvoiceTotalsRow.status.in_(bindparam("statuses", expanding=True)))
    if months:
        where.append(InvoiceTotalsRow.issue_month >= bindparam("first_month"))
        where.append(InvoiceTotalsRow.issue_month <= bindparam("last_month"))
    count = func.sum(InvoiceTotalsRow.invoice_count)
    return (
        select(
            InvoiceTotalsRow.currency,
            count,
            func.sum(InvoiceTotalsRow.total_minor),
            func.sum(InvoiceTotalsRow.balance_minor),
        )
        .where(*where)
        .group_by(InvoiceTotalsRow.currency)
        # Emptied buckets stay at zero; a currency none of the filter's invoices are in is not
        # listed, as a direct sum would not list it.
        .having(count > 0)
        .order_by(InvoiceTotalsRow.currency)
    )


def read_totals(
    session: Session,
    practice_id: PracticeId,
    statuses: Iterable[InvoiceStatus],
    issued_from: date | None,
    issued_to: date | None,
) -> list[ListedTotals]:
    """The totals per currency, in code order, of the practice's invoices in `statuses` (all
    of them when empty) issued between the two days; `rollup_answers` must hold for the
    days. Reads a row per status, month and currency, never an invoice."""
    wanted = sorted(status.value for status in statuses)
    months = issued_from is not None or issued_to is not None
    query = _totals_query(statuses=bool(wanted), months=months)
    values = {
        "practice_id": practice_id,
        "statuses": wanted,
        "first_month": issue_month(issued_from) if issued_from else date.min,
        "last_month": issue_month(issued_to) if issued_to else date.max,
    }
    totals = []
    for code, count, total, balance in session.execute(query, values):
        currency = Currency(code)
        # PostgreSQL sums integers into NUMERIC.
        totals.append(
            ListedTotals(
                int(count),
                currency.from_minor_units(int(total)),
                currency.from_minor_units(int(balance)),
            )
        )
    return totals
