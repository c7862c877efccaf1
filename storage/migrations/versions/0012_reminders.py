"""Payment reminders: the reminders of each invoice (scheduled, sent or skipped, unique per
invoice, step and occurrence), paused invoices, the sweep's plan per practice, and the rest of
the reminder policy on the practice

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-04

New tables; existing practices get the default options ({}: weekends skipped, no repeat,
default wordings, the overdue digest at 08:30), and their first sweep plans the next
reminder of each open invoice from then on (nothing missed before is sent).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0009"
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
    with op.batch_alter_table("reminder_plans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reminder_plans_digest_at"), ["digest_at"], unique=False
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
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reminders_due",
            ["due_at"],
            unique=False,
            sqlite_where=sa.text("state = 'scheduled'"),
            postgresql_where=sa.text("state = 'scheduled'"),
        )

    with op.batch_alter_table("practices", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminder_options", sa.JSON(), server_default="{}", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("practices", schema=None) as batch_op:
        batch_op.drop_column("reminder_options")

    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_reminders_due",
            sqlite_where=sa.text("state = 'scheduled'"),
            postgresql_where=sa.text("state = 'scheduled'"),
        )

    op.drop_table("reminders")
    op.drop_table("reminder_pauses")
    with op.batch_alter_table("reminder_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_plans_digest_at"))

    op.drop_table("reminder_plans")
