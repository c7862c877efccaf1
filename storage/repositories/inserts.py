"""An INSERT that leaves an existing row alone, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Insert, Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session

from storage.rendered import RenderedStatement


def insert_ignoring_duplicates(
    session: Session,
    table: type[DeclarativeBase],
    values: dict[str, Any],
    conflict_columns: Sequence[str],
    *,
    any_unique_key: bool = False,
) -> bool:
    """True if the row was inserted; False if one with the same `conflict_columns` exists
    (with `any_unique_key`: one that any of the table's unique keys finds). Under
    concurrency the database decides, so two racing callers get one True.

    `any_unique_key` is for a row with several unique keys that racing callers share: a
    conflict named by one key only is checked on that key first, and the second caller
    then fails on another key (a unique violation) instead of doing nothing."""
    statement = _statement(
        session.get_bind().dialect.name,
        cast(Table, table.__table__),
        None if any_unique_key else tuple(conflict_columns),
        # Whether a row was inserted is read from the row coming back: an insert's rowcount
        # is -1 on PostgreSQL (psycopg), which read as "inserted" always.
        tuple(conflict_columns),
    )
    return session.execute(statement, values).first() is not None


def insert_many_ignoring_duplicates(
    session: Session,
    table: type[DeclarativeBase],
    rows: Sequence[dict[str, Any]],
    conflict_columns: Sequence[str],
    returning: str,
) -> list[Any]:
    """Insert `rows` (every row with the same keys), leaving out those that conflict on
    `conflict_columns`; returns the `returning` column of those inserted.

    One statement, its rows sent in batches (SQLAlchemy's "insertmanyvalues"): a multi-row
    VALUES built per call cost more to compile than the database took to run."""
    if not rows:
        return []
    statement = _statement(
        session.get_bind().dialect.name,
        cast(Table, table.__table__),
        tuple(conflict_columns),
        (returning,),
    )
    return list(session.connection().execute(statement, list(rows)).scalars())


@functools.lru_cache(maxsize=8)
def rendered_insert_ignoring_duplicates(
    dialect: Dialect, table: Table, columns: tuple[str, ...], conflict: tuple[str, ...]
) -> RenderedStatement:
    """The statement of `insert_ignoring_duplicates` for these columns, rendered for the
    driver's cursor (`storage.rendered`), for an insert on a hot path: its rows are those
    inserted. A refusal then comes as the driver's own exception, not SQLAlchemy's."""
    statement = _statement(dialect.name, table, conflict, conflict)
    return RenderedStatement(statement.values({name: bindparam(name) for name in columns}), dialect)


@functools.cache
def _statement(
    dialect: str, table: Table, conflict: tuple[str, ...] | None, returning: tuple[str, ...]
) -> Insert:
    """Built once: the values come as parameters. Building the statement with its values on
    every call cost three times what running it did (a Stripe webhook makes several)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(table)
        .on_conflict_do_nothing(index_elements=conflict)
        .returning(*(table.c[column] for column in returning))
    )
