"""Payment reminders: when each one is due, what becomes of a due one, and the overdue digest.

The schedule of an invoice follows from its due date and the practice's `ReminderPolicy`:
each step falls `offset` days from the due date, moved forward past the practice's
non-sending days, at the practice's local send time; after the last step, an optional
repeat every N days until paid. A reminder is identified by `ReminderKey` (its step and
occurrence), unique per invoice, so that whatever runs the schedule twice finds the same key
taken and sends nothing more.

Local times are turned into moments in the practice's zone with `zoneinfo`, one calendar day
at a time: a day never gains or loses a reminder when the clocks change. A send time that
does not exist on a spring-forward day (02:30 in New York) is read with the offset in force
before the change (so it goes out at 03:30); one that exists twice on a fall-back day (01:30)
is the first of the two.

Everything here is pure: the time comes in as an argument.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import chain
from typing import NamedTuple
from zoneinfo import ZoneInfo

from domain.ids import ClientId, InvoiceId, PracticeId
from domain.invoices import UNPAID_STATUSES, InvoiceStatus
from domain.money import Currency, Money
from domain.practice import Practice, ReminderPolicy
from domain.reminder_wording import DEFAULT_WORDING, Tone

#: The step of a reminder sent by hand ("Remind now", "Remind all 30+"); its occurrence is
#: the practice's local date (20261207), so an invoice gets at most one such a day.
STEP_NOW = "now"
#: Who decided a scheduled reminder, in its history.
SCHEDULE_ACTOR = "schedule"
#: Repeats stop being looked for this long after the due date ("until paid" is meant for
#: months, not decades; a repeat every day for ten years is 3,650 e-mails).
REPEAT_HORIZON = timedelta(days=3660)


class ReminderState(enum.StrEnum):
    SCHEDULED = "scheduled"  # waiting for its moment
    SENT = "sent"  # the e-mail is in the outbox (its delivery is the outbox row's)
    SKIPPED = "skipped"  # its moment came and it was not sent; `SkipReason` says why


class SkipReason(enum.StrEnum):
    PAID = "paid"
    VOID = "void"
    PAUSED = "paused"
    NO_ADDRESS = "no_address"
    REMINDERS_OFF = "reminders_off"
    UNINSTALLED = "uninstalled"
    NOT_ISSUED = "not_issued"
    # No longer recorded (the e-mail now says which: paid, void); kept for the rows that are.
    SETTLED_BEFORE_DELIVERY = "settled_before_delivery"
    DUPLICATE = "duplicate"

    @property
    def words(self) -> str:
        return {
            SkipReason.PAID: "paid",
            SkipReason.VOID: "void",
            SkipReason.PAUSED: "reminders paused",
            SkipReason.NO_ADDRESS: "no e-mail address",
            SkipReason.REMINDERS_OFF: "reminders turned off",
            SkipReason.UNINSTALLED: "app uninstalled",
            SkipReason.NOT_ISSUED: "not issued",
            SkipReason.SETTLED_BEFORE_DELIVERY: "paid or voided before it went out",
            SkipReason.DUPLICATE: "another reminder went out at the same time",
        }[self]


@dataclass(frozen=True, slots=True, order=True)
class ReminderKey:
    """Which reminder of an invoice: the step ("-3", "0", "+7", or `STEP_NOW`) and its
    occurrence (0 for the step itself, k for its k-th repeat, the local date for "now")."""

    step: str
    occurrence: int = 0

    @classmethod
    def of_offset(cls, offset: int, occurrence: int = 0) -> ReminderKey:
        return cls(f"{offset:+d}" if offset else "0", occurrence)

    @classmethod
    def by_hand(cls, day: date) -> ReminderKey:
        return cls(STEP_NOW, day.year * 10_000 + day.month * 100 + day.day)

    @property
    def offset(self) -> int | None:
        """Days from the due date of the step; None for a reminder sent by hand."""
        return None if self.step == STEP_NOW else int(self.step)

    @property
    def by_hand_on(self) -> date | None:
        if self.step != STEP_NOW:
            return None
        return date(self.occurrence // 10_000, self.occurrence // 100 % 100, self.occurrence % 100)


# -- the schedule ----------------------------------------------------------------------------


def send_moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The moment (UTC) of local time `at` on `day` in `zone` (see the module's docstring for
    the days the clocks change)."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def sending_day(day: date, quiet_days: Collection[int]) -> date:
    """`day`, or the first day after it that is not one of `quiet_days` (weekday numbers)."""
    for _ in range(7):
        if day.weekday() not in quiet_days:
            return day
        day += timedelta(days=1)
    raise ValueError("every day of the week is a non-sending day")


def tone_of(policy: ReminderPolicy, offset: int, occurrence: int = 0) -> Tone:
    """Friendly before the due date, due today on it, overdue after; the last step after the
    due date is a final notice when an earlier step after it was already an overdue one, and
    so is every repeat."""
    if offset < 0:
        return Tone.FRIENDLY
    if offset == 0:
        return Tone.DUE_TODAY
    after_due = [step for step in policy.offsets if step > 0]
    if occurrence > 0 or (len(after_due) > 1 and offset == after_due[-1]):
        return Tone.FINAL
    return Tone.OVERDUE


def wording_of(policy: ReminderPolicy, offset: int, occurrence: int = 0) -> str:
    """What the step says: the practice's own wording, else its tone's default. A repeat
    reads as its step."""
    return policy.wording_for(offset) or DEFAULT_WORDING[tone_of(policy, offset, occurrence)]


@dataclass(frozen=True, slots=True)
class PlannedReminder:
    """One reminder of an invoice's schedule."""

    key: ReminderKey
    offset: int
    """Days from the due date (a repeat: of the step it repeats, plus its repeats)."""
    day: date
    """The local day it goes out (non-sending days skipped)."""
    at: datetime
    """The moment it goes out (UTC)."""
    tone: Tone


