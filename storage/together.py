"""Writes sent to the database together: inside `sent_together`, the writes run on the
driver's cursor (`session_cursor`) are held back and reach PostgreSQL in one round trip
(psycopg's pipeline mode) with the next read, with the transaction's COMMIT
(`commit_together`), or when the block ends, instead of one round trip each.

A Stripe event remembers its id and then looks up the account; a card payment ends its
Checkout Session and then reads the invoice; it writes its audit entry, outbox messages,
invoice, ledger entry and totals rollup one after the other and commits. Each round trip
cost the serving process about 50 µs of CPU and PostgreSQL about 35 µs (the send, the wait,
the answer), and let another thread of the process take the GIL; sent together, a payment
makes four round trips instead of seven (bench/webhook_bench.py).

What a write's rowcount says is known only once it is sent, so a write that must change a
row registers a check, run then; and a database error among the writes is raised then
rather than by the statement. Sent with COMMIT, a check runs too late to stop it: such a
write must fail in the database itself (`REFUSED_BY_GUARD`). A statement run through
SQLAlchemy inside the block first sends what is held back, on its own, then runs as always.
SQLite runs in the same process and has no round trips: there the block changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session

RowcountCheck = Callable[[int], None]
"""Called with the rows a statement changed; raises if that is not what the caller needs."""

_BATCH = "storage.together"
#: The SQLSTATE (division_by_zero) a guarded write raises when it changed no row: held back
#: and sent with COMMIT, it must fail in the database, or the COMMIT would keep the rest of
#: the transaction (see `storage.repositories.versioned`).
REFUSED_BY_GUARD = "22012"


class HeldCursor:
    """Stands in for a cursor inside `sent_together`: keeps what is run on it until the batch
    is sent. Its rowcount is unknown (-1) meanwhile."""

    rowcount = -1

    def __init__(self) -> None:
        self.runs: list[tuple[str, Any]] = []

    def execute(self, sql: str, parameters: Any = None) -> None:
        self.runs.append((sql, parameters))

    def close(self) -> None:
        pass


class _Batch:
    """The writes a block holds back, each with its check."""

    def __init__(self, session: Session, connection: Connection) -> None:
        self.raw = connection.connection
        self.dbapi_error: type[Exception] = connection.dialect.loaded_dbapi.Error
        self.held: list[tuple[HeldCursor, RowcountCheck | None]] = []
        # Where the batch is found: the session's, and the pooled connection's (which
        # SQLAlchemy's statements see), each until the batch ends.
        self._homes = (session.info, connection.info)
        for home in self._homes:
            home[_BATCH] = self

    def end(self) -> None:
        """Nothing held outlives the batch, and the connection, which may go back to the pool
        as soon as the transaction commits, forgets it."""
        self.held.clear()
        for home in self._homes:
            if home.get(_BATCH) is self:
                del home[_BATCH]

    def send(
        self, reads: Sequence[Callable[[Any], object]] = (), *, commit: bool = False
    ) -> list[Any]:
        """The held writes and then `reads` (each given a cursor to run its statement on),
        or COMMIT, in one round trip; the writes' checks, then the reads' cursors, whose rows
        have come (the caller fetches and closes them)."""
        held, self.held = self.held, []
        sent: list[tuple[Any, RowcountCheck | None]] = []
        cursors: list[Any] = []
        try:
            try:
                with self.raw.driver_connection.pipeline():
                    for recorded, check in held:
                        cursor = self.raw.cursor()
                        sent.append((cursor, check))
                        for sql, parameters in recorded.runs:
                            cursor.execute(sql, parameters)
                    for read in reads:
                        cursor = self.raw.cursor()
                        cursors.append(cursor)
                        read(cursor)
                    if commit:
                        # Queued behind the writes: if one of them fails, PostgreSQL skips
                        # it and the transaction stays open, to be rolled back.
                        self.raw.driver_connection.commit()
            except self.dbapi_error as error:
                # A statement failed, and those after it were never run. A failed check among
                # the writes before it says why better than the error does: two payments of
                # one invoice at once fail a check (StaleEdit) before their ledger entries
                # clash. A guarded write (`REFUSED_BY_GUARD`) failed its own check.
                _check(sent, answered_only=True, refused=_sqlstate(error))
                raise
            _check(sent, answered_only=False)
        except BaseException:
            for cursor in cursors:
                cursor.close()
            raise
        finally:
            for cursor, _ in sent:
                cursor.close()
        return cursors


@contextmanager
def sent_together(session: Session) -> Iterator[None]:
    """Inside, the writes run through `session_cursor` are held back and sent with the next
    read (`read_together`) or when the block ends, whichever comes first; their rowcount
    checks run then, in order. Nested blocks join the outermost."""
    connection = session.connection()
    if connection.dialect.name != "postgresql" or _BATCH in session.info:
        yield
        return
    batch = _Batch(session, connection)
    try:
        yield
        if batch.held:
            batch.send()
    finally:
        # Written or not: after an error the caller rolls the transaction back.
        batch.end()


def _check(
    sent: list[tuple[Any, RowcountCheck | None]], *, answered_only: bool, refused: str = ""
) -> None:
    for cursor, check in sent:
        if answered_only and cursor.rowcount < 0:
            # The first statement not answered is the one that failed.
            if check is not None and refused == REFUSED_BY_GUARD:
                check(0)
            return
        if check is not None:
            check(cursor.rowcount)


def _sqlstate(error: Exception) -> str:
    return str(getattr(error, "sqlstate", "") or "")


def commit_together(session: Session) -> bool:
    """Inside `sent_together` with writes held back (PostgreSQL): they and COMMIT in one
    round trip, their checks run; whether that happened (if not, the caller commits as
    always). A write whose check must hold for the COMMIT to count has to be guarded in the
    database itself (`REFUSED_BY_GUARD`): the COMMIT is sent before any check can run."""
    batch: _Batch | None = session.info.get(_BATCH)
    if batch is None or not batch.held:
        return False
    try:
        batch.send(commit=True)
    finally:
        # The transaction is over (or must be rolled back): what the block runs after it
        # runs as always, and the connection may go back to the pool.
        batch.end()
    return True


def send_held_before_statements(engine: Engine) -> None:
    """A statement run through SQLAlchemy inside `sent_together` first sends what the block
    holds back, so that it reads what was written before it."""

    @event.listens_for(engine, "before_cursor_execute")
    def _send_held(connection: Connection, *_: Any) -> None:
        batch = connection.info.get(_BATCH)
        if batch is not None and batch.held:
            batch.send()


def in_batch(session: Session) -> bool:
    """Whether writes run now are held back (and their rowcounts unknown)."""
    return _BATCH in session.info


def read_together(session: Session, reads: Sequence[Callable[[Any], object]]) -> list[Any] | None:
    """Inside `sent_together` with writes held back: they and `reads` (each given a cursor
    to run its statement on) in one round trip, and the reads' cursors, answered (the caller
    fetches and closes them). None otherwise: the caller reads as it would anyway."""
    batch: _Batch | None = session.info.get(_BATCH)
    if batch is None or not batch.held:
        return None
    return batch.send(reads)


@contextmanager
def session_cursor(session: Session, check: RowcountCheck | None = None) -> Iterator[Any]:
    """A DBAPI cursor inside the session's transaction (inside `sent_together`, one that
    holds its statements back). `check` gets the rowcount of what the cursor ran: when the
    block ends, or inside `sent_together`, when the writes are sent."""
    batch = session.info.get(_BATCH)
    if batch is not None:
        held = HeldCursor()
        yield held
        batch.held.append((held, check))
        return
    cursor = session.connection().connection.cursor()
    try:
        yield cursor
        if check is not None:
            check(cursor.rowcount)
    finally:
        cursor.close()
