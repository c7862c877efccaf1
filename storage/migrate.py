"""Schema migrations: Alembic configured in code, with its scripts kept inside the package.

Used by ``billing-bot migrate`` (`upgrade`, `sql_script`), by the health check
(`current_revision`, `head_revision`) and, for developers, to autogenerate a revision::

    python -m storage.migrate revision -m "add reminders"   # or: make revision m=...
"""

from __future__ import annotations

import argparse
import io
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from storage.engine import create_engine_for, normalize_database_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Any fixed number works; it only has to be the same for every replica running `migrate`.
_POSTGRES_MIGRATION_LOCK = 0x62696C6C  # b"bill"


class MigrationError(RuntimeError):
    """A migration left the database inconsistent (e.g. rows breaking a foreign key)."""


def _config(output_buffer: io.StringIO | None = None) -> Config:
    config = Config(output_buffer=output_buffer)
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Sequential ids ("0002_add_reminders.py") keep the versions folder readable.
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    return config


def upgrade(engine_or_url: Engine | str) -> str | None:
    """Bring the database to the newest revision; a database already there is left untouched.

    Safe to run from several replicas at once: on PostgreSQL an advisory lock and on SQLite the
    write lock taken by ``BEGIN IMMEDIATE`` make the others wait, then find nothing to do. All
    pending revisions run in one transaction, so a failure leaves the schema as it was.
    Returns the revision the database is at afterwards (None if the code ships no revisions).

    Raises `MigrationError` if the result breaks a foreign key, and SQLAlchemy's errors if the
    database cannot be reached.
    """
    owned = not isinstance(engine_or_url, Engine)
    engine = create_engine_for(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    try:
        with engine.connect() as connection:
            with _foreign_keys_deferred_to_commit(connection), connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.exec_driver_sql(
                        f"SELECT pg_advisory_xact_lock({_POSTGRES_MIGRATION_LOCK})"
                    )
                config = _config()
                config.attributes["connection"] = connection
                command.upgrade(config, "heads")
                _check_foreign_keys(connection)
            return current_revision(connection)
    finally:
        if owned:
            engine.dispose()


@contextmanager
def _foreign_keys_deferred_to_commit(connection: Connection) -> Iterator[None]:
    # SQLite's ALTER is done by rebuilding tables (Alembic's batch mode); with foreign keys on,
    # dropping the old table would cascade-delete or block on the rows that refer to it. SQLite
    # ignores this pragma inside a transaction, so it is sent on the raw connection first, and
    # `_check_foreign_keys` verifies the result before commit instead.
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.driver_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys = ON")


def _check_foreign_keys(connection: Connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = sorted({str(row[0]) for row in broken})
        raise MigrationError(
            f"migration left {len(broken)} row(s) breaking foreign keys in: {', '.join(tables)}"
        )


def sql_script(url: str) -> str:
    """Return the SQL that `upgrade` would run on an empty database at `url`, without connecting.

    This is what ``billing-bot migrate --sql`` prints, for operators who apply schema changes
    themselves. Raises `UnsupportedDatabaseUrl` for a URL that is not SQLite or PostgreSQL.
    """
    buffer = io.StringIO()
    config = _config(output_buffer=buffer)
    config.attributes["url"] = normalize_database_url(url)
    command.upgrade(config, "heads", sql=True)
    return buffer.getvalue()


def current_revision(bind: Engine | Connection) -> str | None:
    """Return the database's Alembic revision, or None if it was never migrated.

    Several heads (branches not yet merged) are joined with commas. Raises SQLAlchemy's
    errors if the database cannot be reached.
    """
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            return current_revision(connection)
    heads = MigrationContext.configure(bind).get_current_heads()
    return ",".join(sorted(heads)) or None


@cache
def head_revision() -> str | None:
    """Return the newest revision this code ships (None if it ships none); cached per process."""
    heads = ScriptDirectory.from_config(_config()).get_heads()
    return ",".join(sorted(heads)) or None


def make_revision(message: str, url: str | None = None) -> Path:
    """Write a new revision autogenerated from `storage.orm.metadata` (developers).

    The model is compared with a scratch SQLite database migrated to head, unless `url` names
    another database (use PostgreSQL to see types SQLite does not have). Returns the new file.
    """
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine_for(url or f"sqlite:///{scratch}/autogenerate.sqlite3")
        try:
            upgrade(engine)
            config = _config()
            with engine.connect() as connection, connection.begin():
                config.attributes["connection"] = connection
                script = command.revision(
                    config, message=message, autogenerate=True, rev_id=_next_revision_id(config)
                )
        finally:
            engine.dispose()
    if script is None or isinstance(script, list):
        raise MigrationError("Alembic did not write exactly one revision")
    return Path(script.path)


def _next_revision_id(config: Config) -> str | None:
    taken = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    candidate = f"{len(taken) + 1:04d}"
    # None lets Alembic pick a random id if a branch already took the next number.
    return None if candidate in taken else candidate


def main(argv: Sequence[str] | None = None) -> None:
    """Developer entry point: ``python -m storage.migrate revision -m MESSAGE``."""
    parser = argparse.ArgumentParser(prog="python -m storage.migrate")
    commands = parser.add_subparsers(dest="command", required=True)
    revision = commands.add_parser("revision", help="autogenerate a revision from the ORM model")
    revision.add_argument("-m", "--message", required=True)
    revision.add_argument("--url", help="compare with this database instead of a scratch SQLite")
    arguments = parser.parse_args(argv)
    print(make_revision(arguments.message, arguments.url))


if __name__ == "__main__":
    main()
