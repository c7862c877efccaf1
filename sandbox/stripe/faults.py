"""Switches that make the API misbehave for a while, as Stripe sometimes does: rate limiting
(429), outages (500) and slow answers (for the app's timeouts).

Each switch applies to the next `times` API requests (None: until `clear`), optionally only
to paths starting with `path`. A slow answer is slow *after* the request took effect, as a
timeout at Stripe is: the client gives up, and its retry with the same idempotency key gets
the stored answer instead of doing the work twice.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["rate_limit", "api_error", "delay"]


@dataclass
class _Fault:
    kind: FaultKind
    remaining: int | None
    path: str
    seconds: float = 0.0


class Faults:
    """The switches; the API pipeline asks `take` once per request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[_Fault] = []

    def rate_limit(self, *, times: int | None = 1, path: str = "/v1/") -> None:
        """Answer the next `times` requests with 429 ``rate_limit`` (the SDK's RateLimitError)."""
        self._add(_Fault("rate_limit", times, path))

    def outage(self, *, times: int | None = 1, path: str = "/v1/") -> None:
        """Answer the next `times` requests with 500 ``api_error`` (the SDK's APIError; the SDK
        retries these when the client has ``max_network_retries``)."""
        self._add(_Fault("api_error", times, path))

    def delay(self, seconds: float, *, times: int | None = 1, path: str = "/v1/") -> None:
        """Hold the answer to the next `times` requests for `seconds` after handling them."""
        self._add(_Fault("delay", times, path, seconds))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, path: str) -> tuple[FaultKind | None, float]:
        """For one request to `path`: the error to answer with (if any) and the delay."""
        error: FaultKind | None = None
        delay = 0.0
        with self._lock:
            for fault in list(self._faults):
                if not path.startswith(fault.path):
                    continue
                if fault.kind == "delay":
                    delay = max(delay, fault.seconds)
                elif error is None:
                    error = fault.kind
                else:
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
        return error, delay

    def _add(self, fault: _Fault) -> None:
        if fault.remaining is not None and fault.remaining < 1:
            raise ValueError("times must be at least 1 (or None for until cleared)")
        with self._lock:
            self._faults.append(fault)
