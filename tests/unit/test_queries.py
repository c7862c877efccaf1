"""The reads behind the settings and scheduling screens: what each lists, in which order, and
that none of them changes anything."""

from __future__ import annotations

import pytest

from domain.errors import NotFound
from domain.ids import TaxRateId
from domain.money import Currency
from domain.ports import Env
from domain.practice import Practice
from domain.usecases.queries import (
    appointment_names,
    editable_tax_rate,
    matching_clients,
    scheduling_choices,
    service_list,
    tax_rate_list,
)
from domain.usecases.records import set_service_type_active
from domain.usecases.settings import archive_tax_rate
from factories import ACTOR, a_client, a_practice, a_service, a_tax_rate, an_appointment
from fakes import FakeUnitOfWork


@pytest.fixture
def practice(uow: FakeUnitOfWork, env: Env) -> Practice:
    return a_practice(uow, env, currency="EUR")


def test_the_tax_rate_list_shows_active_rates_by_name_and_the_default(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    old = a_tax_rate(uow, env, practice, name="Old")
    a_tax_rate(uow, env, practice, name="vat")
    reduced = a_tax_rate(uow, env, practice, name="Reduced", make_default=True)
    archive_tax_rate(practice.id, old.id, ACTOR, uow, env)

    listed = tax_rate_list(practice.id, uow, env)

    assert [rate.name for rate in listed.rates] == ["Reduced", "vat"]
    assert listed.default_id == reduced.id


def test_a_rate_is_editable_while_it_is_active(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    rate = a_tax_rate(uow, env, practice, name="VAT")

    assert editable_tax_rate(practice.id, rate.id, uow, env) == rate


def test_an_archived_or_missing_rate_is_not_editable(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    a_tax_rate(uow, env, practice, make_default=True)
    old = a_tax_rate(uow, env, practice)
    archive_tax_rate(practice.id, old.id, ACTOR, uow, env)

    with pytest.raises(NotFound):
        editable_tax_rate(practice.id, old.id, uow, env)
    with pytest.raises(NotFound):
        editable_tax_rate(practice.id, TaxRateId("gone"), uow, env)


def test_another_practices_rate_is_not_editable(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    theirs = a_tax_rate(uow, env, a_practice(uow, env))

    with pytest.raises(NotFound):
        editable_tax_rate(practice.id, theirs.id, uow, env)


def test_the_service_list_puts_active_services_first_and_keeps_archived_rates(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    default = a_tax_rate(uow, env, practice, name="Standard")
    old_rate = a_tax_rate(uow, env, practice, name="Old")
    a_service(uow, env, practice, name="intake", tax_rate=old_rate)
    archive_tax_rate(practice.id, old_rate.id, ACTOR, uow, env)
    retired = a_service(uow, env, practice, name="Assessment")
    set_service_type_active(practice.id, retired.id, False, ACTOR, uow, env)
    a_service(uow, env, practice, name="Follow-up")

    listed = service_list(practice.id, uow, env)

    assert [service.name for service in listed.services] == ["Follow-up", "intake", "Assessment"]
    assert [rate.name for rate in listed.rates] == ["Old", "Standard"]
    assert listed.default_tax_rate_id == default.id
    assert listed.currency == Currency("EUR")


def test_the_service_list_of_an_unknown_practice_is_not_found(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    with pytest.raises(NotFound):
        service_list(type(practice.id)("gone"), uow, env)


def test_scheduling_offers_every_client_and_the_active_services_by_name(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    a_client(uow, env, practice, name="grace Hopper", email="grace@example.com")
    a_client(uow, env, practice, name="Ada Lovelace")
    a_service(uow, env, practice, name="Session")
    retired = a_service(uow, env, practice, name="Assessment")
    set_service_type_active(practice.id, retired.id, False, ACTOR, uow, env)
    a_client(uow, env, a_practice(uow, env), name="Someone Else", email="else@example.com")

    choices = scheduling_choices(practice.id, uow, env)

    assert [client.name for client in choices.clients] == ["Ada Lovelace", "grace Hopper"]
    assert [service.name for service in choices.services] == ["Session"]


def test_client_search_finds_the_practices_clients_by_part_of_a_name_or_email(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    a_client(uow, env, practice, name="Ada Lovelace", email="ada@example.com")
    a_client(uow, env, practice, name="Grace Hopper", email="grace@navy.example")
    a_client(uow, env, a_practice(uow, env), name="Ada Elsewhere", email="ada@else.example")

    by_name = matching_clients(practice.id, "ada", 10, uow, env)
    by_email = matching_clients(practice.id, "NAVY", 10, uow, env)

    assert [client.name for client in by_name] == ["Ada Lovelace"]
    assert [client.name for client in by_email] == ["Grace Hopper"]


def test_client_search_stops_at_the_limit(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    for n in range(3):
        a_client(uow, env, practice, name=f"Client {n}", email=f"c{n}@example.com")

    assert len(matching_clients(practice.id, "client", 2, uow, env)) == 2


def test_a_scheduled_appointment_is_named_by_its_client_and_service(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    ada = a_client(uow, env, practice, name="Ada Lovelace")
    session = a_service(uow, env, practice, name="Individual session")
    appointment = an_appointment(uow, env, practice, client=ada, service=session)

    names = appointment_names(appointment, uow, env)

    assert (names.client, names.service) == ("Ada Lovelace", "Individual session")


def test_reading_the_screens_changes_nothing(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    rate = a_tax_rate(uow, env, practice)
    appointment = an_appointment(uow, env, practice)
    commits, stored = uow.commits, uow.committed

    tax_rate_list(practice.id, uow, env)
    editable_tax_rate(practice.id, rate.id, uow, env)
    service_list(practice.id, uow, env)
    scheduling_choices(practice.id, uow, env)
    matching_clients(practice.id, "a", 5, uow, env)
    appointment_names(appointment, uow, env)

    assert uow.commits == commits
    assert uow.committed == stored
