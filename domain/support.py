"""Support conversations: a practice member's question, relayed between a thread in the
practice's Slack and a thread in the vendor's support channel, with its status, assignee,
timings and rating.

Privacy: support sees the practice's ids, counts and the member's own words, never a record
of the app (a client, a service, an amount tied to a person). `SupportContext` is all the app
tells support about a practice, and it holds ids and counts only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from domain.errors import Conflict, InvalidValue
from domain.ids import ConversationId, PracticeId

#: Slack shows at most 3,000 characters in a section; a longer question is cut there.
MAX_QUESTION = 3000
DEFAULT_ESCALATE_AFTER = timedelta(minutes=60)
MIN_ESCALATE_AFTER = timedelta(minutes=1)
MAX_ESCALATE_AFTER = timedelta(days=7)
#: The reactions that act on a conversation (Slack's emoji names, without colons).
TICKET_REACTION = "ticket"
RESOLVE_REACTION = "white_check_mark"


class ConversationStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Rating(enum.StrEnum):
    """The practice's one-click verdict on a resolved conversation."""

    GREAT = "great"
    OKAY = "okay"
    POOR = "poor"

    @property
    def label(self) -> str:
        return {"great": "Great", "okay": "Okay", "poor": "Not helpful"}[self.value]

    @property
    def emoji(self) -> str:
        return {"great": ":star-struck:", "okay": ":neutral_face:", "poor": ":disappointed:"}[
            self.value
        ]


class Side(enum.StrEnum):
    """Which workspace a message was written in."""

    PRACTICE = "practice"
    SUPPORT = "support"

    @property
    def other(self) -> Side:
        return Side.SUPPORT if self is Side.PRACTICE else Side.PRACTICE


class NotResolved(Conflict):
    """Only a resolved conversation can be rated."""


@dataclass(frozen=True, slots=True)
class SlackRef:
    """Where a message is: its workspace, channel and ts (a thread is its root's ref)."""

    team_id: str
    channel_id: str
    ts: str


@dataclass(frozen=True, slots=True)
class SharedFile:
    """A file attached to a message, as Slack describes it: relayed by downloading it with
    the source workspace's token and uploading it again on the other side."""

    file_id: str
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class Conversation:
    """One support conversation of a practice. `number` counts every practice's
    conversations together: it is the vendor's ticket number."""

    id: ConversationId
    practice_id: PracticeId
    number: int
    practice_thread: SlackRef
    opened_by: str
    question: str
    opened_at: datetime
    status: ConversationStatus = ConversationStatus.OPEN
    support_thread: SlackRef | None = None
    assignee: str | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    escalated_at: datetime | None = None
    rating: Rating | None = None
    version: int = 1

    @property
    def is_open(self) -> bool:
        return self.status is ConversationStatus.OPEN

    @property
    def label(self) -> str:
        return f"#{self.number}"

    def _next(self, **changes: object) -> Conversation:
        return replace(self, version=self.version + 1, **changes)  # type: ignore[arg-type]

    def answered(self, now: datetime, by: str) -> Conversation:
        """Support wrote in the thread: the first time sets the first response, and the
        first to answer an unassigned conversation takes it."""
        if self.first_response_at is not None and self.assignee is not None:
            return self
        return self._next(
            first_response_at=self.first_response_at or now, assignee=self.assignee or by
        )

    def resolved(self, now: datetime) -> Conversation:
        """Closed on both sides; resolving a resolved conversation changes nothing."""
        if not self.is_open:
            return self
        return self._next(status=ConversationStatus.RESOLVED, resolved_at=now)

    def reopened(self) -> Conversation:
        """Open again (a new message in its thread, or Reopen): the earlier rating is for an
        answer that did not settle it, so it goes, and the next resolution is timed anew."""
        if self.is_open:
            return self
        return self._next(status=ConversationStatus.OPEN, resolved_at=None, rating=None)

    def assigned(self, user_id: str) -> Conversation:
        if self.assignee == user_id:
            return self
        return self._next(assignee=user_id)

    def rated(self, rating: Rating) -> Conversation:
        """Raises NotResolved while the conversation is open."""
        if self.is_open:
            raise NotResolved(f"Conversation {self.label} is open again, so it can't be rated yet.")
        if self.rating is rating:
            return self
        return self._next(rating=rating)

    def escalated(self, now: datetime) -> Conversation:
        return self._next(escalated_at=now)

    def escalation_due(self, now: datetime, after: timedelta) -> bool:
        """Open, never answered, not escalated yet, and waiting for `after` or longer."""
        return (
            self.is_open
            and self.first_response_at is None
            and self.escalated_at is None
            and now - self.opened_at >= after
        )

    @property
    def first_response_time(self) -> timedelta | None:
        return None if self.first_response_at is None else self.first_response_at - self.opened_at

    @property
    def resolution_time(self) -> timedelta | None:
        return None if self.resolved_at is None else self.resolved_at - self.opened_at


