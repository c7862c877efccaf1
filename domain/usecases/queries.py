"""The reads behind the bot's settings and scheduling screens, one use case each, each in one
unit of work: the tax rate and service lists, and the appointment form with its client search.

They take the unit of work as the changes do (`query(args..., uow, env)`), so a caller passes
a read-only one; none of them changes anything or commits."""

from __future__ import annotations

from dataclasses import dataclass

from domain.appointments import Appointment
from domain.clients import Client
from domain.errors import NotFound
from domain.ids import PracticeId, TaxRateId
from domain.money import Currency
from domain.ports import Env, UnitOfWork
from domain.practice import TaxRate
from domain.services import ServiceType
from domain.usecases._common import load_practice


@dataclass(frozen=True, slots=True)
class TaxRateList:
    rates: tuple[TaxRate, ...]
    """The active rates, by name."""
    default_id: TaxRateId | None
    locale: str = "en_US"
    """How the practice writes numbers, for the percentages shown and typed."""


def tax_rate_list(practice_id: PracticeId, uow: UnitOfWork, env: Env) -> TaxRateList:
    """The practice's active tax rates and which one is its default, as stored now."""
    with uow:
        practice = load_practice(uow, practice_id)
        rates = uow.tax_rates.list(practice_id)
    return TaxRateList(
        tuple(sorted(rates, key=_by_name)), practice.default_tax_rate_id, practice.locale
    )


def editable_tax_rate(
    practice_id: PracticeId, tax_rate_id: TaxRateId, uow: UnitOfWork, env: Env
) -> TaxRate:
    """The rate to rename or re-price; NotFound if it is gone or archived, since an archived
    rate is offered nowhere and so can only come from a stale list."""
    with uow:
        rate = uow.tax_rates.get(practice_id, tax_rate_id)
    if rate is None or rate.is_archived:
        raise NotFound("tax rate", tax_rate_id)
    return rate


@dataclass(frozen=True, slots=True)
class ServiceList:
    services: tuple[ServiceType, ...]
    """Every service, the active ones first, each part by name."""
    rates: tuple[TaxRate, ...]
    """Every tax rate by name, archived ones too, since an older service may still name one."""
    default_tax_rate_id: TaxRateId | None
    currency: Currency
    locale: str = "en_US"
    """How the practice writes numbers, for the prices shown and typed."""


def service_list(practice_id: PracticeId, uow: UnitOfWork, env: Env) -> ServiceList:
    """The practice's services and tax rates as stored now, with its default rate and currency
    for the form that adds a service."""
    with uow:
        practice = load_practice(uow, practice_id)
        services = uow.service_types.list(practice_id, include_inactive=True)
        rates = uow.tax_rates.list(practice_id, include_archived=True)
    services.sort(key=lambda service: (not service.active, service.name.casefold()))
    return ServiceList(
        tuple(services),
        tuple(sorted(rates, key=_by_name)),
        practice.default_tax_rate_id,
        practice.currency,
        practice.locale,
    )


@dataclass(frozen=True, slots=True)
class SchedulingChoices:
    clients: tuple[Client, ...]
    """Every client of the practice, by name."""
    services: tuple[ServiceType, ...]
    """The active services, by name."""


def scheduling_choices(practice_id: PracticeId, uow: UnitOfWork, env: Env) -> SchedulingChoices:
    """The clients and services an appointment can be scheduled for."""
    with uow:
        clients = uow.clients.list(practice_id)
        services = uow.service_types.list(practice_id)
    return SchedulingChoices(
        tuple(sorted(clients, key=_by_name)), tuple(sorted(services, key=_by_name))
    )


def matching_clients(
    practice_id: PracticeId, text: str, limit: int, uow: UnitOfWork, env: Env
) -> list[Client]:
    """The practice's clients whose name or e-mail contains `text`, by name, at most `limit`
    (a client picker searching as the user types)."""
    with uow:
        return uow.clients.matching(practice_id, text, limit)


@dataclass(frozen=True, slots=True)
class AppointmentNames:
    """The names an appointment is shown with; None for a record no longer there."""

    client: str | None
    service: str | None


def appointment_names(appointment: Appointment, uow: UnitOfWork, env: Env) -> AppointmentNames:
    """The names of the appointment's client and service, to confirm what was scheduled."""
    with uow:
        client = uow.clients.get(appointment.practice_id, appointment.client_id)
        service = uow.service_types.get(appointment.practice_id, appointment.service_type_id)
    return AppointmentNames(client.name if client else None, service.name if service else None)


def _by_name(record: TaxRate | ServiceType | Client) -> str:
    return record.name.casefold()