def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=4096)
def _steps(policy: ReminderPolicy, zone: str, due_date: date) -> tuple[PlannedReminder, ...]:
    # Cached: a sweep decides many reminders of the same few due dates and policies.
    tz = _zone(zone)
    steps = []
    for offset in policy.offsets:
        day = sending_day(due_date + timedelta(days=offset), policy.quiet_days)
        steps.append(
            PlannedReminder(
                ReminderKey.of_offset(offset),
                offset,
                day,
                send_moment(day, policy.send_time, tz),
                tone_of(policy, offset),
            )
        )
    return tuple(steps)


def _repeat(
    policy: ReminderPolicy, zone: ZoneInfo, due_date: date, occurrence: int
) -> PlannedReminder:
    assert policy.repeat_every_days is not None and policy.offsets
    last = policy.offsets[-1]
    offset = last + occurrence * policy.repeat_every_days
    day = sending_day(due_date + timedelta(days=offset), policy.quiet_days)
    return PlannedReminder(
        ReminderKey.of_offset(last, occurrence),
        offset,
        day,
        send_moment(day, policy.send_time, zone),
        tone_of(policy, last, occurrence),
    )


def schedule(
    policy: ReminderPolicy, zone: str, due_date: date, *, from_day: date | None = None
) -> Iterator[PlannedReminder]:
    """The invoice's reminders in the order they go out: its steps, then (with a repeat) the
    repeats until `REPEAT_HORIZON`. Moments never go backwards, though two may coincide when
    non-sending days push them onto one day. `from_day` lets the repeats start near that
    day instead of after the last step (they are the same sequence, entered later)."""
    yield from _steps(policy, zone, due_date)
    yield from _repeats(policy, zone, due_date, from_day)


