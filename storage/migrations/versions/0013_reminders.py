"""Payment reminders: the reminders of each invoice (scheduled, sent or skipped, unique per
invoice, step and occurrence), paused invoices, the sweep's plan per practice, and the rest of
the reminder policy on the practice

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04

New tables; existing practices get the default options ({}: weekends skipped, no repeat,
default wordings, the overdue digest at 08:30), and their first sweep plans the next
reminder of each open invoice from then on (nothing missed before is sent).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminder_plans",
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.Column("planned_version", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=400), nullable=False),
        sa.Column("digest_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_reminder_plans_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("practice_id", name=op.f("pk_reminder_plans")),
    )
    op.create_index(
        op.f("ix_reminder_plans_digest_at"), "reminder_plans", ["digest_at"], unique=False
    )

    op.create_table(
        "reminder_pauses",
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.Column("invoice_id", sa.String(length=32), nullable=False),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paused_by", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id", "invoice_id"],
            ["invoices.practice_id", "invoices.id"],
            name=op.f("fk_reminder_pauses_practice_id_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("practice_id", "invoice_id", name=op.f("pk_reminder_pauses")),
    )
    op.create_table(
        "reminders",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.Column("invoice_id", sa.String(length=32), nullable=False),
        sa.Column("step", sa.String(length=8), nullable=False),
        sa.Column("occurrence", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('scheduled', 'sent', 'skipped')", name=op.f("ck_reminders_state_known")
        ),
        sa.ForeignKeyConstraint(
            ["practice_id", "invoice_id"],
            ["invoices.practice_id", "invoices.id"],
            name=op.f("fk_reminders_practice_id_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
        sa.UniqueConstraint(
            "practice_id",
            "invoice_id",
            "step",
            "occurrence",
            name=op.f("uq_reminders_practice_id_invoice_id_step_occurrence"),
        ),
    )
    op.create_index(
        "ix_reminders_due",
        "reminders",
        ["due_at"],
        unique=False,
        sqlite_where=sa.text("state = 'scheduled'"),
        postgresql_where=sa.text("state = 'scheduled'"),
    )
    # In place, not as a batch: `migrate --sql` cannot reflect a table to copy, and a copy
    # of `practices` would cascade on SQLite (see downgrade).
    op.add_column(
        "practices",
        sa.Column("reminder_options", sa.JSON(), server_default="{}", nullable=False),
    )


def downgrade() -> None:
    # DROP COLUMN in place (SQLite 3.35+): a batch operation would copy `practices` into a
    # new table and drop the old one, and with foreign keys on, that drop deletes every
    # invoice and client of every practice through their ON DELETE CASCADE.
    op.execute("ALTER TABLE practices DROP COLUMN reminder_options")

    op.drop_index("ix_reminders_due", table_name="reminders")

    op.drop_table("reminders")
    op.drop_table("reminder_pauses")
    op.drop_index(op.f("ix_reminder_plans_digest_at"), table_name="reminder_plans")

    op.drop_table("reminder_plans")
