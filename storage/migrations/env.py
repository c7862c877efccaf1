"""Alembic environment, driven by `storage.migrate` (no alembic.ini needed).

`migrate` hands over either an open connection (``config.attributes["connection"]``, online
mode) or a URL (``config.attributes["url"]``, offline mode, which prints SQL instead).
"""

from __future__ import annotations

from typing import Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection
from sqlalchemy.engine import make_url

from storage.orm import UTCDateTime, metadata

config = context.config


def render_item(type_: str, obj: object, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render the project's column types as plain SQLAlchemy ones, so a migration never
    imports application code that may change after it was written."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_offline() -> None:
    url = make_url(config.attributes["url"])
    context.configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=url.get_backend_name() == "sqlite",
        compare_type=True,
        render_item=render_item,
        # The script is applied as one transaction on SQLite too.
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "run migrations through storage.migrate (e.g. `billing-bot migrate`), "
            "which passes the connection to this environment"
        )
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
        # True of SQLite here as well: storage.engine issues BEGIN itself, so pysqlite no
        # longer commits before each DDL statement and a failed migration rolls back entirely.
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
