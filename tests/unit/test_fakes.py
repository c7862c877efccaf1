"""The in-memory unit of work keeps the promises the SQL one keeps, so unit tests can trust it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.errors import AppointmentAlreadyInvoiced, StaleEdit
from domain.ids import InvoiceId, TaxRateId
from domain.invoices import InvoiceOverview
from domain.ports import Env, InvoiceFilter
from factories import (
    a_client,
    a_line,
    a_payment,
    a_practice,
    a_tax_rate,
    an_appointment,
    an_invoice,
    an_issued_invoice,
)
from fakes import FakeUnitOfWork, FixedClock, SequentialIds


def test_changes_without_commit_are_thrown_away(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    client = a_client(uow, env, practice)
    before = uow.committed

    with uow:
        uow.clients.update(replace(client, name="Changed", version=client.version + 1))

    assert uow.committed == before


def test_rollback_throws_away_what_the_transaction_did_so_far(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    client = a_client(uow, env, practice)

    with uow:
        uow.clients.update(replace(client, name="Changed", version=client.version + 1))
        uow.rollback()
        seen = uow.clients.get(practice.id, client.id)

    assert seen == client


def test_a_sequence_number_not_committed_is_given_back(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    with uow:
        uow.invoices.next_sequence(practice.id)

    with uow:
        taken = [uow.invoices.next_sequence(practice.id) for _ in range(2)]
        uow.commit()

    assert taken == [1, 2]


def test_repositories_are_only_usable_inside_a_transaction(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)

    with pytest.raises(RuntimeError, match="inside `with uow:`"):
        uow.practices.get(practice.id)


def test_a_transaction_cannot_be_nested(uow: FakeUnitOfWork) -> None:
    with uow, pytest.raises(RuntimeError, match="already in a transaction"), uow:
        pass


def test_one_practices_records_are_invisible_to_another(uow: FakeUnitOfWork, env: Env) -> None:
    harbour = a_practice(uow, env, name="Harbour")
    hillside = a_practice(uow, env, name="Hillside")
    client = a_client(uow, env, harbour)
    appointment = an_appointment(uow, env, harbour, client=client)
    invoice = an_issued_invoice(
        uow, env, harbour, client=client, lines=[a_line(harbour, appointment=appointment)]
    )
    a_payment(uow, env, harbour, invoice, "10.00")
    ever = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))

    with uow:
        assert uow.clients.get(hillside.id, client.id) is None
        assert uow.clients.list(hillside.id) == []
        assert uow.appointments.get(hillside.id, appointment.id) is None
        assert uow.appointments.list(hillside.id) == []
        assert uow.service_types.list(hillside.id) == []
        assert uow.invoices.get(hillside.id, invoice.id) is None
        assert uow.invoices.for_appointment(hillside.id, appointment.id) is None
        assert uow.invoices.find(hillside.id, InvoiceFilter()) == []
        assert uow.invoices.count(hillside.id) == 0
        start, end = ever
        assert uow.invoices.overview(
            hillside.id, latest=5, today=date(2100, 1, 1), received_from=start, received_to=end
        ) == InvoiceOverview((), (), ())
        assert uow.audit.for_subject(hillside.id, invoice.id) == []
        assert uow.invoices.count(harbour.id) == 1


def test_another_practices_record_cannot_be_overwritten(uow: FakeUnitOfWork, env: Env) -> None:
    harbour = a_practice(uow, env, name="Harbour")
    hillside = a_practice(uow, env, name="Hillside")
    client = a_client(uow, env, harbour)

    with uow, pytest.raises(StaleEdit):
        uow.clients.update(replace(client, practice_id=hillside.id, version=client.version + 1))


def test_a_reference_into_another_practice_is_refused(uow: FakeUnitOfWork, env: Env) -> None:
    harbour = a_practice(uow, env, name="Harbour")
    hillside = a_practice(uow, env, name="Hillside")
    harbours_client = a_client(uow, env, harbour)
    invoice = an_invoice(uow, env, hillside)

    with uow, pytest.raises(ValueError, match="foreign key"):
        uow.invoices.add(
            replace(
                invoice,
                id=InvoiceId("stolen"),
                number="INV-9999",
                client_id=harbours_client.id,
            )
        )


def test_storing_without_moving_the_version_is_a_stale_edit(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    client = a_client(uow, env, practice)

    with uow, pytest.raises(StaleEdit):
        uow.clients.update(replace(client, name="Same version"))


def test_an_appointment_on_a_second_open_invoice_is_refused_by_storage(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    client = a_client(uow, env, practice)
    appointment = an_appointment(uow, env, practice, client=client)
    first = an_invoice(
        uow, env, practice, client=client, lines=[a_line(practice, appointment=appointment)]
    )

    with uow, pytest.raises(AppointmentAlreadyInvoiced):
        uow.invoices.add(replace(first, id=InvoiceId("copy"), number="INV-9999"))


def test_two_active_tax_rates_cannot_share_a_name_in_storage(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    vat = a_tax_rate(uow, env, practice, name="VAT")

    with uow, pytest.raises(ValueError, match="unique"):
        uow.tax_rates.add(replace(vat, id=TaxRateId("again"), name="vat"))


def test_the_clock_moves_only_when_told() -> None:
    clock = FixedClock(datetime(2025, 1, 1, 12, tzinfo=UTC))

    clock.advance(hours=36)
    later = clock.now()
    clock.advance(timedelta(minutes=1))

    assert later == datetime(2025, 1, 3, 0, tzinfo=UTC)
    assert clock.now() == datetime(2025, 1, 3, 0, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.set(datetime(2025, 1, 1, 12))


def test_ids_are_unique_and_readable() -> None:
    ids = SequentialIds()

    assert [ids.new_id() for _ in range(3)] == ["id-0001", "id-0002", "id-0003"]
