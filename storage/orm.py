"""SQLAlchemy 2 typed table mappings.

Money is kept as integer minor units beside a currency column; percentages and quantities
as scaled integers, because SQLite has no exact decimal type. Every table a practice owns
carries `practice_id`, and references between its rows are composite foreign keys that
include it, so the database itself refuses a row that points into another practice.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Stable constraint names let Alembic alter and drop constraints on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

ID = String(32)
PERCENT_SCALE = 4  # tax percentages are stored in ten-thousandths of a percent
QUANTITY_SCALE = 3  # quantities in thousandths
# Search keys are already folded, so they sort by code point: PostgreSQL's "C" collation,
# SQLite's default. A locale collation would order them differently on each server (and
# skip spaces), and a list paged through would not be A-Z the same way everywhere.
SEARCH_KEY = Text().with_variant(Text(collation="C"), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored in UTC; SQLite keeps no zone, so it is put back on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("refusing to store a naive datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = metadata


def _practice_fk(*columns: str, table: str, ondelete: str | None = None) -> ForeignKeyConstraint:
    """A reference to another row of the same practice."""
    return ForeignKeyConstraint(
        ["practice_id", *columns],
        [f"{table}.practice_id", *(f"{table}.id" for _ in columns)],
        ondelete=ondelete,
    )


class PracticeRow(Base):
    __tablename__ = "practices"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    currency: Mapped[str] = mapped_column(String(3))
    address_line1: Mapped[str] = mapped_column(String(120), default="")
    address_line2: Mapped[str] = mapped_column(String(120), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    region: Mapped[str] = mapped_column(String(80), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    time_zone: Mapped[str] = mapped_column(String(64))
    # How the practice writes numbers (de_DE): amounts typed in Slack are read this way.
    locale: Mapped[str] = mapped_column(String(20), server_default="en_US")
    tax_number: Mapped[str] = mapped_column(String(60), default="")
    licence_number: Mapped[str] = mapped_column(String(60), default="")
    privacy_mode: Mapped[bool] = mapped_column(Boolean, default=True)
    billing_channel_id: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    default_tax_rate_id: Mapped[str | None] = mapped_column(ID)
    invoice_template: Mapped[str] = mapped_column(String(20))
    invoice_theme: Mapped[str] = mapped_column(String(20))
    logo_ref: Mapped[str | None] = mapped_column(String(200))
    invoice_details: Mapped[str] = mapped_column(Text, default="")
    payment_terms_days: Mapped[int] = mapped_column(Integer)
    invoice_footer: Mapped[str] = mapped_column(Text, default="")
    number_prefix: Mapped[str] = mapped_column(String(12))
    reminders_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    reminder_offsets: Mapped[list[int]] = mapped_column(JSON)
    reminder_send_time: Mapped[str] = mapped_column(String(5))  # HH:MM, local to time_zone
    # The rest of the reminder policy (repeat, non-sending days, wordings, the overdue
    # digest): read and written only with the practice, never searched.
    reminder_options: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, server_default="{}"
    )
    version: Mapped[int] = mapped_column(Integer)


class InvoiceCounterRow(Base):
    """The last invoice sequence number a practice used; bumped inside the invoice's own
    transaction, so numbers stay gapless."""

    __tablename__ = "invoice_counters"

    practice_id: Mapped[str] = mapped_column(
        ID, ForeignKey("practices.id", ondelete="CASCADE"), primary_key=True
    )
    last_sequence: Mapped[int] = mapped_column(Integer, default=0)


class TaxRateRow(Base):
    __tablename__ = "tax_rates"
    __table_args__ = (
        UniqueConstraint("practice_id", "id"),
        CheckConstraint("percent_e4 >= 0 AND percent_e4 <= 1000000", name="percent_range"),
        # Active names are unique, ignoring case; an archived name may be used again.
        Index(
            "uq_tax_rates_active_name",
            "practice_id",
            func.lower(text("name")),
            unique=True,
            sqlite_where=text("archived_at IS NULL"),
            postgresql_where=text("archived_at IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    practice_id: Mapped[str] = mapped_column(ID, ForeignKey("practices.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))
    percent_e4: Mapped[int] = mapped_column(Integer)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ClientRow(Base):
    __tablename__ = "clients"
    __table_args__ = (
        UniqueConstraint("practice_id", "id"),
        # Lists go A-Z page by page, and searches rank their matches in the same order.
        Index("ix_clients_practice_name_key", "practice_id", "name_key", "id"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    practice_id: Mapped[str] = mapped_column(
        ID, ForeignKey("practices.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    phone: Mapped[str] = mapped_column(String(20), default="")
    address_line1: Mapped[str] = mapped_column(String(120), default="")
    address_line2: Mapped[str] = mapped_column(String(120), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    region: Mapped[str] = mapped_column(String(80), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer)
    # `domain.text.search_key` of the name and the e-mail, kept by the repository on every
    # write, so a search matches letters whatever their case or accents in the database
    # itself (SQLite and PostgreSQL alike, no extension needed). Text: decomposing can
    # lengthen a name past its own column's limit.
    name_key: Mapped[str] = mapped_column(SEARCH_KEY, server_default="")
    email_key: Mapped[str] = mapped_column(SEARCH_KEY, server_default="")


class ServiceTypeRow(Base):
    __tablename__ = "service_types"
    __table_args__ = (
        UniqueConstraint("practice_id", "id"),
        _practice_fk("default_tax_rate_id", table="tax_rates"),
        CheckConstraint("default_price_minor >= 0", name="price_not_negative"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    practice_id: Mapped[str] = mapped_column(
        ID, ForeignKey("practices.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    default_price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    default_tax_rate_id: Mapped[str | None] = mapped_column(ID)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer)


class AppointmentRow(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        UniqueConstraint("practice_id", "id"),
        _practice_fk("client_id", table="clients"),
        _practice_fk("service_type_id", table="service_types"),
        CheckConstraint("duration_minutes BETWEEN 1 AND 1440", name="duration_range"),
        # The calendar reads a practice's appointments between two instants, and Home its
        # latest attended ones.
        Index("ix_appointments_practice_starts", "practice_id", "starts_at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    practice_id: Mapped[str] = mapped_column(
        ID, ForeignKey("practices.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[str] = mapped_column(ID)
    service_type_id: Mapped[str] = mapped_column(ID)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    clinician: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)


class InvoiceRow(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("practice_id", "id"),
        UniqueConstraint("practice_id", "number"),
        UniqueConstraint("practice_id", "sequence"),
        _practice_fk("client_id", table="clients"),
        CheckConstraint("due_date >= issue_date", name="due_not_before_issue"),
        # Lists by status and due date, and the outstanding and overdue totals: the amounts
        # are in the index so the totals never read the invoices' rows, which lie scattered
        # over the practice's whole history (an old unpaid invoice sits among paid ones).
        Index(
            "ix_invoices_practice_status_due_amounts",
            "practice_id",
            "status",
            "due_date",
            "currency",
            "total_minor",
            "paid_minor",
        ),
        # A client's invoices, newest first, without walking the practice's whole history.
        Index("ix_invoices_practice_client", "practice_id", "client_id", "sequence"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    practice_id: Mapped[str] = mapped_column(ID, ForeignKey("practices.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(24))
    sequence: Mapped[int] = mapped_column(Integer)
    client_id: Mapped[str] = mapped_column(ID, index=True)
    currency: Mapped[str] = mapped_column(String(3))
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(10))
    # Derived by the domain and kept here so lists and totals can filter in SQL.
    status: Mapped[str] = mapped_column(String(16))
    total_minor: Mapped[int] = mapped_column(BigInteger)
    paid_minor: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(32))
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer)


class InvoiceTotalsRow(Base):
    """How many invoices a practice has, and their total and balance, per status, month of
    issue and currency: what `/invoice list` shows below its page, read without walking the
    practice's history. The invoice repository moves these sums in the same transaction as
    every write of an invoice's status, amounts or issue date; a bucket emptied keeps its row
    at zero."""

    __tablename__ = "invoice_totals"

    practice_id: Mapped[str] = mapped_column(
        ID, ForeignKey("practices.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    issue_month: Mapped[date] = mapped_column(Date, primary_key=True)
    """The first day of the month the invoices were issued in (the practice's calendar)."""
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    invoice_count: Mapped[int] = mapped_column(Integer)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    balance_minor: Mapped[int] = mapped_column(BigInteger)


class InvoiceLineRow(Base):
    __tablename__ = "invoice_lines"
    __table_args__ = (
        _practice_fk("invoice_id", table="invoices", ondelete="CASCADE"),
        _practice_fk("tax_rate_id", table="tax_rates"),
        _practice_fk("service_type_id", table="service_types"),
        _practice_fk("appointment_id", table="appointments"),
        UniqueConstraint("invoice_id", "position"),
        CheckConstraint("quantity_e3 > 0", name="quantity_positive"),
        CheckConstraint("unit_price_minor >= 0", name="price_not_negative"),
        Index("ix_invoice_lines_tax_rate", "practice_id", "tax_rate_id"),
        # Lines are read by (practice, invoices): with only the index above leading with
        # practice_id, SQLite read every line the practice ever wrote to find a few invoices'.
        Index("ix_invoice_lines_invoice", "practice_id", "invoice_id", "position"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    practice_id: Mapped[str] = mapped_column(ID)
    invoice_id: Mapped[str] = mapped_column(ID)
    position: Mapped[int] = mapped_column(Integer)
    service_date: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(200))
    quantity_e3: Mapped[int] = mapped_column(BigInteger)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    tax_rate_id: Mapped[str | None] = mapped_column(ID)
    tax_name: Mapped[str] = mapped_column(String(50), default="")
    tax_percent_e4: Mapped[int] = mapped_column(Integer, default=0)
    service_type_id: Mapped[str | None] = mapped_column(ID)
    appointment_id: Mapped[str | None] = mapped_column(ID)


class AppointmentInvoiceRow(Base):
    """Which invoice that is not void holds an appointment. The primary key is the rule
    'an appointment is on at most one non-void invoice'; voiding deletes the row."""

    __tablename__ = "appointment_invoices"
    __table_args__ = (
        _practice_fk("appointment_id", table="appointments"),
        _practice_fk("invoice_id", table="invoices", ondelete="CASCADE"),
    )

    practice_id: Mapped[str] = mapped_column(ID, primary_key=True)
    appointment_id: Mapped[str] = mapped_column(ID, primary_key=True)
    invoice_id: Mapped[str] = mapped_column(ID, index=True)


class InvoiceCardRow(Base):
    """Where an invoice's card (its Slack message) was posted, so every change to the
    invoice updates that message in place (`chat.update` needs the channel and ts)."""

    __tablename__ = "invoice_cards"
    __table_args__ = (_practice_fk("invoice_id", table="invoices", ondelete="CASCADE"),)

    practice_id: Mapped[str] = mapped_column(ID, primary_key=True)
    invoice_id: Mapped[str] = mapped_column(ID, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LedgerEntryRow(Base):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        _practice_fk("invoice_id", table="invoices", ondelete="CASCADE"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        UniqueConstraint("invoice_id", "position"),
        Index("ix_ledger_entries_practice_received", "practice_id", "received_at"),
        # As for lines: entries are read by (practice, invoices), never by every payment.
        Index("ix_ledger_entries_invoice", "practice_id", "invoice_id", "position"),
        # A Stripe payment or refund is recorded once, however often its webhook arrives.
        Index(
            "uq_ledger_entries_stripe_payment",
            "stripe_payment_intent_id",
            unique=True,
            sqlite_where=text("kind = 'payment' AND stripe_payment_intent_id IS NOT NULL"),
            postgresql_where=text("kind = 'payment' AND stripe_payment_intent_id IS NOT NULL"),
        ),
        Index(
            "uq_ledger_entries_stripe_refund",
            "stripe_refund_id",
            unique=True,
            sqlite_where=text("stripe_refund_id IS NOT NULL"),
            postgresql_where=text("stripe_refund_id IS NOT NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    practice_id: Mapped[str] = mapped_column(ID)
    invoice_id: Mapped[str] = mapped_column(ID, index=True)
    position: Mapped[int] = mapped_column(Integer)  # order of recording within the invoice
    kind: Mapped[str] = mapped_column(String(10))
    method: Mapped[str] = mapped_column(String(16))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(120), default="")
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255))
    stripe_charge_id: Mapped[str | None] = mapped_column(String(255))
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255))
    refund_of: Mapped[str | None] = mapped_column(ID)


class AuditEventRow(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_subject", "practice_id", "subject_id"),)

    # Events of one moment keep the order they were recorded in.
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    id: Mapped[str] = mapped_column(ID, unique=True)
    practice_id: Mapped[str] = mapped_column(ID, ForeignKey("practices.id", ondelete="CASCADE"))
    actor: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    details: Mapped[dict[str, str]] = mapped_column(JSON)


class MemberRow(Base):
    """A Slack user's billing role in one practice."""

    __tablename__ = "practice_members"

    practice_id: Mapped[str] = mapped_column(
        ID, ForeignKey("practices.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    role: Mapped[str] = mapped_column(String(10))
    granted_by: Mapped[str] = mapped_column(String(32))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LogoRow(Base):
    """An invoice logo, kept in the database so every replica can serve it."""

    __tablename__ = "practice_logos"
    __table_args__ = (UniqueConstraint("practice_id", "id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    practice_id: Mapped[str] = mapped_column(ID, ForeignKey("practices.id", ondelete="CASCADE"))
    content_type: Mapped[str] = mapped_column(String(32))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class DocumentFileRow(Base):
    """The last rendered file (an invoice's or a receipt's PDF) of each owner, kept while its
    fingerprint matches what it was rendered from."""

    __tablename__ = "document_files"

    practice_id: Mapped[str] = mapped_column(
        ID, ForeignKey("practices.id", ondelete="CASCADE"), primary_key=True
    )
    owner: Mapped[str] = mapped_column(String(80), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    rendered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SlackRequestRow(Base):
    """Signatures of Slack requests already accepted, so a replayed request is refused.

    Rows older than Slack's five-minute signature window are useless and get purged."""

    __tablename__ = "slack_request_signatures"

    signature: Mapped[str] = mapped_column(String(80), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class StripeConnectionRow(Base):
    """The Express account the app created for a practice, and Stripe's latest word on it."""

    __tablename__ = "stripe_connections"

    practice_id: Mapped[str] = mapped_column(
        ID, ForeignKey("practices.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    details_submitted: Mapped[bool] = mapped_column(Boolean, default=False)
    charges_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    payouts_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    currently_due: Mapped[list[str]] = mapped_column(JSON, default=list)
    past_due: Mapped[list[str]] = mapped_column(JSON, default=list)
    disabled_reason: Mapped[str | None] = mapped_column(String(120))
    status_as_of: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disconnected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class StripeEventRow(Base):
    """Stripe events already applied; inserted in the transaction of the event's effects."""

    __tablename__ = "stripe_events"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(120))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class PayLinkRow(Base):
    """An invoice's stable pay link; the random token is all a client's URL carries."""

    __tablename__ = "pay_links"
    __table_args__ = (_practice_fk("invoice_id", table="invoices", ondelete="CASCADE"),)

    practice_id: Mapped[str] = mapped_column(ID, primary_key=True)
    invoice_id: Mapped[str] = mapped_column(ID, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sent_to: Mapped[str | None] = mapped_column(String(320))
    times_sent: Mapped[int] = mapped_column(Integer, default=0)


class CheckoutSessionRow(Base):
    """Checkout Sessions made for an invoice, so a second click on Pay reuses an open one."""

    __tablename__ = "checkout_sessions"
    __table_args__ = (
        _practice_fk("invoice_id", table="invoices", ondelete="CASCADE"),
        Index("ix_checkout_sessions_invoice", "practice_id", "invoice_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    practice_id: Mapped[str] = mapped_column(ID)
    invoice_id: Mapped[str] = mapped_column(ID)
    url: Mapped[str] = mapped_column(Text)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default="open")


class OutboxRow(Base):
    """A side effect enqueued in the transaction of the change that caused it, delivered
    after commit by `storage.outbox_queue` and a worker (see `domain.outbox`).

    Attachments travel base64-encoded inside `payload`: they are written, read and dropped
    only together with their message, so a table of their own would add a second insert and
    a join and answer no question of its own. A lease (`claimed_by`, `claimed_until`) marks
    a row a worker is delivering; one whose worker died is taken again once it expires."""

    __tablename__ = "outbox"
    __table_args__ = (
        # Enqueueing the same effect twice (a repeated webhook) stores it once.
        UniqueConstraint("practice_id", "dedupe_key"),
        # The claim reads due rows in order; sent and failed rows, the bulk of the table
        # after a while, are not in this index at all.
        Index(
            "ix_outbox_due",
            "next_attempt_at",
            sqlite_where=text("sent_at IS NULL AND failed_at IS NULL"),
            postgresql_where=text("sent_at IS NULL AND failed_at IS NULL"),
        ),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    practice_id: Mapped[str] = mapped_column(ID, ForeignKey("practices.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    dedupe_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(String(200), default="")


class SupportConversationRow(Base):
    """A practice member's question and the conversation with support it opened. `number`
    counts every practice's conversations (the vendor's ticket number). A thread is kept as
    the (team, channel, ts) of its root message in each workspace."""

    __tablename__ = "support_conversations"
    __table_args__ = (
        UniqueConstraint("practice_id", "id"),
        UniqueConstraint("number"),
        # A thread of the practice's Slack is one conversation at most, however many events
        # (message, app_mention, a retry) arrive for its root.
        UniqueConstraint(
            "practice_id",
            "practice_team",
            "practice_channel",
            "practice_ts",
            name="uq_support_conversations_practice_thread",
        ),
        Index("ix_support_conversations_support_thread", "support_channel", "support_ts"),
        # The support workspace's Home: the open ones by age, the latest resolved.
        Index("ix_support_conversations_status_opened", "status", "opened_at"),
        Index("ix_support_conversations_status_resolved", "status", "resolved_at"),
        # The escalation job reads the open, unanswered, not yet escalated ones only.
        Index(
            "ix_support_conversations_waiting",
            "opened_at",
            sqlite_where=text(
                "status = 'open' AND first_response_at IS NULL AND escalated_at IS NULL"
            ),
            postgresql_where=text(
                "status = 'open' AND first_response_at IS NULL AND escalated_at IS NULL"
            ),
        ),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    practice_id: Mapped[str] = mapped_column(ID, ForeignKey("practices.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    practice_team: Mapped[str] = mapped_column(String(32))
    practice_channel: Mapped[str] = mapped_column(String(32))
    practice_ts: Mapped[str] = mapped_column(String(32))
    support_team: Mapped[str | None] = mapped_column(String(32))
    support_channel: Mapped[str | None] = mapped_column(String(32))
    support_ts: Mapped[str | None] = mapped_column(String(32))
    opened_by: Mapped[str] = mapped_column(String(32))
    question: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    assignee: Mapped[str | None] = mapped_column(String(32))
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rating: Mapped[str | None] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)


class SupportRelayRow(Base):
    """A message written on one side of a conversation and where the app posted its copy on
    the other (unknown until delivered), so edits and deletes follow it. Each source message
    is relayed once; each copy belongs to one source."""

    __tablename__ = "support_relays"
    __table_args__ = (
        # Named here: the convention's name would pass PostgreSQL's 63-character limit.
        ForeignKeyConstraint(
            ["practice_id", "conversation_id"],
            ["support_conversations.practice_id", "support_conversations.id"],
            ondelete="CASCADE",
            name="fk_support_relays_conversation",
        ),
        UniqueConstraint("copy_team", "copy_channel", "copy_ts"),
    )

    source_team: Mapped[str] = mapped_column(String(32), primary_key=True)
    source_channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    source_ts: Mapped[str] = mapped_column(String(32), primary_key=True)
    practice_id: Mapped[str] = mapped_column(ID)
    conversation_id: Mapped[str] = mapped_column(ID)
    written_on: Mapped[str] = mapped_column(String(16))
    copy_team: Mapped[str | None] = mapped_column(String(32))
    copy_channel: Mapped[str | None] = mapped_column(String(32))
    copy_ts: Mapped[str | None] = mapped_column(String(32))


class SupportFileCopyRow(Base):
    """A file shared in a conversation's thread, and the copy the app uploaded into the other
    thread: found by the source file (a file deleted) or by the message that shared it (a
    message deleted)."""

    __tablename__ = "support_file_copies"
    __table_args__ = (
        ForeignKeyConstraint(
            ["practice_id", "conversation_id"],
            ["support_conversations.practice_id", "support_conversations.id"],
            ondelete="CASCADE",
            name="fk_support_file_copies_conversation",
        ),
        Index("ix_support_file_copies_source_file", "source_team", "source_file"),
        Index(
            "ix_support_file_copies_source_message",
            "source_team",
            "source_channel",
            "source_ts",
        ),
    )

    copy_team: Mapped[str] = mapped_column(String(32), primary_key=True)
    copy_file: Mapped[str] = mapped_column(String(32), primary_key=True)
    practice_id: Mapped[str] = mapped_column(ID)
    conversation_id: Mapped[str] = mapped_column(ID)
    source_team: Mapped[str] = mapped_column(String(32))
    source_channel: Mapped[str] = mapped_column(String(32))
    source_ts: Mapped[str] = mapped_column(String(32))
    source_file: Mapped[str] = mapped_column(String(32))


class SupportEventRow(Base):
    """Slack event ids of the Help channel already handled; inserted in the transaction of
    the event's effects, so Slack's retries of one event change nothing."""

    __tablename__ = "support_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SupportDeskRow(Base):
    """Where the vendor's support team works: the channel an operator chose in its own
    workspace, and how long a question may wait before it is escalated."""

    __tablename__ = "support_desks"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    escalate_after_s: Mapped[int] = mapped_column(Integer)
    set_by: Mapped[str] = mapped_column(String(32), default="")
    set_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class HelpChannelRow(Base):
    """The channel of a practice's workspace whose posts become support conversations."""

    __tablename__ = "support_help_channels"

    practice_id: Mapped[str] = mapped_column(
        ID, ForeignKey("practices.id", ondelete="CASCADE"), primary_key=True
    )
    channel_id: Mapped[str] = mapped_column(String(32))


class ReminderRow(Base):
    """One payment reminder of an invoice: scheduled (the invoice's next one), sent (its
    e-mail is in the outbox, under the dedupe key "mail:reminder:<id>") or skipped
    (`reason`).

    The unique key (invoice, step, occurrence) is what makes a reminder go out once: any
    process planning or sending it again meets the key already taken. Due rows are claimed
    by `storage.repositories.reminders` (SKIP LOCKED on PostgreSQL, the write lock on
    SQLite) in the same transaction that writes their e-mail to the outbox."""

    __tablename__ = "reminders"
    __table_args__ = (
        _practice_fk("invoice_id", table="invoices", ondelete="CASCADE"),
        UniqueConstraint("practice_id", "invoice_id", "step", "occurrence"),
        # The sweep reads due rows in order; sent and skipped rows, the bulk of the table,
        # are not in this index at all.
        Index(
            "ix_reminders_due",
            "due_at",
            "id",
            sqlite_where=text("state = 'scheduled'"),
            postgresql_where=text("state = 'scheduled'"),
        ),
        CheckConstraint("state IN ('scheduled', 'sent', 'skipped')", name="state_known"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    practice_id: Mapped[str] = mapped_column(ID)
    invoice_id: Mapped[str] = mapped_column(ID)
    # "-3", "0", "+7" (days from the due date) or "now" (sent by hand).
    step: Mapped[str] = mapped_column(String(8))
    occurrence: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The invoice's, which the next step is planned from (fixed once it is issued): the
    # sweep's claim reads no invoice. None on rows planned before revision 0016 (see there).
    invoice_due_date: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(String(32), default="")
    actor: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReminderPauseRow(Base):
    """An invoice whose reminders are paused (from its card), and who paused them."""

    __tablename__ = "reminder_pauses"
    __table_args__ = (_practice_fk("invoice_id", table="invoices", ondelete="CASCADE"),)

    practice_id: Mapped[str] = mapped_column(ID, primary_key=True)
    invoice_id: Mapped[str] = mapped_column(ID, primary_key=True)
    paused_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paused_by: Mapped[str] = mapped_column(String(32))


class ReminderPlanRow(Base):
    """The sweep's bookkeeping per practice: which version of its settings its scheduled
    reminders were planned from (a newer one plans them again), and when its next overdue
    digest is due."""

    __tablename__ = "reminder_plans"

    practice_id: Mapped[str] = mapped_column(
        ID, ForeignKey("practices.id", ondelete="CASCADE"), primary_key=True
    )
    planned_version: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(400))
    digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


# slack_sdk's own stores keep installations, bot tokens and OAuth states; their tables are
# declared here so that Alembic creates and migrates them with everything else.
SLACK_INSTALLATIONS = SQLAlchemyInstallationStore.build_installations_table(
    metadata, SQLAlchemyInstallationStore.default_installations_table_name
)
SLACK_BOTS = SQLAlchemyInstallationStore.build_bots_table(
    metadata, SQLAlchemyInstallationStore.default_bots_table_name
)
SLACK_OAUTH_STATES = SQLAlchemyOAuthStateStore.build_oauth_states_table(
    metadata, SQLAlchemyOAuthStateStore.default_table_name
)
