"""Writes sent to the database together: inside `sent_together`, the statements run on the
driver's cursor (`session_cursor`) reach PostgreSQL when the block ends, in one round trip
(psycopg's pipeline mode) instead of one round trip each.

A card payment writes its audit entry, outbox messages, invoice, ledger entry and totals
rollup one after the other with nothing read in between. Each round trip cost the serving
process about 50 µs of CPU and PostgreSQL about 35 µs (the send, the wait, the answer);
sent together, the six cost about half as much on both sides (bench/webhook_bench.py).

What a statement's rowcount says is known only when the block ends, so a statement that
must change a row registers a check, run then; and a database error among them is raised
by the block's end rather than by the statement. SQLite runs in the same process and has
no round trips: there the block changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session

RowcountCheck = Callable[[int], None]
"""Called with the rows a statement changed; raises if that is not what the caller needs."""

_BATCH = "storage.together"


@contextmanager
def sent_together(session: Session) -> Iterator[None]:
    """The writes inside go to PostgreSQL together when the block ends; their rowcount
    checks run then, in order. Only statements run through `session_cursor` may run inside:
    one through SQLAlchemy would read its answer at once, before it has come
    (`refuse_statements_in_batches` makes that an error)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql" or _BATCH in session.info:
        yield
        return
    batch: list[tuple[Any, RowcountCheck | None]] = []
    session.info[_BATCH] = batch
    connection.info[_BATCH] = True
    try:
        try:
            with connection.connection.driver_connection.pipeline():
                yield
        except connection.dialect.loaded_dbapi.Error:
            # A statement failed, and those after it were never run. A failed check among
            # the statements before it says why better than the error does: two payments of
            # one invoice at once fail a check (StaleEdit) before their ledger entries clash.
            _check(batch, answered_only=True)
            raise
        _check(batch, answered_only=False)
    finally:
        del session.info[_BATCH]
        del connection.info[_BATCH]
        for cursor, _ in batch:
            cursor.close()


def _check(batch: list[tuple[Any, RowcountCheck | None]], *, answered_only: bool) -> None:
    for cursor, check in batch:
        if check is None:
            continue
        if answered_only and cursor.rowcount < 0:
            return
        check(cursor.rowcount)


def refuse_statements_in_batches(engine: Engine) -> None:
    """Make a statement run through SQLAlchemy inside `sent_together` an error rather than a
    wrong answer: SQLAlchemy reads a statement's rowcount and rows as soon as it is sent,
    which in pipeline mode is before they have come back."""

    @event.listens_for(engine, "before_cursor_execute")
    def _refuse(connection: Connection, *_: Any) -> None:
        if connection.info.get(_BATCH):
            raise RuntimeError(
                "a statement ran through SQLAlchemy inside sent_together(); "
                "only session_cursor() statements may"
            )


def in_batch(session: Session) -> bool:
    """Whether statements run now are sent together later (and their rowcounts unknown)."""
    return _BATCH in session.info


@contextmanager
def session_cursor(session: Session, check: RowcountCheck | None = None) -> Iterator[Any]:
    """A DBAPI cursor inside the session's transaction. `check` gets the rowcount of what
    the cursor ran: when the block ends, or inside `sent_together`, when that one ends."""
    cursor = session.connection().connection.cursor()
    batch = session.info.get(_BATCH)
    if batch is not None:
        yield cursor
        batch.append((cursor, check))
        return
    try:
        yield cursor
        if check is not None:
            check(cursor.rowcount)
    finally:
        cursor.close()
