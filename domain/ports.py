"""The ports the use cases need, as Protocols: storage, the outbox, mail, Stripe, clock and
ids."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Protocol, Self

from domain.appointments import Appointment
from domain.audit import AuditEvent
from domain.clients import Client
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
    CardPlace,
    Invoice,
    InvoiceOverview,
    InvoicePage,
    InvoiceRef,
    InvoiceStatus,
)
from domain.logos import Logo
from domain.online_payments import (
    CardPayment,
    Checkout,
    CheckoutRequest,
    CheckoutState,
    NewAccount,
    PayLink,
    StoredCheckout,
)
from domain.outbox import EmailMessage, OutboxMessage
from domain.practice import Practice, TaxRate
from domain.reminders import (
    DueReminder,
    NewReminder,
    OverdueInvoice,
    PlanFacts,
    PracticePlan,
    ReminderEntry,
    ReminderTarget,
    SettledReminder,
    SkipReason,
)
from domain.roles import Member
from domain.services import ServiceType
from domain.stripe_connect import AccountStatus, StripeConnection
from domain.support import (
    Conversation,
    FileCopy,
    OpenCounts,
    RelayedMessage,
    SlackRef,
    SupportDesk,
)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware."""
        ...


class IdGenerator(Protocol):
    def new_id(self) -> str:
        """A new globally unique, unguessable id."""
        ...


class SeenRequests(Protocol):
    """The keys of requests already accepted, shared by every process that serves them."""

    def remember(self, key: str, now: datetime, *, forget_before: datetime | None) -> bool:
        """Store `key` as received `now`; False if it was stored before (a replay). With
        `forget_before`, also drop the keys received before that moment."""
        ...


@dataclass(frozen=True, slots=True)
class Env:
    """The ports besides storage that use cases need: the time, and new ids."""

    clock: Clock
    ids: IdGenerator

    def today_at(self, practice: Practice) -> date:
        """Today's date where the practice is (its time zone, not the server's)."""
        return practice.today(self.clock.now()).date()


class PracticeRepository(Protocol):
    def get(self, practice_id: PracticeId) -> Practice | None: ...
    def get_many(self, practice_ids: Collection[PracticeId]) -> dict[PracticeId, Practice]:
        """Those of the practices that exist, by id, in one read."""
        ...

    def for_workspace(self, workspace_id: str) -> Practice | None: ...
    def add(self, practice: Practice) -> None: ...
    def update(self, practice: Practice) -> None:
        """Store a changed practice; raises StaleEdit if its version moved meanwhile."""
        ...


class TaxRateRepository(Protocol):
    def get(self, practice_id: PracticeId, tax_rate_id: TaxRateId) -> TaxRate | None: ...
    def list(self, practice_id: PracticeId, *, include_archived: bool = False) -> list[TaxRate]: ...
    def add(self, rate: TaxRate) -> None: ...
    def update(self, rate: TaxRate) -> None: ...
    def is_used(self, practice_id: PracticeId, tax_rate_id: TaxRateId) -> bool:
        """Whether any invoice line or service type refers to the rate."""
        ...


class ClientRepository(Protocol):
    def get(self, practice_id: PracticeId, client_id: ClientId) -> Client | None: ...
    # Above `list`, whose name would shadow the builtin in this annotation.
    def matching(self, practice_id: PracticeId, text: str, limit: int) -> list[Client]:
        """The practice's clients whose name or e-mail contains `text`, compared by
        `domain.text.search_key` (any case, with or without accents; % and _ are literal),
        at most `limit`: a name or e-mail equal to `text` first, then names with a word
        starting with it, then the rest, each part A-Z by that key."""
        ...

    def count_matching(self, practice_id: PracticeId, text: str) -> int:
        """How many clients `matching` would list without a limit."""
        ...

    def page(self, practice_id: PracticeId, offset: int, limit: int) -> list[Client]:
        """At most `limit` clients from position `offset` of the practice's clients A-Z
        (by `search_key` of the name, then id)."""
        ...

    def count(self, practice_id: PracticeId) -> int: ...

    def list(self, practice_id: PracticeId) -> list[Client]: ...
    def names(self, practice_id: PracticeId, client_ids: Iterable[ClientId]) -> dict[ClientId, str]:
        """The names of those of `client_ids` that are the practice's clients, in one read."""
        ...

    def add(self, client: Client) -> None: ...
    def update(self, client: Client) -> None: ...


