"""Card payments through Stripe Connect: connected accounts, applied events, pay links and
checkout sessions

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

New tables only; existing practices start with no Stripe account.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stripe_events",
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=120), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_stripe_events")),
    )
    with op.batch_alter_table("stripe_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stripe_events_received_at"), ["received_at"], unique=False
        )

    op.create_table(
        "stripe_connections",
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details_submitted", sa.Boolean(), nullable=False),
        sa.Column("charges_enabled", sa.Boolean(), nullable=False),
        sa.Column("payouts_enabled", sa.Boolean(), nullable=False),
        sa.Column("currently_due", sa.JSON(), nullable=False),
        sa.Column("past_due", sa.JSON(), nullable=False),
        sa.Column("disabled_reason", sa.String(length=120), nullable=True),
        sa.Column("status_as_of", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disconnected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_stripe_connections_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("practice_id", name=op.f("pk_stripe_connections")),
        sa.UniqueConstraint("account_id", name=op.f("uq_stripe_connections_account_id")),
    )
    op.create_table(
        "checkout_sessions",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.Column("invoice_id", sa.String(length=32), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id", "invoice_id"],
            ["invoices.practice_id", "invoices.id"],
            name=op.f("fk_checkout_sessions_practice_id_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkout_sessions")),
    )
    with op.batch_alter_table("checkout_sessions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_checkout_sessions_invoice",
            ["practice_id", "invoice_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "pay_links",
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.Column("invoice_id", sa.String(length=32), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sent_to", sa.String(length=320), nullable=True),
        sa.Column("times_sent", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id", "invoice_id"],
            ["invoices.practice_id", "invoices.id"],
            name=op.f("fk_pay_links_practice_id_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("practice_id", "invoice_id", name=op.f("pk_pay_links")),
        sa.UniqueConstraint("token", name=op.f("uq_pay_links_token")),
    )


def downgrade() -> None:
    op.drop_table("pay_links")
    with op.batch_alter_table("checkout_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_checkout_sessions_invoice")

    op.drop_table("checkout_sessions")
    op.drop_table("stripe_connections")
    with op.batch_alter_table("stripe_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stripe_events_received_at"))

    op.drop_table("stripe_events")
