"""Polling with a deadline, for effects the app produces after it has answered (lazy listeners)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

DEFAULT_TIMEOUT = 5.0


def wait_for(predicate: Callable[[], T | None], *, timeout: float, what: str) -> T:
    """Return `predicate`'s first truthy result; `TimeoutError` naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"no {what} within {timeout}s")
        time.sleep(0.01)
