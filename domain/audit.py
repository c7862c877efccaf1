"""Audit events: who did what to which record, and when. Ids only, never client details."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from domain.ids import AuditEventId, PracticeId

STRIPE = "stripe"
SYSTEM = "system"
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")


def check_actor(actor: str) -> str:
    """An actor is a Slack user id, "stripe" or "system"."""
    if actor in (STRIPE, SYSTEM) or _SLACK_USER.match(actor):
        return actor
    raise ValueError(f"unknown actor {actor!r}: use a Slack user id, 'stripe' or 'system'")


@dataclass(frozen=True, slots=True)
class AuditEvent:
    id: AuditEventId
    practice_id: PracticeId
    actor: str
    action: str
    subject_type: str
    subject_id: str
    at: datetime
    # Only ids, numbers, statuses and amounts of the practice's own records: never names.
    details: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_actor(self.actor)
        if self.at.tzinfo is None:
            raise ValueError("audit times are timezone-aware")
