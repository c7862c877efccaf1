"""Keeping the practice's records: clients, service types and appointments."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.appointments import AppointmentStatus
from domain.clients import Client
from domain.errors import NotFound, StaleEdit, ValidationError
from domain.ids import ClientId, PracticeId
from domain.money import Money
from domain.ports import Env
from domain.usecases.records import (
    AddClient,
    AddServiceType,
    ClientDetails,
    EditClient,
    ScheduleAppointment,
    add_client,
    add_service_type,
    edit_client,
    schedule_appointment,
    set_appointment_status,
    set_service_type_active,
)
from domain.usecases.settings import archive_tax_rate
from factories import (
    ACTOR,
    CLINICIAN,
    a_client,
    a_practice,
    a_service,
    a_tax_rate,
    an_appointment,
)
from fakes import FakeUnitOfWork

MONDAY_10AM = datetime(2025, 3, 17, 14, 0, tzinfo=UTC)

# -- clients ----------------------------------------------------------------------------------


def test_a_client_is_stored_with_a_normalised_email(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    details = ClientDetails(name=" Grace Hopper ", email="Grace@Navy.MIL ", notes=" prefers mail ")

    client = add_client(AddClient(practice.id, ACTOR, details), uow, env)

    with uow:
        assert uow.clients.get(practice.id, client.id) == client
        assert [e.action for e in uow.audit.for_subject(practice.id, client.id)] == ["client.added"]
    assert client.name == "Grace Hopper"
    assert client.email == "Grace@navy.mil"
    assert client.notes == "prefers mail"


def test_a_local_phone_number_is_read_in_the_practices_country(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env, country="US")

    client = a_client(uow, env, practice, phone="(415) 555-0100")

    assert client.phone == "+14155550100"


def test_a_local_phone_number_is_read_in_the_clients_own_country_first(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env, country="US")
    details = ClientDetails(
        name="Alan Turing", email="alan@example.com", phone="020 7946 0958", country="gb"
    )

    client = add_client(AddClient(practice.id, ACTOR, details), uow, env)

    assert client.phone == "+442079460958"
    assert client.address.country == "GB"


def test_editing_a_client_moves_its_version(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    client = a_client(uow, env, practice)

    edited = edit_client(
        EditClient(
            practice.id, ACTOR, client.id, client.version, ClientDetails("Ada King", "ada@king.org")
        ),
        uow,
        env,
    )

    with uow:
        assert uow.clients.get(practice.id, client.id) == edited
    assert (edited.name, edited.email) == ("Ada King", "ada@king.org")
    assert edited.version == client.version + 1


def test_editing_a_client_someone_else_just_changed_is_refused(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    client = a_client(uow, env, practice)
    edit_client(
        EditClient(practice.id, ACTOR, client.id, 1, ClientDetails("Ada King", "ada@king.org")),
        uow,
        env,
    )
    before = uow.committed

    with pytest.raises(StaleEdit, match="Reopen it and try again"):
        edit_client(
            EditClient(practice.id, ACTOR, client.id, 1, ClientDetails("Ada L", "ada@l.org")),
            uow,
            env,
        )

    assert uow.committed == before


def test_editing_a_client_that_does_not_exist_is_not_found(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)

    with pytest.raises(NotFound):
        edit_client(
            EditClient(practice.id, ACTOR, ClientId("nobody"), 1, ClientDetails("A", "a@b.org")),
            uow,
            env,
        )


@pytest.mark.parametrize(
    ("name", "initials"),
    [("Ada Lovelace", "A.L."), ("mary-jane watson", "M.W."), ("Cher", "C."), ("  ", "?")],
)
def test_privacy_mode_shows_a_clients_initials(name: str, initials: str) -> None:
    client = Client(ClientId("c"), PracticeId("p"), name, "x@example.com")

    assert client.initials == initials


# -- service types ----------------------------------------------------------------------------


def test_a_service_type_keeps_its_price_in_the_practices_currency(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env, currency="JPY")
    rate = a_tax_rate(uow, env, practice, percent="10")

    service = a_service(uow, env, practice, name="Counselling", price="8,000", tax_rate=rate)

    with uow:
        assert uow.service_types.get(practice.id, service.id) == service
    assert service.default_price == Money.of(8000, "JPY")
    assert service.default_tax_rate_id == rate.id
    assert service.active


def test_a_second_service_with_the_same_name_is_refused(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    a_service(uow, env, practice, name="Couples session")
    before = uow.committed

    with pytest.raises(ValidationError) as refused:
        add_service_type(AddServiceType(practice.id, ACTOR, "couples SESSION ", "90"), uow, env)

    assert set(refused.value.errors) == {"name"}
    assert "Pick another name" in refused.value.errors["name"]
    assert uow.committed == before


def test_a_service_cannot_default_to_an_archived_tax_rate(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    a_tax_rate(uow, env, practice, name="Standard")
    old = a_tax_rate(uow, env, practice, name="Old")
    archive_tax_rate(practice.id, old.id, ACTOR, uow, env)
    before = uow.committed

    with pytest.raises(ValidationError) as refused:
        add_service_type(AddServiceType(practice.id, ACTOR, "Session", "90", old.id), uow, env)

    assert refused.value.errors == {
        "default_tax_rate": "Pick one of the practice's active tax rates."
    }
    assert uow.committed == before


def test_a_price_with_more_decimals_than_the_currency_is_refused(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env, currency="JPY")
    before = uow.committed

    with pytest.raises(ValidationError) as refused:
        add_service_type(AddServiceType(practice.id, ACTOR, "Session", "8000.50"), uow, env)

    assert "JPY prices have at most 0 decimals" in refused.value.errors["default_price"]
    assert uow.committed == before


def test_a_retired_service_is_no_longer_offered(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    service = a_service(uow, env, practice)

    retired = set_service_type_active(practice.id, service.id, False, ACTOR, uow, env)

    with uow:
        assert uow.service_types.list(practice.id) == []
        assert uow.service_types.list(practice.id, include_inactive=True) == [retired]
    assert retired.version == service.version + 1


# -- appointments -----------------------------------------------------------------------------


def test_an_appointment_is_scheduled_for_a_client_service_and_clinician(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    client = a_client(uow, env, practice)
    service = a_service(uow, env, practice)

    appointment = schedule_appointment(
        ScheduleAppointment(practice.id, ACTOR, client.id, service.id, MONDAY_10AM, 50, CLINICIAN),
        uow,
        env,
    )

    with uow:
        assert uow.appointments.list(practice.id, client_id=client.id) == [appointment]
    assert appointment.status is AppointmentStatus.SCHEDULED
    assert appointment.end == datetime(2025, 3, 17, 14, 50, tzinfo=UTC)


def test_every_wrong_appointment_field_is_named(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    service = a_service(uow, env, practice)
    set_service_type_active(practice.id, service.id, False, ACTOR, uow, env)
    before = uow.committed

    with pytest.raises(ValidationError) as refused:
        schedule_appointment(
            ScheduleAppointment(
                practice.id,
                ACTOR,
                ClientId("nobody"),
                service.id,
                datetime(2025, 3, 17, 10, 0),  # no time zone
                0,
                "bob",
            ),
            uow,
            env,
        )

    assert set(refused.value.errors) == {
        "client",
        "service_type",
        "start",
        "duration_minutes",
        "clinician",
    }
    assert "1 to 1440 minutes" in refused.value.errors["duration_minutes"]
    assert uow.committed == before


def test_an_appointment_can_be_marked_as_a_no_show(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    appointment = an_appointment(uow, env, practice)

    updated = set_appointment_status(
        practice.id, appointment.id, AppointmentStatus.NO_SHOW, ACTOR, uow, env
    )

    with uow:
        assert uow.appointments.get(practice.id, appointment.id) == updated
        assert uow.audit.for_subject(practice.id, appointment.id)[-1].details == {
            "status": "no_show"
        }
    assert updated.is_billable
    assert updated.version == appointment.version + 1
