"""The reads behind `/appointment`'s day and week lists and Home's uninvoiced sessions: whole
days on the practice's clock (23 and 25 hours long when its clocks change), each appointment
with its client, service and invoice; and the rules on marking and invoicing sessions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.appointments import Appointment, AppointmentStatus
from domain.clients import Client
from domain.errors import (
    AppointmentAlreadyInvoiced,
    AppointmentNotBillable,
    InvalidValue,
    NotFound,
    ValidationError,
)
from domain.invoices import InvoiceRef
from domain.ports import Env
from domain.practice import Practice
from domain.usecases.calendar import (
    Calendar,
    calendar,
    client_uninvoiced_sessions,
    day_bounds,
    uninvoiced_sessions,
)
from domain.usecases.invoicing import (
    CreateInvoice,
    create_invoice,
    create_invoice_from_appointment,
    prefill_invoice,
    void_invoice,
)
from domain.usecases.records import set_appointment_status
from factories import ACTOR, a_client, a_line, a_practice, a_service, an_appointment
from fakes import FakeUnitOfWork


def _at(zone: str, year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone))


def _starts(listed: Calendar) -> list[datetime]:
    return [entry.appointment.start for day in listed.days for entry in day.entries]


def _mark(
    uow: FakeUnitOfWork, env: Env, appointment: Appointment, status: AppointmentStatus
) -> Appointment:
    return set_appointment_status(appointment.practice_id, appointment.id, status, ACTOR, uow, env)


# -- day boundaries -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("Europe/London", date(2025, 3, 30), 23),
        ("Europe/London", date(2025, 10, 26), 25),
        ("America/New_York", date(2025, 3, 9), 23),
        ("America/New_York", date(2025, 11, 2), 25),
        ("America/New_York", date(2025, 11, 3), 24),
    ],
)
def test_a_day_on_which_the_clocks_change_is_23_or_25_hours_long(
    zone: str, day: date, hours: int
) -> None:
    start, end = day_bounds(day, 1, ZoneInfo(zone))

    assert end - start == timedelta(hours=hours)
    assert start.tzinfo is UTC and start.astimezone(ZoneInfo(zone)).hour == 0


def test_london_spring_forward_day_lists_what_starts_between_its_two_midnights(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env, time_zone="Europe/London")
    zone = "Europe/London"
    inside = [_at(zone, 2025, 3, 30, 0, 30), _at(zone, 2025, 3, 30, 23, 30)]
    # 00:15 on the 31st is 23:15 UTC on the 30th: a day of 24 UTC hours would list it.
    outside = [_at(zone, 2025, 3, 29, 23, 59), _at(zone, 2025, 3, 31, 0, 15)]
    for start in inside + outside:
        an_appointment(uow, env, practice, start=start)

    listed = calendar(practice.id, date(2025, 3, 30), 1, uow, env)

    assert _starts(listed) == inside
    assert [day.day for day in listed.days] == [date(2025, 3, 30)]


def test_new_york_fall_back_day_lists_its_25th_hour(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env, time_zone="America/New_York")
    zone = "America/New_York"
    # 23:30 on 2 November is 04:30 UTC on the 3rd, 24 and a half hours after its midnight.
    inside = [_at(zone, 2025, 11, 2, 0, 0), _at(zone, 2025, 11, 2, 23, 30)]
    outside = [_at(zone, 2025, 11, 1, 23, 30), _at(zone, 2025, 11, 3, 0, 0)]
    for start in inside + outside:
        an_appointment(uow, env, practice, start=start)

    listed = calendar(practice.id, date(2025, 11, 2), 1, uow, env)

    assert _starts(listed) == inside


def test_a_week_groups_the_appointments_by_their_day_on_the_practice_clock(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env, time_zone="America/New_York")
    zone = "America/New_York"
    # 21:00 in New York on Monday is already Tuesday in UTC.
    monday_late = an_appointment(uow, env, practice, start=_at(zone, 2025, 3, 10, 21, 0))
    monday_early = an_appointment(uow, env, practice, start=_at(zone, 2025, 3, 10, 9, 0))
    wednesday = an_appointment(uow, env, practice, start=_at(zone, 2025, 3, 12, 14, 0))

    week = calendar(practice.id, date(2025, 3, 10), 7, uow, env)

    assert [(day.day, [e.appointment.id for e in day.entries]) for day in week.days] == [
        (date(2025, 3, 10), [monday_early.id, monday_late.id]),
        (date(2025, 3, 12), [wednesday.id]),
    ]
    assert (week.last_day, week.total) == (date(2025, 3, 16), 3)


def test_each_appointment_shows_its_client_service_and_invoice(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    client = a_client(uow, env, practice, name="Grace Hopper")
    service = a_service(uow, env, practice, name="Couples session")
    invoiced = an_appointment(
        uow, env, practice, client=client, service=service, start=_at("UTC", 2025, 3, 14, 9)
    )
    waiting = an_appointment(
        uow, env, practice, client=client, service=service, start=_at("UTC", 2025, 3, 14, 11)
    )
    invoice = create_invoice_from_appointment(practice.id, invoiced.id, ACTOR, uow, env)

    (day,) = calendar(practice.id, date(2025, 3, 14), 1, uow, env).days

    first, second = day.entries
    assert (first.client, first.service) == ("Grace Hopper", "Couples session")
    assert first.invoice is not None and first.invoice.number == invoice.number
    assert (first.can_be_invoiced, second.can_be_invoiced) == (False, True)
    assert second.appointment.id == waiting.id and second.invoice is None


def test_a_void_invoice_no_longer_bills_its_appointment(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    appointment = an_appointment(uow, env, practice, start=_at("UTC", 2025, 3, 14, 9))
    invoice = create_invoice_from_appointment(practice.id, appointment.id, ACTOR, uow, env)
    void_invoice(practice.id, invoice.id, "wrong client", ACTOR, uow, env)

    (day,) = calendar(practice.id, date(2025, 3, 14), 1, uow, env).days

    assert day.entries[0].invoice is None and day.entries[0].can_be_invoiced


def test_a_cancelled_appointment_is_not_offered_an_invoice_but_a_no_show_is(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    cancelled = an_appointment(uow, env, practice, start=_at("UTC", 2025, 3, 14, 9))
    no_show = an_appointment(uow, env, practice, start=_at("UTC", 2025, 3, 14, 10))
    _mark(uow, env, cancelled, AppointmentStatus.CANCELLED)
    _mark(uow, env, no_show, AppointmentStatus.NO_SHOW)

    (day,) = calendar(practice.id, date(2025, 3, 14), 1, uow, env).days

    assert [e.can_be_invoiced for e in day.entries] == [False, True]


def test_a_client_list_shows_only_that_client_and_names_them(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    grace = a_client(uow, env, practice, name="Grace Hopper", email="g@example.org")
    mine = an_appointment(uow, env, practice, client=grace, start=_at("UTC", 2025, 3, 14, 9))
    an_appointment(uow, env, practice, start=_at("UTC", 2025, 3, 14, 10))

    listed = calendar(practice.id, date(2025, 3, 10), 14, uow, env, client_id=grace.id)

    assert listed.client == "Grace Hopper"
    assert [e.appointment.id for day in listed.days for e in day.entries] == [mine.id]


def test_another_practices_appointments_and_clients_are_never_listed(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    other = a_practice(uow, env, name="Elsewhere")
    theirs = a_client(uow, env, other)
    an_appointment(uow, env, other, client=theirs, start=_at("UTC", 2025, 3, 14, 9))

    assert calendar(practice.id, date(2025, 3, 14), 1, uow, env).days == ()
    with pytest.raises(NotFound):
        calendar(practice.id, date(2025, 3, 14), 1, uow, env, client_id=theirs.id)


def test_a_range_longer_than_a_month_is_refused(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    with pytest.raises(InvalidValue):
        calendar(practice.id, date(2025, 3, 1), 32, uow, env)


# -- marking --------------------------------------------------------------------------------


def test_an_invoiced_appointment_cannot_be_marked_cancelled_but_can_be_a_no_show(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    appointment = an_appointment(uow, env, practice)
    invoice = create_invoice_from_appointment(practice.id, appointment.id, ACTOR, uow, env)

    with pytest.raises(AppointmentNotBillable, match=invoice.number):
        _mark(uow, env, appointment, AppointmentStatus.CANCELLED)
    assert _mark(uow, env, appointment, AppointmentStatus.NO_SHOW).status.value == "no_show"


def test_marking_another_practices_appointment_finds_nothing(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    other = a_practice(uow, env, name="Elsewhere")
    theirs = an_appointment(uow, env, other)

    with pytest.raises(NotFound):
        set_appointment_status(practice.id, theirs.id, AppointmentStatus.ATTENDED, ACTOR, uow, env)
    with uow:
        assert uow.appointments.get(other.id, theirs.id) == theirs


def test_a_cancelled_appointment_cannot_be_invoiced(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    appointment = _mark(uow, env, an_appointment(uow, env, practice), AppointmentStatus.CANCELLED)

    with pytest.raises(AppointmentNotBillable):
        prefill_invoice(practice.id, uow, env, appointment_id=appointment.id)
    with pytest.raises(ValidationError, match="cancelled"):
        create_invoice(
            CreateInvoice(
                practice.id,
                ACTOR,
                appointment.client_id,
                (a_line(practice, appointment=appointment),),
            ),
            uow,
            env,
        )


# -- uninvoiced sessions ---------------------------------------------------------------------


def _attended(
    uow: FakeUnitOfWork,
    env: Env,
    practice: Practice,
    *,
    client: Client | None = None,
    start: datetime | None = None,
) -> Appointment:
    scheduled = an_appointment(uow, env, practice, client=client, start=start)
    return _mark(uow, env, scheduled, AppointmentStatus.ATTENDED)


def test_uninvoiced_sessions_are_attended_ones_no_invoice_bills_latest_first(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    grace = a_client(uow, env, practice, name="Grace Hopper", email="g@example.org")
    ada = a_client(uow, env, practice, name="Ada Lovelace", email="a@example.org")
    now = env.clock.now()
    older = _attended(uow, env, practice, client=grace, start=now - timedelta(days=3))
    newer = _attended(uow, env, practice, client=grace, start=now - timedelta(days=1))
    adas = _attended(uow, env, practice, client=ada, start=now - timedelta(days=2))
    billed = _attended(uow, env, practice, client=ada, start=now - timedelta(days=4))
    create_invoice_from_appointment(practice.id, billed.id, ACTOR, uow, env)
    an_appointment(uow, env, practice, client=ada)  # scheduled, not attended
    other = a_practice(uow, env, name="Elsewhere")
    _attended(uow, env, other)

    sessions = uninvoiced_sessions(practice.id, 2, uow, env)

    assert [e.appointment.id for e in sessions.latest] == [newer.id, adas.id]
    assert (sessions.total, sessions.more) == (3, 1)
    assert [(c.name, c.count) for c in sessions.clients] == [
        ("Grace Hopper", 2),
        ("Ada Lovelace", 1),
    ]
    assert client_uninvoiced_sessions(practice.id, grace.id, uow, env) == (older.id, newer.id)


def test_invoice_all_for_a_client_makes_one_invoice_with_a_line_per_session(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    grace = a_client(uow, env, practice, name="Grace Hopper", email="g@example.org")
    now = env.clock.now()
    first = _attended(uow, env, practice, client=grace, start=now - timedelta(days=8))
    second = _attended(uow, env, practice, client=grace, start=now - timedelta(days=1))
    ids = client_uninvoiced_sessions(practice.id, grace.id, uow, env)

    prefill = prefill_invoice(practice.id, uow, env, appointment_ids=ids)
    invoice = create_invoice(
        CreateInvoice(practice.id, ACTOR, prefill.client_id, prefill.lines), uow, env
    )

    assert [line.appointment_id for line in invoice.lines] == [first.id, second.id]
    with uow:
        billing = uow.invoices.billing(practice.id, [first.id, second.id])
    ref = InvoiceRef(invoice.id, invoice.number)
    assert billing == {first.id: ref, second.id: ref}
    assert uninvoiced_sessions(practice.id, 10, uow, env).total == 0


def test_one_invoice_cannot_prefill_two_clients_sessions_or_an_invoiced_one(
    uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    mine = _attended(uow, env, practice)
    theirs = _attended(uow, env, practice, client=a_client(uow, env, practice, name="B"))
    create_invoice_from_appointment(practice.id, theirs.id, ACTOR, uow, env)

    with pytest.raises(AppointmentAlreadyInvoiced):
        prefill_invoice(practice.id, uow, env, appointment_ids=(mine.id, theirs.id))
    fresh = _attended(uow, env, practice, client=a_client(uow, env, practice, name="C"))
    with pytest.raises(InvalidValue):
        prefill_invoice(practice.id, uow, env, appointment_ids=(mine.id, fresh.id))


@pytest.fixture
def practice(uow: FakeUnitOfWork, env: Env) -> Practice:
    return a_practice(uow, env)
