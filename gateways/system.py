"""The real clock and id generator behind the domain's Clock and IdGenerator ports."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class RandomIds:
    """Random 128-bit ids: unguessable, so one practice cannot enumerate another's records."""

    def new_id(self) -> str:
        return uuid.uuid4().hex


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
