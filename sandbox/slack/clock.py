"""Time for the stand-in, replaceable so tests can expire triggers and codes without sleeping."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    """Seconds since the epoch, as `time.time` gives them."""

    def __call__(self) -> float: ...


class ManualClock:
    """A clock that starts at the real time and moves only when `advance` is called."""

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by `seconds` (e.g. past a trigger's 3-second life)."""
        with self._lock:
            self._now += seconds
