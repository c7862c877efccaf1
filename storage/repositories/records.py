"""The practice's records: clients, the services it offers, and appointments."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    case,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.orm import Session

from domain.appointments import Appointment, AppointmentStatus
from domain.clients import Client
from domain.ids import (
    AppointmentId,
    ClientId,
    PracticeId,
    ServiceTypeId,
    TaxRateId,
)
from domain.money import Currency
from domain.practice import (
    Address,
)
from domain.services import ServiceType
from domain.text import search_key
from storage.orm import (
    AppointmentInvoiceRow,
    AppointmentRow,
    ClientRow,
    ServiceTypeRow,
)
from storage.repositories.versioned import update_versioned

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
        "name_key": search_key(client.name),
        "email_key": search_key(client.email),
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


def _holding(wanted: str) -> ColumnElement[bool]:
    """The client's name or e-mail contains `wanted` (a search key). `autoescape`: a typed %
    or _ is looked for as itself, not as a wildcard; both sides are already folded, so a
    plain LIKE does on every database."""
    return or_(
        ClientRow.name_key.contains(wanted, autoescape=True),
        ClientRow.email_key.contains(wanted, autoescape=True),
    )


def _counted(query: Select[tuple[str]]) -> Select[tuple[int]]:
    return select(func.count()).select_from(query.subquery())


class SqlClientRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, practice_id: PracticeId, client_id: ClientId) -> Client | None:
        row = self._session.scalar(
            select(ClientRow).where(ClientRow.practice_id == practice_id, ClientRow.id == client_id)
        )
        return _client(row) if row else None

    # Above `list`, whose name would shadow the builtin in this annotation.
    def matching(self, practice_id: PracticeId, text: str, limit: int) -> list[Client]:
        wanted = search_key(text)
        # The best matches first: the whole name or e-mail, then a name one of whose words
        # starts with the text; then A-Z, as the list is.
        rank = case(
            (or_(ClientRow.name_key == wanted, ClientRow.email_key == wanted), 0),
            (
                or_(
                    ClientRow.name_key.startswith(wanted, autoescape=True),
                    ClientRow.name_key.contains(" " + wanted, autoescape=True),
                ),
                1,
            ),
            else_=2,
        )
        query = (
            select(ClientRow)
            .where(ClientRow.practice_id == practice_id, _holding(wanted))
            .order_by(rank, ClientRow.name_key, ClientRow.id)
            .limit(limit)
        )
        return [_client(row) for row in self._session.scalars(query)]

    def count_matching(self, practice_id: PracticeId, text: str) -> int:
        query = _counted(
            select(ClientRow.id).where(
                ClientRow.practice_id == practice_id, _holding(search_key(text))
            )
        )
        return int(self._session.scalar(query) or 0)

    def page(self, practice_id: PracticeId, offset: int, limit: int) -> list[Client]:
        query = (
            select(ClientRow)
            .where(ClientRow.practice_id == practice_id)
            .order_by(ClientRow.name_key, ClientRow.id)
            .offset(offset)
            .limit(limit)
        )
        return [_client(row) for row in self._session.scalars(query)]

    def count(self, practice_id: PracticeId) -> int:
        query = _counted(select(ClientRow.id).where(ClientRow.practice_id == practice_id))
        return int(self._session.scalar(query) or 0)

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
        update_versioned(
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
        update_versioned(
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


_Query = TypeVar("_Query", bound=Select[Any])


def _attended_uninvoiced(practice_id: PracticeId, query: _Query) -> _Query:
    """`query` narrowed to the practice's attended appointments that no link row ties to an
    invoice (a void invoice's links are deleted, so it releases its appointments)."""
    held = select(AppointmentInvoiceRow.appointment_id).where(
        AppointmentInvoiceRow.practice_id == practice_id,
        AppointmentInvoiceRow.appointment_id == AppointmentRow.id,
    )
    return query.where(
        AppointmentRow.practice_id == practice_id,
        AppointmentRow.status == AppointmentStatus.ATTENDED.value,
        ~held.exists(),
    )


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

    def between(
        self,
        practice_id: PracticeId,
        start: datetime,
        end: datetime,
        *,
        client_id: ClientId | None = None,
    ) -> list[Appointment]:
        query = select(AppointmentRow).where(
            AppointmentRow.practice_id == practice_id,
            AppointmentRow.starts_at >= start,
            AppointmentRow.starts_at < end,
        )
        if client_id is not None:
            query = query.where(AppointmentRow.client_id == client_id)
        query = query.order_by(AppointmentRow.starts_at, AppointmentRow.id)
        return [_appointment(row) for row in self._session.scalars(query)]

    def attended_uninvoiced(
        self, practice_id: PracticeId, *, client_id: ClientId | None = None, limit: int
    ) -> list[Appointment]:
        query = _attended_uninvoiced(practice_id, select(AppointmentRow))
        if client_id is not None:
            query = query.where(AppointmentRow.client_id == client_id)
        query = query.order_by(AppointmentRow.starts_at.desc(), AppointmentRow.id).limit(limit)
        return [_appointment(row) for row in self._session.scalars(query)]

    def attended_uninvoiced_counts(self, practice_id: PracticeId) -> dict[ClientId, int]:
        query = _attended_uninvoiced(
            practice_id, select(AppointmentRow.client_id, func.count())
        ).group_by(AppointmentRow.client_id)
        return {
            ClientId(client_id): int(count) for client_id, count in self._session.execute(query)
        }

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
        update_versioned(
            self._session,
            AppointmentRow,
            appointment.practice_id,
            appointment.id,
            appointment.version,
            _appointment_values(appointment),
            "appointment",
        )
