"""Refuse Slack requests that are forged, stale or replayed, before anything reads them.

Bolt checks the signature and the five-minute window too, but a request captured in
transit could be sent again within that window; remembering every accepted signature for
that long closes the gap, across every replica, through the shared database."""

from __future__ import annotations

import hashlib
import logging
import random
from datetime import timedelta

from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine, delete, insert
from sqlalchemy.exc import IntegrityError

from billing_bot.domain.ports import Clock
from billing_bot.storage.orm import SlackRequestRow

log = logging.getLogger(__name__)

# Slack refuses to sign with a timestamp older than five minutes; keep a margin.
REMEMBER_FOR = timedelta(minutes=10)
PURGE_ONE_IN = 200


class RequestGuard:
    """`refusal(body, headers)` is None for a fresh, authentic request, else why it is not."""

    def __init__(self, signing_secret: str, engine: Engine, clock: Clock) -> None:
        self._verifier = SignatureVerifier(signing_secret)
        self._engine = engine
        self._clock = clock

    def refusal(self, body: bytes, timestamp: str | None, signature: str | None) -> str | None:
        if not timestamp or not signature:
            return "missing Slack signature headers"
        if not self._verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
            return "invalid or expired Slack signature"
        # The signature covers timestamp and body, so it identifies the request exactly.
        key = hashlib.sha256(signature.encode()).hexdigest()
        now = self._clock.now()
        try:
            with self._engine.begin() as connection:
                connection.execute(insert(SlackRequestRow).values(signature=key, received_at=now))
                if random.randrange(PURGE_ONE_IN) == 0:  # noqa: S311 - load spreading, not security
                    expired = SlackRequestRow.received_at < now - REMEMBER_FOR
                    connection.execute(delete(SlackRequestRow).where(expired))
        except IntegrityError:
            log.warning("event=slack_request_replayed")
            return "this request was already received"
        return None
