"""The reads behind `/client`: finding clients, paging through all of them, and a client's
record (contact details, appointments with their invoice, invoices, what is still owed).

Each runs in one unit of work, as `domain.usecases.queries` do, and changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from domain.appointments import Appointment
from domain.clients import Client
from domain.ids import ClientId, InvoiceId, PracticeId
from domain.invoices import UNPAID_STATUSES, Invoice, InvoiceListing, UnpaidTotals
from domain.ports import Env, InvoiceFilter, UnitOfWork
from domain.text import search_key
from domain.usecases._common import load_practice
from domain.usecases.records import load_client

PAGE_SIZE = 20
UPCOMING_SHOWN = 5
PAST_SHOWN = 5
INVOICES_SHOWN = 8
# No one client is owed on this many invoices at once; the balance sums every unpaid one.
UNPAID_READ = 10_000


@dataclass(frozen=True, slots=True)
class ClientMatches:
    """The clients a search found, the best first, and how many it found in all."""

    clients: tuple[Client, ...]
    total: int

    @property
    def more(self) -> int:
        """How many matched besides those listed."""
        return self.total - len(self.clients)


def find_clients(
    practice_id: PracticeId, text: str, limit: int, uow: UnitOfWork, env: Env
) -> ClientMatches:
    """The practice's clients whose name or e-mail contains `text`, whatever its case or
    accents, at most `limit` (see `ClientRepository.matching` for the order). Text with
    nothing to search by (only spaces or accents) matches nobody."""
    if not search_key(text):
        return ClientMatches((), 0)
    with uow:
        found = uow.clients.matching(practice_id, text, limit)
        total = len(found) if len(found) < limit else uow.clients.count_matching(practice_id, text)
    return ClientMatches(tuple(found), total)


@dataclass(frozen=True, slots=True)
class ClientPage:
    """One page of the practice's clients A-Z."""

    clients: tuple[Client, ...]
    offset: int
    """The position of the first one in the whole list (0 for the first page)."""
    total: int

    @property
    def next_offset(self) -> int | None:
        after = self.offset + len(self.clients)
        return after if after < self.total else None

    @property
    def previous_offset(self) -> int | None:
        return max(self.offset - PAGE_SIZE, 0) if self.offset > 0 else None


def client_page(practice_id: PracticeId, offset: int, uow: UnitOfWork, env: Env) -> ClientPage:
    """`PAGE_SIZE` clients from position `offset` of the practice's clients A-Z; a position
    past the end (clients were removed since the page before) gives the last page."""
    with uow:
        total = uow.clients.count(practice_id)
        start = min(max(offset, 0), max(total - 1, 0) // PAGE_SIZE * PAGE_SIZE)
        clients = uow.clients.page(practice_id, start, PAGE_SIZE)
    return ClientPage(tuple(clients), start, total)


@dataclass(frozen=True, slots=True)
class AppointmentEntry:
    """An appointment as a client's record lists it."""

    appointment: Appointment
    service: str | None
    """The service's name; None if the service is no longer there."""
    invoice: InvoiceListing | None
    """The invoice that bills it and is not void (there is at most one), if any."""


@dataclass(frozen=True, slots=True)
class ClientRecord:
    """What the practice knows of one client, as of one moment."""

    client: Client
    upcoming: tuple[AppointmentEntry, ...]
    """The next appointments from now, soonest first, at most `UPCOMING_SHOWN`."""
    more_upcoming: int
    past: tuple[AppointmentEntry, ...]
    """The latest appointments before now, latest first, at most `PAST_SHOWN`."""
    more_past: int
    invoices: tuple[InvoiceListing, ...]
    """The newest invoices, void ones too, at most `INVOICES_SHOWN`."""
    more_invoices: bool
    owed: tuple[UnpaidTotals, ...]
    """What the client still owes on every unpaid invoice, per currency in code order; empty
    when nothing is owed."""


def client_record(
    practice_id: PracticeId, client_id: ClientId, uow: UnitOfWork, env: Env
) -> ClientRecord:
    """The record of one of the practice's clients. Raises NotFound for a client that is not
    the practice's (another practice's id finds nothing)."""
    now = env.clock.now()
    with uow:
        practice = load_practice(uow, practice_id)
        practice_client = load_client(uow, practice_id, client_id)
        appointments = uow.appointments.list(practice_id, client_id=client_id)
        newest = uow.invoices.find(
            practice_id, InvoiceFilter(client_id=client_id, limit=INVOICES_SHOWN + 1)
        )
        unpaid = uow.invoices.find(
            practice_id,
            InvoiceFilter(statuses=UNPAID_STATUSES, client_id=client_id, limit=UNPAID_READ),
        )
        services = {
            s.id: s.name for s in uow.service_types.list(practice_id, include_inactive=True)
        }
        upcoming = [a for a in appointments if a.start >= now]
        past = [a for a in appointments if a.start < now][::-1]
        shown = upcoming[:UPCOMING_SHOWN] + past[:PAST_SHOWN]
        every_invoice_read = len(newest) <= INVOICES_SHOWN
        billing = _invoices_billing(uow, practice_id, shown, newest + unpaid, every_invoice_read)
    name = practice_client.name

    def entry(appointment: Appointment) -> AppointmentEntry:
        invoice = billing.get(appointment.id)
        return AppointmentEntry(
            appointment,
            services.get(appointment.service_type_id),
            InvoiceListing.of(invoice, name) if invoice else None,
        )

    today = practice.today(now).date()
    return ClientRecord(
        client=practice_client,
        upcoming=tuple(map(entry, upcoming[:UPCOMING_SHOWN])),
        more_upcoming=max(len(upcoming) - UPCOMING_SHOWN, 0),
        past=tuple(map(entry, past[:PAST_SHOWN])),
        more_past=max(len(past) - PAST_SHOWN, 0),
        invoices=tuple(InvoiceListing.of(i, name) for i in newest[:INVOICES_SHOWN]),
        more_invoices=len(newest) > INVOICES_SHOWN,
        owed=tuple(UnpaidTotals.of(unpaid, today)),
    )


def _invoices_billing(
    uow: UnitOfWork,
    practice_id: PracticeId,
    appointments: list[Appointment],
    read: list[Invoice],
    every_invoice_read: bool,
) -> dict[str, Invoice]:
    """The invoice, not void, that bills each of `appointments`: found among the invoices
    already `read`; unless those are all the client's, one not found there is asked for
    by appointment (an older invoice, paid or still a draft)."""
    holding: dict[str, Invoice] = {}
    seen: set[InvoiceId] = set()
    for invoice in read:
        if invoice.id in seen or not invoice.blocks_its_appointments:
            continue
        seen.add(invoice.id)
        for appointment_id in invoice.appointment_ids:
            holding[appointment_id] = invoice
    found: dict[str, Invoice] = {}
    for appointment in appointments:
        billed = holding.get(appointment.id)
        if billed is None and not every_invoice_read:
            billed = uow.invoices.for_appointment(practice_id, appointment.id)
        if billed is not None:
            found[appointment.id] = billed
    return found


def client_details(
    practice_id: PracticeId, client_id: ClientId, uow: UnitOfWork, env: Env
) -> Client:
    """One of the practice's clients as stored now, with its version (the form that edits
    it sends that version back). Raises NotFound for a client that is not the practice's."""
    with uow:
        return load_client(uow, practice_id, client_id)
