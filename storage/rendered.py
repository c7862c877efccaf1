"""SQLAlchemy statements rendered once into the driver's SQL and run on its own cursor, for
the statements every Slack request or Stripe payment runs.

SQLAlchemy's execution path (cache key, parameter building, result wrapping) costs more
than such a statement does at the database: measured on PostgreSQL, running `/invoice`'s
read through it took 0.9 ms of CPU against 0.5 ms on the cursor. Values still go through
each column type's own conversions, so what is stored and read back is what SQLAlchemy
would have stored and read."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from contextlib import closing
from functools import partial
from typing import Any

from sqlalchemy import Delete, Insert, Update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import CompoundSelect, Select

from storage.together import RowcountCheck, in_batch, read_together, session_cursor


class RenderedStatement:
    """One statement for one dialect. `run` executes it on a DBAPI cursor; `rows` also reads
    its rows, each a named tuple of the statement's columns, converted by their types."""

    def __init__(
        self,
        statement: Select[Any] | CompoundSelect[Any] | Insert | Update | Delete,
        dialect: Dialect,
    ) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        # Values written into the statement itself (a CASE's 0) and the names left to fill.
        self._constants: dict[str, Any] = compiled.params
        self._required = frozenset(
            name for bind, name in compiled.bind_names.items() if bind.required
        )
        # A type's conversions for a dialect are its dialect implementation's (SQLite keeps
        # dates as text, for one).
        self._convert = {
            name: convert
            for bind, name in compiled.bind_names.items()
            if (convert := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        }
        self._order = tuple(compiled.positiontup or ()) if dialect.positional else None
        self._row: Any = None
        self._read: list[tuple[int, Callable[[Any], Any]]] = []
        columns: list[Any] = []
        if isinstance(statement, Select | CompoundSelect):
            columns = list(statement.selected_columns)
        else:  # what RETURNING gives back, if anything
            columns = list(statement.exported_columns)
        if columns:
            self._row = namedtuple("Row", [column.key for column in columns])  # type: ignore[misc]
            for index, column in enumerate(columns):
                convert = column.type.dialect_impl(dialect).result_processor(dialect, None)
                if convert is not None:
                    self._read.append((index, convert))

    def parameters(self, values: dict[str, Any]) -> Any:
        """The driver's parameters: the given values and the constants the statement holds
        (such as a CASE's 0), each converted by its type, by name or in order."""
        if missing := self._required - values.keys():
            raise TypeError(f"no value for {', '.join(sorted(missing))}")
        named = self._constants | values
        for name, convert in self._convert.items():
            named[name] = convert(named[name])
        if self._order is None:
            return named
        return tuple(named[name] for name in self._order)

    def run(self, cursor: Any, **values: Any) -> int:
        """Runs the statement; the rows it changed (for an INSERT, UPDATE or DELETE)."""
        cursor.execute(self.sql, self.parameters(values))
        return int(cursor.rowcount)

    def in_session(
        self, session: Session, *, check: RowcountCheck | None = None, **values: Any
    ) -> int | None:
        """`run` inside the session's transaction; None inside `sent_together`, where the
        rowcount is known only when the block ends (and given to `check` then)."""
        batched = in_batch(session)
        with session_cursor(session, check) as cursor:
            changed = self.run(cursor, **values)
        return None if batched else changed

    def rows_in_session(self, session: Session, **values: Any) -> list[Any]:
        """`rows` inside the session's transaction (inside `sent_together`, with the writes
        held back)."""
        [rows] = rows_together(session, (self, values))
        return rows

    def rows(self, connection: Any, **values: Any) -> list[Any]:
        """The statement's rows, read on a DBAPI `connection` (the caller's, so inside its
        transaction)."""
        with closing(connection.cursor()) as cursor:
            cursor.execute(self.sql, self.parameters(values))
            return self.made(cursor.fetchall())

    def made(self, fetched: list[Any]) -> list[Any]:
        """Rows as the driver fetched them, made into the statement's named tuples."""
        make, read = self._row._make, self._read
        if not read:
            return [make(row) for row in fetched]
        rows = []
        for row in fetched:
            converted = list(row)
            for index, convert in read:
                converted[index] = convert(converted[index])
            rows.append(make(converted))
        return rows


def rows_together(
    session: Session, *reads: tuple[RenderedStatement, dict[str, Any]]
) -> list[list[Any]]:
    """The rows of each read, in the session's transaction; on PostgreSQL all of them in
    one round trip, with the writes `sent_together` holds back and the transaction's BEGIN
    when they are its first statements. (One read alone, with nothing held back, goes on its
    own: pipeline mode cost more than the round trip it saved.)"""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return [statement.rows(connection.connection, **values) for statement, values in reads]
    cursors = read_together(
        session, [partial(statement.run, **values) for statement, values in reads]
    )
    if cursors is None:
        if len(reads) == 1:
            [(statement, values)] = reads
            return [statement.rows(connection.connection, **values)]
        cursors = [connection.connection.cursor() for _ in reads]
        try:
            with connection.connection.driver_connection.pipeline():
                for cursor, (statement, values) in zip(cursors, reads, strict=True):
                    statement.run(cursor, **values)
        except BaseException:
            for cursor in cursors:
                cursor.close()
            raise
    try:
        return [
            statement.made(cursor.fetchall())
            for cursor, (statement, _) in zip(cursors, reads, strict=True)
        ]
    finally:
        for cursor in cursors:
            cursor.close()