def _repeats(
    policy: ReminderPolicy, zone: str, due_date: date, from_day: date | None
) -> Iterator[PlannedReminder]:
    """The repeats of `schedule`, after its steps."""
    if policy.repeat_every_days is None or not policy.offsets:
        return
    every = policy.repeat_every_days
    first = 1
    if from_day is not None:
        # Non-sending days move a repeat at most six days later, so starting a week's worth
        # of repeats before `from_day` cannot miss one that falls on or after it.
        behind = (from_day - due_date).days - policy.offsets[-1] - 7
        first = max(1, behind // every)
    tz = _zone(zone)
    horizon = due_date + REPEAT_HORIZON
    occurrence = first
    while True:
        planned = _repeat(policy, tz, due_date, occurrence)
        if planned.day > horizon:
            return
        yield planned
        occurrence += 1


def plan_next(
    policy: ReminderPolicy,
    zone: str,
    due_date: date,
    *,
    after: datetime | None,
    not_before: datetime | None,
    used: Collection[ReminderKey] = (),
) -> PlannedReminder | None:
    """The next reminder of the invoice: the first of its schedule that goes out later than
    `after` (the last one decided, so two that fall on one moment go out once), not before
    `not_before` (missed ones are not caught up: a practice that turns reminders on does
    not send a year of them at once), and whose key is not `used`. None when there is none."""
    if not policy.enabled or not policy.offsets:
        return None
    # `schedule`, with the repeats' start worked out only when the policy repeats: the sweep
    # decides reminders by the thousand, and this is the hot part of deciding one.
    planned_steps: Iterable[PlannedReminder] = _steps(policy, zone, due_date)
    if policy.repeat_every_days is not None:
        floor = max((moment for moment in (after, not_before) if moment is not None), default=None)
        from_day = floor.astimezone(_zone(zone)).date() if floor is not None else None
        planned_steps = chain(planned_steps, _repeats(policy, zone, due_date, from_day))
    for planned in planned_steps:
        if (
            (after is None or planned.at > after)
            and (not_before is None or planned.at >= not_before)
            and planned.key not in used
        ):
            return planned
    return None


def preview_schedule(
    policy: ReminderPolicy, zone: str, due_date: date, *, limit: int = 12
) -> list[PlannedReminder]:
    """The first `limit` reminders of an invoice due on `due_date`, as the settings show them,
    with reminders that coincide on one moment shown once."""
    shown: list[PlannedReminder] = []
    for planned in schedule(policy, zone, due_date):
        if shown and planned.at <= shown[-1].at:
            continue
        shown.append(planned)
        if len(shown) >= limit:
            break
    return shown


def plan_fingerprint(practice: Practice) -> str:
    """What the planned reminders of a practice depend on; when it changes, every open
    invoice's next reminder is planned again."""
    policy = practice.reminder_policy
    return "|".join(
        (
            "on" if policy.enabled and practice.active else "off",
            ",".join(str(offset) for offset in policy.offsets),
            f"{policy.send_time:%H:%M}",
            str(policy.repeat_every_days or ""),
            ",".join(str(day) for day in sorted(policy.quiet_days)),
            practice.billing.time_zone,
        )
    )


def digest_fingerprint(practice: Practice) -> str:
    """What the moment of a practice's next overdue digest depends on."""
    policy = practice.reminder_policy
    on = policy.digest_enabled and practice.active
    return f"{'on' if on else 'off'}|{policy.digest_time:%H:%M}|{practice.billing.time_zone}"


def next_digest_at(practice: Practice, now: datetime) -> datetime | None:
    """When the next overdue digest is due: today's digest time if it is still ahead, else
    tomorrow's (None when the digest is off)."""
    policy = practice.reminder_policy
    if not policy.digest_enabled or not practice.active:
        return None
    zone = practice.zone
    today = now.astimezone(zone).date()
    moment = send_moment(today, policy.digest_time, zone)
    if moment <= now:
        moment = send_moment(today + timedelta(days=1), policy.digest_time, zone)
    return moment


# -- a due reminder: sent or skipped ---------------------------------------------------------

# The records a sweep makes by the thousand per batch (a due reminder, its invoice's facts,
# the decision, what was settled, the next reminder to store) are named tuples: as immutable
# as a frozen dataclass, and made in a fifth of the time (a frozen dataclass sets each field
# through object.__setattr__), which was a tenth of a batch's Python (bench/reminders_bench.py).


class ReminderTarget(NamedTuple):
    """What deciding a reminder needs to know of its invoice, as stored now."""

    practice_id: PracticeId
    invoice_id: InvoiceId
    status: InvoiceStatus
    due_date: date
    has_address: bool
    """The pay link was sent to an address, or the client has one."""
    paused: bool
    has_pay_link: bool


class DueReminder(NamedTuple):
    """A scheduled reminder whose moment came, claimed for this transaction. The claim reads
    the reminder alone (its invoice's due date is kept on it): whether the invoice is still
    open, paused or has an address is decided when the e-mail is written
    (`skip_reason`), from the records as they are then."""

    id: str
    key: ReminderKey
    due_at: datetime
    practice_id: PracticeId
    invoice_id: InvoiceId
    due_date: date


class NewReminder(NamedTuple):
    """A reminder to store: scheduled, or sent at once (by hand)."""

    id: str
    practice_id: PracticeId
    invoice_id: InvoiceId
    key: ReminderKey
    due_at: datetime
    due_date: date
    """The invoice's (fixed once it is issued): the next step is planned from it."""
    state: ReminderState
    actor: str
    created_at: datetime
    decided_at: datetime | None = None


class SettledReminder(NamedTuple):
    """What became of a claimed reminder."""

    id: str
    state: ReminderState
    reason: SkipReason | None
    decided_at: datetime


@dataclass(frozen=True, slots=True)
class PlanFacts:
    """An open invoice as planning its next reminder needs it."""

    invoice_id: InvoiceId
    due_date: date
    paused: bool
    last_decided_at: datetime | None
    """When its last scheduled reminder (sent or skipped) was due."""
    used: frozenset[ReminderKey]


@dataclass(frozen=True, slots=True)
class PracticePlan:
    """The sweep's bookkeeping of one practice (see `plan_fingerprint`)."""

    planned_version: int
    fingerprint: str
    digest_at: datetime | None


class Decision(NamedTuple):
    """What becomes of a due reminder, and the invoice's next one."""

    reminder: DueReminder
    state: ReminderState
    reason: SkipReason | None
    next: PlannedReminder | None


def skip_reason(
    practice: Practice | None, status: InvoiceStatus, *, paused: bool, has_address: bool
) -> SkipReason | None:
    """Why a reminder of an invoice in `status` must not go out now, if it must not."""
    if practice is None or not practice.active:
        return SkipReason.UNINSTALLED
    if status is InvoiceStatus.PAID:
        return SkipReason.PAID
    if status is InvoiceStatus.VOID:
        return SkipReason.VOID
    if status not in UNPAID_STATUSES:
        return SkipReason.NOT_ISSUED
    if paused:
        return SkipReason.PAUSED
    if not has_address:
        return SkipReason.NO_ADDRESS
    return None


def decide(due: DueReminder, practice: Practice | None, now: datetime) -> Decision:
    """Send the reminder unless the practice is gone or has reminders off, and plan the
    invoice's next one. What concerns the invoice itself (paid, void, paused, no address) is
    decided when the e-mail is written (`skip_reason`): a reminder sent for an
    invoice paid meanwhile is skipped then, and its invoice's next one dropped."""
    reason = None
    if practice is None or not practice.active:
        reason = SkipReason.UNINSTALLED
    elif not practice.reminder_policy.enabled:
        reason = SkipReason.REMINDERS_OFF
    if reason is not None or practice is None:
        return Decision(due, ReminderState.SKIPPED, reason, None)
    following = plan_next(
        practice.reminder_policy,
        practice.billing.time_zone,
        due.due_date,
        after=due.due_at,
        not_before=now,
        used=(due.key,),
    )
    return Decision(due, ReminderState.SENT, None, following)


def stops_the_schedule(reason: SkipReason) -> bool:
    """Whether a reminder skipped for `reason` ends its invoice's schedule (the invoice is
    settled, paused or its practice gone); one skipped for want of an address does not: the
    client may have one by the next step."""
    return reason not in (SkipReason.NO_ADDRESS, SkipReason.DUPLICATE)


# -- what the card and history show -----------------------------------------------------------


class DeliveryState(enum.StrEnum):
    """How far a sent reminder's e-mail got, from its outbox row."""

    QUEUED = "queued"
    RETRYING = "retrying"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ReminderEntry:
    """One reminder of an invoice, as its history shows it."""

    id: str
    key: ReminderKey
    due_at: datetime
    state: ReminderState
    reason: SkipReason | None
    actor: str
    decided_at: datetime | None
    delivery: DeliveryState | None = None
    attempts: int = 0
    last_error: str = ""
    delivered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class InvoiceReminders:
    """An invoice's reminders: whether they are paused, the history, the next one."""

    paused: bool
    entries: tuple[ReminderEntry, ...]
    """Oldest first; a scheduled one is the next."""

    @property
    def next(self) -> ReminderEntry | None:
        return next((e for e in self.entries if e.state is ReminderState.SCHEDULED), None)

    @property
    def last_sent(self) -> ReminderEntry | None:
        sent = [e for e in self.entries if e.state is ReminderState.SENT]
        return sent[-1] if sent else None


# -- the overdue digest ------------------------------------------------------------------------


#: The digest's age buckets, in days past the due date: (label, first day, last day or None).
OVERDUE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("1–30 days", 1, 30),
    ("31–60 days", 31, 60),
    ("61–90 days", 61, 90),
    ("90+ days", 91, None),
)
#: "Remind all 30+": invoices more than this many days past their due date.
REMIND_ALL_AFTER_DAYS = 30
LARGEST_SHOWN = 5


