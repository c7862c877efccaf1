"""client search keys spell out letters NFKD keeps whole (Ł, Ø, Đ, Æ, Œ, Þ...)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

`domain.text.search_key` now writes "Łódź" as "lodz" and "Øberg" as "oberg", so typing the
plain letters finds them. The keys stored before keep the letters whole and would no longer
match what a search asks for; this revision recomputes every client's keys with the new
spelling. Downgrading puts back the keys as revision 0003 made them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
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
_UNDECOMPOSED = str.maketrans(
    {
        "ł": "l",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
        "ħ": "h",
        "ı": "i",
        "ŧ": "t",
        "ŋ": "n",
    }
)


def _without_marks(text: str) -> str:
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return "".join(char for char in folded if not unicodedata.combining(char))


def search_key(text: str) -> str:
    """`domain.text.search_key` as it was when this revision was written: a migration never
    imports application code that may change after it. A test checks that the two agree
    while this is the newest revision that computes keys."""
    return " ".join(_without_marks(text).translate(_UNDECOMPOSED).split())


def _key_0003(text: str) -> str:
    """The keys as revision 0003 wrote them, for a downgrade."""
    return " ".join(_without_marks(text).split())


def _recompute(key: Callable[[str], str]) -> None:
    if context.is_offline_mode():
        # As in 0003: the keys need Python's Unicode tables, which no SQL script carries.
        op.execute("-- clients' search keys are recomputed only by an online `billing-bot migrate`")
        return
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            _clients.c.id,
            _clients.c.name,
            _clients.c.email,
            _clients.c.name_key,
            _clients.c.email_key,
        )
    ).all()
    changed = [
        {"row_id": row.id, "new_name_key": key(row.name), "new_email_key": key(row.email)}
        for row in rows
        if (key(row.name), key(row.email)) != (row.name_key, row.email_key)
    ]
    update = (
        sa.update(_clients)
        .where(_clients.c.id == sa.bindparam("row_id"))
        .values(name_key=sa.bindparam("new_name_key"), email_key=sa.bindparam("new_email_key"))
    )
    for start in range(0, len(changed), _BATCH):
        connection.execute(update, changed[start : start + _BATCH])


def upgrade() -> None:
    _recompute(search_key)


def downgrade() -> None:
    _recompute(_key_0003)
