"""Refuse Slack requests that are forged, stale or replayed, before anything reads them.

Bolt checks the signature and the five-minute window too, but a request captured in
transit could be sent again within that window; remembering every accepted signature for
that long closes the gap, across every replica, through a memory they share
(`domain.ports.SeenRequests`, kept in the database by storage)."""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from slack_sdk.signature import SignatureVerifier

from domain.ports import Clock, SeenRequests

log = logging.getLogger(__name__)

# Slack refuses to sign with a timestamp older than five minutes; keep a margin.
REMEMBER_FOR = timedelta(minutes=10)
PURGE_ONE_IN = 200

MISSING_SIGNATURE = "missing Slack signature headers"

# A select menu's search (options for the text typed so far) comes without a trigger_id or
# action_ts, so the same search typed twice within a second arrives twice byte for byte: a
# replay by its bytes, yet legitimate. Answering it again is safe: its listener only reads,
# so a repeat stores, changes and sends nothing, and it gets the answer the original got (the
# same user's search for the same text, the user's role checked again). Its signature and
# five-minute window are still checked, so a forged or stale one is refused as any other;
# refusing a repeat would leave a person's menu empty for typing the same search twice.
_REPEATABLE = "block_suggestion"


class RequestGuard:
    """Screens a Slack request in two steps around the parsing of its body: `forgery` before
    it (the signature and its age), `replay` after it (whether it was received before)."""

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

    def forgery(self, body: bytes, timestamp: str | None, signature: str | None) -> str | None:
        """None when Slack signed `body` within the last five minutes, else why not."""
        if not timestamp or not signature:
            return MISSING_SIGNATURE
        if not self._verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
            return "invalid or expired Slack signature"
        return None

    def replay(self, signature: str, payload: Mapping[str, Any]) -> str | None:
        """None the first time an authentic request (`payload`, its parsed body) is seen, or
        when Slack may send it twice unchanged; else why it is refused."""
        if payload.get("type") == _REPEATABLE:
            return None
        # The signature covers timestamp and body, so it identifies the request exactly.
        key = hashlib.sha256(signature.encode()).hexdigest()
        now = self._clock.now()
        purge = random.randrange(self._purge_one_in) == 0  # noqa: S311 - spreads load only
        if not self._seen.remember(key, now, forget_before=now - REMEMBER_FOR if purge else None):
            log.warning("event=slack_request_replayed")
            return "this request was already received"
        return None
