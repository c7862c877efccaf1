"""The composition root: the one place that turns settings into the app's collaborators.

`build_container` is called once per process (in each gunicorn worker after fork, or by a CLI
command) and everything else receives what it needs from the container. Importing this module
connects to nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from billing_bot.settings import Settings
from billing_bot.storage.engine import create_engine_for
from billing_bot.storage.unit_of_work import SqlAlchemyUnitOfWork, session_factory


@dataclass(frozen=True)
class Container:
    """The app's long-lived collaborators for one process; `close` releases them."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    #: A fresh unit of work per Slack request, webhook or job run.
    uow_factory: Callable[[], SqlAlchemyUnitOfWork]
    # --- later issues add here: clock, id generator, Stripe gateway, mailer, scheduler,
    # --- Bolt app; each built in `build_container` from settings, none at import time.

    def close(self) -> None:
        """Close pooled database connections (at worker exit or after a CLI command)."""
        self.engine.dispose()


def build_container(settings: Settings) -> Container:
    """Build the collaborators described by `settings` without opening any connection.

    Raises `UnsupportedDatabaseUrl` for a database URL that settings validation would refuse.
    """
    engine = create_engine_for(settings.database_url)
    sessions = session_factory(engine)
    return Container(
        settings=settings,
        engine=engine,
        session_factory=sessions,
        uow_factory=lambda: SqlAlchemyUnitOfWork(sessions),
    )
