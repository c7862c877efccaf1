"""The Help channel's file copies (each file relayed into the other thread of a support
conversation, so that deleting it, or the message that shared it, deletes the copy), and the
indexes of the support workspace's Home (open conversations by age, the latest resolved)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05

A new table and two indexes. Files relayed before the table existed have no row, so their
copies stay when the original is deleted.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "support_file_copies",
        sa.Column("copy_team", sa.String(length=32), nullable=False),
        sa.Column("copy_file", sa.String(length=32), nullable=False),
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("source_team", sa.String(length=32), nullable=False),
        sa.Column("source_channel", sa.String(length=32), nullable=False),
        sa.Column("source_ts", sa.String(length=32), nullable=False),
        sa.Column("source_file", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id", "conversation_id"],
            ["support_conversations.practice_id", "support_conversations.id"],
            name="fk_support_file_copies_conversation",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("copy_team", "copy_file", name=op.f("pk_support_file_copies")),
    )
    with op.batch_alter_table("support_file_copies", schema=None) as batch_op:
        batch_op.create_index(
            "ix_support_file_copies_source_file", ["source_team", "source_file"], unique=False
        )
        batch_op.create_index(
            "ix_support_file_copies_source_message",
            ["source_team", "source_channel", "source_ts"],
            unique=False,
        )

    with op.batch_alter_table("support_conversations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_support_conversations_status_opened", ["status", "opened_at"], unique=False
        )
        batch_op.create_index(
            "ix_support_conversations_status_resolved", ["status", "resolved_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("support_conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_support_conversations_status_resolved")
        batch_op.drop_index("ix_support_conversations_status_opened")
    with op.batch_alter_table("support_file_copies", schema=None) as batch_op:
        batch_op.drop_index("ix_support_file_copies_source_message")
        batch_op.drop_index("ix_support_file_copies_source_file")
    op.drop_table("support_file_copies")
