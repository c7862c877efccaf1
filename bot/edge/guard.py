"""Refuse Slack requests that are forged, stale or replayed, before anything reads them.

Bolt checks the signature and the five-minute window too, but a request captured in
transit could be sent again within that window; remembering every accepted signature for
that long closes the gap, across every replica, through a memory they share
(`domain.ports.SeenRequests`, kept in the database by storage)."""

from __future__ import annotations

import hashlib
import logging
import random
from datetime import timedelta

from slack_sdk.signature import SignatureVerifier

from domain.ports import Clock, SeenRequests

log = logging.getLogger(__name__)

# Slack refuses to sign with a timestamp older than five minutes; keep a margin.
REMEMBER_FOR = timedelta(minutes=10)
PURGE_ONE_IN = 200


class RequestGuard:
    """`refusal(body, headers)` is None for a fresh, authentic request, else why it is not."""

    def __init__(
        self,
        signing_secret: str,
        seen: SeenRequests,
        clock: Clock,
        *,
        purge_one_in: int = PURGE_ONE_IN,
    ) -> None:
        self._verifier = SignatureVerifier(signing_secret)
        self._seen = seen
        self._clock = clock
        self._purge_one_in = purge_one_in

    def refusal(self, body: bytes, timestamp: str | None, signature: str | None) -> str | None:
        if not timestamp or not signature:
            return "missing Slack signature headers"
        if not self._verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
            return "invalid or expired Slack signature"
        # The signature covers timestamp and body, so it identifies the request exactly.
        key = hashlib.sha256(signature.encode()).hexdigest()
        now = self._clock.now()
        purge = random.randrange(self._purge_one_in) == 0  # noqa: S311 - spreads load only
        if not self._seen.remember(key, now, forget_before=now - REMEMBER_FOR if purge else None):
            log.warning("event=slack_request_replayed")
            return "this request was already received"
        return None
