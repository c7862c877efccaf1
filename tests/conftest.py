"""Database fixtures: every storage test runs on SQLite and on PostgreSQL.

* ``database_url`` - an empty database of the test's own (not migrated): a SQLite file in
  ``tmp_path``, or a fresh PostgreSQL database created for the test and dropped after it.
* ``engine`` - a migrated database ready for repositories. SQLite: a copy of a file migrated
  once per session. PostgreSQL: one database migrated once per session and emptied
  (TRUNCATE ... RESTART IDENTITY) after each test, because creating and migrating a database
  per test would cost most of a second each. Tests must not rely on rows of another test,
  and must close what they open (a transaction left open would block the TRUNCATE).

PostgreSQL comes from ``TEST_POSTGRES_URL`` (default below); only the server is used, each run
creates its own ``billing_test_*`` databases and drops them. If it is unreachable the
PostgreSQL half is skipped and the summary says so, unless ``REQUIRE_POSTGRES=1`` (CI), which
turns the skip into a failure.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from storage.engine import create_engine_for, normalize_database_url
from storage.migrate import upgrade

DEFAULT_TEST_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
HOW_TO_ENABLE = "set TEST_POSTGRES_URL or start PostgreSQL on 127.0.0.1:5432"

_POSTGRES_SKIPPED = pytest.StashKey[str]()


class PostgresServer:
    """Creates and drops uniquely named databases on the test server."""

    def __init__(self, admin: Engine) -> None:
        self._admin = admin
        self._prefix = f"billing_test_{secrets.token_hex(4)}"
        self._count = 0
        self._created: list[str] = []

    def create_database(self) -> str:
        """Create an empty database and return its URL (password included)."""
        self._count += 1
        name = f"{self._prefix}_{self._count}"
        with self._admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        self._created.append(name)
        url = self._admin.url.set(database=name)
        return url.render_as_string(hide_password=False)

    def admin_connection(self) -> Connection:
        """An autocommit connection to the server, for tests that act as its administrator."""
        return self._admin.connect()

    def drop_database(self, url: str) -> None:
        """Drop the database at `url`, disconnecting anyone still using it."""
        name = make_url(url).database
        assert name is not None and name.startswith(self._prefix), name
        with self._admin.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        self._created.remove(name)

    def drop_all(self) -> None:
        for name in list(self._created):
            self.drop_database(
                self._admin.url.set(database=name).render_as_string(hide_password=False)
            )
        self._admin.dispose()


def _connect_admin(url: URL) -> Engine:
    """An autocommit engine on the server (CREATE/DROP DATABASE cannot run in a transaction)."""
    candidates = [url]
    if url.database != "postgres":
        # The named database only has to exist to log in; fall back to the maintenance one.
        candidates.append(url.set(database="postgres"))
    last_error: OperationalError | None = None
    for candidate in candidates:
        admin = create_engine(
            candidate,
            isolation_level="AUTOCOMMIT",
            poolclass=NullPool,
            connect_args={"connect_timeout": 3},
        )
        try:
            with admin.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
        except OperationalError as exc:
            admin.dispose()
            last_error = exc
            continue
        return admin
    assert last_error is not None
    raise last_error


@pytest.fixture(scope="session")
def postgres_server(request: pytest.FixtureRequest) -> Iterator[PostgresServer]:
    """The PostgreSQL server named by TEST_POSTGRES_URL; skips (or fails in CI) if absent."""
    url = make_url(
        normalize_database_url(os.environ.get("TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES_URL))
    )
    try:
        admin = _connect_admin(url)
    except OperationalError as exc:
        first_line = str(exc.orig or exc).strip().splitlines()[0]
        reason = f"cannot connect to {url.render_as_string(hide_password=True)} ({first_line})"
    else:
        server = PostgresServer(admin)
        yield server
        server.drop_all()
        return
    # Outside the except block, so the report shows one line rather than a chained traceback.
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail(f"REQUIRE_POSTGRES=1 but {reason}", pytrace=False)
    request.config.stash[_POSTGRES_SKIPPED] = reason
    pytest.skip(f"PostgreSQL half skipped: {reason}; {HOW_TO_ENABLE}")


@pytest.fixture(
    params=[
        pytest.param("sqlite"),
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ]
)
def backend(request: pytest.FixtureRequest) -> str:
    """Which database the test runs on; `database_url` and `engine` follow it."""
    return str(request.param)


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """URL of an empty, unmigrated database that belongs to this test alone."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'database.sqlite3'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create_database()
    yield url
    server.drop_database(url)


@pytest.fixture(scope="session")
def _migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "migrated.sqlite3"
    engine = create_engine_for(f"sqlite:///{path}")
    upgrade(engine)
    # Disposing closes the last connection, which checkpoints the WAL into the main file.
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _migrated_postgres_database(postgres_server: PostgresServer) -> Iterator[Engine]:
    url = postgres_server.create_database()
    engine = create_engine_for(url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _empty_tables(engine: Engine) -> None:
    with engine.begin() as connection:
        tables = (
            connection.execute(
                text(
                    "SELECT quote_ident(tablename) FROM pg_tables"
                    " WHERE schemaname = current_schema() AND tablename <> 'alembic_version'"
                )
            )
            .scalars()
            .all()
        )
        if tables:
            # A test that left a transaction open fails here instead of hanging the run.
            connection.exec_driver_sql("SET LOCAL lock_timeout = '10s'")
            connection.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


@pytest.fixture
def engine(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An engine on a database migrated to head, empty of rows; disposed after the test."""
    if backend == "sqlite":
        path = tmp_path / "engine.sqlite3"
        shutil.copyfile(request.getfixturevalue("_migrated_sqlite_file"), path)
        sqlite_engine = create_engine_for(f"sqlite:///{path}")
        yield sqlite_engine
        sqlite_engine.dispose()
        return
    shared: Engine = request.getfixturevalue("_migrated_postgres_database")
    postgres_engine = create_engine_for(shared.url)
    try:
        yield postgres_engine
    finally:
        postgres_engine.dispose()
        _empty_tables(shared)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    reason = config.stash.get(_POSTGRES_SKIPPED, None)
    if reason is not None:
        terminalreporter.write_line(
            f"PostgreSQL half skipped: {reason}; {HOW_TO_ENABLE} "
            "(REQUIRE_POSTGRES=1 turns this skip into a failure)",
            yellow=True,
            bold=True,
        )
