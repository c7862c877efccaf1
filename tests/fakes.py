"""In-memory stand-ins for the domain's ports: a unit of work with its repositories, a clock
and an id generator.

The fake keeps the promises the SQL storage keeps, so that a use case that passes here does
not lean on something the database would refuse: every read and write is scoped to a
practice, nothing outlives a `with` block without `commit()`, invoice numbers are gapless per
practice, an appointment sits on at most one invoice that is not void, and an update of a
record whose stored version moved is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Container, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from itertools import count
from types import TracebackType
from typing import Self

from domain.appointments import Appointment, AppointmentStatus
from domain.audit import AuditEvent
from domain.clients import Client
from domain.errors import AppointmentAlreadyInvoiced, StaleEdit
from domain.ids import (
    AppointmentId,
    ClientId,
    ConversationId,
    InvoiceId,
    PracticeId,
    ServiceTypeId,
    TaxRateId,
)
from domain.invoices import (
    UNPAID_STATUSES,
    CardPlace,
    Invoice,
    InvoiceListing,
    InvoiceOverview,
    InvoicePage,
    InvoiceRef,
    ListedTotals,
    UnpaidTotals,
)
from domain.logos import Logo
from domain.money import Money
from domain.online_payments import CheckoutState, PayLink, StoredCheckout
from domain.outbox import OutboxMessage
from domain.ports import (
    AppointmentRepository,
    AuditLog,
    CheckoutRepository,
    ClientRepository,
    DocumentFileCache,
    InvoiceFilter,
    InvoiceRepository,
    LogoRepository,
    MemberRepository,
    Outbox,
    PayLinkRepository,
    PracticeRepository,
    ReminderRepository,
    ServiceTypeRepository,
    StripeConnectionRepository,
    StripeEventLog,
    SupportConversationRepository,
    SupportSettingsRepository,
    TaxRateRepository,
    UnitOfWork,
)
from domain.practice import Practice, TaxRate
from domain.reminders import (
    STEP_NOW,
    DeliveryState,
    DueReminder,
    NewReminder,
    OverdueInvoice,
    PlanFacts,
    PracticePlan,
    ReminderEntry,
    ReminderState,
    ReminderTarget,
    SettledReminder,
    SkipReason,
)
from domain.roles import Member
from domain.services import ServiceType
from domain.stripe_connect import StripeConnection
from domain.support import (
    Conversation,
    ConversationStatus,
    FileCopy,
    OpenCounts,
    RelayedMessage,
    SlackRef,
    SupportDesk,
)
from domain.text import search_key

# -- ports that are not storage ---------------------------------------------------------------


class FixedClock:
    """A clock that only moves when a test moves it."""

    def __init__(self, now: datetime | None = None) -> None:
        self._now = _aware(now or datetime(2025, 3, 14, 15, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = _aware(moment)

    def advance(self, delta: timedelta | None = None, /, **parts: float) -> None:
        """Move forward by `delta` or by `timedelta(**parts)` (days=3, hours=2, ...)."""
        self._now += delta if delta is not None else timedelta(**parts)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("the clock tells timezone-aware time")
    return moment


class SequentialIds:
    """Predictable ids ('id-0001', 'id-0002', ...) so failures are easy to read."""

    def __init__(self, prefix: str = "id-") -> None:
        self._prefix = prefix
        self._counter = count(1)

    def new_id(self) -> str:
        return f"{self._prefix}{next(self._counter):04d}"


# -- the stored state ---------------------------------------------------------------------------


@dataclass
class FakeState:
    """Everything the fake database holds; `==` compares contents, so a test can assert that
    a refused request left it as it was."""

    practices: dict[PracticeId, Practice] = field(default_factory=dict)
    tax_rates: dict[TaxRateId, TaxRate] = field(default_factory=dict)
    clients: dict[ClientId, Client] = field(default_factory=dict)
    service_types: dict[ServiceTypeId, ServiceType] = field(default_factory=dict)
    appointments: dict[AppointmentId, Appointment] = field(default_factory=dict)
    invoices: dict[InvoiceId, Invoice] = field(default_factory=dict)
    cards: dict[tuple[PracticeId, InvoiceId], CardPlace] = field(default_factory=dict)
    last_sequence: dict[PracticeId, int] = field(default_factory=dict)
    members: dict[tuple[PracticeId, str], Member] = field(default_factory=dict)
    logos: dict[tuple[PracticeId, str], Logo] = field(default_factory=dict)
    document_files: dict[tuple[PracticeId, str], tuple[str, bytes]] = field(default_factory=dict)
    audit: list[AuditEvent] = field(default_factory=list)
    stripe_connections: dict[PracticeId, StripeConnection] = field(default_factory=dict)
    stripe_events: dict[str, str] = field(default_factory=dict)
    pay_links: dict[tuple[PracticeId, InvoiceId], PayLink] = field(default_factory=dict)
    checkouts: dict[str, StoredCheckout] = field(default_factory=dict)
    outbox: dict[tuple[PracticeId, str], OutboxMessage] = field(default_factory=dict)
    conversations: dict[ConversationId, Conversation] = field(default_factory=dict)
    relays: dict[SlackRef, RelayedMessage] = field(default_factory=dict)
    support_events: set[str] = field(default_factory=set)
    file_copies: dict[tuple[str, str], FileCopy] = field(default_factory=dict)
    desks: dict[str, SupportDesk] = field(default_factory=dict)
    help_channels: dict[PracticeId, str] = field(default_factory=dict)
    reminders: dict[str, StoredReminder] = field(default_factory=dict)
    reminder_pauses: dict[tuple[PracticeId, InvoiceId], str] = field(default_factory=dict)
    reminder_plans: dict[PracticeId, PracticePlan] = field(default_factory=dict)

    def copy(self) -> FakeState:
        """An independent copy; the records themselves are frozen, so sharing them is safe."""
        return FakeState(
            practices=dict(self.practices),
            tax_rates=dict(self.tax_rates),
            clients=dict(self.clients),
            service_types=dict(self.service_types),
            appointments=dict(self.appointments),
            invoices=dict(self.invoices),
            cards=dict(self.cards),
            last_sequence=dict(self.last_sequence),
            members=dict(self.members),
            logos=dict(self.logos),
            document_files=dict(self.document_files),
            audit=list(self.audit),
            stripe_connections=dict(self.stripe_connections),
            stripe_events=dict(self.stripe_events),
            pay_links=dict(self.pay_links),
            checkouts=dict(self.checkouts),
            outbox=dict(self.outbox),
            conversations=dict(self.conversations),
            relays=dict(self.relays),
            support_events=set(self.support_events),
            file_copies=dict(self.file_copies),
            desks=dict(self.desks),
            help_channels=dict(self.help_channels),
            reminders=dict(self.reminders),
            reminder_pauses=dict(self.reminder_pauses),
            reminder_plans=dict(self.reminder_plans),
        )


class _Repository:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    @property
    def _state(self) -> FakeState:
        return self._uow.staged()


def _stale(what: str) -> StaleEdit:
    return StaleEdit(f"This {what} was changed by someone else meanwhile. Reload it and try again.")


def _check_version(stored_version: int | None, new_version: int, what: str) -> None:
    """The rule every versioned update obeys: the change was made to the stored version."""
    if stored_version is None or stored_version != new_version - 1:
        raise _stale(what)


def _require(found: object, what: str) -> None:
    """A reference into another practice (or to nothing), which a foreign key refuses."""
    if found is None:
        raise ValueError(f"foreign key: no such {what} in this practice")


def _new(table: Container[str], key: str, what: str) -> None:
    if key in table:
        raise ValueError(f"primary key: {what} {key} is already stored")


# -- repositories -------------------------------------------------------------------------------


class FakePracticeRepository(_Repository):
    def get_many(self, practice_ids: Collection[PracticeId]) -> dict[PracticeId, Practice]:
        return {
            practice_id: self._state.practices[practice_id]
            for practice_id in practice_ids
            if practice_id in self._state.practices
        }

    def get(self, practice_id: PracticeId) -> Practice | None:
        return self._state.practices.get(practice_id)

    def for_workspace(self, workspace_id: str) -> Practice | None:
        return next(
            (p for p in self._state.practices.values() if p.workspace_id == workspace_id), None
        )

    def add(self, practice: Practice) -> None:
        _new(self._state.practices, practice.id, "practice")
        if self.for_workspace(practice.workspace_id) is not None:
            raise ValueError(f"unique: workspace {practice.workspace_id} has a practice already")
        self._state.practices[practice.id] = practice
        self._state.last_sequence[practice.id] = 0

    def update(self, practice: Practice) -> None:
        stored = self._state.practices.get(practice.id)
        _check_version(stored.version if stored else None, practice.version, "practice")
        if practice.default_tax_rate_id is not None:
            _require(self._uow.tax_rates.get(practice.id, practice.default_tax_rate_id), "tax rate")
        self._state.practices[practice.id] = practice


class FakeTaxRateRepository(_Repository):
    def get(self, practice_id: PracticeId, tax_rate_id: TaxRateId) -> TaxRate | None:
        rate = self._state.tax_rates.get(tax_rate_id)
        return rate if rate is not None and rate.practice_id == practice_id else None

    def list(self, practice_id: PracticeId, *, include_archived: bool = False) -> list[TaxRate]:
        return [
            rate
            for rate in self._state.tax_rates.values()
            if rate.practice_id == practice_id and (include_archived or not rate.is_archived)
        ]

    def add(self, rate: TaxRate) -> None:
        _new(self._state.tax_rates, rate.id, "tax rate")
        _require(self._state.practices.get(rate.practice_id), "practice")
        self._check_name(rate)
        self._state.tax_rates[rate.id] = rate

    def update(self, rate: TaxRate) -> None:
        # Tax rates carry no version: a rename is harmless, and the percentage of a rate in
        # use never changes.
        if self.get(rate.practice_id, rate.id) is None:
            raise _stale("tax rate")
        self._check_name(rate)
        self._state.tax_rates[rate.id] = rate

    def _check_name(self, rate: TaxRate) -> None:
        """The unique index on active names, ignoring case; an archived name may come back."""
        if rate.is_archived:
            return
        for other in self.list(rate.practice_id):
            if other.id != rate.id and other.name.casefold() == rate.name.casefold():
                raise ValueError(f"unique: an active tax rate is already called {other.name!r}")

    def is_used(self, practice_id: PracticeId, tax_rate_id: TaxRateId) -> bool:
        state = self._state
        return any(
            service.default_tax_rate_id == tax_rate_id
            for service in state.service_types.values()
            if service.practice_id == practice_id
        ) or any(
            line.tax_rate_id == tax_rate_id
            for invoice in state.invoices.values()
            if invoice.practice_id == practice_id
            for line in invoice.lines
        )


class FakeClientRepository(_Repository):
    def get(self, practice_id: PracticeId, client_id: ClientId) -> Client | None:
        client = self._state.clients.get(client_id)
        return client if client is not None and client.practice_id == practice_id else None

    def list(self, practice_id: PracticeId) -> list[Client]:
        return [c for c in self._state.clients.values() if c.practice_id == practice_id]

    def names(self, practice_id: PracticeId, client_ids: Iterable[ClientId]) -> dict[ClientId, str]:
        found = (self.get(practice_id, client_id) for client_id in set(client_ids))
        return {client.id: client.name for client in found if client is not None}

    def matching(self, practice_id: PracticeId, text: str, limit: int) -> list[Client]:
        wanted = search_key(text)

        def rank(client: Client) -> tuple[int, str, str]:
            name, email = search_key(client.name), search_key(client.email)
            if wanted in (name, email):
                first = 0
            elif name.startswith(wanted) or f" {wanted}" in name:
                first = 1
            else:
                first = 2
            return first, name, client.id

        return sorted(self._holding(practice_id, wanted), key=rank)[:limit]

    def count_matching(self, practice_id: PracticeId, text: str) -> int:
        return len(self._holding(practice_id, search_key(text)))

    def _holding(self, practice_id: PracticeId, wanted: str) -> list[Client]:
        return [
            c
            for c in self.list(practice_id)
            if wanted in search_key(c.name) or wanted in search_key(c.email)
        ]

    def page(self, practice_id: PracticeId, offset: int, limit: int) -> list[Client]:
        in_order = sorted(self.list(practice_id), key=lambda c: (search_key(c.name), c.id))
        return in_order[offset : offset + limit]

    def count(self, practice_id: PracticeId) -> int:
        return len(self.list(practice_id))

    def add(self, client: Client) -> None:
        _new(self._state.clients, client.id, "client")
        _require(self._state.practices.get(client.practice_id), "practice")
        self._state.clients[client.id] = client

    def update(self, client: Client) -> None:
        stored = self.get(client.practice_id, client.id)
        _check_version(stored.version if stored else None, client.version, "client")
        self._state.clients[client.id] = client


class FakeServiceTypeRepository(_Repository):
    def get(self, practice_id: PracticeId, service_type_id: ServiceTypeId) -> ServiceType | None:
        service = self._state.service_types.get(service_type_id)
        return service if service is not None and service.practice_id == practice_id else None

    def list(self, practice_id: PracticeId, *, include_inactive: bool = False) -> list[ServiceType]:
        return [
            service
            for service in self._state.service_types.values()
            if service.practice_id == practice_id and (include_inactive or service.active)
        ]

    def add(self, service: ServiceType) -> None:
        _new(self._state.service_types, service.id, "service type")
        self._check_references(service)
        self._state.service_types[service.id] = service

    def update(self, service: ServiceType) -> None:
        stored = self.get(service.practice_id, service.id)
        _check_version(stored.version if stored else None, service.version, "service type")
        self._check_references(service)
        self._state.service_types[service.id] = service

    def _check_references(self, service: ServiceType) -> None:
        _require(self._state.practices.get(service.practice_id), "practice")
        if service.default_tax_rate_id is not None:
            _require(
                self._uow.tax_rates.get(service.practice_id, service.default_tax_rate_id),
                "tax rate",
            )


class FakeAppointmentRepository(_Repository):
    def get(self, practice_id: PracticeId, appointment_id: AppointmentId) -> Appointment | None:
        found = self._state.appointments.get(appointment_id)
        return found if found is not None and found.practice_id == practice_id else None

    def list(
        self, practice_id: PracticeId, *, client_id: ClientId | None = None
    ) -> list[Appointment]:
        return sorted(
            (
                appointment
                for appointment in self._state.appointments.values()
                if appointment.practice_id == practice_id
                and (client_id is None or appointment.client_id == client_id)
            ),
            key=lambda appointment: appointment.start,
        )

    def between(
        self,
        practice_id: PracticeId,
        start: datetime,
        end: datetime,
        *,
        client_id: ClientId | None = None,
    ) -> list[Appointment]:
        return sorted(
            (
                appointment
                for appointment in self.list(practice_id, client_id=client_id)
                if start <= appointment.start < end
            ),
            key=lambda appointment: (appointment.start, appointment.id),
        )

    def attended_uninvoiced(
        self, practice_id: PracticeId, *, client_id: ClientId | None = None, limit: int
    ) -> list[Appointment]:
        found = self._attended_uninvoiced(practice_id, client_id)
        found.sort(key=lambda appointment: appointment.id)
        found.sort(key=lambda appointment: appointment.start, reverse=True)
        return found[:limit]

    def attended_uninvoiced_counts(self, practice_id: PracticeId) -> dict[ClientId, int]:
        counts: dict[ClientId, int] = {}
        for appointment in self._attended_uninvoiced(practice_id, None):
            counts[appointment.client_id] = counts.get(appointment.client_id, 0) + 1
        return counts

    def _attended_uninvoiced(
        self, practice_id: PracticeId, client_id: ClientId | None
    ) -> list[Appointment]:
        return [
            appointment
            for appointment in self.list(practice_id, client_id=client_id)
            if appointment.status is AppointmentStatus.ATTENDED
            and self._uow.invoices.for_appointment(practice_id, appointment.id) is None
        ]

    def add(self, appointment: Appointment) -> None:
        _new(self._state.appointments, appointment.id, "appointment")
        self._check_references(appointment)
        self._state.appointments[appointment.id] = appointment

    def update(self, appointment: Appointment) -> None:
        stored = self.get(appointment.practice_id, appointment.id)
        _check_version(stored.version if stored else None, appointment.version, "appointment")
        self._check_references(appointment)
        self._state.appointments[appointment.id] = appointment

    def _check_references(self, appointment: Appointment) -> None:
        practice_id = appointment.practice_id
        _require(self._uow.clients.get(practice_id, appointment.client_id), "client")
        _require(
            self._uow.service_types.get(practice_id, appointment.service_type_id), "service type"
        )


class FakeInvoiceRepository(_Repository):
    def get(self, practice_id: PracticeId, invoice_id: InvoiceId) -> Invoice | None:
        invoice = self._state.invoices.get(invoice_id)
        return invoice if invoice is not None and invoice.practice_id == practice_id else None

    def add(self, invoice: Invoice) -> None:
        _new(self._state.invoices, invoice.id, "invoice")
        self._check_references(invoice)
        for other in self._of(invoice.practice_id):
            if other.number == invoice.number:
                raise ValueError(f"unique: invoice number {invoice.number} is taken")
            if other.sequence == invoice.sequence:
                raise ValueError(f"unique: invoice sequence {invoice.sequence} is taken")
        self._state.invoices[invoice.id] = invoice

    def update(self, invoice: Invoice, *, replacing: Invoice | None = None) -> None:
        stored = self.get(invoice.practice_id, invoice.id)
        _check_version(stored.version if stored else None, invoice.version, "invoice")
        self._check_references(invoice)
        self._state.invoices[invoice.id] = invoice

    def next_sequence(self, practice_id: PracticeId) -> int:
        sequences = self._state.last_sequence
        if practice_id not in sequences:
            raise ValueError(f"foreign key: no practice {practice_id}")
        sequences[practice_id] += 1
        return sequences[practice_id]

    def for_appointment(
        self, practice_id: PracticeId, appointment_id: AppointmentId
    ) -> Invoice | None:
        return next(
            (
                invoice
                for invoice in self._of(practice_id)
                if invoice.blocks_its_appointments and appointment_id in invoice.appointment_ids
            ),
            None,
        )

    def billing(
        self, practice_id: PracticeId, appointment_ids: Iterable[AppointmentId]
    ) -> dict[AppointmentId, InvoiceRef]:
        found: dict[AppointmentId, InvoiceRef] = {}
        for appointment_id in appointment_ids:
            invoice = self.for_appointment(practice_id, appointment_id)
            if invoice is not None:
                found[appointment_id] = InvoiceRef(invoice.id, invoice.number)
        return found

    def with_number(self, practice_id: PracticeId, number: str) -> Invoice | None:
        wanted = number.strip().upper()
        return next((i for i in self._of(practice_id) if i.number.upper() == wanted), None)

    def card_place(self, practice_id: PracticeId, invoice_id: InvoiceId) -> CardPlace | None:
        return self._state.cards.get((practice_id, invoice_id))

    def place_card(
        self, practice_id: PracticeId, invoice_id: InvoiceId, place: CardPlace, at: datetime
    ) -> None:
        _require(self.get(practice_id, invoice_id), "invoice")
        self._state.cards[(practice_id, invoice_id)] = place

    def find(self, practice_id: PracticeId, criteria: InvoiceFilter) -> list[Invoice]:
        found = [
            invoice
            for invoice in self._newest_first(practice_id)
            if (not criteria.statuses or invoice.status in criteria.statuses)
            and (criteria.overdue_on is None or invoice.is_overdue(criteria.overdue_on))
            and (criteria.client_id is None or invoice.client_id == criteria.client_id)
            and (criteria.issued_from is None or invoice.issue_date >= criteria.issued_from)
            and (criteria.issued_to is None or invoice.issue_date <= criteria.issued_to)
        ]
        return found[: criteria.limit]

    def page(self, practice_id: PracticeId, criteria: InvoiceFilter) -> InvoicePage:
        matching = self.find(practice_id, replace(criteria, limit=len(self._state.invoices)))
        below = [
            invoice
            for invoice in matching
            if criteria.before_sequence is None or invoice.sequence < criteria.before_sequence
        ]
        shown = below[: criteria.limit]
        names = self._uow.clients.names(practice_id, (i.client_id for i in shown))
        more = len(below) > criteria.limit
        return InvoicePage(
            tuple(InvoiceListing.of(i, names[i.client_id]) for i in shown),
            tuple(ListedTotals.of(matching)),
            shown[-1].sequence if more else None,
        )

    def count(self, practice_id: PracticeId) -> int:
        return len(self._of(practice_id))

    def overview(
        self,
        practice_id: PracticeId,
        *,
        latest: int,
        today: date,
        received_from: datetime,
        received_to: datetime,
    ) -> InvoiceOverview:
        if received_from.tzinfo is None or received_to.tzinfo is None:
            raise ValueError("compare aware moments only")
        newest = self.find(practice_id, InvoiceFilter(limit=latest)) if latest else []
        names = self._uow.clients.names(practice_id, (i.client_id for i in newest))
        net: dict[str, Money] = {}
        for invoice in self._of(practice_id):
            for entry in invoice.ledger:
                if received_from <= entry.received_at < received_to:
                    amount = entry.signed_amount
                    code = amount.currency.code
                    net[code] = net[code] + amount if code in net else amount
        return InvoiceOverview(
            latest=tuple(InvoiceListing.of(i, names[i.client_id]) for i in newest),
            unpaid=tuple(UnpaidTotals.of(self._of(practice_id), today)),
            received=tuple(net[code] for code in sorted(net)),
        )

    def _of(self, practice_id: PracticeId) -> list[Invoice]:
        return [i for i in self._state.invoices.values() if i.practice_id == practice_id]

    def _newest_first(self, practice_id: PracticeId) -> list[Invoice]:
        """By sequence, as the database orders; never by number, whose prefix may change."""
        return sorted(self._of(practice_id), key=lambda invoice: invoice.sequence, reverse=True)

    def _check_references(self, invoice: Invoice) -> None:
        practice_id = invoice.practice_id
        _require(self._uow.clients.get(practice_id, invoice.client_id), "client")
        for line in invoice.lines:
            if line.tax_rate_id is not None:
                _require(self._uow.tax_rates.get(practice_id, line.tax_rate_id), "tax rate")
            if line.service_type_id is not None:
                _require(
                    self._uow.service_types.get(practice_id, line.service_type_id), "service type"
                )
            if line.appointment_id is not None:
                _require(
                    self._uow.appointments.get(practice_id, line.appointment_id), "appointment"
                )
        # The partial unique index on (appointment) over invoices that are not void.
        if invoice.blocks_its_appointments:
            for appointment_id in invoice.appointment_ids:
                holder = self.for_appointment(practice_id, appointment_id)
                if holder is not None and holder.id != invoice.id:
                    raise AppointmentAlreadyInvoiced(appointment_id, holder.number)


class FakeMemberRepository(_Repository):
    def get(self, practice_id: PracticeId, user_id: str) -> Member | None:
        return self._state.members.get((practice_id, user_id))

    def list(self, practice_id: PracticeId) -> list[Member]:
        return sorted(
            (m for (pid, _), m in self._state.members.items() if pid == practice_id),
            key=lambda member: member.user_id,
        )

    def save(self, member: Member) -> None:
        _require(self._state.practices.get(member.practice_id), "practice")
        self._state.members[(member.practice_id, member.user_id)] = member

    def remove(self, practice_id: PracticeId, user_id: str) -> None:
        self._state.members.pop((practice_id, user_id), None)


class FakeLogoRepository(_Repository):
    def add(self, practice_id: PracticeId, logo_id: str, logo: Logo) -> None:
        _require(self._state.practices.get(practice_id), "practice")
        self._state.logos[(practice_id, logo_id)] = logo

    def get(self, practice_id: PracticeId, logo_id: str) -> Logo | None:
        return self._state.logos.get((practice_id, logo_id))


class FakeDocumentFiles(_Repository):
    def get(self, practice_id: PracticeId, owner: str, fingerprint: str) -> bytes | None:
        stored = self._state.document_files.get((practice_id, owner))
        return stored[1] if stored and stored[0] == fingerprint else None

    def put(self, practice_id: PracticeId, owner: str, fingerprint: str, content: bytes) -> None:
        _require(self._state.practices.get(practice_id), "practice")
        self._state.document_files[(practice_id, owner)] = (fingerprint, content)


class FakeAuditLog(_Repository):
    def record(self, event: AuditEvent) -> None:
        _require(self._state.practices.get(event.practice_id), "practice")
        self._state.audit.append(event)

    def for_subject(self, practice_id: PracticeId, subject_id: str) -> list[AuditEvent]:
        return [
            event
            for event in self._state.audit
            if event.practice_id == practice_id and event.subject_id == subject_id
        ]


class FakeStripeConnectionRepository(_Repository):
    def get(self, practice_id: PracticeId) -> StripeConnection | None:
        return self._state.stripe_connections.get(practice_id)

    def for_account(self, account_id: str) -> StripeConnection | None:
        return next(
            (c for c in self._state.stripe_connections.values() if c.account_id == account_id),
            None,
        )

    def all_connected(self) -> list[StripeConnection]:
        return [c for c in self._state.stripe_connections.values() if c.connected]

    def add(self, connection: StripeConnection) -> bool:
        if connection.practice_id in self._state.stripe_connections:
            return False
        self._state.stripe_connections[connection.practice_id] = connection
        return True

    def update(self, connection: StripeConnection) -> None:
        stored = self._state.stripe_connections.get(connection.practice_id)
        _check_version(stored.version if stored else None, connection.version, "Stripe status")
        self._state.stripe_connections[connection.practice_id] = connection


class FakeStripeEventLog(_Repository):
    def remember(self, event_id: str, event_type: str, received_at: datetime) -> bool:
        if event_id in self._state.stripe_events:
            return False
        self._state.stripe_events[event_id] = event_type
        return True

    def remember_later(
        self, event_id: str, event_type: str, received_at: datetime
    ) -> Callable[[], bool]:
        first = self.remember(event_id, event_type, received_at)
        return lambda: first


class FakePayLinkRepository(_Repository):
    def for_invoice(self, practice_id: PracticeId, invoice_id: InvoiceId) -> PayLink | None:
        return self._state.pay_links.get((practice_id, invoice_id))

    def with_token(self, token: str) -> PayLink | None:
        return next((link for link in self._state.pay_links.values() if link.token == token), None)

    def add(self, link: PayLink) -> None:
        self._state.pay_links.setdefault((link.practice_id, link.invoice_id), link)

    def add_all(self, links: Sequence[PayLink]) -> None:
        for link in links:
            self.add(link)

    def update(self, link: PayLink) -> None:
        stored = self._state.pay_links[(link.practice_id, link.invoice_id)]
        self._state.pay_links[(link.practice_id, link.invoice_id)] = replace(
            stored,
            last_sent_at=link.last_sent_at,
            last_sent_to=link.last_sent_to,
            times_sent=stored.times_sent + 1,
        )


class FakeCheckoutRepository(_Repository):
    def _of(self, practice_id: PracticeId, invoice_id: InvoiceId) -> list[StoredCheckout]:
        return [
            c
            for c in self._state.checkouts.values()
            if c.practice_id == practice_id and c.invoice_id == invoice_id
        ]

    def latest(self, practice_id: PracticeId, invoice_id: InvoiceId) -> StoredCheckout | None:
        found = self._of(practice_id, invoice_id)
        return max(found, key=lambda c: (c.created_at, c.id)) if found else None

    def count(self, practice_id: PracticeId, invoice_id: InvoiceId) -> int:
        return len(self._of(practice_id, invoice_id))

    def get(self, practice_id: PracticeId, checkout_id: str) -> StoredCheckout | None:
        found = self._state.checkouts.get(checkout_id)
        return found if found is not None and found.practice_id == practice_id else None

    def add(self, checkout: StoredCheckout) -> None:
        self._state.checkouts.setdefault(checkout.id, checkout)

    def end(self, practice_id: PracticeId, checkout_id: str, state: CheckoutState) -> bool:
        found = self.get(practice_id, checkout_id)
        if found is None or found.state is not CheckoutState.OPEN:
            return False
        self._state.checkouts[checkout_id] = replace(found, state=state)
        return True


class FakeOutbox(_Repository):
    """Enqueued messages by (practice, dedupe key); a duplicate key is a no-op, as in SQL."""

    def add(self, message: OutboxMessage) -> bool:
        _require(self._state.practices.get(message.practice_id), "practice")
        key = (message.practice_id, message.dedupe_key)
        if key in self._state.outbox:
            return False
        if any(stored.id == message.id for stored in self._state.outbox.values()):
            raise ValueError(f"primary key: outbox message {message.id} is already stored")
        self._state.outbox[key] = message
        return True

    def get(self, practice_id: PracticeId, dedupe_key: str) -> OutboxMessage | None:
        return self._state.outbox.get((practice_id, dedupe_key))

    def add_all(self, messages: Sequence[OutboxMessage]) -> None:
        for message in messages:
            self.add(message)


@dataclass(frozen=True)
class StoredReminder:
    """A reminder row as the SQL table keeps it."""

    practice_id: PracticeId
    invoice_id: InvoiceId
    entry: ReminderEntry
    due_date: date


class FakeReminderRepository(_Repository):
    def add(self, reminders: Sequence[NewReminder]) -> set[str]:
        taken = {(r.practice_id, r.invoice_id, r.entry.key) for r in self._state.reminders.values()}
        stored = set()
        for reminder in reminders:
            _require(self._state.invoices.get(reminder.invoice_id), "invoice")
            key = (reminder.practice_id, reminder.invoice_id, reminder.key)
            if key in taken:
                continue
            taken.add(key)
            self._state.reminders[reminder.id] = StoredReminder(
                reminder.practice_id,
                reminder.invoice_id,
                ReminderEntry(
                    id=reminder.id,
                    key=reminder.key,
                    due_at=reminder.due_at,
                    state=reminder.state,
                    reason=None,
                    actor=reminder.actor,
                    decided_at=reminder.decided_at,
                ),
                reminder.due_date,
            )
            stored.add(reminder.id)
        return stored

    def _target(self, practice_id: PracticeId, invoice_id: InvoiceId) -> ReminderTarget | None:
        invoice = self._state.invoices.get(invoice_id)
        if invoice is None or invoice.practice_id != practice_id:
            return None
        client = self._state.clients.get(invoice.client_id)
        link = self._state.pay_links.get((practice_id, invoice_id))
        return ReminderTarget(
            practice_id=practice_id,
            invoice_id=invoice_id,
            status=invoice.status,
            due_date=invoice.due_date,
            has_address=bool((link and link.last_sent_to) or (client and client.email)),
            paused=(practice_id, invoice_id) in self._state.reminder_pauses,
            has_pay_link=link is not None,
        )

    def claim_due(self, now: datetime, limit: int) -> list[DueReminder]:
        due = sorted(
            (
                r
                for r in self._state.reminders.values()
                if r.entry.state is ReminderState.SCHEDULED and r.entry.due_at <= now
            ),
            key=lambda r: (r.entry.due_at, r.entry.id),
        )[:limit]
        return [
            DueReminder(
                r.entry.id, r.entry.key, r.entry.due_at, r.practice_id, r.invoice_id, r.due_date
            )
            for r in due
        ]

    def settle(self, settled: Sequence[SettledReminder]) -> int:
        changed = 0
        for item in settled:
            stored = self._state.reminders.get(item.id)
            if stored is None or stored.entry.state is not ReminderState.SCHEDULED:
                continue
            self._state.reminders[item.id] = replace(
                stored,
                entry=replace(
                    stored.entry, state=item.state, reason=item.reason, decided_at=item.decided_at
                ),
            )
            changed += 1
        return changed

    def skip_sent(
        self, practice_id: PracticeId, reminder_id: str, reason: SkipReason, at: datetime
    ) -> bool:
        stored = self._state.reminders.get(reminder_id)
        if stored is None or stored.practice_id != practice_id:
            return False
        if stored.entry.state is not ReminderState.SENT:
            return False
        self._state.reminders[reminder_id] = replace(
            stored,
            entry=replace(stored.entry, state=ReminderState.SKIPPED, reason=reason, decided_at=at),
        )
        return True

    def get(self, practice_id: PracticeId, reminder_id: str) -> ReminderEntry | None:
        stored = self._state.reminders.get(reminder_id)
        return stored.entry if stored and stored.practice_id == practice_id else None

    def of_invoice(self, practice_id: PracticeId, invoice_id: InvoiceId) -> list[ReminderEntry]:
        found = [
            r
            for r in self._state.reminders.values()
            if r.practice_id == practice_id and r.invoice_id == invoice_id
        ]
        entries = []
        for r in sorted(found, key=lambda r: (r.entry.due_at, r.entry.id)):
            message = next(
                (
                    m
                    for m in self._state.outbox.values()
                    if m.practice_id == r.practice_id
                    and m.dedupe_key == f"mail:reminder:{r.entry.id}"
                ),
                None,
            )
            delivery = None
            if message is not None:
                delivery = {
                    "sent": DeliveryState.DELIVERED,
                    "failed": DeliveryState.FAILED,
                }.get(message.state)
                if delivery is None:
                    delivery = DeliveryState.RETRYING if message.attempts else DeliveryState.QUEUED
            entries.append(replace(r.entry, delivery=delivery))
        return entries

    def targets(
        self, practice_id: PracticeId, invoice_ids: Collection[InvoiceId]
    ) -> list[ReminderTarget]:
        found = [self._target(practice_id, invoice_id) for invoice_id in set(invoice_ids)]
        return [target for target in found if target is not None]

    def plan_facts(
        self, practice_id: PracticeId, invoice_ids: Collection[InvoiceId] | None = None
    ) -> list[PlanFacts]:
        invoices = [
            invoice
            for invoice in self._state.invoices.values()
            if invoice.practice_id == practice_id
            and invoice.status in UNPAID_STATUSES
            and (invoice_ids is None or invoice.id in invoice_ids)
        ]
        facts = []
        for invoice in invoices:
            decided = [
                r.entry
                for r in self._state.reminders.values()
                if r.invoice_id == invoice.id
                and r.entry.state is not ReminderState.SCHEDULED
                and r.entry.key.step != STEP_NOW
            ]
            facts.append(
                PlanFacts(
                    invoice.id,
                    invoice.due_date,
                    (practice_id, invoice.id) in self._state.reminder_pauses,
                    max((e.due_at for e in decided), default=None),
                    frozenset(e.key for e in decided),
                )
            )
        return facts

    def with_scheduled(
        self, practice_id: PracticeId, invoice_ids: Collection[InvoiceId]
    ) -> set[InvoiceId]:
        return {
            r.invoice_id
            for r in self._state.reminders.values()
            if r.practice_id == practice_id
            and r.invoice_id in invoice_ids
            and r.entry.state is ReminderState.SCHEDULED
        }

    def drop_scheduled(
        self,
        practice_id: PracticeId,
        invoice_ids: Collection[InvoiceId] | None = None,
        *,
        keep: Collection[str] = (),
    ) -> int:
        dropped = [
            reminder_id
            for reminder_id, r in self._state.reminders.items()
            if r.practice_id == practice_id
            and r.entry.state is ReminderState.SCHEDULED
            and (invoice_ids is None or r.invoice_id in invoice_ids)
            and reminder_id not in keep
        ]
        for reminder_id in dropped:
            del self._state.reminders[reminder_id]
        return len(dropped)

    def is_paused(self, practice_id: PracticeId, invoice_id: InvoiceId) -> bool:
        return (practice_id, invoice_id) in self._state.reminder_pauses

    def pause(self, practice_id: PracticeId, invoice_id: InvoiceId, by: str, at: datetime) -> bool:
        if (practice_id, invoice_id) in self._state.reminder_pauses:
            return False
        self._state.reminder_pauses[(practice_id, invoice_id)] = by
        return True

    def resume(self, practice_id: PracticeId, invoice_id: InvoiceId) -> bool:
        return self._state.reminder_pauses.pop((practice_id, invoice_id), None) is not None

    def practices_to_plan(self, limit: int) -> list[PracticeId]:
        stale = [
            practice.id
            for practice in self._state.practices.values()
            if (plan := self._state.reminder_plans.get(practice.id)) is None
            or plan.planned_version != practice.version
        ]
        return sorted(stale)[:limit]

    def hold_practice(self, practice_id: PracticeId) -> bool:
        return practice_id in self._state.practices

    def plan_of(self, practice_id: PracticeId) -> PracticePlan | None:
        return self._state.reminder_plans.get(practice_id)

    def save_plan(self, practice_id: PracticeId, plan: PracticePlan) -> None:
        self._state.reminder_plans[practice_id] = plan

    def digests_due(self, now: datetime, limit: int) -> list[PracticeId]:
        due = [
            (plan.digest_at, practice_id)
            for practice_id, plan in self._state.reminder_plans.items()
            if plan.digest_at is not None and plan.digest_at <= now
        ]
        return [practice_id for _, practice_id in sorted(due)[:limit]]

    def overdue(self, practice_id: PracticeId, today: date) -> list[OverdueInvoice]:
        found = []
        for invoice in self._state.invoices.values():
            if invoice.practice_id != practice_id or not invoice.is_overdue(today):
                continue
            client = self._state.clients.get(invoice.client_id)
            found.append(
                OverdueInvoice(
                    invoice.id,
                    invoice.number,
                    invoice.client_id,
                    client.name if client else "?",
                    invoice.due_date,
                    invoice.balance,
                )
            )
        return found


class FakeSupportConversations(_Repository):
    def next_number(self) -> int:
        return max((c.number for c in self._state.conversations.values()), default=0) + 1

    def add(self, conversation: Conversation) -> bool:
        _require(self._state.practices.get(conversation.practice_id), "practice")
        if self.for_practice_thread(conversation.practice_id, conversation.practice_thread):
            return False
        self._state.conversations[conversation.id] = conversation
        return True

    def get(self, practice_id: PracticeId, conversation_id: ConversationId) -> Conversation | None:
        found = self._state.conversations.get(conversation_id)
        return found if found is not None and found.practice_id == practice_id else None

    def for_support(self, conversation_id: ConversationId) -> Conversation | None:
        return self._state.conversations.get(conversation_id)

    def for_practice_thread(self, practice_id: PracticeId, thread: SlackRef) -> Conversation | None:
        return next(
            (
                c
                for c in self._state.conversations.values()
                if c.practice_id == practice_id and c.practice_thread == thread
            ),
            None,
        )

    def for_support_thread(self, thread: SlackRef) -> Conversation | None:
        return next(
            (c for c in self._state.conversations.values() if c.support_thread == thread), None
        )

    def update(self, conversation: Conversation) -> None:
        stored = self._state.conversations.get(conversation.id)
        _check_version(stored.version if stored else None, conversation.version, "conversation")
        self._state.conversations[conversation.id] = conversation

    def count(self, practice_id: PracticeId) -> int:
        return sum(1 for c in self._state.conversations.values() if c.practice_id == practice_id)

    def waiting_since(self, before: datetime, limit: int) -> list[Conversation]:
        waiting = [
            c
            for c in self._state.conversations.values()
            if c.status is ConversationStatus.OPEN
            and c.first_response_at is None
            and c.escalated_at is None
            and c.opened_at <= before
        ]
        return sorted(waiting, key=lambda c: (c.opened_at, c.id))[:limit]

    def open_conversations(self, limit: int) -> list[Conversation]:
        found = [c for c in self._state.conversations.values() if c.is_open]
        return sorted(found, key=lambda c: (c.opened_at, c.id))[:limit]

    def open_counts(self) -> OpenCounts:
        found = [c for c in self._state.conversations.values() if c.is_open]
        unanswered = [c for c in found if c.first_response_at is None]
        return OpenCounts(
            len(found), len(unanswered), sum(1 for c in unanswered if c.escalated_at is not None)
        )

    def recently_resolved(self, limit: int) -> list[Conversation]:
        found = [c for c in self._state.conversations.values() if c.resolved_at is not None]
        found.sort(key=lambda c: c.id)
        found.sort(key=lambda c: c.resolved_at or c.opened_at, reverse=True)
        return [c for c in found if not c.is_open][:limit]

    def remember_event(self, event_id: str, received_at: datetime) -> bool:
        if event_id in self._state.support_events:
            return False
        self._state.support_events.add(event_id)
        return True

    def add_relay(self, relay: RelayedMessage) -> bool:
        if relay.source in self._state.relays:
            return False
        self._state.relays[relay.source] = relay
        return True

    def relay_from(self, source: SlackRef) -> RelayedMessage | None:
        return self._state.relays.get(source)

    def relay_to(self, copy: SlackRef) -> RelayedMessage | None:
        return next((r for r in self._state.relays.values() if r.copy == copy), None)

    def record_copy(self, source: SlackRef, copy: SlackRef) -> None:
        relay = self._state.relays[source]
        self._state.relays[source] = replace(relay, copy=copy)

    def add_file_copy(self, copy: FileCopy) -> bool:
        key = (copy.copy_team, copy.copy_file)
        if key in self._state.file_copies:
            return False
        self._state.file_copies[key] = copy
        return True

    def file_copies_of_file(self, team_id: str, file_id: str) -> list[FileCopy]:
        return [
            c
            for c in self._state.file_copies.values()
            if c.source_message.team_id == team_id and c.source_file == file_id
        ]

    def file_copies_of_message(self, message: SlackRef) -> list[FileCopy]:
        return [c for c in self._state.file_copies.values() if c.source_message == message]


class FakeSupportSettings(_Repository):
    def desk(self, team_id: str) -> SupportDesk | None:
        return self._state.desks.get(team_id)

    def save_desk(self, desk: SupportDesk) -> None:
        self._state.desks[desk.team_id] = desk

    def help_channel(self, practice_id: PracticeId) -> str | None:
        return self._state.help_channels.get(practice_id)

    def set_help_channel(self, practice_id: PracticeId, channel_id: str | None) -> None:
        if channel_id is None:
            self._state.help_channels.pop(practice_id, None)
        else:
            self._state.help_channels[practice_id] = channel_id


# -- the unit of work ---------------------------------------------------------------------------


class FakeUnitOfWork:
    """A transaction over a `FakeState`: `with` stages a copy, `commit()` publishes it, and
    leaving the block without committing throws the staged changes away."""

    practices: PracticeRepository
    tax_rates: TaxRateRepository
    clients: ClientRepository
    service_types: ServiceTypeRepository
    appointments: AppointmentRepository
    invoices: InvoiceRepository
    members: MemberRepository
    logos: LogoRepository
    document_files: DocumentFileCache
    audit: AuditLog
    stripe_connections: StripeConnectionRepository
    stripe_events: StripeEventLog
    pay_links: PayLinkRepository
    checkouts: CheckoutRepository
    outbox: Outbox
    support: SupportConversationRepository
    support_settings: SupportSettingsRepository
    reminders: ReminderRepository

    def __init__(self) -> None:
        self._committed = FakeState()
        self._staged: FakeState | None = None
        self.commits = 0
        self.practices = FakePracticeRepository(self)
        self.tax_rates = FakeTaxRateRepository(self)
        self.clients = FakeClientRepository(self)
        self.service_types = FakeServiceTypeRepository(self)
        self.appointments = FakeAppointmentRepository(self)
        self.invoices = FakeInvoiceRepository(self)
        self.members = FakeMemberRepository(self)
        self.logos = FakeLogoRepository(self)
        self.document_files = FakeDocumentFiles(self)
        self.audit = FakeAuditLog(self)
        self.stripe_connections = FakeStripeConnectionRepository(self)
        self.stripe_events = FakeStripeEventLog(self)
        self.pay_links = FakePayLinkRepository(self)
        self.checkouts = FakeCheckoutRepository(self)
        self.outbox = FakeOutbox(self)
        self.support = FakeSupportConversations(self)
        self.support_settings = FakeSupportSettings(self)
        self.reminders = FakeReminderRepository(self)

    def __enter__(self) -> Self:
        if self._staged is not None:
            # A real unit of work would open a second, independent transaction here.
            raise RuntimeError("this unit of work is already in a transaction")
        self._staged = self._committed.copy()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._staged = None

    def commit(self) -> None:
        self._committed = self.staged().copy()
        self.commits += 1

    def rollback(self) -> None:
        self.staged()
        self._staged = self._committed.copy()

    def writes_together(self) -> AbstractContextManager[None]:
        self.staged()
        return nullcontext()

    def staged(self) -> FakeState:
        """The transaction's working copy; repositories are unusable outside `with`."""
        if self._staged is None:
            raise RuntimeError("use the repositories inside `with uow:`")
        return self._staged

    @property
    def committed(self) -> FakeState:
        """A copy of what has been committed, for assertions."""
        return self._committed.copy()


def _type_checks(uow: FakeUnitOfWork) -> UnitOfWork:
    """mypy proves here that the fake implements every port."""
    return uow
