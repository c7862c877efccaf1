"""The appointment calendar: appointments indexed by practice and start

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

`/appointment today|week|<date>` reads a practice's appointments between two instants, and
the Home tab its latest attended ones; both are a range over (practice_id, starts_at).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_appointments_practice_starts", "appointments", ["practice_id", "starts_at"])


def downgrade() -> None:
    op.drop_index("ix_appointments_practice_starts", table_name="appointments")
