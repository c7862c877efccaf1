"""The reads behind `/appointment`'s day and week lists and the Home tab's uninvoiced
sessions: a practice's appointments on its own clock, each with its client, service and the
invoice that bills it.

Each runs in one unit of work, as `domain.usecases.queries` do, and changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from domain.appointments import Appointment
from domain.errors import InvalidValue
from domain.ids import AppointmentId, ClientId, PracticeId
from domain.invoices import InvoiceRef
from domain.ports import Env, UnitOfWork
from domain.usecases._common import load_practice
from domain.usecases.records import load_client

MAX_DAYS = 31
"""The longest range one list reads."""
SESSIONS_PER_INVOICE = 50
"""How many sessions "Invoice all for a client" puts on one invoice at most (the form's
line limit)."""
# No client has this many sessions waiting; read them all so the oldest are billed first.
EVERY_SESSION = 10_000


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """An appointment as a list shows it."""

    appointment: Appointment
    client: str | None
    """The client's name; None if the client is no longer there."""
    service: str | None
    """The service's name; None if the service is no longer there."""
    invoice: InvoiceRef | None
    """The invoice, not void, that bills it (there is at most one)."""

    @property
    def can_be_invoiced(self) -> bool:
        """Not invoiced yet, and billable: a no-show may carry a fee, a cancellation not."""
        return self.invoice is None and self.appointment.is_billable


@dataclass(frozen=True, slots=True)
class CalendarDay:
    day: date
    entries: tuple[CalendarEntry, ...]
    """Earliest first."""


@dataclass(frozen=True, slots=True)
class Calendar:
    """A practice's appointments over whole days on its clock."""

    first_day: date
    day_count: int
    client: str | None
    """The name of the client the list is for; None for everyone's appointments."""
    days: tuple[CalendarDay, ...]
    """The days that have appointments, in order."""

    @property
    def last_day(self) -> date:
        return self.first_day + timedelta(days=self.day_count - 1)

    @property
    def total(self) -> int:
        return sum(len(day.entries) for day in self.days)


def day_bounds(first_day: date, day_count: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants of the local midnights that begin `first_day` and end the last of
    `day_count` days: a day on the practice's clock is 23 or 25 hours when its clocks change,
    so the range is not `day_count` times 24 hours from the first midnight."""
    start = datetime.combine(first_day, time(0), tzinfo=zone)
    end = datetime.combine(first_day + timedelta(days=day_count), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def _entries(
    practice_id: PracticeId, appointments: Sequence[Appointment], uow: UnitOfWork
) -> list[CalendarEntry]:
    clients = uow.clients.names(practice_id, {a.client_id for a in appointments})
    services = {s.id: s.name for s in uow.service_types.list(practice_id, include_inactive=True)}
    billing = uow.invoices.billing(practice_id, [a.id for a in appointments])
    return [
        CalendarEntry(
            appointment,
            clients.get(appointment.client_id),
            services.get(appointment.service_type_id),
            billing.get(appointment.id),
        )
        for appointment in appointments
    ]


def calendar(
    practice_id: PracticeId,
    first_day: date,
    day_count: int,
    uow: UnitOfWork,
    env: Env,
    *,
    client_id: ClientId | None = None,
) -> Calendar:
    """The practice's appointments (only `client_id`'s if given) starting on `first_day` and
    the `day_count - 1` days after it, on the practice's clock. Raises InvalidValue for a
    range of more than `MAX_DAYS` days, NotFound for a client that is not the practice's."""
    if not 1 <= day_count <= MAX_DAYS:
        raise InvalidValue(f"A list covers 1 to {MAX_DAYS} days.")
    with uow:
        practice = load_practice(uow, practice_id)
        client = load_client(uow, practice_id, client_id) if client_id else None
        start, end = day_bounds(first_day, day_count, practice.zone)
        appointments = uow.appointments.between(practice_id, start, end, client_id=client_id)
        entries = _entries(practice_id, appointments, uow)
    zone = practice.zone
    days = tuple(
        CalendarDay(day, tuple(group))
        for day, group in groupby(
            entries, key=lambda e: e.appointment.start.astimezone(zone).date()
        )
    )
    return Calendar(first_day, day_count, client.name if client else None, days)


@dataclass(frozen=True, slots=True)
class ClientSessions:
    """A client with attended appointments that no invoice bills yet."""

    client_id: ClientId
    name: str
    count: int


@dataclass(frozen=True, slots=True)
class UninvoicedSessions:
    """Attended appointments that no invoice (other than a void one) bills."""

    latest: tuple[CalendarEntry, ...]
    """The latest first."""
    total: int
    clients: tuple[ClientSessions, ...]
    """Every client with such sessions, the most sessions first, then by name."""

    @property
    def more(self) -> int:
        """How many there are besides those listed."""
        return self.total - len(self.latest)


def uninvoiced_sessions(
    practice_id: PracticeId, limit: int, uow: UnitOfWork, env: Env
) -> UninvoicedSessions:
    """The practice's `limit` latest attended appointments not yet invoiced, how many there
    are in all, and for which clients."""
    with uow:
        latest = uow.appointments.attended_uninvoiced(practice_id, limit=limit)
        counts = uow.appointments.attended_uninvoiced_counts(practice_id)
        entries = _entries(practice_id, latest, uow)
        names = uow.clients.names(practice_id, counts)
    clients = sorted(
        (
            ClientSessions(client_id, names.get(client_id, "?"), n)
            for client_id, n in counts.items()
        ),
        key=lambda c: (-c.count, c.name.casefold(), c.client_id),
    )
    return UninvoicedSessions(tuple(entries), sum(counts.values()), tuple(clients))


def client_uninvoiced_sessions(
    practice_id: PracticeId, client_id: ClientId, uow: UnitOfWork, env: Env
) -> tuple[AppointmentId, ...]:
    """The client's attended appointments not yet invoiced, oldest first, at most
    `SESSIONS_PER_INVOICE` (the oldest are billed first). Raises NotFound for a client that
    is not the practice's."""
    with uow:
        load_client(uow, practice_id, client_id)
        found = uow.appointments.attended_uninvoiced(
            practice_id, client_id=client_id, limit=EVERY_SESSION
        )
    return tuple(appointment.id for appointment in reversed(found))[:SESSIONS_PER_INVOICE]
