"""SQLAlchemy repositories: the domain's repository ports over one session.

Every method takes the practice id and filters on it; there is no query without it.
Rows are turned into frozen domain objects on the way out and back on the way in.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Date,
    Integer,
    Select,
    String,
    bindparam,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.appointments import Appointment, AppointmentStatus
from domain.audit import AuditEvent
from domain.clients import Client
from domain.errors import AppointmentAlreadyInvoiced, StaleEdit
from domain.ids import (
    AppointmentId,
    AuditEventId,
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
    Invoice,
    InvoiceLine,
    InvoiceListing,
    InvoiceOverview,
    InvoiceState,
    InvoiceStatus,
    UnpaidTotals,
)
from domain.logos import Logo
from domain.money import Currency
from domain.payments import EntryKind, LedgerEntry, PaymentMethod
from domain.ports import InvoiceFilter
from domain.practice import (
    Address,
    BillingDetails,
    InvoiceSettings,
    InvoiceTemplate,
    InvoiceTheme,
    Practice,
    ReminderPolicy,
    TaxRate,
)
from domain.roles import Member, Role
from domain.services import ServiceType
from storage.orm import (
    PERCENT_SCALE,
    QUANTITY_SCALE,
    AppointmentInvoiceRow,
    AppointmentRow,
    AuditEventRow,
    ClientRow,
    InvoiceCounterRow,
    InvoiceLineRow,
    InvoiceRow,
    LedgerEntryRow,
    LogoRow,
    MemberRow,
    PracticeRow,
    ServiceTypeRow,
    TaxRateRow,
)
from storage.rendered import RenderedStatement


def _scaled(value: Decimal, scale: int) -> int:
    scaled = value.scaleb(scale)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more than {scale} decimals")
    return int(scaled)


def _unscaled(value: int, scale: int) -> Decimal:
    return Decimal(value).scaleb(-scale).quantize(Decimal(1).scaleb(-scale))


def _update_versioned(
    session: Session,
    table: type[ClientRow] | type[ServiceTypeRow] | type[AppointmentRow] | type[InvoiceRow],
    practice_id: str,
    record_id: str,
    new_version: int,
    values: dict[str, object],
    what: str,
) -> None:
    """Write a changed record only if nobody stored another change since it was read.

    The domain moves `version` on each change; the row must still hold the one before.
    """
    result = session.execute(
        update(table)
        .where(
            table.id == record_id,
            table.practice_id == practice_id,
            table.version == new_version - 1,
        )
        .values(**values, version=new_version)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleEdit(
            f"This {what} was changed by someone else meanwhile. Reopen it and try again."
        )


# -- practices ------------------------------------------------------------------------------


def _practice_values(practice: Practice) -> dict[str, object]:
    billing, address = practice.billing, practice.billing.address
    settings, reminders = practice.invoice_settings, practice.reminder_policy
    return {
        "workspace_id": practice.workspace_id,
        "name": billing.name,
        "currency": billing.currency.code,
        "address_line1": address.line1,
        "address_line2": address.line2,
        "city": address.city,
        "region": address.region,
        "postal_code": address.postal_code,
        "country": address.country,
        "time_zone": billing.time_zone,
        "tax_number": billing.tax_number,
        "licence_number": billing.licence_number,
        "privacy_mode": practice.privacy_mode,
        "billing_channel_id": practice.billing_channel_id,
        "active": practice.active,
        "default_tax_rate_id": practice.default_tax_rate_id,
        "invoice_template": settings.template.value,
        "invoice_theme": settings.theme.value,
        "logo_ref": settings.logo_ref,
        "invoice_details": settings.details,
        "payment_terms_days": settings.payment_terms_days,
        "invoice_footer": settings.footer,
        "number_prefix": settings.number_prefix,
        "reminders_enabled": reminders.enabled,
        "reminder_offsets": list(reminders.offsets),
        "reminder_send_time": reminders.send_time.strftime("%H:%M"),
        "version": practice.version,
    }


def _practice(row: PracticeRow) -> Practice:
    return Practice(
        id=PracticeId(row.id),
        workspace_id=row.workspace_id,
        billing=BillingDetails(
            name=row.name,
            currency=Currency(row.currency),
            address=Address(
                row.address_line1,
                row.address_line2,
                row.city,
                row.region,
                row.postal_code,
                row.country,
            ),
            time_zone=row.time_zone,
            tax_number=row.tax_number,
            licence_number=row.licence_number,
        ),
        invoice_settings=InvoiceSettings(
            template=InvoiceTemplate(row.invoice_template),
            theme=InvoiceTheme(row.invoice_theme),
            logo_ref=row.logo_ref,
            details=row.invoice_details,
            payment_terms_days=row.payment_terms_days,
            footer=row.invoice_footer,
            number_prefix=row.number_prefix,
        ),
        reminder_policy=ReminderPolicy(
            enabled=row.reminders_enabled,
            offsets=tuple(int(offset) for offset in row.reminder_offsets),
            send_time=time.fromisoformat(row.reminder_send_time),
        ),
        default_tax_rate_id=TaxRateId(row.default_tax_rate_id) if row.default_tax_rate_id else None,
        privacy_mode=row.privacy_mode,
        billing_channel_id=row.billing_channel_id,
        active=row.active,
        version=row.version,
    )


class SqlPracticeRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, practice_id: PracticeId) -> Practice | None:
        row = self._session.get(PracticeRow, practice_id)
        return _practice(row) if row else None

    def for_workspace(self, workspace_id: str) -> Practice | None:
        row = self._session.scalar(
            select(PracticeRow).where(PracticeRow.workspace_id == workspace_id)
        )
        return _practice(row) if row else None

    def add(self, practice: Practice) -> None:
        self._session.execute(
            insert(PracticeRow).values(id=practice.id, **_practice_values(practice))
        )
        self._session.execute(
            insert(InvoiceCounterRow).values(practice_id=practice.id, last_sequence=0)
        )

    def update(self, practice: Practice) -> None:
        result = self._session.execute(
            update(PracticeRow)
            .where(PracticeRow.id == practice.id, PracticeRow.version == practice.version - 1)
            .values(**_practice_values(practice))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleEdit(
                "The practice's settings were changed by someone else meanwhile. "
                "Reopen them and try again."
            )


# -- tax rates ------------------------------------------------------------------------------


def _tax_rate(row: TaxRateRow) -> TaxRate:
    return TaxRate(
        TaxRateId(row.id),
        PracticeId(row.practice_id),
        row.name,
        _unscaled(row.percent_e4, PERCENT_SCALE),
        row.archived_at,
    )


class SqlTaxRateRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, practice_id: PracticeId, tax_rate_id: TaxRateId) -> TaxRate | None:
        row = self._session.scalar(
            select(TaxRateRow).where(
                TaxRateRow.practice_id == practice_id, TaxRateRow.id == tax_rate_id
            )
        )
        return _tax_rate(row) if row else None

    def list(self, practice_id: PracticeId, *, include_archived: bool = False) -> list[TaxRate]:
        query = select(TaxRateRow).where(TaxRateRow.practice_id == practice_id)
        if not include_archived:
            query = query.where(TaxRateRow.archived_at.is_(None))
        return [_tax_rate(row) for row in self._session.scalars(query.order_by(TaxRateRow.name))]

    def add(self, rate: TaxRate) -> None:
        self._session.execute(
            insert(TaxRateRow).values(
                id=rate.id,
                practice_id=rate.practice_id,
                name=rate.name,
                percent_e4=_scaled(rate.percent, PERCENT_SCALE),
                archived_at=rate.archived_at,
            )
        )

    def update(self, rate: TaxRate) -> None:
        self._session.execute(
            update(TaxRateRow)
            .where(TaxRateRow.practice_id == rate.practice_id, TaxRateRow.id == rate.id)
            .values(
                name=rate.name,
                percent_e4=_scaled(rate.percent, PERCENT_SCALE),
                archived_at=rate.archived_at,
            )
            .execution_options(synchronize_session=False)
        )

    def is_used(self, practice_id: PracticeId, tax_rate_id: TaxRateId) -> bool:
        on_lines = exists().where(
            InvoiceLineRow.practice_id == practice_id, InvoiceLineRow.tax_rate_id == tax_rate_id
        )
        on_services = exists().where(
            ServiceTypeRow.practice_id == practice_id,
            ServiceTypeRow.default_tax_rate_id == tax_rate_id,
        )
        return bool(self._session.scalar(select(or_(on_lines, on_services))))


# -- clients --------------------------------------------------------------------------------


def _client_values(client: Client) -> dict[str, object]:
    address = client.address
    return {
        "name": client.name,
        "email": client.email,
        "phone": client.phone,
        "address_line1": address.line1,
        "address_line2": address.line2,
        "city": address.city,
        "region": address.region,
        "postal_code": address.postal_code,
        "country": address.country,
        "notes": client.notes,
    }


def _client(row: ClientRow) -> Client:
    return Client(
        id=ClientId(row.id),
        practice_id=PracticeId(row.practice_id),
        name=row.name,
        email=row.email,
        phone=row.phone,
        address=Address(
            row.address_line1,
            row.address_line2,
            row.city,
            row.region,
            row.postal_code,
            row.country,
        ),
        notes=row.notes,
        version=row.version,
    )


class SqlClientRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, practice_id: PracticeId, client_id: ClientId) -> Client | None:
        row = self._session.scalar(
            select(ClientRow).where(ClientRow.practice_id == practice_id, ClientRow.id == client_id)
        )
        return _client(row) if row else None

    def list(self, practice_id: PracticeId) -> list[Client]:
        query = (
            select(ClientRow).where(ClientRow.practice_id == practice_id).order_by(ClientRow.name)
        )
        return [_client(row) for row in self._session.scalars(query)]

    def names(self, practice_id: PracticeId, client_ids: Iterable[ClientId]) -> dict[ClientId, str]:
        wanted = set(client_ids)
        if not wanted:
            return {}
        query = select(ClientRow.id, ClientRow.name).where(
            ClientRow.practice_id == practice_id, ClientRow.id.in_(wanted)
        )
        return {ClientId(row.id): row.name for row in self._session.execute(query)}

    def matching(self, practice_id: PracticeId, text: str, limit: int) -> list[Client]:
        # `autoescape`: a typed % or _ is looked for as itself, not as a wildcard. SQLite
        # folds the case of ASCII letters only; PostgreSQL's ILIKE folds every letter.
        query = (
            select(ClientRow)
            .where(
                ClientRow.practice_id == practice_id,
                or_(
                    ClientRow.name.icontains(text, autoescape=True),
                    ClientRow.email.icontains(text, autoescape=True),
                ),
            )
            .order_by(func.lower(ClientRow.name), ClientRow.id)
            .limit(limit)
        )
        return [_client(row) for row in self._session.scalars(query)]

    def add(self, client: Client) -> None:
        self._session.execute(
            insert(ClientRow).values(
                id=client.id,
                practice_id=client.practice_id,
                version=client.version,
                **_client_values(client),
            )
        )

    def update(self, client: Client) -> None:
        _update_versioned(
            self._session,
            ClientRow,
            client.practice_id,
            client.id,
            client.version,
            _client_values(client),
            "client",
        )


# -- service types --------------------------------------------------------------------------


def _service(row: ServiceTypeRow) -> ServiceType:
    return ServiceType(
        id=ServiceTypeId(row.id),
        practice_id=PracticeId(row.practice_id),
        name=row.name,
        default_price=Currency(row.currency).from_minor_units(row.default_price_minor),
        default_tax_rate_id=TaxRateId(row.default_tax_rate_id) if row.default_tax_rate_id else None,
        active=row.active,
        version=row.version,
    )


def _service_values(service: ServiceType) -> dict[str, object]:
    return {
        "name": service.name,
        "default_price_minor": service.default_price.minor_units,
        "currency": service.default_price.currency.code,
        "default_tax_rate_id": service.default_tax_rate_id,
        "active": service.active,
    }


class SqlServiceTypeRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, practice_id: PracticeId, service_type_id: ServiceTypeId) -> ServiceType | None:
        row = self._session.scalar(
            select(ServiceTypeRow).where(
                ServiceTypeRow.practice_id == practice_id, ServiceTypeRow.id == service_type_id
            )
        )
        return _service(row) if row else None

    def list(self, practice_id: PracticeId, *, include_inactive: bool = False) -> list[ServiceType]:
        query = select(ServiceTypeRow).where(ServiceTypeRow.practice_id == practice_id)
        if not include_inactive:
            query = query.where(ServiceTypeRow.active.is_(True))
        return [_service(row) for row in self._session.scalars(query.order_by(ServiceTypeRow.name))]

    def add(self, service: ServiceType) -> None:
        self._session.execute(
            insert(ServiceTypeRow).values(
                id=service.id,
                practice_id=service.practice_id,
                version=service.version,
                **_service_values(service),
            )
        )

    def update(self, service: ServiceType) -> None:
        _update_versioned(
            self._session,
            ServiceTypeRow,
            service.practice_id,
            service.id,
            service.version,
            _service_values(service),
            "service",
        )


# -- appointments ---------------------------------------------------------------------------


def _appointment(row: AppointmentRow) -> Appointment:
    return Appointment(
        id=AppointmentId(row.id),
        practice_id=PracticeId(row.practice_id),
        client_id=ClientId(row.client_id),
        service_type_id=ServiceTypeId(row.service_type_id),
        start=row.starts_at,
        duration_minutes=row.duration_minutes,
        clinician=row.clinician,
        status=AppointmentStatus(row.status),
        version=row.version,
    )


def _appointment_values(appointment: Appointment) -> dict[str, object]:
    return {
        "client_id": appointment.client_id,
        "service_type_id": appointment.service_type_id,
        "starts_at": appointment.start,
        "duration_minutes": appointment.duration_minutes,
        "clinician": appointment.clinician,
        "status": appointment.status.value,
    }


class SqlAppointmentRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, practice_id: PracticeId, appointment_id: AppointmentId) -> Appointment | None:
        row = self._session.scalar(
            select(AppointmentRow).where(
                AppointmentRow.practice_id == practice_id, AppointmentRow.id == appointment_id
            )
        )
        return _appointment(row) if row else None

    def list(
        self, practice_id: PracticeId, *, client_id: ClientId | None = None
    ) -> list[Appointment]:
        query = select(AppointmentRow).where(AppointmentRow.practice_id == practice_id)
        if client_id is not None:
            query = query.where(AppointmentRow.client_id == client_id)
        return [
            _appointment(row)
            for row in self._session.scalars(query.order_by(AppointmentRow.starts_at))
        ]

    def add(self, appointment: Appointment) -> None:
        self._session.execute(
            insert(AppointmentRow).values(
                id=appointment.id,
                practice_id=appointment.practice_id,
                version=appointment.version,
                **_appointment_values(appointment),
            )
        )

    def update(self, appointment: Appointment) -> None:
        _update_versioned(
            self._session,
            AppointmentRow,
            appointment.practice_id,
            appointment.id,
            appointment.version,
            _appointment_values(appointment),
            "appointment",
        )


# -- invoices -------------------------------------------------------------------------------


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
        "quantity_e3": _scaled(line.quantity, QUANTITY_SCALE),
        "unit_price_minor": line.unit_price.minor_units,
        "tax_rate_id": line.tax_rate_id,
        "tax_name": line.tax_name,
        "tax_percent_e4": _scaled(line.tax_percent, PERCENT_SCALE),
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


def _line(row: InvoiceLineRow, currency: Currency) -> InvoiceLine:
    return InvoiceLine(
        id=InvoiceLineId(row.id),
        service_date=row.service_date,
        description=row.description,
        quantity=_unscaled(row.quantity_e3, QUANTITY_SCALE),
        unit_price=currency.from_minor_units(row.unit_price_minor),
        tax_rate_id=TaxRateId(row.tax_rate_id) if row.tax_rate_id else None,
        tax_name=row.tax_name,
        tax_percent=_unscaled(row.tax_percent_e4, PERCENT_SCALE),
        service_type_id=ServiceTypeId(row.service_type_id) if row.service_type_id else None,
        appointment_id=AppointmentId(row.appointment_id) if row.appointment_id else None,
    )


def _entry(row: LedgerEntryRow) -> LedgerEntry:
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


@functools.cache
def _invoice_query(
    *, statuses: bool, overdue: bool, client: bool, issued_from: bool, issued_to: bool
) -> Select[tuple[InvoiceRow]]:
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


def _overview_query() -> CompoundSelect:
    """The three parts of `InvoiceRepository.overview` as one statement, a round trip
    instead of three on every /invoice and Home refresh. Each row says which part it is of;
    columns a part has no use for are NULL. A listed invoice's `amount` is its total and
    `second_amount` its balance; an unpaid total's are the outstanding and overdue sums and
    its tallies their counts; a received total's `amount` is the net received.

    The stored status and amounts are the domain's own (`_invoice_values`), so the list and
    the sums need no line or payment of any invoice."""
    balance = InvoiceRow.total_minor - InvoiceRow.paid_minor
    late = InvoiceRow.due_date < bindparam("today")
    newest = (
        select(
            InvoiceRow.sequence,
            InvoiceRow.id,
            InvoiceRow.number,
            InvoiceRow.client_id,
            ClientRow.name,
            InvoiceRow.status,
            InvoiceRow.due_date,
            InvoiceRow.currency,
            InvoiceRow.total_minor.label("amount"),
            balance.label("second_amount"),
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
    count = Integer()
    text = String()

    def nulls(*kinds: Integer | String | Date) -> list[Any]:
        return [cast(null(), kind) for kind in kinds]

    # A total's row lists no invoice: sequence, id, number, client_id, name, status, due_date.
    no_invoice = (count, text, text, text, text, text, Date())
    return union_all(
        select(
            literal(_LATEST_PART).label("part"),
            *newest.c,
            cast(null(), count).label("tally"),
            cast(null(), count).label("second_tally"),
        ),
        select(
            literal(_UNPAID_PART),
            *nulls(*no_invoice),
            InvoiceRow.currency,
            func.sum(balance),
            func.coalesce(func.sum(case((late, balance), else_=0)), 0),
            func.count(),
            func.coalesce(func.sum(case((late, 1), else_=0)), 0),
        )
        .where(
            InvoiceRow.practice_id == bindparam("practice_id"),
            # Spelled out rather than an IN list, whose values would be spliced into the
            # SQL at each run; these are fixed, so the SQL is rendered once.
            or_(*(InvoiceRow.status == status.value for status in sorted(UNPAID_STATUSES))),
        )
        .group_by(InvoiceRow.currency),
        select(
            literal(_RECEIVED_PART),
            *nulls(*no_invoice),
            LedgerEntryRow.currency,
            func.sum(
                case(
                    (LedgerEntryRow.kind == EntryKind.REFUND.value, -LedgerEntryRow.amount_minor),
                    else_=LedgerEntryRow.amount_minor,
                )
            ),
            *nulls(count, count, count),
        )
        .where(
            LedgerEntryRow.practice_id == bindparam("practice_id"),
            LedgerEntryRow.received_at >= bindparam("received_from"),
            LedgerEntryRow.received_at < bindparam("received_to"),
        )
        .group_by(LedgerEntryRow.currency),
    )


_LATEST_PART, _UNPAID_PART, _RECEIVED_PART = "latest", "unpaid", "received"
_OVERVIEW = _overview_query()


@functools.lru_cache(maxsize=16)
def _rendered_overview(dialect: Dialect) -> RenderedStatement:
    return RenderedStatement(_OVERVIEW, dialect)


class SqlInvoiceRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    # reading

    def _assemble(self, rows: Sequence[InvoiceRow]) -> list[Invoice]:
        """Whole invoices for rows of one practice, with two more queries in all."""
        if not rows:
            return []
        ids = [row.id for row in rows]
        practice_id = rows[0].practice_id
        lines: dict[str, list[InvoiceLineRow]] = {row_id: [] for row_id in ids}
        for line in self._session.scalars(
            select(InvoiceLineRow)
            .where(InvoiceLineRow.practice_id == practice_id, InvoiceLineRow.invoice_id.in_(ids))
            .order_by(InvoiceLineRow.invoice_id, InvoiceLineRow.position)
        ):
            lines[line.invoice_id].append(line)
        entries: dict[str, list[LedgerEntryRow]] = {row_id: [] for row_id in ids}
        for entry in self._session.scalars(
            select(LedgerEntryRow)
            .where(LedgerEntryRow.practice_id == practice_id, LedgerEntryRow.invoice_id.in_(ids))
            .order_by(LedgerEntryRow.invoice_id, LedgerEntryRow.position)
        ):
            entries[entry.invoice_id].append(entry)
        invoices = []
        for row in rows:
            currency = Currency(row.currency)
            invoices.append(
                Invoice(
                    id=InvoiceId(row.id),
                    practice_id=PracticeId(row.practice_id),
                    number=row.number,
                    sequence=row.sequence,
                    client_id=ClientId(row.client_id),
                    currency=currency,
                    issue_date=row.issue_date,
                    due_date=row.due_date,
                    lines=tuple(_line(line, currency) for line in lines[row.id]),
                    created_at=row.created_at,
                    created_by=row.created_by,
                    state=InvoiceState(row.state),
                    ledger=tuple(_entry(entry) for entry in entries[row.id]),
                    issued_at=row.issued_at,
                    voided_at=row.voided_at,
                    void_reason=row.void_reason,
                    version=row.version,
                )
            )
        return invoices

    def get(self, practice_id: PracticeId, invoice_id: InvoiceId) -> Invoice | None:
        row = self._session.scalar(
            select(InvoiceRow).where(
                InvoiceRow.practice_id == practice_id, InvoiceRow.id == invoice_id
            )
        )
        return self._assemble([row])[0] if row else None

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

    def overview(
        self,
        practice_id: PracticeId,
        *,
        latest: int,
        today: date,
        received_from: datetime,
        received_to: datetime,
    ) -> InvoiceOverview:
        connection = self._session.connection()
        rows = _rendered_overview(connection.dialect).rows(
            connection.connection,
            practice_id=practice_id,
            limit=latest,
            today=today,
            received_from=received_from,
            received_to=received_to,
        )
        newest: list[tuple[int, InvoiceListing]] = []
        unpaid, received = [], []
        for row in rows:
            currency = Currency(row.currency)
            if row.part == _LATEST_PART:
                listing = InvoiceListing(
                    id=InvoiceId(row.id),
                    number=row.number,
                    client_id=ClientId(row.client_id),
                    client_name=row.name,
                    total=currency.from_minor_units(int(row.amount)),
                    balance=currency.from_minor_units(int(row.second_amount)),
                    status=InvoiceStatus(row.status),
                    due_date=row.due_date,
                )
                newest.append((row.sequence, listing))
            elif row.part == _UNPAID_PART:
                unpaid.append(
                    UnpaidTotals(
                        outstanding=currency.from_minor_units(int(row.amount)),
                        unpaid_count=int(row.tally),
                        overdue=currency.from_minor_units(int(row.second_amount)),
                        overdue_count=int(row.second_tally),
                    )
                )
            else:
                received.append(currency.from_minor_units(int(row.amount)))
        # A union keeps no order of its own.
        newest.sort(key=lambda pair: pair[0], reverse=True)
        unpaid.sort(key=lambda totals: totals.outstanding.currency.code)
        received.sort(key=lambda amount: amount.currency.code)
        return InvoiceOverview(
            latest=tuple(listing for _, listing in newest),
            unpaid=tuple(unpaid),
            received=tuple(received),
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

    def update(self, invoice: Invoice) -> None:
        stored = self.get(invoice.practice_id, invoice.id)
        if stored is None:
            raise StaleEdit("This invoice no longer exists.")
        _update_versioned(
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
            self._session.execute(insert(LedgerEntryRow), values)

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


# -- audit ----------------------------------------------------------------------------------


class SqlAuditLog:
    def __init__(self, session: Session) -> None:
        self._session = session

    def record(self, event: AuditEvent) -> None:
        self._session.execute(
            insert(AuditEventRow).values(
                id=event.id,
                practice_id=event.practice_id,
                actor=event.actor,
                action=event.action,
                subject_type=event.subject_type,
                subject_id=event.subject_id,
                at=event.at,
                details=dict(event.details),
            )
        )

    def for_subject(self, practice_id: PracticeId, subject_id: str) -> list[AuditEvent]:
        rows = self._session.scalars(
            select(AuditEventRow)
            .where(AuditEventRow.practice_id == practice_id, AuditEventRow.subject_id == subject_id)
            .order_by(AuditEventRow.seq)
        )
        return [
            AuditEvent(
                AuditEventId(row.id),
                PracticeId(row.practice_id),
                row.actor,
                row.action,
                row.subject_type,
                row.subject_id,
                row.at,
                dict(row.details),
            )
            for row in rows
        ]


# -- members and logos ----------------------------------------------------------------------


def _member(row: MemberRow) -> Member:
    return Member(
        PracticeId(row.practice_id), row.user_id, Role(row.role), row.granted_by, row.granted_at
    )


class SqlMemberRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, practice_id: PracticeId, user_id: str) -> Member | None:
        row = self._session.get(MemberRow, (practice_id, user_id))
        return _member(row) if row else None

    def list(self, practice_id: PracticeId) -> list[Member]:
        query = select(MemberRow).where(MemberRow.practice_id == practice_id)
        return [_member(row) for row in self._session.scalars(query.order_by(MemberRow.user_id))]

    def save(self, member: Member) -> None:
        self.remove(member.practice_id, member.user_id)
        self._session.execute(
            insert(MemberRow).values(
                practice_id=member.practice_id,
                user_id=member.user_id,
                role=member.role.value,
                granted_by=member.granted_by,
                granted_at=member.granted_at,
            )
        )

    def remove(self, practice_id: PracticeId, user_id: str) -> None:
        self._session.execute(
            delete(MemberRow).where(
                MemberRow.practice_id == practice_id, MemberRow.user_id == user_id
            )
        )
        self._session.expire_all()


class SqlLogoRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, practice_id: PracticeId, logo_id: str, logo: Logo) -> None:
        self._session.execute(
            insert(LogoRow).values(
                id=logo_id,
                practice_id=practice_id,
                content_type=logo.content_type,
                content=logo.content,
            )
        )

    def get(self, practice_id: PracticeId, logo_id: str) -> Logo | None:
        row = self._session.scalar(
            select(LogoRow).where(LogoRow.practice_id == practice_id, LogoRow.id == logo_id)
        )
        return Logo(row.content_type, row.content) if row else None
