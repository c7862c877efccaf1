"""Keep the practice's records: clients, service types and appointments."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from functools import partial

from domain.appointments import (
    Appointment,
    AppointmentStatus,
    parse_clinician,
    parse_duration,
)
from domain.clients import Client, parse_email, parse_phone
from domain.errors import (
    AppointmentNotBillable,
    FieldErrors,
    InvalidValue,
    NotFound,
    StaleEdit,
)
from domain.ids import AppointmentId, ClientId, PracticeId, ServiceTypeId, TaxRateId
from domain.invoices import MAX_UNIT_PRICE, check_unit_price
from domain.money import Currency, Money, parse_amount
from domain.ports import Env, UnitOfWork
from domain.practice import Address, Practice, check_address
from domain.services import ServiceType
from domain.text import optional_text, required_text
from domain.usecases._common import audit, load_practice


@dataclass(frozen=True, slots=True)
class ClientDetails:
    name: str
    email: str
    phone: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    notes: str = ""


@dataclass(frozen=True, slots=True)
class AddClient:
    practice_id: PracticeId
    actor: str
    details: ClientDetails


@dataclass(frozen=True, slots=True)
class EditClient:
    practice_id: PracticeId
    actor: str
    client_id: ClientId
    expected_version: int
    details: ClientDetails


def _checked_client_fields(
    details: ClientDetails, practice: Practice
) -> tuple[str, str, str, Address, str]:
    errors = FieldErrors()
    name = errors.check(
        "name", partial(required_text, details.name, label="client's name", max_length=200)
    )
    email = errors.check("email", partial(parse_email, details.email))
    address = check_address(
        errors,
        line1=details.address_line1,
        line2=details.address_line2,
        city=details.city,
        region=details.region,
        postal_code=details.postal_code,
        country=details.country,
    )
    # A number typed without a country code is read as local to the client's country,
    # else to the practice's.
    region = address.country or practice.billing.address.country or None
    phone = errors.check("phone", partial(parse_phone, details.phone, region))
    notes = errors.check(
        "notes", partial(optional_text, details.notes, label="notes", max_length=2000)
    )
    errors.raise_if_any()
    assert name is not None and email is not None and phone is not None and notes is not None
    return name, email, phone, address, notes


def add_client(cmd: AddClient, uow: UnitOfWork, env: Env) -> Client:
    """Add a client; the e-mail and phone are checked and normalised."""
    with uow:
        practice = load_practice(uow, cmd.practice_id)
        name, email, phone, address, notes = _checked_client_fields(cmd.details, practice)
        client = Client(ClientId(env.ids.new_id()), practice.id, name, email, phone, address, notes)
        uow.clients.add(client)
        audit(uow, env, practice.id, cmd.actor, "client.added", "client", client.id)
        uow.commit()
        return client


def load_client(uow: UnitOfWork, practice_id: PracticeId, client_id: ClientId) -> Client:
    client = uow.clients.get(practice_id, client_id)
    if client is None:
        raise NotFound("client", client_id)
    return client


def edit_client(cmd: EditClient, uow: UnitOfWork, env: Env) -> Client:
    """Change a client's details; refused if someone else changed them since they were read."""
    with uow:
        practice = load_practice(uow, cmd.practice_id)
        client = load_client(uow, practice.id, cmd.client_id)
        if client.version != cmd.expected_version:
            raise StaleEdit("Someone else changed this client meanwhile. Reopen it and try again.")
        name, email, phone, address, notes = _checked_client_fields(cmd.details, practice)
        updated = replace(
            client,
            name=name,
            email=email,
            phone=phone,
            address=address,
            notes=notes,
            version=client.version + 1,
        )
        uow.clients.update(updated)
        audit(uow, env, practice.id, cmd.actor, "client.edited", "client", client.id)
        uow.commit()
        return updated


@dataclass(frozen=True, slots=True)
class AddServiceType:
    practice_id: PracticeId
    actor: str
    name: str
    default_price: str | Decimal
    default_tax_rate_id: TaxRateId | None = None


