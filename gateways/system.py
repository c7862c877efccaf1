"""The real clock and id generator behind the domain's Clock and IdGenerator ports."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class RandomIds:
    """Random 128-bit ids: unguessable, so one practice cannot enumerate another's records.

    Drawn from the kernel's random source (as `uuid.uuid4` and `secrets` draw) 256 at a
    time: each draw is a system call that lets go of the GIL, and a serving process's other
    threads then take it, so a card payment's six ids cost six hand-overs of the GIL where
    one now serves hundreds of payments. A child process draws its own: a pool read before
    a fork is never used after it."""

    _IDS_PER_DRAW = 256

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: list[str] = []
        self._owner = os.getpid()

    def new_id(self) -> str:
        with self._lock:
            if not self._pool or self._owner != os.getpid():
                drawn = os.urandom(16 * self._IDS_PER_DRAW).hex()
                self._pool = [drawn[start : start + 32] for start in range(0, len(drawn), 32)]
                self._owner = os.getpid()
            return self._pool.pop()


class ShiftedClock:
    """TESTS AND SANDBOX ONLY (`TEST_CLOCK_FILE`): the real time moved by the number of
    seconds written in a file, read afresh whenever the file changes, so a test can move a
    running server's clock (an hour of an SMTP outage, the morning of a reminder) without
    waiting. A missing or unreadable file means no shift."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._seen: tuple[tuple[int, int, int], timedelta] | None = None

    def _shift(self) -> timedelta:
        try:
            found = self._path.stat()
        except OSError:
            return timedelta(0)
        # The file replaced (a new inode) or rewritten to another length counts as changed
        # too: two writes within one tick of the file system's clock share a time.
        changed = (found.st_mtime_ns, found.st_ino, found.st_size)
        if self._seen is None or self._seen[0] != changed:
            try:
                seconds = float(self._path.read_text().strip() or 0)
            except (OSError, ValueError):
                seconds = 0.0
            self._seen = (changed, timedelta(seconds=seconds))
        return self._seen[1]

    def now(self) -> datetime:
        return datetime.now(UTC) + self._shift()
