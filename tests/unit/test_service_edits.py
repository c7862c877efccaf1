"""Editing a service: its name, default price and default tax rate change; a stale edit, a
taken name or another practice's service is refused and stores nothing."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from domain.errors import NotFound, StaleEdit, ValidationError
from domain.ports import Env
from domain.services import ServiceType
from domain.usecases.records import EditServiceType, edit_service_type, set_service_type_active
from domain.usecases.settings import archive_tax_rate
from factories import ACTOR, a_practice, a_service, a_tax_rate
from fakes import FakeUnitOfWork


def edit(service: ServiceType, **changes: object) -> EditServiceType:
    fields: dict[str, object] = {
        "name": service.name,
        "default_price": str(service.default_price.amount),
        "default_tax_rate_id": service.default_tax_rate_id,
        "expected_version": service.version,
        **changes,
    }
    return EditServiceType(service.practice_id, ACTOR, service.id, **fields)  # type: ignore[arg-type]


def test_a_service_gets_a_new_name_price_and_tax_rate(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    rate = a_tax_rate(uow, env, practice, name="Sales tax", percent="8.5")
    service = a_service(uow, env, practice, name="Session", price="120.00")

    edited = edit_service_type(
        edit(service, name="Long session", default_price="150.50", default_tax_rate_id=rate.id),
        uow,
        env,
    )

    stored = uow.committed.service_types[service.id]
    assert stored == edited
    assert (stored.name, stored.default_price.amount, stored.default_tax_rate_id) == (
        "Long session",
        Decimal("150.50"),
        rate.id,
    )
    assert stored.version == service.version + 1


def test_an_edit_of_a_service_changed_meanwhile_is_refused_saying_why(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    service = a_service(uow, env, practice, name="Session")
    set_service_type_active(practice.id, service.id, False, ACTOR, uow, env)
    before = uow.committed.service_types[service.id]

    with pytest.raises(StaleEdit, match="Someone else changed 'Session' meanwhile"):
        edit_service_type(edit(service, default_price="99"), uow, env)

    assert uow.committed.service_types[service.id] == before


def test_a_name_another_service_has_is_refused(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    a_service(uow, env, practice, name="Intake")
    service = a_service(uow, env, practice, name="Session")

    with pytest.raises(ValidationError) as refused:
        edit_service_type(edit(service, name="intake"), uow, env)

    assert "already a service called 'intake'" in refused.value.errors["name"]


def test_a_service_keeps_a_rate_archived_since_but_cannot_pick_one(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    a_tax_rate(uow, env, practice, name="Standard", make_default=True)
    old = a_tax_rate(uow, env, practice, name="Old")
    service = a_service(uow, env, practice, name="Session", tax_rate=old)
    other = a_service(uow, env, practice, name="Intake")
    archive_tax_rate(practice.id, old.id, ACTOR, uow, env)

    kept = edit_service_type(edit(service, default_price="130"), uow, env)
    with pytest.raises(ValidationError) as refused:
        edit_service_type(edit(other, default_tax_rate_id=old.id), uow, env)

    assert kept.default_tax_rate_id == old.id
    assert "active tax rates" in refused.value.errors["default_tax_rate"]


def test_another_practices_service_cannot_be_edited(uow: FakeUnitOfWork, env: Env) -> None:
    mine = a_practice(uow, env)
    theirs = a_service(uow, env, a_practice(uow, env), name="Theirs")

    with pytest.raises(NotFound):
        edit_service_type(replace(edit(theirs, name="Mine now"), practice_id=mine.id), uow, env)

    assert uow.committed.service_types[theirs.id].name == "Theirs"


def test_a_german_practice_edits_a_price_typed_89_50(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env, currency="EUR", country="DE")
    service = a_service(uow, env, practice, name="Sitzung", price="80,00")

    edited = edit_service_type(edit(service, default_price="89,50"), uow, env)

    assert edited.default_price.amount == Decimal("89.50")
