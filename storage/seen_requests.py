"""The replay guard's memory: keys of the Slack requests already accepted, in the shared
database so that every replica refuses a replay another one answered."""

from __future__ import annotations

from contextlib import closing
from datetime import datetime

from sqlalchemy import Engine, bindparam, delete, insert

from storage.engine import without_transactions
from storage.orm import SlackRequestRow
from storage.rendered import RenderedStatement


class SqlSeenRequests:
    """Implements `domain.ports.SeenRequests`, written through the driver's own connection.

    Every Slack request writes one row here before anything else happens, so the statements
    are rendered once for the engine's dialect and run without SQLAlchemy's execution
    machinery, which cost more than the insert itself."""

    def __init__(self, engine: Engine) -> None:
        self._engine = without_transactions(engine)
        self._insert = RenderedStatement(insert(SlackRequestRow), engine.dialect)
        self._purge = RenderedStatement(
            delete(SlackRequestRow).where(SlackRequestRow.received_at < bindparam("cutoff")),
            engine.dialect,
        )
        self._duplicate: type[Exception] = engine.dialect.loaded_dbapi.IntegrityError

    def remember(self, key: str, now: datetime, *, forget_before: datetime | None) -> bool:
        """Store `key`; False if it was stored before. With `forget_before`, also drop the
        keys received before that moment."""
        # Each statement commits by itself (`without_transactions`): no BEGIN or COMMIT
        # round trips, and a refused duplicate leaves no transaction open.
        with (
            self._engine.connect() as connection,
            closing(connection.connection.cursor()) as cursor,
        ):
            try:
                self._insert.run(cursor, signature=key, received_at=now)
            except self._duplicate:
                return False
            if forget_before is not None:
                self._purge.run(cursor, cutoff=forget_before)
        return True
