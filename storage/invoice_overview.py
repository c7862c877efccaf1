"""The invoice overview read model: a practice's newest invoices, what it is owed and what it
received, read in one statement for every /invoice and Home refresh.

The three parts are one UNION, a round trip instead of three. Each part is a table of
fields below (the SQL that computes a field, and how its value becomes the domain's); the
statement's columns are every part's fields, a part leaving the others' NULL, so a new
column of the invoice list is one line in `_LISTING` (and its field on `InvoiceListing`).

The stored status and amounts are the domain's own (see the invoice repository's
`_invoice_values`), so the list and the sums need no line or payment of any invoice.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeAlias

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import InstrumentedAttribute

from domain.ids import ClientId, InvoiceId, PracticeId
from domain.invoices import (
    UNPAID_STATUSES,
    InvoiceListing,
    InvoiceOverview,
    InvoiceStatus,
    UnpaidTotals,
)
from domain.money import Currency, Money
from domain.payments import EntryKind
from storage.orm import ClientRow, InvoiceRow, LedgerEntryRow
from storage.rendered import RenderedStatement

_Column: TypeAlias = ColumnElement[Any] | InstrumentedAttribute[Any]
_Read: TypeAlias = Callable[[Any, Currency], Any]


@dataclass(frozen=True, slots=True)
class _Field:
    """One field of a domain object the overview returns: the SQL that computes it, and how
    a row's value (with the row's currency) becomes the field's."""

    sql: _Column
    read: _Read | None = None
    """None: the value as stored."""


def _money(value: Any, currency: Currency) -> Money:
    # PostgreSQL sums integers into NUMERIC.
    return currency.from_minor_units(int(value))


def _count(value: Any, _: Currency) -> int:
    return int(value)


_BALANCE = InvoiceRow.total_minor - InvoiceRow.paid_minor
_LATE = InvoiceRow.due_date < bindparam("today")

_LISTING: Mapping[str, _Field] = {
    "id": _Field(InvoiceRow.id, lambda value, _: InvoiceId(value)),
    "number": _Field(InvoiceRow.number),
    "client_id": _Field(InvoiceRow.client_id, lambda value, _: ClientId(value)),
    "client_name": _Field(ClientRow.name),
    "total": _Field(InvoiceRow.total_minor, _money),
    "balance": _Field(_BALANCE, _money),
    "status": _Field(InvoiceRow.status, lambda value, _: InvoiceStatus(value)),
    "due_date": _Field(InvoiceRow.due_date),
}
"""Each `InvoiceListing` field of a listed invoice."""

_UNPAID: Mapping[str, _Field] = {
    "outstanding": _Field(func.sum(_BALANCE), _money),
    "unpaid_count": _Field(func.count(), _count),
    "overdue": _Field(func.coalesce(func.sum(case((_LATE, _BALANCE), else_=0)), 0), _money),
    "overdue_count": _Field(func.coalesce(func.sum(case((_LATE, 1), else_=0)), 0), _count),
}
"""Each `UnpaidTotals` field, per currency."""

_RECEIVED: Mapping[str, _Field] = {
    "received": _Field(
        func.sum(
            case(
                (LedgerEntryRow.kind == EntryKind.REFUND.value, -LedgerEntryRow.amount_minor),
                else_=LedgerEntryRow.amount_minor,
            )
        ),
        _money,
    ),
}
"""Payments less refunds, per currency."""

_LATEST_PART, _UNPAID_PART, _RECEIVED_PART = "latest", "unpaid", "received"
# Not a field of the listing: only what orders the newest invoices, since a UNION keeps no
# order of its own.
_SEQUENCE = "sequence"


