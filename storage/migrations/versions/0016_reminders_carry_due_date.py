"""Reminders carry their invoice's due date, and the due index orders by (due_at, id)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05

The sweep's claim now reads the reminders alone (the invoice's state is decided when the
e-mail is written): the due date it plans the next step from is kept on the reminder. Rows
scheduled now get it from their invoices here; sent and skipped ones keep none, as nothing
plans from them. The column stays nullable so that a process still running the previous
release during a deploy can go on planning; the claim reads the invoice's date for such a
row. The index now holds the claim's whole order, so SQLite no longer sorts its ties.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SCHEDULED = sa.text("state = 'scheduled'")


def upgrade() -> None:
    # In place, not as a batch: `migrate --sql` cannot reflect a table to copy.
    op.add_column("reminders", sa.Column("invoice_due_date", sa.Date(), nullable=True))
    op.execute(
        "UPDATE reminders SET invoice_due_date = ("
        "SELECT invoices.due_date FROM invoices"
        " WHERE invoices.practice_id = reminders.practice_id"
        " AND invoices.id = reminders.invoice_id"
        ") WHERE state = 'scheduled'"
    )
    op.drop_index("ix_reminders_due", table_name="reminders")
    op.create_index(
        "ix_reminders_due",
        "reminders",
        ["due_at", "id"],
        unique=False,
        sqlite_where=_SCHEDULED,
        postgresql_where=_SCHEDULED,
    )


def downgrade() -> None:
    op.drop_index("ix_reminders_due", table_name="reminders")
    op.create_index(
        "ix_reminders_due",
        "reminders",
        ["due_at"],
        unique=False,
        sqlite_where=_SCHEDULED,
        postgresql_where=_SCHEDULED,
    )
    # DROP COLUMN in place (SQLite 3.35+), as 0013's downgrade does.
    op.execute("ALTER TABLE reminders DROP COLUMN invoice_due_date")
