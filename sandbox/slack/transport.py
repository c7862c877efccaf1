"""Signed HTTP requests from "Slack" to the app, and the ways a test can spoil them.

Slack signs ``v0:{X-Slack-Request-Timestamp}:{raw body}`` with the app's signing secret and
sends the result as ``X-Slack-Signature``; the app must refuse anything else. `Tamper` makes
the bad cases one argument away, and `replay` resends a request byte for byte.
"""

from __future__ import annotations

import enum
import json
import time
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.error import HTTPError

from sandbox.slack.signing import signature

#: How Slack sends commands and interactions (a form), and events (JSON).
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
#: Slack gives up on an app that has not answered within three seconds.
SLACK_TIMEOUT_SECONDS = 3.0
_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"


class Tamper(enum.Enum):
    """How to spoil a request's signature (``NONE`` signs it as Slack does)."""

    NONE = "none"
    WRONG_SIGNATURE = "wrong_signature"
    #: Correctly signed, but six minutes old: past the five minutes apps accept.
    STALE_TIMESTAMP = "stale_timestamp"
    NO_SIGNATURE = "no_signature"


@dataclass(frozen=True)
class SentRequest:
    """Exactly what went over the wire, so it can be replayed."""

    url: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class AppResponse:
    """The app's HTTP answer and how long it took."""

    status: int
    headers: dict[str, str]
    body: bytes
    elapsed: float
    request: SentRequest

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; ``None`` for an empty body (a bare ``ack()``)."""
        if not self.body.strip():
            return None
        return json.loads(self.body)

    @property
    def late(self) -> bool:
        """Whether Slack would already have given up (and shown the user an error)."""
        return self.elapsed > SLACK_TIMEOUT_SECONDS


class AppTransport(Protocol):
    """How Slack's requests reach the app: signed HTTP POSTs, or Socket Mode envelopes."""

    def send(
        self,
        body: bytes,
        content_type: str,
        *,
        tamper: Tamper = Tamper.NONE,
        headers: dict[str, str] | None = None,
        signed_at: int | None = None,
    ) -> AppResponse: ...

    def replay(self, sent: SentRequest) -> AppResponse: ...


class Transport:
    """Sends signed requests to the app's Request URL."""

    def __init__(self, url: str, signing_secret: str, *, timeout: float = 10.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"the app's Request URL must be http(s): {url!r}")
        self.url = url
        self._secret = signing_secret
        self._timeout = timeout
        # Never through a proxy: the app listens on this machine.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def send(
        self,
        body: bytes,
        content_type: str,
        *,
        tamper: Tamper = Tamper.NONE,
        headers: dict[str, str] | None = None,
        signed_at: int | None = None,
    ) -> AppResponse:
        """POST `body` signed as Slack would (or spoiled as `tamper` says), at `signed_at`
        (default: now; each delivery attempt of an event is signed at its own moment)."""
        now = int(time.time()) if signed_at is None else signed_at
        timestamp = str(now - 360 if tamper is Tamper.STALE_TIMESTAMP else now)
        secret = self._secret + "-wrong" if tamper is Tamper.WRONG_SIGNATURE else self._secret
        all_headers = {
            "Content-Type": content_type,
            "User-Agent": _USER_AGENT,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature(secret, timestamp, body),
            **(headers or {}),
        }
        if tamper is Tamper.NO_SIGNATURE:
            del all_headers["X-Slack-Signature"], all_headers["X-Slack-Request-Timestamp"]
        return self.replay(SentRequest(self.url, body, all_headers))

    def replay(self, sent: SentRequest) -> AppResponse:
        """Send `sent` again, byte for byte (same timestamp and signature)."""
        # The URL was checked to be http(s) in __init__.
        request = urllib.request.Request(  # noqa: S310
            sent.url, data=sent.body, headers=sent.headers, method="POST"
        )
        started = time.perf_counter()
        try:
            with self._opener.open(request, timeout=self._timeout) as reply:
                status, reply_headers, body = reply.status, dict(reply.headers), reply.read()
        except HTTPError as error:
            status, reply_headers, body = error.code, dict(error.headers), error.read()
        return AppResponse(status, reply_headers, body, time.perf_counter() - started, sent)
