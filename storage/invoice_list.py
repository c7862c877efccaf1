"""The filtered invoice list read model: one page of a practice's invoices that match a filter,
newest first, and the totals per currency of every invoice the filter holds.

The page is keyset-paged on the invoice's sequence (unique per practice, so the order is
stable while invoices are added); neither it nor the totals reads a line or payment, since
the stored status and amounts are the domain's own. The totals come from the rollup
(`storage.invoice_totals`) when the filter is by status and whole months alone, so they cost
the same after years as after days. A filter by client or overdue sums the invoices
themselves, through the index that answers it: a client's invoices (by client), or the
unpaid ones (by status and due date), so that sum grows with one client's history or with
what is unpaid, never with the whole practice's history."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, select
from sqlalchemy.orm import Session

from domain.ids import ClientId, InvoiceId, PracticeId
from domain.invoices import (
    UNPAID_STATUSES,
    InvoiceListing,
    InvoicePage,
    InvoiceStatus,
    ListedTotals,
)
from domain.money import Currency
from domain.ports import InvoiceFilter
from storage.invoice_totals import read_totals, rollup_answers
from storage.orm import ClientRow, InvoiceRow

_BALANCE = InvoiceRow.total_minor - InvoiceRow.paid_minor


@functools.cache
def _conditions(
    *, statuses: bool, overdue: bool, client: bool, issued_from: bool, issued_to: bool
) -> tuple[ColumnElement[bool], ...]:
    """The WHERE of one combination of criteria, with its values as bound parameters."""
    where: list[ColumnElement[bool]] = [InvoiceRow.practice_id == bindparam("practice_id")]
    if statuses:
        where.append(InvoiceRow.status.in_(bindparam("statuses", expanding=True)))
    if overdue:
        where.append(InvoiceRow.status.in_(bindparam("unpaid", expanding=True)))
        where.append(InvoiceRow.due_date < bindparam("overdue_on"))
    if client:
        where.append(InvoiceRow.client_id == bindparam("client_id"))
    if issued_from:
        where.append(InvoiceRow.issue_date >= bindparam("issued_from"))
    if issued_to:
        where.append(InvoiceRow.issue_date <= bindparam("issued_to"))
    return tuple(where)


@functools.cache
def _queries(
    *,
    statuses: bool,
    overdue: bool,
    client: bool,
    issued_from: bool,
    issued_to: bool,
    after: bool,
) -> tuple[Select[Any], Select[Any]]:
    """The page query and the totals query for one combination, built once (building a
    query costs more than running it on a small practice)."""
    where = _conditions(
        statuses=statuses,
        overdue=overdue,
        client=client,
        issued_from=issued_from,
        issued_to=issued_to,
    )
    rows = (
        select(
            InvoiceRow.sequence,
            InvoiceRow.currency,
            InvoiceRow.id,
            InvoiceRow.number,
            InvoiceRow.client_id,
            ClientRow.name,
            InvoiceRow.total_minor,
            _BALANCE,
            InvoiceRow.status,
            InvoiceRow.due_date,
        )
        .join(
            ClientRow,
            (ClientRow.practice_id == InvoiceRow.practice_id)
            & (ClientRow.id == InvoiceRow.client_id),
        )
        .where(*where)
    )
    if after:
        rows = rows.where(InvoiceRow.sequence < bindparam("before_sequence"))
    rows = rows.order_by(InvoiceRow.sequence.desc()).limit(bindparam("limit"))
    totals = (
        select(
            InvoiceRow.currency,
            func.count(),
            func.sum(InvoiceRow.total_minor),
            func.sum(_BALANCE),
        )
        .where(*where)
        .group_by(InvoiceRow.currency)
        .order_by(InvoiceRow.currency)
    )
    return rows, totals


def read_page(session: Session, practice_id: PracticeId, criteria: InvoiceFilter) -> InvoicePage:
    """`InvoiceRepository.page`, read in the session's transaction."""
    rows_query, totals_query = _queries(
        statuses=bool(criteria.statuses),
        overdue=criteria.overdue_on is not None,
        client=criteria.client_id is not None,
        issued_from=criteria.issued_from is not None,
        issued_to=criteria.issued_to is not None,
        after=criteria.before_sequence is not None,
    )
    values: dict[str, Any] = {
        "practice_id": practice_id,
        "statuses": sorted(status.value for status in criteria.statuses),
        "unpaid": sorted(status.value for status in UNPAID_STATUSES),
        "overdue_on": criteria.overdue_on,
        "client_id": criteria.client_id,
        "issued_from": criteria.issued_from,
        "issued_to": criteria.issued_to,
        "before_sequence": criteria.before_sequence,
        # One more than the page shows tells whether there is a next page.
        "limit": criteria.limit + 1,
    }
    found = session.execute(rows_query, values).all()
    shown = found[: criteria.limit]
    listings = []
    for _sequence, code, id_, number, client_id, name, total, balance, status, due in shown:
        currency = Currency(code)
        listings.append(
            InvoiceListing(
                InvoiceId(id_),
                number,
                ClientId(client_id),
                name,
                currency.from_minor_units(int(total)),
                currency.from_minor_units(int(balance)),
                InvoiceStatus(status),
                due,
            )
        )
    more = len(found) > criteria.limit
    next_before = shown[-1][0] if more else None
    if (
        criteria.client_id is None
        and criteria.overdue_on is None
        and rollup_answers(criteria.issued_from, criteria.issued_to)
    ):
        rolled_up = read_totals(
            session, practice_id, criteria.statuses, criteria.issued_from, criteria.issued_to
        )
        return InvoicePage(tuple(listings), tuple(rolled_up), next_before)
    totals = []
    for code, count, total, balance in session.execute(totals_query, values):
        currency = Currency(code)
        # PostgreSQL sums integers into NUMERIC.
        totals.append(
            ListedTotals(
                int(count),
                currency.from_minor_units(int(total)),
                currency.from_minor_units(int(balance)),
            )
        )
    return InvoicePage(tuple(listings), tuple(totals), next_before)
