"""Invoices with their lines and ledger entries, and the invoice lists."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    Select,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.errors import AppointmentAlreadyInvoiced, StaleEdit
from domain.ids import (
    AppointmentId,
    ClientId,
    InvoiceId,
    InvoiceLineId,
    PaymentId,
    PracticeId,
    ServiceTypeId,
    TaxRateId,
)
from domain.invoices import (
    UNPAID_STATUSES,
    CardPlace,
    Invoice,
    InvoiceLine,
    InvoiceOverview,
    InvoicePage,
    InvoiceRef,
    InvoiceState,
)
from domain.money import Currency
from domain.payments import EntryKind, LedgerEntry, PaymentMethod
from domain.ports import InvoiceFilter
from storage.invoice_list import read_page
from storage.invoice_overview import read_overview
from storage.invoice_totals import move_totals
from storage.orm import (
    PERCENT_SCALE,
    QUANTITY_SCALE,
    AppointmentInvoiceRow,
    InvoiceCardRow,
    InvoiceCounterRow,
    InvoiceLineRow,
    InvoiceRow,
    LedgerEntryRow,
)
from storage.rendered import RenderedStatement, rows_together
from storage.repositories.scaled import scaled, unscaled
from storage.repositories.versioned import update_versioned


def _invoice_values(invoice: Invoice) -> dict[str, object]:
    return {
        "number": invoice.number,
        "client_id": invoice.client_id,
        "currency": invoice.currency.code,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "state": invoice.state.value,
        "status": invoice.status.value,
        "total_minor": invoice.total.minor_units,
        "paid_minor": invoice.amount_paid.minor_units,
        "issued_at": invoice.issued_at,
        "voided_at": invoice.voided_at,
        "void_reason": invoice.void_reason,
    }


def _line_values(invoice: Invoice, position: int, line: InvoiceLine) -> dict[str, object]:
    return {
        "id": line.id,
        "practice_id": invoice.practice_id,
        "invoice_id": invoice.id,
        "position": position,
        "service_date": line.service_date,
        "description": line.description,
        "quantity_e3": scaled(line.quantity, QUANTITY_SCALE),
        "unit_price_minor": line.unit_price.minor_units,
        "tax_rate_id": line.tax_rate_id,
        "tax_name": line.tax_name,
        "tax_percent_e4": scaled(line.tax_percent, PERCENT_SCALE),
        "service_type_id": line.service_type_id,
        "appointment_id": line.appointment_id,
    }


def _entry_values(invoice: Invoice, position: int, entry: LedgerEntry) -> dict[str, object]:
    return {
        "position": position,
        "id": entry.id,
        "practice_id": invoice.practice_id,
        "invoice_id": invoice.id,
        "kind": entry.kind.value,
        "method": entry.method.value,
        "amount_minor": entry.amount.minor_units,
        "currency": entry.amount.currency.code,
        "received_at": entry.received_at,
        "recorded_by": entry.recorded_by,
        "reference": entry.reference,
        "stripe_payment_intent_id": entry.stripe_payment_intent_id,
        "stripe_charge_id": entry.stripe_charge_id,
        "stripe_refund_id": entry.stripe_refund_id,
        "refund_of": entry.refund_of,
    }


def _line(row: Any, currency: Currency) -> InvoiceLine:
    """`row`: an `invoice_lines` row, as an ORM object or a table row."""
    return InvoiceLine(
        id=InvoiceLineId(row.id),
        service_date=row.service_date,
        description=row.description,
        quantity=unscaled(row.quantity_e3, QUANTITY_SCALE),
        unit_price=currency.from_minor_units(row.unit_price_minor),
        tax_rate_id=TaxRateId(row.tax_rate_id) if row.tax_rate_id else None,
        tax_name=row.tax_name,
        tax_percent=unscaled(row.tax_percent_e4, PERCENT_SCALE),
        service_type_id=ServiceTypeId(row.service_type_id) if row.service_type_id else None,
        appointment_id=AppointmentId(row.appointment_id) if row.appointment_id else None,
    )


def _entry(row: Any) -> LedgerEntry:
    """`row`: a `ledger_entries` row, as an ORM object or a table row."""
    return LedgerEntry(
        id=PaymentId(row.id),
        kind=EntryKind(row.kind),
        method=PaymentMethod(row.method),
        amount=Currency(row.currency).from_minor_units(row.amount_minor),
        received_at=row.received_at,
        recorded_by=row.recorded_by,
        reference=row.reference,
        stripe_payment_intent_id=row.stripe_payment_intent_id,
        stripe_charge_id=row.stripe_charge_id,
        stripe_refund_id=row.stripe_refund_id,
        refund_of=PaymentId(row.refund_of) if row.refund_of else None,
    )


def _columns(table: type[InvoiceRow] | type[InvoiceLineRow] | type[LedgerEntryRow]) -> list[Any]:
    return list(cast(Table, table.__table__).columns)


@functools.cache
def _invoice_query(
    *, statuses: bool, overdue: bool, client: bool, issued_from: bool, issued_to: bool
) -> Select[Any]:
    """The invoice list query for one combination of criteria, built once: lists are read on
    every Home refresh and /invoice, and building a query costs more than running it."""
    query = select(InvoiceRow).where(InvoiceRow.practice_id == bindparam("practice_id"))
    if statuses:
        query = query.where(InvoiceRow.status.in_(bindparam("statuses", expanding=True)))
    if overdue:
        query = query.where(
            InvoiceRow.status.in_(bindparam("unpaid", expanding=True)),
            InvoiceRow.due_date < bindparam("overdue_on"),
        )
    if client:
        query = query.where(InvoiceRow.client_id == bindparam("client_id"))
    if issued_from:
        query = query.where(InvoiceRow.issue_date >= bindparam("issued_from"))
    if issued_to:
        query = query.where(InvoiceRow.issue_date <= bindparam("issued_to"))
    return query.order_by(InvoiceRow.sequence.desc()).limit(bindparam("limit"))


# Built once, as `_invoice_query`: a Stripe payment reads its invoice twice and every card
# and Home refresh reads invoices.
# Rows of the tables rather than ORM objects, which are never changed and cost more to make
# than the reads (an invoice's lines and ledger entries are read on every card and payment).
_ONE = select(*_columns(InvoiceRow)).where(
    InvoiceRow.practice_id == bindparam("practice_id"), InvoiceRow.id == bindparam("invoice_id")
)
_LINES = (
    select(*_columns(InvoiceLineRow))
    .where(
        InvoiceLineRow.practice_id == bindparam("practice_id"),
        InvoiceLineRow.invoice_id.in_(bindparam("ids", expanding=True)),
    )
    .order_by(InvoiceLineRow.invoice_id, InvoiceLineRow.position)
)
_ENTRIES = (
    select(*_columns(LedgerEntryRow))
    .where(
        LedgerEntryRow.practice_id == bindparam("practice_id"),
        LedgerEntryRow.invoice_id.in_(bindparam("ids", expanding=True)),
    )
    .order_by(LedgerEntryRow.invoice_id, LedgerEntryRow.position)
)


class _OneInvoice(NamedTuple):
    invoice: RenderedStatement
    lines: RenderedStatement
    entries: RenderedStatement


@lru_cache(maxsize=8)
def _one_invoice(dialect: Dialect) -> _OneInvoice:
    """The reads of one invoice by id, rendered once per dialect."""

    def in_order(table: type[InvoiceLineRow] | type[LedgerEntryRow]) -> RenderedStatement:
        return RenderedStatement(
            select(*_columns(table))
            .where(
                table.practice_id == bindparam("practice_id"),
                table.invoice_id == bindparam("invoice_id"),
            )
            .order_by(table.position),
            dialect,
        )

    return _OneInvoice(
        RenderedStatement(_ONE, dialect), in_order(InvoiceLineRow), in_order(LedgerEntryRow)
    )


@lru_cache(maxsize=8)
def _add_entry(dialect: Dialect, columns: tuple[str, ...]) -> RenderedStatement:
    """One ledger entry's INSERT (a payment adds one), rendered once per dialect."""
    return RenderedStatement(
        insert(LedgerEntryRow).values({name: bindparam(name) for name in columns}), dialect
    )


