"""Engines for the two supported databases: an embedded SQLite file and PostgreSQL (psycopg 3).

Nothing here runs at import time: an engine exists only once `create_engine_for` is called,
and it opens its first connection only when it is first used.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import ConnectionPoolEntry

from storage.together import send_held_before_statements

log = logging.getLogger(__name__)

#: How long a SQLite writer waits for another writer's lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 15_000

#: Execution option that lets a SQLite transaction start with a plain (deferred) BEGIN, so a
#: read does not queue behind writers: ``engine.execution_options(**READ_ONLY)``.
READ_ONLY: dict[str, Any] = {"billing_bot_read_only": True}
# PostgreSQL's READ COMMITTED gives each statement its own snapshot inside a transaction as
# well, so a read that runs without one sees exactly the same rows and is spared the BEGIN
# and ROLLBACK round trips (a Home refresh reads three times; with them it took 25 % longer).
_POSTGRES_READ_ONLY: dict[str, Any] = {**READ_ONLY, "isolation_level": "AUTOCOMMIT"}
_NO_TRANSACTION = "billing_bot_no_transaction"

# Sized for one server worker: its request threads (4 by default) and its background Slack
# calls each hold at most one connection; the overflow covers a worker run with more
# threads, the scheduler and a little headroom.
POSTGRES_POOL_SIZE = 10
POSTGRES_PING_IDLE_SECONDS = 2.0
_RETURNED_AT = "billing_bot_returned_at"
SQLITE_POOL_SIZE = 16
WRITE_LOCK_RETRY_SECONDS = 0.0005
SQLITE_MAX_OVERFLOW = 16
POSTGRES_MAX_OVERFLOW = 10

_SUPPORTED_DRIVERS = {"sqlite", "sqlite+pysqlite", "postgresql+psycopg"}


class UnsupportedDatabaseUrl(ValueError):
    """The URL names a database or driver other than SQLite or PostgreSQL via psycopg 3."""


def normalize_database_url(url: str) -> str:
    """Return `url` with ``postgres://`` and ``postgresql://`` rewritten to psycopg 3's dialect.

    Hosting providers hand out ``postgres://`` URLs, which SQLAlchemy does not accept, and a bare
    ``postgresql://`` would select psycopg2, which is not installed.

    Raises `UnsupportedDatabaseUrl` for any other backend or driver, or for text that is not a URL.
    """
    text = url.strip()
    for prefix in ("postgres://", "postgresql://"):
        if text.startswith(prefix):
            text = "postgresql+psycopg://" + text[len(prefix) :]
            break
    try:
        parsed = make_url(text)
    except Exception as exc:  # SQLAlchemy raises ArgumentError or ValueError for bad text
        raise UnsupportedDatabaseUrl(f"not a database URL: {exc}") from exc
    if parsed.drivername not in _SUPPORTED_DRIVERS:
        raise UnsupportedDatabaseUrl(
            f"unsupported database driver {parsed.drivername!r}; "
            "supported: sqlite, postgresql (psycopg 3)"
        )
    return text


def redact_url(url: str | URL) -> str:
    """Render a database URL with its password replaced by ``***``, safe for logs and output."""
    return make_url(url).render_as_string(hide_password=True)


def sqlite_file(url: str | URL) -> Path | None:
    """Return the file a SQLite URL points at, or None for in-memory and non-SQLite URLs."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def create_engine_for(
    url: str | URL,
    *,
    pool_size: int | None = None,
    ping_after_idle: float = POSTGRES_PING_IDLE_SECONDS,
) -> Engine:
    """Build the engine for `url` (SQLite file or PostgreSQL) without connecting to it.

    SQLite: the file's parent directory is created; every connection runs in WAL mode with a
    busy timeout and foreign keys on, and every transaction starts with ``BEGIN IMMEDIATE``
    unless it runs with the `READ_ONLY` execution option.
    PostgreSQL: a pooled connection idle for `ping_after_idle` seconds is checked before use,
    so a restarted server costs a reconnect rather than an error.

    Raises `UnsupportedDatabaseUrl` if the URL is not SQLite or PostgreSQL.
    """
    text = url if isinstance(url, str) else url.render_as_string(hide_password=False)
    parsed = make_url(normalize_database_url(text))
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return _postgres_engine(
        parsed, pool_size=pool_size or POSTGRES_POOL_SIZE, ping_after_idle=ping_after_idle
    )


