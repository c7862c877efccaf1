"""Webhook delivery: each new event POSTed, signed, to the configured endpoint from a
background thread, with the misbehaviour Stripe documents and an app must survive.

Stripe delivers at least once and in no guaranteed order, retries an endpoint that does
not answer 2xx, and may be slow. Switches let a test make that happen on purpose:
`duplicate` (every event N times), `hold`/`release` (queue events, then send them in
order, reversed or shuffled; also a pause to look at what is waiting), `delay` (before each
attempt) and `retry` (how many attempts, with doubling backoff, bounded so tests end).
Every attempt is recorded with its answer (`attempts`, `wait_for`).
"""

from __future__ import annotations

import heapq
import itertools
import json
import random
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Literal

from sandbox.stripe.signing import signature_header

Order = Literal["sent", "reversed", "shuffled"]
#: Stripe waits up to this long for an endpoint's answer before counting a failure.
ENDPOINT_TIMEOUT = 10.0


@dataclass(frozen=True)
class DeliveryAttempt:
    """One POST of one event (copy `copy` of it, attempt `attempt` of that copy)."""

    event_id: str
    event_type: str
    account: str | None
    copy: int
    attempt: int
    url: str
    status: int | None
    response_body: str
    error: str | None
    payload: bytes
    signature: str

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(order=True)
class _Scheduled:
    due: float
    sequence: int
    event: dict[str, Any] = field(compare=False)
    copy: int = field(compare=False)
    attempt: int = field(compare=False)