@dataclass(frozen=True, slots=True)
class RelayedMessage:
    """One message written on one side and its copy the app posted on the other. The copy
    is unknown (None) until the relay has been delivered."""

    conversation_id: ConversationId
    practice_id: PracticeId
    source: SlackRef
    written_on: Side
    copy: SlackRef | None = None


@dataclass(frozen=True, slots=True)
class OpenCounts:
    """Every practice's open conversations: how many, how many support never answered, and
    how many of those were escalated."""

    open: int = 0
    unanswered: int = 0
    escalated: int = 0


@dataclass(frozen=True, slots=True)
class FileCopy:
    """A file shared in one thread of a conversation and the copy the app uploaded into the
    other, so that deleting the file, or the message that shared it, deletes the copy too."""

    conversation_id: ConversationId
    practice_id: PracticeId
    source_message: SlackRef
    source_file: str
    copy_team: str
    copy_file: str


@dataclass(frozen=True, slots=True)
class SupportDesk:
    """Where the vendor's support team works: a channel of its own workspace, and how long a
    question may wait unanswered before it is escalated there."""

    team_id: str
    channel_id: str
    escalate_after: timedelta = DEFAULT_ESCALATE_AFTER
    set_by: str = ""
    set_at: datetime | None = None


def parse_escalate_after(text: str) -> timedelta:
    """Minutes, as a whole number from 1 to 10,080 (a week)."""
    cleaned = text.strip()
    if not cleaned.isdigit():
        raise InvalidValue("Enter a whole number of minutes, such as 60.")
    minutes = timedelta(minutes=int(cleaned))
    if not MIN_ESCALATE_AFTER <= minutes <= MAX_ESCALATE_AFTER:
        raise InvalidValue("Escalate after 1 to 10080 minutes (a week).")
    return minutes


@dataclass(frozen=True, slots=True)
class StripeSummary:
    account_id: str
    charges_enabled: bool
    payouts_enabled: bool
    disconnected: bool


@dataclass(frozen=True, slots=True)
class SupportContext:
    """What support is told about a practice: ids and counts, never a client's record."""

    practice_id: PracticeId
    practice_name: str
    workspace_id: str
    stripe: StripeSummary | None
    invoices: int
    clients: int
    conversations_before: int


def cut_question(text: str) -> str:
    """The member's words as support sees them: trimmed and within Slack's section limit."""
    cleaned = text.strip()
    if len(cleaned) <= MAX_QUESTION:
        return cleaned
    return cleaned[: MAX_QUESTION - 1] + "…"


def duration_words(span: timedelta | None) -> str:
    """'4 min', '2 h 5 min', '3 d 1 h': how long, as support reads it at a glance."""
    if span is None:
        return "—"
    minutes = max(0, int(span.total_seconds() // 60))
    if span.total_seconds() < 60:
        return f"{max(0, int(span.total_seconds()))} s"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"