class ServiceTypeRepository(Protocol):
    def get(
        self, practice_id: PracticeId, service_type_id: ServiceTypeId
    ) -> ServiceType | None: ...
    def list(
        self, practice_id: PracticeId, *, include_inactive: bool = False
    ) -> list[ServiceType]: ...
    def add(self, service: ServiceType) -> None: ...
    def update(self, service: ServiceType) -> None: ...


class AppointmentRepository(Protocol):
    def get(self, practice_id: PracticeId, appointment_id: AppointmentId) -> Appointment | None: ...
    def between(
        self,
        practice_id: PracticeId,
        start: datetime,
        end: datetime,
        *,
        client_id: ClientId | None = None,
    ) -> list[Appointment]:
        """The practice's appointments starting in [start, end), earliest first (then by id);
        only `client_id`'s if given."""
        ...

    def attended_uninvoiced(
        self, practice_id: PracticeId, *, client_id: ClientId | None = None, limit: int
    ) -> list[Appointment]:
        """At most `limit` attended appointments that no invoice (other than a void one)
        bills, the latest first; only `client_id`'s if given."""
        ...

    def attended_uninvoiced_counts(self, practice_id: PracticeId) -> dict[ClientId, int]:
        """How many attended appointments no invoice (other than a void one) bills, per
        client that has any."""
        ...

    # Below the others, whose annotations `list` would shadow.
    def list(
        self, practice_id: PracticeId, *, client_id: ClientId | None = None
    ) -> list[Appointment]: ...
    def add(self, appointment: Appointment) -> None: ...
    def update(self, appointment: Appointment) -> None: ...


@dataclass(frozen=True, slots=True)
class InvoiceFilter:
    """Which invoices a list shows; every criterion given must hold."""

    statuses: frozenset[InvoiceStatus] = frozenset()
    overdue_on: date | None = None
    client_id: ClientId | None = None
    issued_from: date | None = None
    issued_to: date | None = None
    limit: int = 200
    before_sequence: int | None = None
    """Only invoices numbered before this `Invoice.sequence` (the next page of a list);
    `InvoiceRepository.page` alone reads it."""