class WebhookSender:
    """Delivers events to one endpoint (or, with none, lets them accumulate unsent)."""

    def __init__(
        self,
        secret: str,
        *,
        url: str | None = None,
        enabled_events: tuple[str, ...] = ("*",),
        timeout: float = ENDPOINT_TIMEOUT,
    ) -> None:
        self.secret = secret
        self.timeout = timeout
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._url: str | None = None
        self._enabled = enabled_events
        self._schedule: list[_Scheduled] = []
        self._held: list[dict[str, Any]] | None = None
        self._attempts: list[DeliveryAttempt] = []
        self._sequence = itertools.count()
        self._duplicates = 1
        self._delay = 0.0
        self._max_attempts = 3
        self._backoff = 0.05
        self._in_flight = 0
        self._thread: threading.Thread | None = None
        # Deliveries go straight to the endpoint, never through a proxy from the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self.set_endpoint(url, enabled_events=enabled_events)

    # -- configuration -------------------------------------------------------------------

    def set_endpoint(self, url: str | None, *, enabled_events: tuple[str, ...] = ("*",)) -> None:
        """Send events from now on to `url` (None: to nowhere), only types matching
        `enabled_events` (``"*"``, ``"checkout.session.*"``, exact types), as an endpoint's
        ``enabled_events`` does. Events made earlier are not sent, as at Stripe."""
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError(f"a webhook endpoint is an http(s) URL, not {url!r}")
        with self._cond:
            self._url = url
            self._enabled = tuple(enabled_events)

    @property
    def url(self) -> str | None:
        return self._url

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="stripe-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        self._thread.join(timeout=self.timeout + 1)
        self._thread = None

    # -- the event sink ------------------------------------------------------------------

    def accepts(self, event: dict[str, Any]) -> bool:
        with self._cond:
            if self._url is None:
                return False
            return any(fnmatchcase(event["type"], pattern) for pattern in self._enabled)

    def enqueue(self, event: dict[str, Any]) -> None:
        with self._cond:
            if self._held is not None:
                self._held.append(event)
            else:
                self._schedule_now(event)
            self._cond.notify_all()

    # -- switches ------------------------------------------------------------------------

    def duplicate(self, times: int) -> None:
        """Deliver every event from now on `times` times (1: once, the default)."""
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._cond:
            self._duplicates = times

    def hold(self) -> None:
        """Pause: keep new events waiting (see `pending`) until `release`."""
        with self._cond:
            if self._held is None:
                self._held = []

    def release(self, order: Order = "sent", *, seed: int | None = None) -> int:
        """Send the held events in the order they were made, reversed or shuffled (with
        `seed`, reproducibly), and stop holding; returns how many were held."""
        with self._cond:
            held, self._held = self._held or [], None
            if order == "reversed":
                held.reverse()
            elif order == "shuffled":
                random.Random(seed).shuffle(held)  # noqa: S311 - test ordering, not secrecy
            for event in held:
                self._schedule_now(event)
            self._cond.notify_all()
            return len(held)

    def delay(self, seconds: float) -> None:
        """Wait `seconds` before each attempt from now on (0: none)."""
        with self._cond:
            self._delay = seconds

    def retry(self, *, attempts: int = 3, backoff: float = 0.05) -> None:
        """Try each delivery up to `attempts` times while the endpoint does not answer 2xx,
        waiting `backoff` seconds, then twice that, and so on (Stripe: up to three days)."""
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        with self._cond:
            self._max_attempts, self._backoff = attempts, backoff

    # -- looking inside ------------------------------------------------------------------

    def attempts(self, event_type: str | None = None) -> list[DeliveryAttempt]:
        """Every delivery attempt so far, oldest first, optionally of one event type."""
        with self._cond:
            return [a for a in self._attempts if event_type in (None, a.event_type)]

    def pending(self) -> list[dict[str, Any]]:
        """Events held or waiting for a (first or further) attempt."""
        with self._cond:
            scheduled = [item.event for item in sorted(self._schedule)]
            return [*(self._held or []), *scheduled]

    def wait_for(
        self,
        count: int,
        *,
        timeout: float = 5.0,
        succeeded: bool = True,
        event_type: str | None = None,
    ) -> list[DeliveryAttempt]:
        """At least `count` attempts (only 2xx-answered ones if `succeeded`), waiting up to
        `timeout` seconds; `TimeoutError` saying how many there were."""

        def matching() -> list[DeliveryAttempt]:
            return [
                a
                for a in self._attempts
                if (a.succeeded or not succeeded) and event_type in (None, a.event_type)
            ]

        with self._cond:
            if not self._cond.wait_for(lambda: len(matching()) >= count, timeout):
                raise TimeoutError(
                    f"{len(matching())} of {count} webhook deliveries within {timeout}s"
                    f" (pending: {len(self.pending())})"
                )
            return matching()

    def wait_until_idle(self, timeout: float = 5.0) -> None:
        """Until nothing is scheduled or in flight (held events do not count)."""
        with self._cond:
            if not self._cond.wait_for(lambda: not self._schedule and not self._in_flight, timeout):
                raise TimeoutError(f"webhook deliveries still pending after {timeout}s")

    # -- delivering ----------------------------------------------------------------------

    def _schedule_now(self, event: dict[str, Any]) -> None:
        for copy in range(1, self._duplicates + 1):
            heapq.heappush(
                self._schedule,
                _Scheduled(time.monotonic(), next(self._sequence), event, copy, 1),
            )

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping.is_set():
                    if self._schedule:
                        wait = self._schedule[0].due - time.monotonic()
                        if wait <= 0:
                            break
                        self._cond.wait(wait)
                    else:
                        self._cond.wait()
                if self._stopping.is_set():
                    return
                item = heapq.heappop(self._schedule)
                self._in_flight += 1
                delay, url = self._delay, self._url
            attempt = None
            try:
                # A slow delivery is the point of this switch; stop() cuts it short.
                if delay and self._stopping.wait(delay):
                    return
                if url is not None:
                    attempt = self._post(item, url)
            finally:
                with self._cond:
                    self._in_flight -= 1
                    if attempt is not None:
                        self._attempts.append(attempt)
                        if not attempt.succeeded and item.attempt < self._max_attempts:
                            due = time.monotonic() + self._backoff * 2 ** (item.attempt - 1)
                            heapq.heappush(
                                self._schedule,
                                _Scheduled(
                                    due,
                                    next(self._sequence),
                                    item.event,
                                    item.copy,
                                    item.attempt + 1,
                                ),
                            )
                    self._cond.notify_all()

    def _post(self, item: _Scheduled, url: str) -> DeliveryAttempt:
        event = item.event
        payload = json.dumps(event, indent=2).encode()
        signature = signature_header(self.secret, int(time.time()), payload)
        request = urllib.request.Request(  # noqa: S310 - http(s) only, see set_endpoint
            url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": signature,
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Accept": "*/*; q=0.5, application/xml",
                "Cache-Control": "no-cache",
            },
        )
        status: int | None = None
        body, error = "", None
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status, body = response.status, response.read(2000).decode(errors="replace")
        except urllib.error.HTTPError as failed:
            status, body = failed.code, failed.read(2000).decode(errors="replace")
        except (OSError, urllib.error.URLError) as failed:
            error = repr(failed)
        return DeliveryAttempt(
            event["id"],
            event["type"],
            event.get("account"),
            item.copy,
            item.attempt,
            url,
            status,
            body,
            error,
            payload,
            signature,
        )