def _sqlite_engine(url: URL) -> Engine:
    path = sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        # Enough connections for every request thread and background thread of a worker:
        # a connection opened past the pool's size is closed on return, and reopening one
        # costs its PRAGMAs each time.
        pool_size=SQLITE_POOL_SIZE,
        max_overflow=SQLITE_MAX_OVERFLOW,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # pysqlite's own transaction handling starts with a deferred BEGIN, so two writers
        # that both read first deadlock on the lock upgrade and one fails at once with
        # "database is locked" without waiting. Taking control of BEGIN (below) makes a
        # writer take the write lock up front, where the busy timeout applies.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            if path is not None:
                # WAL lets readers proceed while one writer writes; NORMAL is durable in WAL
                # mode except for the last transactions before a power loss.
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    # Writers of this process queue on a lock, where a commit wakes the next one at once;
    # SQLite's busy handler would instead make each wait in growing sleeps (1, 2, 5, 10 ms
    # ...), which is what stretches tail latency under load. Other processes still meet the
    # busy handler, but only one writer per process at a time.
    writers = threading.Lock()
    holds = "billing_bot_holds_write_lock"

    def _release(info: dict[Any, Any]) -> None:
        if info.pop(holds, False):
            writers.release()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        options = connection.get_execution_options()
        if options.get(_NO_TRANSACTION):
            # Each statement is then its own transaction inside one sqlite3 call, which
            # holds the write lock for microseconds and never while waiting for the GIL.
            return
        if options.get("billing_bot_read_only"):
            connection.exec_driver_sql("BEGIN")
            return
        # A writer that cannot get the lock in time goes on without it (the busy timeout
        # still protects the data): a lost lock can slow writers down, never stop them.
        if writers.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            connection.info[holds] = True
        try:
            _begin_immediate(connection.connection.driver_connection)
        except BaseException:
            _release(connection.info)
            raise

    @event.listens_for(engine, "commit")
    def _on_commit(connection: Connection) -> None:
        _release(connection.info)

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection: Connection) -> None:
        _release(connection.info)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        # A connection given back without commit or rollback (a crash, a garbage-collected
        # session) must not keep the lock.
        _release(record.info)

    return engine


def _begin_immediate(raw: Any) -> None:
    """Take SQLite's write lock, retrying every half millisecond while another process holds
    it. SQLite's own busy handler waits in growing steps (up to 100 ms), so a writer could
    sleep long after the lock was free: that, not the work, made the slowest requests."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    raw.execute("PRAGMA busy_timeout = 0")
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() >= deadline:
                    raise
            time.sleep(WRITE_LOCK_RETRY_SECONDS)
    finally:
        raw.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")


def _postgres_engine(url: URL, *, pool_size: int, ping_after_idle: float) -> Engine:
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=POSTGRES_MAX_OVERFLOW,
        # A server that vanished behind a firewall would otherwise hang a health check or a
        # request for the kernel's TCP timeout (minutes).
        connect_args={"connect_timeout": 5, "application_name": "billing-bot"},
    )

    # A pooled connection that sat idle is pinged before use, so a restarted server costs a
    # reconnect rather than a failed request. One used moments ago is not: pinging every
    # checkout (pool_pre_ping) added a round trip to each of a busy request's statements.
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED_AT)
        if returned is not None and time.monotonic() - returned < ping_after_idle:
            return
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_connection.rollback()
        except Exception as error:
            # The pool drops this connection and checks out (or opens) another.
            raise DisconnectionError(str(error)) from error

    send_held_before_statements(engine)
    return engine


def read_only_options(dialect_name: str) -> dict[str, Any]:
    """The execution options of a connection that only reads (see `READ_ONLY`)."""
    return _POSTGRES_READ_ONLY if dialect_name == "postgresql" else READ_ONLY


def without_transactions(engine: Engine) -> Engine:
    """The same pool, for work that needs no transaction around it (a single statement, or
    reads that may see each other's commits): each statement then commits by itself. On
    PostgreSQL that spares the BEGIN and COMMIT round trips. On SQLite it keeps a lone
    write out of this process's writer queue: a queued writer holds the lock while its
    thread waits for the GIL between statements, so every request writing one row (the
    Slack replay guard) would wait behind every other."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine.execution_options(**{_NO_TRANSACTION: True})
