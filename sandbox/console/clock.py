"""The sandbox's own time: the app's clock runs ahead of the real one by what the person
skipped in the console, so that a reminder planned for the week after next can be seen going
out now.

The app reads its clock through `gateways.system.ShiftedClock`, whose file holds how many
seconds it runs ahead (``TEST_CLOCK_FILE``); a skip rewrites that file and then runs the
reminder sweep at once, rather than at its next minute. Slack's stand-in keeps the real
time, which request signatures are checked against, as Slack's are; Stripe's follows the
app's clock (`sandbox.console.mode`), so that a Checkout the app asks for, expiring a day
after its own now, is one the stand-in takes.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from domain.ports import Clock

#: The longest single skip: a month covers any reminder schedule's next step.
LONGEST_SKIP = timedelta(days=31)


class SandboxTime:
    """How far the sandboxed app's clock runs ahead of the real time, and skipping ahead."""

    def __init__(self, shift_file: Path, clock: Clock, then: Callable[[], None]) -> None:
        """`clock` is the app's (reading `shift_file`); `then` runs after each skip (the
        reminder sweep)."""
        self._file = shift_file
        self._clock = clock
        self._then = then
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The app's time."""
        return self._clock.now()

    def ahead(self) -> timedelta:
        """How far the app's clock runs ahead of the real time."""
        try:
            return timedelta(seconds=float(self._file.read_text().strip() or 0))
        except (OSError, ValueError):
            return timedelta(0)

    def skip(self, by: timedelta) -> None:
        """Move the app's clock on by `by` (a second to `LONGEST_SKIP`), then let the app do
        what fell due meanwhile. Raises ValueError for any other length."""
        if not timedelta(seconds=1) <= by <= LONGEST_SKIP:
            raise ValueError(f"skip between a second and {LONGEST_SKIP.days} days, not {by}")
        with self._lock:
            written = self._file.with_name(f".{self._file.name}.new")
            written.write_text(f"{(self.ahead() + by).total_seconds():.0f}\n")
            # Replaced whole, so the app never reads a half-written number.
            os.replace(written, self._file)
        self._then()
