"""Invoice cards: where each invoice's Slack message was posted

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04

The channel and ts of each invoice's card, so a change to the invoice updates its message
in place. Existing invoices have no card yet; the next change to one posts it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invoice_cards",
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.Column("invoice_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id", "invoice_id"],
            ["invoices.practice_id", "invoices.id"],
            name=op.f("fk_invoice_cards_practice_id_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("practice_id", "invoice_id", name=op.f("pk_invoice_cards")),
    )


def downgrade() -> None:
    op.drop_table("invoice_cards")