def _statement() -> CompoundSelect[Any]:
    """The UNION of the three parts, each row naming its part in `part`."""
    newest = (
        select(
            InvoiceRow.sequence.label(_SEQUENCE),
            InvoiceRow.currency,
            *(field.sql.label(name) for name, field in _LISTING.items()),
        )
        .join(
            ClientRow,
            (ClientRow.practice_id == InvoiceRow.practice_id)
            & (ClientRow.id == InvoiceRow.client_id),
        )
        .where(InvoiceRow.practice_id == bindparam("practice_id"))
        .order_by(InvoiceRow.sequence.desc())
        .limit(bindparam("limit"))
        .subquery()
    )
    unpaid = (
        select(InvoiceRow.currency)
        .where(
            InvoiceRow.practice_id == bindparam("practice_id"),
            # Spelled out rather than an IN list, whose values would be spliced into the
            # SQL at each run; these are fixed, so the SQL is rendered once.
            or_(*(InvoiceRow.status == status.value for status in sorted(UNPAID_STATUSES))),
        )
        .group_by(InvoiceRow.currency)
    )
    received = (
        select(LedgerEntryRow.currency)
        .where(
            LedgerEntryRow.practice_id == bindparam("practice_id"),
            LedgerEntryRow.received_at >= bindparam("received_from"),
            LedgerEntryRow.received_at < bindparam("received_to"),
        )
        .group_by(LedgerEntryRow.currency)
    )
    columns: dict[str, _Column] = {
        _SEQUENCE: newest.c[_SEQUENCE],
        **{name: newest.c[name] for name in _LISTING},
        **{name: field.sql for name, field in _UNPAID.items()},
        **{name: field.sql for name, field in _RECEIVED.items()},
    }
    if len(columns) != 1 + len(_LISTING) + len(_UNPAID) + len(_RECEIVED):
        raise ValueError("two parts of the invoice overview name a field alike")
    # Each part's query gives its FROM, WHERE and GROUP BY; its columns are set below, the same
    # ones in the same order in every part, as a UNION needs.
    parts: list[tuple[str, Select[Any], _Column, set[str]]] = [
        (_LATEST_PART, select().select_from(newest), newest.c.currency, {_SEQUENCE, *_LISTING}),
        (_UNPAID_PART, unpaid, InvoiceRow.currency, set(_UNPAID)),
        (_RECEIVED_PART, received, LedgerEntryRow.currency, set(_RECEIVED)),
    ]
    return union_all(
        *(
            query.with_only_columns(
                literal(part).label("part"),
                currency.label("currency"),
                *(
                    (column if name in own else cast(null(), column.type)).label(name)
                    for name, column in columns.items()
                ),
                maintain_column_froms=True,
            )
            for part, query, currency, own in parts
        )
    )


_OVERVIEW = _statement()


@functools.lru_cache(maxsize=16)
def _rendered(dialect: Dialect) -> RenderedStatement:
    return RenderedStatement(_OVERVIEW, dialect)


_Plan: TypeAlias = tuple[tuple[int, _Read | None], ...]


def _plan(fields: Mapping[str, _Field], made: type | None = None) -> _Plan:
    """Where each of `fields` is in an overview row, and how it is read, checked to be the
    order of the fields of `made`: its objects are built from positional values, which
    spares a dict and a name lookup per field of every row on each /invoice and Home
    refresh (a tenth of the overview's CPU on SQLite)."""
    if made is not None and [field.name for field in dataclasses.fields(made)] != list(fields):
        raise ValueError(f"the overview lists {made.__name__}'s fields in another order")
    columns = list(_OVERVIEW.selected_columns.keys())
    return tuple((columns.index(name), field.read) for name, field in fields.items())


_LISTING_PLAN = _plan(_LISTING, InvoiceListing)
_UNPAID_PLAN = _plan(_UNPAID, UnpaidTotals)
_RECEIVED_PLAN = _plan(_RECEIVED)
_SEQUENCE_AT = list(_OVERVIEW.selected_columns.keys()).index(_SEQUENCE)


def _values(plan: _Plan, row: Any, currency: Currency) -> list[Any]:
    return [row[at] if read is None else read(row[at], currency) for at, read in plan]


def read_overview(
    connection: Connection,
    practice_id: PracticeId,
    *,
    latest: int,
    today: date,
    received_from: datetime,
    received_to: datetime,
) -> InvoiceOverview:
    """`InvoiceRepository.overview`, read on `connection` (inside its transaction)."""
    rows = _rendered(connection.dialect).rows(
        connection.connection,
        practice_id=practice_id,
        limit=latest,
        today=today,
        received_from=received_from,
        received_to=received_to,
    )
    newest: list[tuple[int, InvoiceListing]] = []
    unpaid: list[UnpaidTotals] = []
    received: list[Money] = []
    for row in rows:
        currency = Currency(row.currency)
        if row.part == _LATEST_PART:
            listing = InvoiceListing(*_values(_LISTING_PLAN, row, currency))
            newest.append((row[_SEQUENCE_AT], listing))
        elif row.part == _UNPAID_PART:
            unpaid.append(UnpaidTotals(*_values(_UNPAID_PLAN, row, currency)))
        else:
            [amount] = _values(_RECEIVED_PLAN, row, currency)
            received.append(amount)
    newest.sort(key=lambda pair: pair[0], reverse=True)
    unpaid.sort(key=lambda totals: totals.outstanding.currency.code)
    received.sort(key=lambda amount: amount.currency.code)
    return InvoiceOverview(
        latest=tuple(listing for _, listing in newest),
        unpaid=tuple(unpaid),
        received=tuple(received),
    )
