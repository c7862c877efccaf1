"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25

Everything the foundation needs: practices and their settings, tax rates, clients,
service types, appointments, invoices with lines and a payment ledger, the appointment
links that keep an appointment on at most one invoice that is not void, per-practice
invoice counters, and the audit log.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "practices",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("address_line1", sa.String(length=120), nullable=False),
        sa.Column("address_line2", sa.String(length=120), nullable=False),
        sa.Column("city", sa.String(length=80), nullable=False),
        sa.Column("region", sa.String(length=80), nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("tax_number", sa.String(length=60), nullable=False),
        sa.Column("licence_number", sa.String(length=60), nullable=False),
        sa.Column("privacy_mode", sa.Boolean(), nullable=False),
        sa.Column("default_tax_rate_id", sa.String(length=32), nullable=True),
        sa.Column("invoice_template", sa.String(length=20), nullable=False),
        sa.Column("invoice_theme", sa.String(length=20), nullable=False),
        sa.Column("logo_ref", sa.String(length=200), nullable=True),
        sa.Column("invoice_details", sa.Text(), nullable=False),
        sa.Column("payment_terms_days", sa.Integer(), nullable=False),
        sa.Column("invoice_footer", sa.Text(), nullable=False),
        sa.Column("number_prefix", sa.String(length=12), nullable=False),
        sa.Column("reminders_enabled", sa.Boolean(), nullable=False),
        sa.Column("reminder_offsets", sa.JSON(), nullable=False),
        sa.Column("reminder_send_time", sa.String(length=5), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practices")),
        sa.UniqueConstraint("workspace_id", name=op.f("uq_practices_workspace_id")),
    )
    op.create_table(
        "audit_events",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_audit_events_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("id", name=op.f("uq_audit_events_id")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_events_subject", ["practice_id", "subject_id"], unique=False
        )

    op.create_table(
        "clients",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("address_line1", sa.String(length=120), nullable=False),
        sa.Column("address_line2", sa.String(length=120), nullable=False),
        sa.Column("city", sa.String(length=80), nullable=False),
        sa.Column("region", sa.String(length=80), nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_clients_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clients")),
        sa.UniqueConstraint("practice_id", "id", name=op.f("uq_clients_practice_id_id")),
    )
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clients_practice_id"), ["practice_id"], unique=False)

    op.create_table(
        "invoice_counters",
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.Column("last_sequence", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_invoice_counters_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("practice_id", name=op.f("pk_invoice_counters")),
    )
    op.create_table(
        "tax_rates",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("percent_e4", sa.Integer(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "percent_e4 >= 0 AND percent_e4 <= 1000000", name=op.f("ck_tax_rates_percent_range")
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_tax_rates_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_rates")),
        sa.UniqueConstraint("practice_id", "id", name=op.f("uq_tax_rates_practice_id_id")),
    )
    # Active names are unique ignoring case; autogenerate cannot see expression indexes.
    op.create_index(
        "uq_tax_rates_active_name",
        "tax_rates",
        ["practice_id", sa.text("lower(name)")],
        unique=True,
        sqlite_where=sa.text("archived_at IS NULL"),
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.create_table(
        "invoices",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("paid_minor", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("due_date >= issue_date", name=op.f("ck_invoices_due_not_before_issue")),
        sa.ForeignKeyConstraint(
            ["practice_id", "client_id"],
            ["clients.practice_id", "clients.id"],
            name=op.f("fk_invoices_practice_id_client_id_clients"),
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_invoices_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("practice_id", "id", name=op.f("uq_invoices_practice_id_id")),
        sa.UniqueConstraint("practice_id", "number", name=op.f("uq_invoices_practice_id_number")),
        sa.UniqueConstraint(
            "practice_id", "sequence", name=op.f("uq_invoices_practice_id_sequence")
        ),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoices_client_id"), ["client_id"], unique=False)
        batch_op.create_index(
            "ix_invoices_practice_status_due", ["practice_id", "status", "due_date"], unique=False
        )

    op.create_table(
        "service_types",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("default_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("default_tax_rate_id", sa.String(length=32), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "default_price_minor >= 0", name=op.f("ck_service_types_price_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["practice_id", "default_tax_rate_id"],
            ["tax_rates.practice_id", "tax_rates.id"],
            name=op.f("fk_service_types_practice_id_default_tax_rate_id_tax_rates"),
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_service_types_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_types")),
        sa.UniqueConstraint("practice_id", "id", name=op.f("uq_service_types_practice_id_id")),
    )
    with op.batch_alter_table("service_types", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_types_practice_id"), ["practice_id"], unique=False
        )

    op.create_table(
        "appointments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("service_type_id", sa.String(length=32), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("clinician", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "duration_minutes BETWEEN 1 AND 1440", name=op.f("ck_appointments_duration_range")
        ),
        sa.ForeignKeyConstraint(
            ["practice_id", "client_id"],
            ["clients.practice_id", "clients.id"],
            name=op.f("fk_appointments_practice_id_client_id_clients"),
        ),
        sa.ForeignKeyConstraint(
            ["practice_id", "service_type_id"],
            ["service_types.practice_id", "service_types.id"],
            name=op.f("fk_appointments_practice_id_service_type_id_service_types"),
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_appointments_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
        sa.UniqueConstraint("practice_id", "id", name=op.f("uq_appointments_practice_id_id")),
    )
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appointments_practice_id"), ["practice_id"], unique=False
        )

    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.Column("invoice_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("stripe_payment_intent_id", sa.String(length=255), nullable=True),
        sa.Column("stripe_charge_id", sa.String(length=255), nullable=True),
        sa.Column("stripe_refund_id", sa.String(length=255), nullable=True),
        sa.Column("refund_of", sa.String(length=32), nullable=True),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_ledger_entries_amount_positive")),
        sa.ForeignKeyConstraint(
            ["practice_id", "invoice_id"],
            ["invoices.practice_id", "invoices.id"],
            name=op.f("fk_ledger_entries_practice_id_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "invoice_id", "position", name=op.f("uq_ledger_entries_invoice_id_position")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_entries_invoice_id"), ["invoice_id"], unique=False
        )
        batch_op.create_index(
            "ix_ledger_entries_practice_received", ["practice_id", "received_at"], unique=False
        )
        batch_op.create_index(
            "uq_ledger_entries_stripe_payment",
            ["stripe_payment_intent_id"],
            unique=True,
            sqlite_where=sa.text("kind = 'payment' AND stripe_payment_intent_id IS NOT NULL"),
            postgresql_where=sa.text("kind = 'payment' AND stripe_payment_intent_id IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_ledger_entries_stripe_refund",
            ["stripe_refund_id"],
            unique=True,
            sqlite_where=sa.text("stripe_refund_id IS NOT NULL"),
            postgresql_where=sa.text("stripe_refund_id IS NOT NULL"),
        )

    op.create_table(
        "appointment_invoices",
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.Column("appointment_id", sa.String(length=32), nullable=False),
        sa.Column("invoice_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id", "appointment_id"],
            ["appointments.practice_id", "appointments.id"],
            name=op.f("fk_appointment_invoices_practice_id_appointment_id_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["practice_id", "invoice_id"],
            ["invoices.practice_id", "invoices.id"],
            name=op.f("fk_appointment_invoices_practice_id_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "practice_id", "appointment_id", name=op.f("pk_appointment_invoices")
        ),
    )
    with op.batch_alter_table("appointment_invoices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appointment_invoices_invoice_id"), ["invoice_id"], unique=False
        )

    op.create_table(
        "invoice_lines",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.Column("invoice_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("quantity_e3", sa.BigInteger(), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_rate_id", sa.String(length=32), nullable=True),
        sa.Column("tax_name", sa.String(length=50), nullable=False),
        sa.Column("tax_percent_e4", sa.Integer(), nullable=False),
        sa.Column("service_type_id", sa.String(length=32), nullable=True),
        sa.Column("appointment_id", sa.String(length=32), nullable=True),
        sa.CheckConstraint("quantity_e3 > 0", name=op.f("ck_invoice_lines_quantity_positive")),
        sa.CheckConstraint(
            "unit_price_minor >= 0", name=op.f("ck_invoice_lines_price_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["practice_id", "appointment_id"],
            ["appointments.practice_id", "appointments.id"],
            name=op.f("fk_invoice_lines_practice_id_appointment_id_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["practice_id", "invoice_id"],
            ["invoices.practice_id", "invoices.id"],
            name=op.f("fk_invoice_lines_practice_id_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["practice_id", "service_type_id"],
            ["service_types.practice_id", "service_types.id"],
            name=op.f("fk_invoice_lines_practice_id_service_type_id_service_types"),
        ),
        sa.ForeignKeyConstraint(
            ["practice_id", "tax_rate_id"],
            ["tax_rates.practice_id", "tax_rates.id"],
            name=op.f("fk_invoice_lines_practice_id_tax_rate_id_tax_rates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_lines")),
        sa.UniqueConstraint(
            "invoice_id", "position", name=op.f("uq_invoice_lines_invoice_id_position")
        ),
    )
    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_invoice_lines_tax_rate", ["practice_id", "tax_rate_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_invoice_lines_tax_rate")

    op.drop_table("invoice_lines")
    with op.batch_alter_table("appointment_invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appointment_invoices_invoice_id"))

    op.drop_table("appointment_invoices")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_ledger_entries_stripe_refund",
            sqlite_where=sa.text("stripe_refund_id IS NOT NULL"),
            postgresql_where=sa.text("stripe_refund_id IS NOT NULL"),
        )
        batch_op.drop_index(
            "uq_ledger_entries_stripe_payment",
            sqlite_where=sa.text("kind = 'payment' AND stripe_payment_intent_id IS NOT NULL"),
            postgresql_where=sa.text("kind = 'payment' AND stripe_payment_intent_id IS NOT NULL"),
        )
        batch_op.drop_index("ix_ledger_entries_practice_received")
        batch_op.drop_index(batch_op.f("ix_ledger_entries_invoice_id"))

    op.drop_table("ledger_entries")
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appointments_practice_id"))

    op.drop_table("appointments")
    with op.batch_alter_table("service_types", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_types_practice_id"))

    op.drop_table("service_types")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_invoices_practice_status_due")
        batch_op.drop_index(batch_op.f("ix_invoices_client_id"))

    op.drop_table("invoices")
    op.drop_index("uq_tax_rates_active_name", table_name="tax_rates")
    op.drop_table("tax_rates")
    op.drop_table("invoice_counters")
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clients_practice_id"))

    op.drop_table("clients")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_subject")

    op.drop_table("audit_events")
    op.drop_table("practices")