def parse_price(value: str | Decimal, currency: Currency, locale: str = "en_US") -> Money:
    """A price typed by a person in the practice's currency, as its `locale` writes numbers
    ('1,250.50' in en_US, '1.250,50' in de_DE)."""
    if isinstance(value, float):
        raise TypeError("a price must be a Decimal or text, not a float")
    amount = (
        parse_amount(value, currency, locale, noun="price") if isinstance(value, str) else value
    )
    if amount < 0:
        raise InvalidValue("The price cannot be negative.")
    if amount > MAX_UNIT_PRICE:
        largest = Money(MAX_UNIT_PRICE, currency).format(locale)
        raise InvalidValue(f"The price can be at most {largest}.")
    if amount != amount.quantize(currency.quantum):
        raise InvalidValue(
            f"{currency.code} prices have at most {currency.exponent} decimals; got {amount}."
        )
    return check_unit_price(Money(amount.quantize(currency.quantum), currency), currency, locale)


def _checked_service_fields(
    uow: UnitOfWork,
    practice: Practice,
    name: str,
    default_price: str | Decimal,
    default_tax_rate_id: TaxRateId | None,
    current: ServiceType | None,
) -> tuple[str, Money]:
    errors = FieldErrors()
    checked_name = errors.check(
        "name", partial(required_text, name, label="service name", max_length=100)
    )
    price = errors.check(
        "default_price", partial(parse_price, default_price, practice.currency, practice.locale)
    )
    if checked_name is not None and any(
        service.name.casefold() == checked_name.casefold()
        and (current is None or service.id != current.id)
        for service in uow.service_types.list(practice.id)
    ):
        errors.add(
            "name", f"There is already a service called '{checked_name}'. Pick another name."
        )
    # A service may keep a rate archived since it was chosen; a newly chosen one is active.
    kept = current is not None and default_tax_rate_id == current.default_tax_rate_id
    if default_tax_rate_id is not None and not kept:
        rate = uow.tax_rates.get(practice.id, default_tax_rate_id)
        if rate is None or rate.is_archived:
            errors.add("default_tax_rate", "Pick one of the practice's active tax rates.")
    errors.raise_if_any()
    assert checked_name is not None and price is not None
    return checked_name, price


def add_service_type(cmd: AddServiceType, uow: UnitOfWork, env: Env) -> ServiceType:
    """Add something the practice bills for, with its default price and tax rate."""
    with uow:
        practice = load_practice(uow, cmd.practice_id)
        name, price = _checked_service_fields(
            uow, practice, cmd.name, cmd.default_price, cmd.default_tax_rate_id, None
        )
        service = ServiceType(
            ServiceTypeId(env.ids.new_id()), practice.id, name, price, cmd.default_tax_rate_id
        )
        uow.service_types.add(service)
        audit(uow, env, practice.id, cmd.actor, "service_type.added", "service_type", service.id)
        uow.commit()
        return service


@dataclass(frozen=True, slots=True)
class EditServiceType:
    practice_id: PracticeId
    actor: str
    service_type_id: ServiceTypeId
    expected_version: int
    """The version the person edited; a different stored one means someone changed it since."""
    name: str
    default_price: str | Decimal
    default_tax_rate_id: TaxRateId | None = None


def edit_service_type(cmd: EditServiceType, uow: UnitOfWork, env: Env) -> ServiceType:
    """Rename a service or change its default price or tax rate; invoices already made keep
    their own lines. Raises NotFound, StaleEdit if it changed since it was read, or
    ValidationError."""
    with uow:
        practice = load_practice(uow, cmd.practice_id)
        service = uow.service_types.get(practice.id, cmd.service_type_id)
        if service is None:
            raise NotFound("service type", cmd.service_type_id)
        if service.version != cmd.expected_version:
            raise StaleEdit(
                f"Someone else changed '{service.name}' meanwhile, so this edit was not saved. "
                "Open it again to see the current details."
            )
        name, price = _checked_service_fields(
            uow, practice, cmd.name, cmd.default_price, cmd.default_tax_rate_id, service
        )
        updated = replace(
            service,
            name=name,
            default_price=price,
            default_tax_rate_id=cmd.default_tax_rate_id,
            version=service.version + 1,
        )
        uow.service_types.update(updated)
        audit(uow, env, practice.id, cmd.actor, "service_type.edited", "service_type", service.id)
        uow.commit()
        return updated