def _invoice(row: Any, lines: Iterable[Any], entries: Iterable[Any]) -> Invoice:
    """An invoice from its `invoices` row and its lines' and ledger entries' rows, in order."""
    currency = Currency(row.currency)
    return Invoice(
        id=InvoiceId(row.id),
        practice_id=PracticeId(row.practice_id),
        number=row.number,
        sequence=row.sequence,
        client_id=ClientId(row.client_id),
        currency=currency,
        issue_date=row.issue_date,
        due_date=row.due_date,
        lines=tuple(_line(line, currency) for line in lines),
        created_at=row.created_at,
        created_by=row.created_by,
        state=InvoiceState(row.state),
        ledger=tuple(_entry(entry) for entry in entries),
        issued_at=row.issued_at,
        voided_at=row.voided_at,
        void_reason=row.void_reason,
        version=row.version,
    )


class SqlInvoiceRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    # reading

    def _assemble(self, rows: Sequence[Any]) -> list[Invoice]:
        """Whole invoices for rows of `invoices` of one practice (ORM objects or table rows),
        with two more queries in all."""
        if not rows:
            return []
        ids = [row.id for row in rows]
        of = {"practice_id": rows[0].practice_id, "ids": ids}
        lines: dict[str, list[Any]] = {row_id: [] for row_id in ids}
        for line in self._session.execute(_LINES, of):
            lines[line.invoice_id].append(line)
        entries: dict[str, list[Any]] = {row_id: [] for row_id in ids}
        for entry in self._session.execute(_ENTRIES, of):
            entries[entry.invoice_id].append(entry)
        return [_invoice(row, lines[row.id], entries[row.id]) for row in rows]

    def get(self, practice_id: PracticeId, invoice_id: InvoiceId) -> Invoice | None:
        # Every card refresh, payment and pay page reads one invoice this way: three reads on
        # the driver's cursor (`storage.rendered`), in one round trip on PostgreSQL; through
        # SQLAlchemy's execution path, one by one, they cost three times as much CPU.
        statements = _one_invoice(self._session.get_bind().dialect)
        key = {"practice_id": practice_id, "invoice_id": invoice_id}
        rows, lines, entries = rows_together(
            self._session,
            (statements.invoice, key),
            (statements.lines, key),
            (statements.entries, key),
        )
        return _invoice(rows[0], lines, entries) if rows else None

    def for_appointment(
        self, practice_id: PracticeId, appointment_id: AppointmentId
    ) -> Invoice | None:
        invoice_id = self._session.scalar(
            select(AppointmentInvoiceRow.invoice_id).where(
                AppointmentInvoiceRow.practice_id == practice_id,
                AppointmentInvoiceRow.appointment_id == appointment_id,
            )
        )
        return self.get(practice_id, InvoiceId(invoice_id)) if invoice_id else None

    def billing(
        self, practice_id: PracticeId, appointment_ids: Iterable[AppointmentId]
    ) -> dict[AppointmentId, InvoiceRef]:
        wanted = set(appointment_ids)
        if not wanted:
            return {}
        query = (
            select(AppointmentInvoiceRow.appointment_id, InvoiceRow.id, InvoiceRow.number)
            .join(
                InvoiceRow,
                (InvoiceRow.practice_id == AppointmentInvoiceRow.practice_id)
                & (InvoiceRow.id == AppointmentInvoiceRow.invoice_id),
            )
            .where(
                AppointmentInvoiceRow.practice_id == practice_id,
                AppointmentInvoiceRow.appointment_id.in_(wanted),
            )
        )
        return {
            AppointmentId(appointment_id): InvoiceRef(InvoiceId(invoice_id), number)
            for appointment_id, invoice_id, number in self._session.execute(query)
        }

    def with_number(self, practice_id: PracticeId, number: str) -> Invoice | None:
        row = self._session.scalar(
            select(InvoiceRow).where(
                InvoiceRow.practice_id == practice_id,
                func.upper(InvoiceRow.number) == number.strip().upper(),
            )
        )
        return self._assemble([row])[0] if row else None

    def card_place(self, practice_id: PracticeId, invoice_id: InvoiceId) -> CardPlace | None:
        row = self._session.scalar(
            select(InvoiceCardRow).where(
                InvoiceCardRow.practice_id == practice_id,
                InvoiceCardRow.invoice_id == invoice_id,
            )
        )
        return CardPlace(row.channel_id, row.ts) if row else None

    def place_card(
        self, practice_id: PracticeId, invoice_id: InvoiceId, place: CardPlace, at: datetime
    ) -> None:
        values = {"channel_id": place.channel_id, "ts": place.ts, "posted_at": at}
        changed = self._session.execute(
            update(InvoiceCardRow)
            .where(
                InvoiceCardRow.practice_id == practice_id,
                InvoiceCardRow.invoice_id == invoice_id,
            )
            .values(**values)
        )
        if not changed.rowcount:  # type: ignore[attr-defined]
            self._session.execute(
                insert(InvoiceCardRow).values(
                    practice_id=practice_id, invoice_id=invoice_id, **values
                )
            )

    def find(self, practice_id: PracticeId, criteria: InvoiceFilter) -> list[Invoice]:
        query = _invoice_query(
            statuses=bool(criteria.statuses),
            overdue=criteria.overdue_on is not None,
            client=criteria.client_id is not None,
            issued_from=criteria.issued_from is not None,
            issued_to=criteria.issued_to is not None,
        )
        values = {
            "practice_id": practice_id,
            "statuses": [status.value for status in criteria.statuses],
            "unpaid": [status.value for status in UNPAID_STATUSES],
            "overdue_on": criteria.overdue_on,
            "client_id": criteria.client_id,
            "issued_from": criteria.issued_from,
            "issued_to": criteria.issued_to,
            "limit": criteria.limit,
        }
        return self._assemble(list(self._session.scalars(query, values)))

    def page(self, practice_id: PracticeId, criteria: InvoiceFilter) -> InvoicePage:
        return read_page(self._session, practice_id, criteria)

    def overview(
        self,
        practice_id: PracticeId,
        *,
        latest: int,
        today: date,
        received_from: datetime,
        received_to: datetime,
    ) -> InvoiceOverview:
        return read_overview(
            self._session.connection(),
            practice_id,
            latest=latest,
            today=today,
            received_from=received_from,
            received_to=received_to,
        )

    def count(self, practice_id: PracticeId) -> int:
        return int(
            self._session.scalar(
                select(func.count())
                .select_from(InvoiceRow)
                .where(InvoiceRow.practice_id == practice_id)
            )
            or 0
        )

    # writing

    def next_sequence(self, practice_id: PracticeId) -> int:
        # The UPDATE takes the counter row's lock until this transaction ends, so concurrent
        # creators queue here and a rolled-back invoice gives its number back.
        sequence = self._session.scalar(
            update(InvoiceCounterRow)
            .where(InvoiceCounterRow.practice_id == practice_id)
            .values(last_sequence=InvoiceCounterRow.last_sequence + 1)
            .returning(InvoiceCounterRow.last_sequence)
        )
        if sequence is None:
            raise LookupError(f"practice {practice_id} has no invoice counter")
        return int(sequence)

    def add(self, invoice: Invoice) -> None:
        self._session.execute(
            insert(InvoiceRow).values(
                id=invoice.id,
                practice_id=invoice.practice_id,
                sequence=invoice.sequence,
                created_at=invoice.created_at,
                created_by=invoice.created_by,
                version=invoice.version,
                **_invoice_values(invoice),
            )
        )
        self._write_lines(invoice)
        self._add_entries(invoice, 0)
        self._hold_appointments(invoice, set())
        move_totals(self._session, invoice.practice_id, None, invoice)

    def update(self, invoice: Invoice, *, replacing: Invoice | None = None) -> None:
        # `replacing` was read in this transaction; if the row moved on since, the versioned
        # UPDATE below finds it changed and nothing is written.
        stored = replacing if replacing is not None else self.get(invoice.practice_id, invoice.id)
        if stored is None:
            raise StaleEdit("This invoice no longer exists.")
        if stored.version != invoice.version - 1:
            # Also what keeps the totals rollup exact: it moves by the difference between
            # `stored` and `invoice`, so `stored` must be the version being replaced.
            raise StaleEdit(
                "This invoice was changed by someone else meanwhile. Reopen it and try again."
            )
        update_versioned(
            self._session,
            InvoiceRow,
            invoice.practice_id,
            invoice.id,
            invoice.version,
            _invoice_values(invoice),
            "invoice",
        )
        if stored.lines != invoice.lines:
            self._session.execute(
                delete(InvoiceLineRow).where(
                    InvoiceLineRow.practice_id == invoice.practice_id,
                    InvoiceLineRow.invoice_id == invoice.id,
                )
            )
            self._write_lines(invoice)
        # The ledger only grows: entries past the stored ones are the new ones.
        if invoice.ledger[: len(stored.ledger)] != stored.ledger:
            raise StaleEdit("This invoice's payments changed meanwhile. Reload it and try again.")
        self._add_entries(invoice, len(stored.ledger))
        held = stored.appointment_ids if stored.blocks_its_appointments else frozenset()
        self._hold_appointments(invoice, set(held))
        move_totals(self._session, invoice.practice_id, stored, invoice)

    def _write_lines(self, invoice: Invoice) -> None:
        if invoice.lines:
            self._session.execute(
                insert(InvoiceLineRow),
                [
                    _line_values(invoice, position, line)
                    for position, line in enumerate(invoice.lines)
                ],
            )

    def _add_entries(self, invoice: Invoice, first_new: int) -> None:
        values = [
            _entry_values(invoice, position, invoice.ledger[position])
            for position in range(first_new, len(invoice.ledger))
        ]
        if values:
            statement = _add_entry(self._session.get_bind().dialect, tuple(values[0]))
            for entry in values:
                statement.in_session(self._session, **entry)

    def _hold_appointments(self, invoice: Invoice, held: set[AppointmentId]) -> None:
        """Make the appointment links match the invoice; a clash means another invoice
        that is not void already bills the appointment."""
        wanted = set(invoice.appointment_ids) if invoice.blocks_its_appointments else set()
        released = held - wanted
        if released:
            self._session.execute(
                delete(AppointmentInvoiceRow).where(
                    AppointmentInvoiceRow.practice_id == invoice.practice_id,
                    AppointmentInvoiceRow.invoice_id == invoice.id,
                    AppointmentInvoiceRow.appointment_id.in_(released),
                )
            )
        for appointment_id in sorted(wanted - held):
            try:
                # A savepoint keeps the transaction usable on PostgreSQL after the clash.
                with self._session.begin_nested():
                    self._session.execute(
                        insert(AppointmentInvoiceRow).values(
                            practice_id=invoice.practice_id,
                            appointment_id=appointment_id,
                            invoice_id=invoice.id,
                        )
                    )
            except IntegrityError:
                holder = self.for_appointment(invoice.practice_id, appointment_id)
                raise AppointmentAlreadyInvoiced(
                    appointment_id, holder.number if holder else None
                ) from None
