"""The calendar's reads in the database, on SQLite and PostgreSQL: appointments between two
instants, attended ones no invoice bills, and which invoice bills each appointment, never
another practice's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from storage_scenario import ADMIN, a_practice_with_records

from domain.appointments import AppointmentStatus
from domain.invoices import InvoiceRef
from domain.usecases import calendar, invoicing, records


def _schedule(uow, env, setup, start):
    return records.schedule_appointment(
        records.ScheduleAppointment(
            setup.practice.id, ADMIN, setup.client.id, setup.service.id, start, 50, "U0CLINIC1"
        ),
        uow,
        env,
    )


def _attend(uow, env, appointment):
    return records.set_appointment_status(
        appointment.practice_id, appointment.id, AppointmentStatus.ATTENDED, ADMIN, uow, env
    )


def test_a_new_york_day_is_read_between_its_midnights_in_the_database(uow, env):
    setup = a_practice_with_records(uow, env)
    # 2 November 2025 in New York runs from 04:00 UTC to 05:00 UTC on the 3rd (25 hours).
    inside = [
        datetime(2025, 11, 2, 4, 0, tzinfo=UTC),
        datetime(2025, 11, 3, 4, 30, tzinfo=UTC),
    ]
    outside = [
        datetime(2025, 11, 2, 3, 59, tzinfo=UTC),
        datetime(2025, 11, 3, 5, 0, tzinfo=UTC),
    ]
    for start in inside + outside:
        _schedule(uow, env, setup, start)
    other = a_practice_with_records(uow, env, workspace="T0PRACTICEB", name="Elsewhere")
    _schedule(uow, env, other, inside[0])

    listed = calendar.calendar(setup.practice.id, date(2025, 11, 2), 1, uow, env)

    (day,) = listed.days
    assert [entry.appointment.start for entry in day.entries] == inside
    assert {entry.client for entry in day.entries} == {"Ada Lovelace"}


def test_uninvoiced_sessions_and_the_invoice_billing_each_appointment(uow, env):
    setup = a_practice_with_records(uow, env)
    practice_id = setup.practice.id
    start = datetime(2026, 11, 1, 15, tzinfo=UTC)
    first, second, third = (
        _attend(uow, env, _schedule(uow, env, setup, start + timedelta(days=n))) for n in range(3)
    )
    invoice = invoicing.create_invoice_from_appointment(practice_id, second.id, ADMIN, uow, env)
    other = a_practice_with_records(uow, env, workspace="T0PRACTICEB", name="Elsewhere")
    _attend(uow, env, other.appointment)

    with uow:
        latest = uow.appointments.attended_uninvoiced(practice_id, limit=10)
        counts = uow.appointments.attended_uninvoiced_counts(practice_id)
        billing = uow.invoices.billing(practice_id, [first.id, second.id, other.appointment.id])
        theirs = uow.invoices.billing(other.practice.id, [second.id])

    assert [a.id for a in latest] == [third.id, first.id]
    assert counts == {setup.client.id: 2}
    assert billing == {second.id: InvoiceRef(invoice.id, invoice.number)}
    assert theirs == {}
    invoicing.void_invoice(practice_id, invoice.id, "", ADMIN, uow, env)
    assert calendar.uninvoiced_sessions(practice_id, 10, uow, env).total == 3