@dataclass(frozen=True, slots=True)
class OverdueInvoice:
    id: InvoiceId
    number: str
    client_id: ClientId
    client_name: str
    due_date: date
    balance: Money

    def days_overdue(self, today: date) -> int:
        return (today - self.due_date).days


@dataclass(frozen=True, slots=True)
class OverdueBucket:
    label: str
    count: int
    total: Money


@dataclass(frozen=True, slots=True)
class OverdueDigest:
    """What is overdue on `today`, per currency: counts and totals by age, and the largest
    balances."""

    today: date
    buckets: dict[Currency, tuple[OverdueBucket, ...]]
    largest: tuple[OverdueInvoice, ...]
    count: int
    count_past_30: int

    @property
    def is_empty(self) -> bool:
        return self.count == 0


def overdue_digest(invoices: Sequence[OverdueInvoice], today: date) -> OverdueDigest:
    """Sort what is overdue on `today` into the age buckets, per currency (in code order),
    and pick the `LARGEST_SHOWN` largest balances (largest first; the same amount: the
    longest overdue first)."""
    late = [invoice for invoice in invoices if invoice.days_overdue(today) >= 1]
    buckets: dict[Currency, tuple[OverdueBucket, ...]] = {}
    for currency in sorted({invoice.balance.currency for invoice in late}, key=lambda c: c.code):
        rows = []
        for label, first, last in OVERDUE_BUCKETS:
            inside = [
                invoice
                for invoice in late
                if invoice.balance.currency == currency
                and first <= invoice.days_overdue(today)
                and (last is None or invoice.days_overdue(today) <= last)
            ]
            total = currency.zero()
            for invoice in inside:
                total = total + invoice.balance
            rows.append(OverdueBucket(label, len(inside), total))
        buckets[currency] = tuple(rows)
    largest = sorted(late, key=lambda i: (-i.balance.amount, i.due_date, i.number))
    return OverdueDigest(
        today=today,
        buckets=buckets,
        largest=tuple(largest[:LARGEST_SHOWN]),
        count=len(late),
        count_past_30=sum(1 for i in late if i.days_overdue(today) > REMIND_ALL_AFTER_DAYS),
    )
