"""Many-row INSERTs and UPDATEs by id, written as the driver's SQL and run on its cursor
inside the caller's transaction: the reminder sweep's batches.

A batch of 1,000 reminders marks 1,000 reminders sent and writes 1,000 outbox rows and
1,000 next reminders. Through SQLAlchemy's execution path (insertmanyvalues, each value
through its type one by one, an expanding IN rendered at each run) the Python around those
statements cost more than SQLite took to run them (bench/reminders_bench.py). Here the SQL
for n rows is written once per n, and each value still goes through its column type's own
bind conversion, so what is stored is what SQLAlchemy would have stored; values equal to each
other (a batch's one `now`) are converted once, as the types here convert equal values alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from itertools import chain
from typing import Any

from sqlalchemy import ColumnElement, Table
from sqlalchemy.engine import Dialect

#: Rows per INSERT statement on SQLite, which takes 32,766 values per statement.
ROWS_PER_STATEMENT = 500
#: Ids per UPDATE on SQLite, each a value of its IN list (PostgreSQL takes one array).
IDS_PER_STATEMENT = 1000
#: Up to this many rows go to PostgreSQL as VALUES too: a payment's four outbox rows cost
#: half as much CPU that way as unnested from arrays, each value of which psycopg dumps
#: into an array in Python.
FEW_ROWS = 16

_Convert = Callable[[Any], Any]


def _mark(dialect: Dialect) -> str:
    if dialect.paramstyle == "qmark":
        return "?"
    if dialect.paramstyle in ("format", "pyformat"):
        return "%s"
    raise ValueError(f"no positional parameters for the {dialect.paramstyle} style")


def _converter(table: Table, column: str, dialect: Dialect) -> _Convert | None:
    # A type's conversions for a dialect are its dialect implementation's (SQLite keeps
    # dates as text, for one).
    kind = table.c[column].type.dialect_impl(dialect)
    convert: _Convert | None = kind.bind_processor(dialect)
    return convert


class _Converted(dict[Any, Any]):
    """Values converted by `convert`, each distinct value once."""

    def __init__(self, convert: _Convert) -> None:
        super().__init__()
        self._convert = convert

    def __missing__(self, value: Any) -> Any:
        converted = self[value] = self._convert(value)
        return converted


def _converted(convert: _Convert, values: Sequence[Any]) -> list[Any]:
    try:
        # A batch's rows share a few moments (its `now`, the next reminders' send times):
        # converting each distinct one once, in a C loop, is what makes the rows cheap.
        return list(map(_Converted(convert).__getitem__, values))
    except TypeError:  # unhashable values (a JSON column's dicts) are converted one by one
        return list(map(convert, values))


class RowsInsert:
    """``INSERT INTO table (columns) ... ON CONFLICT (conflict) DO NOTHING``, for one
    dialect.

    On SQLite the rows go as multi-row VALUES, `ROWS_PER_STATEMENT` a statement. On
    PostgreSQL more than `FEW_ROWS` go as one array per column, unnested by the server:
    psycopg reads a statement's text for its placeholders in Python, and does not keep what
    it read of one longer than 4 KB, so a VALUES list of 500 rows cost more there than the
    insert itself."""

    def __init__(
        self,
        table: Table,
        columns: Sequence[str],
        conflict: Sequence[str],
        dialect: Dialect,
    ) -> None:
        quote = dialect.identifier_preparer.quote
        self._width = len(columns)
        self._mark = _mark(dialect)
        # Names and types from the table's own metadata, values only as parameters.
        self._head = (
            f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "
            f"({', '.join(quote(table.c[name].name) for name in columns)}) "
        )
        self._tail = f" ON CONFLICT ({', '.join(quote(name) for name in conflict)}) DO NOTHING"
        self._convert = [_converter(table, name, dialect) for name in columns]
        self._sql: dict[int, str] = {}
        self._arrays: str | None = None
        if dialect.name == "postgresql":
            arrays = ", ".join(
                f"{self._mark}::{table.c[name].type.compile(dialect=dialect)}[]" for name in columns
            )
            self._arrays = f"{self._head}SELECT * FROM unnest({arrays}){self._tail}"  # noqa: S608

    def _statement(self, rows: int) -> str:
        sql = self._sql.get(rows)
        if sql is None:
            one = f"({', '.join([self._mark] * self._width)})"
            sql = self._sql[rows] = f"{self._head}VALUES {', '.join([one] * rows)}{self._tail}"
        return sql

    def run(self, cursor: Any, columns: Sequence[Sequence[Any]]) -> int:
        """Insert the rows whose values are `columns` (one sequence per column, in order) on
        a DBAPI cursor; how many were inserted (the others conflicted). Column by column
        rather than row by row, as the callers read the values off their records with one
        `operator.attrgetter` per column, in C."""
        if len(columns) != self._width:
            raise ValueError(f"{len(columns)} columns given, {self._width} expected")
        rows = len(columns[0])
        if not rows:
            return 0
        converted = [
            values if convert is None else _converted(convert, values)
            for convert, values in zip(self._convert, columns, strict=True)
        ]
        if self._arrays is not None and rows > FEW_ROWS:
            cursor.execute(self._arrays, [list(values) for values in converted])
            return int(cursor.rowcount)
        inserted = 0
        for start in range(0, rows, ROWS_PER_STATEMENT):
            chunk = [values[start : start + ROWS_PER_STATEMENT] for values in converted]
            cursor.execute(
                self._statement(len(chunk[0])), list(chain.from_iterable(zip(*chunk, strict=True)))
            )
            inserted += cursor.rowcount
        return inserted


#: SQLite's own key of a row: found without an index, where a text primary key is one more
#: index to search per row.
SQLITE_ROWID = "rowid"


class UpdateByIds:
    """``UPDATE table SET columns WHERE key IN (ids) AND condition``, for one dialect: the
    same values for every id, and only rows still meeting `condition` change. `key` is a
    column of the table, or `SQLITE_ROWID`."""

    def __init__(
        self,
        table: Table,
        key: str,
        columns: Sequence[str],
        condition: ColumnElement[bool],
        dialect: Dialect,
    ) -> None:
        quote = dialect.identifier_preparer.quote
        self._mark = _mark(dialect)
        self._array = dialect.name == "postgresql"
        where = condition.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
        # Names from the table's own metadata, values only as parameters.
        self._head = (
            f"UPDATE {dialect.identifier_preparer.format_table(table)} SET "  # noqa: S608
            f"{', '.join(f'{quote(table.c[name].name)} = {self._mark}' for name in columns)} "
            f"WHERE {key if key == SQLITE_ROWID else quote(table.c[key].name)}"
        )
        self._tail = f" AND {where}"
        self._convert = [_converter(table, name, dialect) for name in columns]
        self._sql: dict[int, str] = {}

    def _statement(self, ids: int) -> str:
        sql = self._sql.get(ids)
        if sql is None:
            listed = f" IN ({', '.join([self._mark] * ids)})"
            sql = self._sql[ids] = self._head + listed + self._tail
        return sql

    def run(self, cursor: Any, ids: Sequence[Any], values: Sequence[Any]) -> int:
        """Set `values` (in the order of the columns) on the rows of `ids`; how many rows
        changed."""
        converted = [
            value if convert is None else convert(value)
            for convert, value in zip(self._convert, values, strict=True)
        ]
        if self._array:
            # One array parameter: PostgreSQL plans `= ANY($1)` once, whatever the count.
            cursor.execute(f"{self._head} = ANY({self._mark}){self._tail}", [*converted, ids])
            return int(cursor.rowcount)
        changed = 0
        for start in range(0, len(ids), IDS_PER_STATEMENT):
            chunk = ids[start : start + IDS_PER_STATEMENT]
            cursor.execute(self._statement(len(chunk)), [*converted, *chunk])
            changed += cursor.rowcount
        return changed


@lru_cache(maxsize=64)
def rows_insert(
    table: Table, columns: tuple[str, ...], conflict: tuple[str, ...], dialect: Dialect
) -> RowsInsert:
    """The `RowsInsert` of these arguments, made once."""
    return RowsInsert(table, columns, conflict, dialect)