def set_service_type_active(
    practice_id: PracticeId,
    service_type_id: ServiceTypeId,
    active: bool,
    actor: str,
    uow: UnitOfWork,
    env: Env,
) -> ServiceType:
    """Retire a service type from new invoices (or bring it back)."""
    with uow:
        service = uow.service_types.get(practice_id, service_type_id)
        if service is None:
            raise NotFound("service type", service_type_id)
        updated = replace(service, active=active, version=service.version + 1)
        uow.service_types.update(updated)
        audit(
            uow,
            env,
            practice_id,
            actor,
            "service_type.activated" if active else "service_type.deactivated",
            "service_type",
            service.id,
        )
        uow.commit()
        return updated


@dataclass(frozen=True, slots=True)
class ScheduleAppointment:
    practice_id: PracticeId
    actor: str
    client_id: ClientId
    service_type_id: ServiceTypeId
    start: datetime
    duration_minutes: int
    clinician: str


def schedule_appointment(cmd: ScheduleAppointment, uow: UnitOfWork, env: Env) -> Appointment:
    """Put an appointment in the calendar for a client, a service and a clinician."""
    with uow:
        practice = load_practice(uow, cmd.practice_id)
        errors = FieldErrors()
        if uow.clients.get(practice.id, cmd.client_id) is None:
            errors.add("client", "Pick one of the practice's clients.")
        service = uow.service_types.get(practice.id, cmd.service_type_id)
        if service is None or not service.active:
            errors.add("service_type", "Pick one of the practice's active services.")
        if cmd.start.tzinfo is None:
            errors.add("start", "Give the start with its time zone.")
        duration = errors.check("duration_minutes", partial(parse_duration, cmd.duration_minutes))
        clinician = errors.check("clinician", partial(parse_clinician, cmd.clinician))
        errors.raise_if_any()
        assert duration is not None and clinician is not None
        appointment = Appointment(
            AppointmentId(env.ids.new_id()),
            practice.id,
            cmd.client_id,
            cmd.service_type_id,
            cmd.start,
            duration,
            clinician,
        )
        uow.appointments.add(appointment)
        audit(
            uow, env, practice.id, cmd.actor, "appointment.scheduled", "appointment", appointment.id
        )
        uow.commit()
        return appointment


def set_appointment_status(
    practice_id: PracticeId,
    appointment_id: AppointmentId,
    status: AppointmentStatus,
    actor: str,
    uow: UnitOfWork,
    env: Env,
    *,
    expected_version: int | None = None,
) -> Appointment:
    """Mark an appointment attended, cancelled or a no-show. Raises NotFound unless it is the
    practice's, AppointmentNotBillable to cancel one an invoice (not void) bills: a
    cancelled appointment is not billed, so that invoice is voided first. With
    `expected_version` (the version a list showed), StaleEdit if it changed since: a mark
    pressed on an old list would undo what someone else marked meanwhile."""
    with uow:
        appointment = uow.appointments.get(practice_id, appointment_id)
        if appointment is None:
            raise NotFound("appointment", appointment_id)
        if expected_version is not None and appointment.version != expected_version:
            now = appointment.status.value.replace("_", "-")
            raise StaleEdit(
                f"This appointment changed after your list was drawn (it is now {now})."
            )
        if status is AppointmentStatus.CANCELLED:
            billed = uow.invoices.for_appointment(practice_id, appointment_id)
            if billed is not None:
                raise AppointmentNotBillable(
                    f"This appointment is on invoice {billed.number}, so it cannot be "
                    "marked cancelled. Void that invoice first."
                )
        updated = replace(appointment, status=status, version=appointment.version + 1)
        uow.appointments.update(updated)
        audit(
            uow,
            env,
            practice_id,
            actor,
            "appointment.status_changed",
            "appointment",
            appointment.id,
            status=status.value,
        )
        uow.commit()
        return updated