class InvoiceRepository(Protocol):
    def get(self, practice_id: PracticeId, invoice_id: InvoiceId) -> Invoice | None: ...
    def add(self, invoice: Invoice) -> None:
        """Store a new invoice; raises AppointmentAlreadyInvoiced if one of its appointments
        is already on another invoice that is not void."""
        ...

    def update(self, invoice: Invoice, *, replacing: Invoice | None = None) -> None:
        """Store a changed invoice; raises StaleEdit if its version moved meanwhile.
        `replacing`: the invoice as this transaction read it, the version `invoice` was made
        from, which spares reading it again."""
        ...

    def next_sequence(self, practice_id: PracticeId) -> int:
        """Take the practice's next invoice sequence number (gapless: taken in the caller's
        transaction, so a rollback gives it back)."""
        ...

    def for_appointment(
        self, practice_id: PracticeId, appointment_id: AppointmentId
    ) -> Invoice | None:
        """The invoice that is not void and bills this appointment, if any."""
        ...

    def billing(
        self, practice_id: PracticeId, appointment_ids: Iterable[AppointmentId]
    ) -> dict[AppointmentId, InvoiceRef]:
        """The invoice, not void, that bills each of those appointments that one bills, in
        one read."""
        ...

    def with_number(self, practice_id: PracticeId, number: str) -> Invoice | None:
        """The practice's invoice numbered `number` (as printed, letters of any case)."""
        ...

    def card_place(self, practice_id: PracticeId, invoice_id: InvoiceId) -> CardPlace | None:
        """Where the invoice's card was last posted, if it was."""
        ...

    def place_card(
        self, practice_id: PracticeId, invoice_id: InvoiceId, place: CardPlace, at: datetime
    ) -> None:
        """Remember where the invoice's card now is, replacing where it was."""
        ...

    def find(self, practice_id: PracticeId, criteria: InvoiceFilter) -> list[Invoice]: ...
    def page(self, practice_id: PracticeId, criteria: InvoiceFilter) -> InvoicePage:
        """At most `criteria.limit` listings of the invoices matching `criteria`, newest
        (highest sequence) first, below `criteria.before_sequence` if given, with the totals
        per currency of every matching invoice, summed where the invoices are."""
        ...

    def count(self, practice_id: PracticeId) -> int: ...
    def overview(
        self,
        practice_id: PracticeId,
        *,
        latest: int,
        today: date,
        received_from: datetime,
        received_to: datetime,
    ) -> InvoiceOverview:
        """The `latest` newest invoices, the unpaid totals on `today`, and what was received
        in [received_from, received_to), summed where the invoices are rather than by
        loading each one (every /invoice and Home refresh reads this)."""
        ...


class AuditLog(Protocol):
    def record(self, event: AuditEvent) -> None: ...
    def for_subject(self, practice_id: PracticeId, subject_id: str) -> list[AuditEvent]: ...


class MemberRepository(Protocol):
    def get(self, practice_id: PracticeId, user_id: str) -> Member | None: ...
    def list(self, practice_id: PracticeId) -> list[Member]: ...
    def save(self, member: Member) -> None:
        """Grant the member's role, replacing any role the user held."""
        ...

    def remove(self, practice_id: PracticeId, user_id: str) -> None: ...


class LogoRepository(Protocol):
    def add(self, practice_id: PracticeId, logo_id: str, logo: Logo) -> None: ...
    def get(self, practice_id: PracticeId, logo_id: str) -> Logo | None: ...


#: The owner an invoice's own PDF is stored under (followed by the invoice's id); a
#: receipt's is "receipt:" and the payment's id.
INVOICE_PDF_OWNER = "invoice:"


