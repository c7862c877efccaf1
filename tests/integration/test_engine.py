"""A database that dropped the app's connections costs a reconnect, not a failed request."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.engine import create_engine_for
from storage.migrate import upgrade
from storage.unit_of_work import SqlAlchemyUnitOfWork, session_factory


def test_connections_the_server_dropped_are_replaced_before_use(postgres_server) -> None:
    url = postgres_server.create_database()
    # Ping on every checkout: what happens to a connection that sat idle long enough.
    engine = create_engine_for(url, ping_after_idle=0)
    try:
        with engine.connect() as connection:
            backend = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        with postgres_server.admin_connection() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})

        with engine.connect() as connection:
            answer = connection.execute(text("SELECT 41 + 1")).scalar()
            replacement = connection.execute(text("SELECT pg_backend_pid()")).scalar()

        assert answer == 42
        assert replacement != backend
    finally:
        engine.dispose()
        postgres_server.drop_database(url)


def test_a_read_on_postgresql_holds_no_transaction_open_between_its_statements(
    postgres_server,
) -> None:
    url = postgres_server.create_database()
    upgrade(url)
    engine = create_engine_for(url)
    try:
        with SqlAlchemyUnitOfWork(session_factory(engine), read_only=True) as reading:
            reading.practices.for_workspace("T0NOBODY")
            with postgres_server.admin_connection() as admin:
                states = admin.execute(
                    text(
                        "SELECT state FROM pg_stat_activity "
                        "WHERE datname = :name AND application_name = 'billing-bot'"
                    ),
                    {"name": make_url(url).database},
                ).scalars()
                reader_states = list(states)

        # An open read would show as "idle in transaction", holding back vacuum meanwhile.
        assert reader_states == ["idle"]
    finally:
        engine.dispose()
        postgres_server.drop_database(url)
