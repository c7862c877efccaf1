"""The Slack replay guard on each database: one answer per signed request, ever."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import Engine, func, select

from bot.edge.form import slack_body
from bot.edge.guard import RequestGuard
from sandbox.slack.signing import signature
from storage.orm import SlackRequestRow
from storage.seen_requests import SqlSeenRequests

SECRET = "guard-test-secret"


class _SetClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def _signed(body: bytes, *, age_seconds: int = 0) -> tuple[bytes, str, str]:
    stamp = str(int(time.time()) - age_seconds)
    return body, stamp, signature(SECRET, stamp, body)


def _screen(guard: RequestGuard, body: bytes, stamp: str | None, sig: str | None) -> str | None:
    """What /slack/events answers a request before the app sees it (None: let it in)."""
    forged = guard.forgery(body, stamp, sig)
    if forged is not None or sig is None:
        return forged
    return guard.replay(sig, slack_body(body, "application/x-www-form-urlencoded"))


def _remembered(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(SlackRequestRow)) or 0)


def test_a_request_is_answered_once_and_a_replay_is_refused(engine: Engine) -> None:
    guard = RequestGuard(SECRET, SqlSeenRequests(engine), _SetClock(datetime.now(UTC)))
    first = _signed(b"command=%2Finvoice&trigger_id=1")

    assert _screen(guard, *first) is None
    assert _screen(guard, *first) == "this request was already received"
    assert _screen(guard, *_signed(b"command=%2Finvoice&trigger_id=2")) is None
    assert _remembered(engine) == 2


def test_forged_stale_and_unsigned_requests_are_refused_without_a_trace(engine: Engine) -> None:
    guard = RequestGuard(SECRET, SqlSeenRequests(engine), _SetClock(datetime.now(UTC)))
    body, stamp, _ = _signed(b"payload=1")

    assert _screen(guard, body, stamp, "v0=" + "0" * 64) == "invalid or expired Slack signature"
    assert _screen(guard, *_signed(b"payload=2", age_seconds=6 * 60)) == (
        "invalid or expired Slack signature"
    )
    assert _screen(guard, body, None, None) == "missing Slack signature headers"
    assert _remembered(engine) == 0


def test_signatures_older_than_the_window_are_purged(engine: Engine) -> None:
    clock = _SetClock(datetime.now(UTC) - timedelta(minutes=11))
    guard = RequestGuard(SECRET, SqlSeenRequests(engine), clock, purge_one_in=1)
    assert _screen(guard, *_signed(b"old")) is None
    clock.moment += timedelta(minutes=2)
    assert _screen(guard, *_signed(b"recent")) is None
    assert _remembered(engine) == 2, "nothing was old enough to purge yet"

    clock.moment += timedelta(minutes=9, seconds=30)
    assert _screen(guard, *_signed(b"new")) is None

    assert _remembered(engine) == 2, "the 11-minute-old signature should be gone"


def _form(payload: dict[str, object]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def test_a_repeated_options_request_is_answered_and_leaves_no_trace(engine: Engine) -> None:
    guard = RequestGuard(SECRET, SqlSeenRequests(engine), _SetClock(datetime.now(UTC)))
    search = _signed(_form({"type": "block_suggestion", "action_id": "client", "value": "ada"}))

    answers = [_screen(guard, *search), _screen(guard, *search)]

    assert answers == [None, None]
    assert _remembered(engine) == 0


def test_a_click_that_mentions_options_requests_is_refused_when_replayed(engine: Engine) -> None:
    guard = RequestGuard(SECRET, SqlSeenRequests(engine), _SetClock(datetime.now(UTC)))
    click = _signed(_form({"type": "block_actions", "value": '"type":"block_suggestion"'}))

    assert _screen(guard, *click) is None
    assert _screen(guard, *click) == "this request was already received"
