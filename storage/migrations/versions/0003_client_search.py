"""client search keys

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04

Each client's name and e-mail as searches compare them (case folded, accents dropped:
`domain.text.search_key`), filled in for the clients already stored, and an index that
lists a practice's clients A-Z.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_clients = sa.table(
    "clients",
    sa.column("id", sa.String),
    sa.column("name", sa.String),
    sa.column("email", sa.String),
    sa.column("name_key", sa.Text),
    sa.column("email_key", sa.Text),
)
_BATCH = 1000
# Code-point order on PostgreSQL too, as SQLite sorts (see storage.orm.SEARCH_KEY).
_SEARCH_KEY = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def search_key(text: str) -> str:
    """`domain.text.search_key` as it was when this revision was written: a migration never
    imports application code that may change after it. Should that function change, a new
    revision recomputes the keys; a test checks that the two agree meanwhile."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    kept = "".join(char for char in folded if not unicodedata.combining(char))
    return " ".join(kept.split())


def upgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        for column in ("name_key", "email_key"):
            batch_op.add_column(sa.Column(column, _SEARCH_KEY, server_default="", nullable=False))
        batch_op.create_index(
            "ix_clients_practice_name_key", ["practice_id", "name_key", "id"], unique=False
        )
    if context.is_offline_mode():
        # `migrate --sql` writes the script for an empty database, with no clients to fill
        # in; the keys need Python's Unicode tables, which no SQL script can carry.
        op.execute(
            "-- clients stored before this revision get their search keys only from an online"
            " `billing-bot migrate`"
        )
        return
    connection = op.get_bind()
    rows = connection.execute(sa.select(_clients.c.id, _clients.c.name, _clients.c.email)).all()
    update = (
        sa.update(_clients)
        .where(_clients.c.id == sa.bindparam("row_id"))
        .values(name_key=sa.bindparam("new_name_key"), email_key=sa.bindparam("new_email_key"))
    )
    for start in range(0, len(rows), _BATCH):
        connection.execute(
            update,
            [
                {
                    "row_id": row.id,
                    "new_name_key": search_key(row.name),
                    "new_email_key": search_key(row.email),
                }
                for row in rows[start : start + _BATCH]
            ],
        )


def downgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_index("ix_clients_practice_name_key")
        batch_op.drop_column("email_key")
        batch_op.drop_column("name_key")
