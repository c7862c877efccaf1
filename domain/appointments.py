"""Appointments: a client seeing a clinician for a service at a time."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import InvalidValue
from domain.ids import AppointmentId, ClientId, PracticeId, ServiceTypeId

MAX_DURATION_MINUTES = 24 * 60
SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class AppointmentStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    ATTENDED = "attended"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


def parse_clinician(user_id: str) -> str:
    """A Slack user id such as U024BE7LH."""
    candidate = user_id.strip()
    if not SLACK_USER_ID.match(candidate):
        raise InvalidValue("Pick the clinician from the workspace's members.")
    return candidate


def parse_duration(minutes: int) -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise TypeError("a duration is a whole number of minutes")
    if not 1 <= minutes <= MAX_DURATION_MINUTES:
        raise InvalidValue(f"A duration is 1 to {MAX_DURATION_MINUTES} minutes; got {minutes}.")
    return minutes


@dataclass(frozen=True, slots=True)
class Appointment:
    """One appointment; invoiced at most once (see Invoice.appointment_ids)."""

    id: AppointmentId
    practice_id: PracticeId
    client_id: ClientId
    service_type_id: ServiceTypeId
    start: datetime
    duration_minutes: int
    clinician: str
    status: AppointmentStatus = AppointmentStatus.SCHEDULED
    version: int = 1

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("an appointment starts at a timezone-aware moment")

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.duration_minutes)

    @property
    def is_billable(self) -> bool:
        """Cancelled appointments are not billed; a no-show may carry a fee."""
        return self.status is not AppointmentStatus.CANCELLED
