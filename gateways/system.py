"""The real clock and id generator behind the domain's Clock and IdGenerator ports."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class RandomIds:
    """Random 128-bit ids: unguessable, so one practice cannot enumerate another's records."""

    def new_id(self) -> str:
        return uuid.uuid4().hex