class DocumentFileCache(Protocol):
    """Rendered documents (PDFs) kept by what they were rendered from: `fingerprint` names
    the exact content (invoice version, design, logo), so a changed invoice misses the
    cache and the next render replaces the old file of the same `owner`."""

    def get(self, practice_id: PracticeId, owner: str, fingerprint: str) -> bytes | None: ...
    def put(
        self, practice_id: PracticeId, owner: str, fingerprint: str, content: bytes
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class StoredInvoicePdf:
    """What a client's PDF download needs to know before anything is rendered: the
    versions the PDF depends on, and the stored PDF with the stamp of the versions it was
    rendered from (None when none is stored)."""

    practice_id: PracticeId
    invoice_id: InvoiceId
    number: str
    time_zone: str
    invoice_version: int
    practice_version: int
    client_version: int
    stored_stamp: str | None
    content: bytes | None


class InvoicePdfLookup(Protocol):
    def by_token(self, token: str) -> StoredInvoicePdf | None:
        """The invoice of a pay link's token, in one read; None for an unknown token."""
        ...


class Outbox(Protocol):
    """Side effects to deliver once the unit of work commits (see `domain.outbox`)."""

    def add(self, message: OutboxMessage) -> bool:
        """Enqueue `message` in the unit of work's transaction: delivered only if it commits.
        False, and nothing stored, if the practice already has a message with the same
        dedupe key (a use case run twice enqueues once); never raises for that."""
        ...

    def get(self, practice_id: PracticeId, dedupe_key: str) -> OutboxMessage | None:
        """The practice's message with that dedupe key, in whatever state it is."""
        ...

    def add_all(self, messages: Sequence[OutboxMessage]) -> None:
        """`add` for many messages at once (one statement)."""
        ...


class Mailer(Protocol):
    def send(self, message: EmailMessage, message_id: str) -> None:
        """Hand `message` over for delivery. `message_id` (the outbox row's id) becomes its
        Message-ID, the same on every retry, so a copy sent twice after an ambiguous failure
        can be recognised. Raises `TransientDeliveryError` when trying again later may help,
        `PermanentDeliveryError` when it cannot."""
        ...


class StripeConnectionRepository(Protocol):
    def get(self, practice_id: PracticeId) -> StripeConnection | None: ...
    def for_account(self, account_id: str) -> StripeConnection | None: ...
    def all_connected(self) -> list[StripeConnection]:
        """Every practice's connection that Stripe has not disconnected (reconciliation)."""
        ...

    def add(self, connection: StripeConnection) -> bool:
        """False (and nothing stored) when the practice has a connection already."""
        ...

    def update(self, connection: StripeConnection) -> None: ...


class StripeEventLog(Protocol):
    def remember(self, event_id: str, event_type: str, received_at: datetime) -> bool:
        """True the first time an event id is seen; the record commits with the event's
        effects, so a retry after a failed transaction is handled afresh."""
        ...

    def remember_later(
        self, event_id: str, event_type: str, received_at: datetime
    ) -> Callable[[], bool]:
        """`remember`, which inside `UnitOfWork.writes_together` may travel with the next
        read: the function returned says whether this was the first time once that read
        (or the block) is over."""
        ...


class PayLinkRepository(Protocol):
    def for_invoice(self, practice_id: PracticeId, invoice_id: InvoiceId) -> PayLink | None: ...
    def with_token(self, token: str) -> PayLink | None:
        """The token alone identifies the practice: it is what a client holds."""
        ...

    def add(self, link: PayLink) -> None: ...
    def add_all(self, links: Sequence[PayLink]) -> None:
        """`add` for many links at once; an invoice that has a link keeps it."""
        ...

    def update(self, link: PayLink) -> None: ...


class CheckoutRepository(Protocol):
    def latest(self, practice_id: PracticeId, invoice_id: InvoiceId) -> StoredCheckout | None: ...
    def count(self, practice_id: PracticeId, invoice_id: InvoiceId) -> int: ...
    def get(self, practice_id: PracticeId, checkout_id: str) -> StoredCheckout | None: ...
    def add(self, checkout: StoredCheckout) -> None:
        """Nothing new when a checkout with that id is stored already (a replayed create)."""
        ...

    def end(self, practice_id: PracticeId, checkout_id: str, state: CheckoutState) -> bool:
        """Mark the practice's checkout ended (complete, expired) if it is still open; False
        when there is no such open checkout."""
        ...


class PaymentGateway(Protocol):
    """Stripe Connect, as the use cases need it. Every create carries an idempotency key so
    that a retry never makes a second account or session. Failures raise
    PaymentGatewayUnavailable (try again) or PaymentGatewayRefused (Stripe said no)."""

    def create_express_account(self, request: NewAccount) -> str: ...
    def account_status(self, account_id: str) -> AccountStatus: ...
    def onboarding_link(self, account_id: str, *, refresh_url: str, return_url: str) -> str: ...
    def dashboard_link(self, account_id: str) -> str: ...
    def create_checkout(self, request: CheckoutRequest) -> Checkout: ...
    def recent_checkouts(self, account_id: str, since: datetime) -> list[Checkout]: ...
    def card_payment(self, account_id: str, payment_intent_id: str) -> CardPayment: ...


class SupportConversationRepository(Protocol):
    """Support conversations, the messages relayed in them, and the Slack events already
    handled. A conversation is found by its practice (the practice's side) or by its thread
    in the vendor's support channel (support's side, which serves every practice)."""

    def next_number(self) -> int:
        """The next conversation number, counted over every practice (the vendor's ticket
        number); taken in the caller's transaction, so a rollback gives it back."""
        ...

    def add(self, conversation: Conversation) -> bool:
        """False, and nothing stored, when the practice's thread is a conversation already."""
        ...

    def get(
        self, practice_id: PracticeId, conversation_id: ConversationId
    ) -> Conversation | None: ...
    def for_support(self, conversation_id: ConversationId) -> Conversation | None:
        """Support's side: any practice's conversation (a button in the support channel)."""
        ...

    def for_practice_thread(
        self, practice_id: PracticeId, thread: SlackRef
    ) -> Conversation | None: ...

    def for_support_thread(self, thread: SlackRef) -> Conversation | None: ...
    def update(self, conversation: Conversation) -> None:
        """Store a changed conversation; raises StaleEdit if its version moved meanwhile."""
        ...

    def count(self, practice_id: PracticeId) -> int: ...
    def waiting_since(self, before: datetime, limit: int) -> list[Conversation]:
        """Open conversations opened at or before `before` that support never answered and
        that were not escalated yet, oldest first, at most `limit`."""
        ...

    def open_conversations(self, limit: int) -> list[Conversation]:
        """Every practice's open conversations, the longest waiting first, at most `limit`."""
        ...

    def open_counts(self) -> OpenCounts: ...
    def recently_resolved(self, limit: int) -> list[Conversation]:
        """Every practice's resolved conversations, the latest resolved first."""
        ...

    def remember_event(self, event_id: str, received_at: datetime) -> bool:
        """True the first time a Slack event id is seen; stored with the event's effects, so
        a retry after a failed transaction is handled afresh."""
        ...

    def add_relay(self, relay: RelayedMessage) -> bool:
        """False, and nothing stored, when that source message was relayed already."""
        ...

    def relay_from(self, source: SlackRef) -> RelayedMessage | None: ...
    def relay_to(self, copy: SlackRef) -> RelayedMessage | None:
        """The relayed message whose copy is at `copy`."""
        ...

    def record_copy(self, source: SlackRef, copy: SlackRef) -> None:
        """Remember where the copy of `source` was posted."""
        ...

    def add_file_copy(self, copy: FileCopy) -> bool:
        """Remember a file the app uploaded as the copy of another; False when known."""
        ...

    def file_copies_of_file(self, team_id: str, file_id: str) -> list[FileCopy]:
        """The copies of the file `file_id` of workspace `team_id`."""
        ...

    def file_copies_of_message(self, message: SlackRef) -> list[FileCopy]:
        """The copies of the files `message` shared."""
        ...


class SupportSettingsRepository(Protocol):
    def desk(self, team_id: str) -> SupportDesk | None:
        """The support desk of the vendor's workspace `team_id`, once an operator chose it."""
        ...

    def save_desk(self, desk: SupportDesk) -> None: ...
    def help_channel(self, practice_id: PracticeId) -> str | None: ...
    def set_help_channel(self, practice_id: PracticeId, channel_id: str | None) -> None: ...


class ReminderRepository(Protocol):
    """Payment reminders (see `domain.reminders`), the paused invoices and the sweep's plan
    per practice."""

    def add(self, reminders: Sequence[NewReminder]) -> set[str]:
        """Store reminders; one whose (invoice, step, occurrence) is taken is left out, never
        an error. Returns the ids of those stored."""
        ...

    def claim_due(self, now: datetime, limit: int) -> list[DueReminder]:
        """Up to `limit` scheduled reminders due by `now`, the longest waiting first, held
        for this transaction: a reminder (or its invoice) that another transaction holds is
        passed over, so two sweeps at once take different reminders, and one racing a
        payment leaves that invoice for the next sweep."""
        ...

    def settle(self, settled: Sequence[SettledReminder]) -> int:
        """Record what became of claimed reminders; only reminders still scheduled change
        (compare and set). Returns how many changed."""
        ...

    def skip_sent(
        self, practice_id: PracticeId, reminder_id: str, reason: SkipReason, at: datetime
    ) -> bool:
        """A sent reminder whose e-mail was not written after all (the invoice was paid
        before its delivery): recorded as skipped."""
        ...

    def get(self, practice_id: PracticeId, reminder_id: str) -> ReminderEntry | None: ...
    def of_invoice(self, practice_id: PracticeId, invoice_id: InvoiceId) -> list[ReminderEntry]:
        """The invoice's reminders with how their e-mails' delivery went, by due time."""
        ...

    def targets(
        self, practice_id: PracticeId, invoice_ids: Collection[InvoiceId]
    ) -> list[ReminderTarget]:
        """What reminding these invoices needs to know of them (those of the practice)."""
        ...

    def plan_facts(
        self, practice_id: PracticeId, invoice_ids: Collection[InvoiceId] | None = None
    ) -> list[PlanFacts]:
        """The practice's open invoices (or those of `invoice_ids` that are open), with
        their reminders so far."""
        ...

    def with_scheduled(
        self, practice_id: PracticeId, invoice_ids: Collection[InvoiceId]
    ) -> set[InvoiceId]:
        """Those of the invoices that have a scheduled reminder."""
        ...

    def drop_scheduled(
        self,
        practice_id: PracticeId,
        invoice_ids: Collection[InvoiceId] | None = None,
        *,
        keep: Collection[str] = (),
    ) -> int:
        """Forget the scheduled reminders of the practice (or of those invoices), but those
        whose ids are in `keep`."""
        ...

    def is_paused(self, practice_id: PracticeId, invoice_id: InvoiceId) -> bool: ...
    def pause(self, practice_id: PracticeId, invoice_id: InvoiceId, by: str, at: datetime) -> bool:
        """False if they were paused already."""
        ...

    def resume(self, practice_id: PracticeId, invoice_id: InvoiceId) -> bool:
        """False if they were not paused."""
        ...

    def practices_to_plan(self, limit: int) -> list[PracticeId]:
        """Practices whose settings changed since their reminders were planned (or that
        were never planned)."""
        ...

    def hold_practice(self, practice_id: PracticeId) -> bool:
        """Hold the practice for planning in this transaction; False if another
        transaction holds it (it is planning it)."""
        ...

    def plan_of(self, practice_id: PracticeId) -> PracticePlan | None: ...
    def save_plan(self, practice_id: PracticeId, plan: PracticePlan) -> None: ...
    def digests_due(self, now: datetime, limit: int) -> list[PracticeId]:
        """Practices whose overdue digest is due by `now`, held for this transaction
        (another transaction's are passed over)."""
        ...

    def overdue(self, practice_id: PracticeId, today: date) -> list[OverdueInvoice]:
        """The practice's unpaid invoices due before `today`, with their clients' names."""
        ...


class UnitOfWork(Protocol):
    """One transaction: nothing is kept unless `commit()` is called before the block ends."""

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
    outbox: Outbox
    stripe_connections: StripeConnectionRepository
    stripe_events: StripeEventLog
    pay_links: PayLinkRepository
    checkouts: CheckoutRepository
    support: SupportConversationRepository
    support_settings: SupportSettingsRepository
    reminders: ReminderRepository

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None:
        """Inside `writes_together`, the writes held back go with the commit, and a write
        that finds its record changed meanwhile raises StaleEdit with nothing committed."""
        ...

    def rollback(self) -> None: ...
    def writes_together(self) -> AbstractContextManager[None]:
        """A block whose writes the store may hold back and send together with the next read,
        or when the block ends if nothing reads first (one round trip instead of one each).
        A write that finds its record changed meanwhile may then raise StaleEdit only at that
        read or when the block ends, and what a held write returns (a rowcount, whether it
        changed anything) is not known inside the block."""
        ...
