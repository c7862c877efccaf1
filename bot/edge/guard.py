"""Refuse Slack requests that are forged, stale or replayed, before anything reads them.

Bolt checks the signature and the five-minute window too, but a request captured in
transit could be sent again within that window; remembering every accepted signature for
that long closes the gap, across every replica, through the shared database."""

from __future__ import annotations

import hashlib
import logging
import random
from contextlib import closing
from datetime import datetime, timedelta

from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine, bindparam, delete, insert

from domain.ports import Clock
from storage.engine import without_transactions
from storage.orm import SlackRequestRow
from storage.rendered import RenderedStatement

log = logging.getLogger(__name__)

# Slack refuses to sign with a timestamp older than five minutes; keep a margin.
REMEMBER_FOR = timedelta(minutes=10)
PURGE_ONE_IN = 200


class RequestGuard:
    """`refusal(body, headers)` is None for a fresh, authentic request, else why it is not."""

    def __init__(
        self, signing_secret: str, engine: Engine, clock: Clock, *, purge_one_in: int = PURGE_ONE_IN
    ) -> None:
        self._verifier = SignatureVerifier(signing_secret)
        self._seen = _SeenSignatures(engine)
        self._clock = clock
        self._purge_one_in = purge_one_in

    def refusal(self, body: bytes, timestamp: str | None, signature: str | None) -> str | None:
        if not timestamp or not signature:
            return "missing Slack signature headers"
        if not self._verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
            return "invalid or expired Slack signature"
        # The signature covers timestamp and body, so it identifies the request exactly.
        key = hashlib.sha256(signature.encode()).hexdigest()
        purge = random.randrange(self._purge_one_in) == 0  # noqa: S311 - spreads load only
        if not self._seen.remember(key, self._clock.now(), purge=purge):
            log.warning("event=slack_request_replayed")
            return "this request was already received"
        return None


class _SeenSignatures:
    """The table of accepted signatures, written through the driver's own connection.

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

    def remember(self, key: str, now: datetime, *, purge: bool) -> bool:
        """Store `key`; False if it was stored before. With `purge`, also drop the rows too
        old to matter."""
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
            if purge:
                self._purge.run(cursor, cutoff=now - REMEMBER_FOR)
        return True
