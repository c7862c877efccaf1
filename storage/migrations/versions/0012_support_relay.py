"""The Help channel: support conversations, their relayed messages, handled Slack events,
the vendor's support desk and each practice's help channel

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

New tables only. The revision id is 0013 on a chain whose head is 0009 today: branches merged
meanwhile take 0010-0012, and the lead renumbers down_revision at the merge.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "support_desks",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("escalate_after_s", sa.Integer(), nullable=False),
        sa.Column("set_by", sa.String(length=32), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_support_desks")),
    )
    op.create_table(
        "support_events",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_support_events")),
    )
    with op.batch_alter_table("support_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_support_events_received_at"), ["received_at"], unique=False
        )

    op.create_table(
        "support_conversations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("practice_team", sa.String(length=32), nullable=False),
        sa.Column("practice_channel", sa.String(length=32), nullable=False),
        sa.Column("practice_ts", sa.String(length=32), nullable=False),
        sa.Column("support_team", sa.String(length=32), nullable=True),
        sa.Column("support_channel", sa.String(length=32), nullable=True),
        sa.Column("support_ts", sa.String(length=32), nullable=True),
        sa.Column("opened_by", sa.String(length=32), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assignee", sa.String(length=32), nullable=True),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rating", sa.String(length=16), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_support_conversations_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_conversations")),
        sa.UniqueConstraint("number", name=op.f("uq_support_conversations_number")),
        sa.UniqueConstraint(
            "practice_id", "id", name=op.f("uq_support_conversations_practice_id_id")
        ),
        sa.UniqueConstraint(
            "practice_id",
            "practice_team",
            "practice_channel",
            "practice_ts",
            name="uq_support_conversations_practice_thread",
        ),
    )
    with op.batch_alter_table("support_conversations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_support_conversations_support_thread",
            ["support_channel", "support_ts"],
            unique=False,
        )
        batch_op.create_index(
            "ix_support_conversations_waiting",
            ["opened_at"],
            unique=False,
            sqlite_where=sa.text(
                "status = 'open' AND first_response_at IS NULL AND escalated_at IS NULL"
            ),
            postgresql_where=sa.text(
                "status = 'open' AND first_response_at IS NULL AND escalated_at IS NULL"
            ),
        )

    op.create_table(
        "support_help_channels",
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_support_help_channels_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("practice_id", name=op.f("pk_support_help_channels")),
    )
    op.create_table(
        "support_relays",
        sa.Column("source_team", sa.String(length=32), nullable=False),
        sa.Column("source_channel", sa.String(length=32), nullable=False),
        sa.Column("source_ts", sa.String(length=32), nullable=False),
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("written_on", sa.String(length=16), nullable=False),
        sa.Column("copy_team", sa.String(length=32), nullable=True),
        sa.Column("copy_channel", sa.String(length=32), nullable=True),
        sa.Column("copy_ts", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["practice_id", "conversation_id"],
            ["support_conversations.practice_id", "support_conversations.id"],
            name="fk_support_relays_conversation",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "source_team", "source_channel", "source_ts", name=op.f("pk_support_relays")
        ),
        sa.UniqueConstraint(
            "copy_team",
            "copy_channel",
            "copy_ts",
            name=op.f("uq_support_relays_copy_team_copy_channel_copy_ts"),
        ),
    )


def downgrade() -> None:
    op.drop_table("support_relays")
    op.drop_table("support_help_channels")
    with op.batch_alter_table("support_conversations", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_support_conversations_waiting",
            sqlite_where=sa.text(
                "status = 'open' AND first_response_at IS NULL AND escalated_at IS NULL"
            ),
            postgresql_where=sa.text(
                "status = 'open' AND first_response_at IS NULL AND escalated_at IS NULL"
            ),
        )
        batch_op.drop_index("ix_support_conversations_support_thread")

    op.drop_table("support_conversations")
    with op.batch_alter_table("support_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_events_received_at"))

    op.drop_table("support_events")
    op.drop_table("support_desks")
