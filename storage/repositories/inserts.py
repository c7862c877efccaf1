"""An INSERT that leaves an existing row alone, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session


def insert_ignoring_duplicates(
    session: Session,
    table: type[DeclarativeBase],
    values: dict[str, Any],
    conflict_columns: Sequence[str],
) -> bool:
    """True if the row was inserted; False if one with the same `conflict_columns` exists.
    Under concurrency the database decides, so two racing callers get one True."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    columns = table.__table__.c  # type: ignore[attr-defined]
    statement = (
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=conflict_columns)
        # The row comes back only if it was inserted. The rowcount cannot tell: through the
        # ORM, psycopg reports a skipped row as inserted on PostgreSQL.
        .returning(*(columns[name] for name in conflict_columns))
    )
    return session.execute(statement).first() is not None
