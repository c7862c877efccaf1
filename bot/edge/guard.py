"""Refuse Slack requests that are forged, stale or replayed, before anything reads them.

Bolt checks the signature and the five-minute window too, but a request captured in
transit could be sent again within that window; remembering every accepted signature for
that long closes the gap, across every replica, through a memory they share
(`domain.ports.SeenRequests`, kept in the database by storage)."""

from __future__ import annotations

import hashlib
import json
import logging
import random
from datetime import timedelta
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

from bot.edge.form import interaction_payload
from domain.ports import Clock, SeenRequests

log = logging.getLogger(__name__)

# Slack refuses to sign with a timestamp older than five minutes; keep a margin.
REMEMBER_FOR = timedelta(minutes=10)
PURGE_ONE_IN = 200

# Slack sends these without a trigger_id or action_ts, so the same search typed twice within
# a second arrives twice byte for byte: a replay by its bytes, yet legitimate. See
# `_may_repeat` for why answering a repeat is safe.
_REPEATABLE = "block_suggestion"


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
        if _may_repeat(body):
            return None
        # The signature covers timestamp and body, so it identifies the request exactly.
        key = hashlib.sha256(signature.encode()).hexdigest()
        now = self._clock.now()
        purge = random.randrange(self._purge_one_in) == 0  # noqa: S311 - spreads load only
        if not self._seen.remember(key, now, forget_before=now - REMEMBER_FOR if purge else None):
            log.warning("event=slack_request_replayed")
            return "this request was already received"
        return None


def _may_repeat(body: bytes) -> bool:
    """Whether `body` is an interaction that Slack may legitimately send twice unchanged.

    Only a `block_suggestion` (a select menu asking for the options matching typed text) is,
    and answering one again is safe: its listener only reads, so a replay stores, changes and
    sends nothing, and it gets the answer the original got (the same user's search for the
    same text, the user's role checked again). Its signature and five-minute timestamp are
    still checked, so a forged or stale one is refused as any other. Refusing it instead
    would leave a person's menu empty for typing the same search twice."""
    # Most bodies never name the type; only those that do are decoded, and the exact type is
    # read from the payload, so a text that merely contains the word is not exempted.
    if _REPEATABLE.encode() not in body:
        return False
    payload = interaction_payload(body)
    if payload is None:
        fields = parse_qs(body.decode("utf-8", "replace"))
        if list(fields) != ["payload"] or len(fields["payload"]) != 1:
            return False
        try:
            payload = json.loads(fields["payload"][0])
        except ValueError:
            return False
    return isinstance(payload, dict) and payload.get("type") == _REPEATABLE
