"""The reminder schedule: steps around the due date at the practice's local send time,
non-sending days, repeats until paid, daylight-saving days, and what a due reminder becomes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise, takewhile
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import InvalidValue
from domain.ids import ClientId, InvoiceId, PracticeId
from domain.invoices import InvoiceStatus
from domain.money import Currency, Money
from domain.practice import Address, BillingDetails, Practice, ReminderPolicy
from domain.reminder_wording import Tone, fill_text, parse_wording, subject_for
from domain.reminders import (
    DueReminder,
    OverdueInvoice,
    ReminderKey,
    ReminderState,
    SkipReason,
    decide,
    next_digest_at,
    overdue_digest,
    plan_next,
    preview_schedule,
    schedule,
    send_moment,
    skip_reason,
    stops_the_schedule,
    tone_of,
)

NEW_YORK = "America/New_York"
LONDON = "Europe/London"
# The days the clocks change in 2026.
NY_SPRING, NY_FALL = date(2026, 3, 8), date(2026, 11, 1)
LONDON_SPRING, LONDON_FALL = date(2026, 3, 29), date(2026, 10, 25)


def a_policy(**changes: object) -> ReminderPolicy:
    base = ReminderPolicy(enabled=True, offsets=(-3, 0, 7), quiet_days=frozenset())
    return replace(base, **changes)  # type: ignore[arg-type]


def a_practice_in(zone: str, policy: ReminderPolicy) -> Practice:
    return Practice(
        id=PracticeId("p1"),
        workspace_id="T1",
        billing=BillingDetails("Calm Minds", Currency("USD"), Address(), zone),
        reminder_policy=policy,
    )


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


# -- send moments on the days the clocks change ---------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected_utc"),
    [
        # 02:30 does not exist in New York on 8 March 2026: it goes out at 03:30 EDT.
        (NEW_YORK, NY_SPRING, time(2, 30), datetime(2026, 3, 8, 7, 30, tzinfo=UTC)),
        # 01:30 happens twice on 1 November: the first (EDT).
        (NEW_YORK, NY_FALL, time(1, 30), datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
        (NEW_YORK, NY_SPRING, time(9, 0), datetime(2026, 3, 8, 13, 0, tzinfo=UTC)),
        (NEW_YORK, NY_FALL, time(9, 0), datetime(2026, 11, 1, 14, 0, tzinfo=UTC)),
        # 01:30 does not exist in London on 29 March: 02:30 BST.
        (LONDON, LONDON_SPRING, time(1, 30), datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
        (LONDON, LONDON_FALL, time(1, 30), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    ],
)
def test_a_send_time_on_a_clock_change_day_is_one_moment_of_that_day(
    zone: str, day: date, at: time, expected_utc: datetime
) -> None:
    moment = send_moment(day, at, ZoneInfo(zone))

    assert moment == expected_utc
    assert local(moment, zone).date() == day


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from([NEW_YORK, LONDON]),
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 1)),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
)
def test_daily_send_moments_stay_one_per_local_day_across_clock_changes(
    zone: str, start: date, hour: int, minute: int
) -> None:
    tz = ZoneInfo(zone)
    days = [start + timedelta(days=n) for n in range(40)]

    moments = [send_moment(day, time(hour, minute), tz) for day in days]

    for day, moment in zip(days, moments, strict=True):
        assert local(moment, zone).date() == day
    gaps = {later - earlier for earlier, later in pairwise(moments)}
    assert gaps <= {timedelta(hours=23), timedelta(hours=24), timedelta(hours=25)}


@pytest.mark.parametrize(
    ("zone", "change_day"),
    [(NEW_YORK, NY_SPRING), (NEW_YORK, NY_FALL), (LONDON, LONDON_SPRING), (LONDON, LONDON_FALL)],
)
@settings(max_examples=60, deadline=None)
@given(
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 15, 30, 59]),
    tick_minutes=st.integers(1, 90),
    repeat=st.sampled_from([None, 1, 2]),
)
def test_a_schedule_swept_across_a_clock_change_sends_each_reminder_once(
    zone: str,
    change_day: date,
    hour: int,
    minute: int,
    tick_minutes: int,
    repeat: int | None,
) -> None:
    policy = a_policy(
        offsets=(-2, -1, 0, 1, 2), send_time=time(hour, minute), repeat_every_days=repeat
    )
    due = change_day
    start = send_moment(due - timedelta(days=4), time(0, 0), ZoneInfo(zone))
    end = start + timedelta(days=10)
    sent: list[tuple[ReminderKey, datetime]] = []

    now = start
    planned = plan_next(policy, zone, due, after=None, not_before=now)
    while now < end:
        now += timedelta(minutes=tick_minutes)
        if planned is not None and planned.at <= now:
            sent.append((planned.key, now))
            planned = plan_next(policy, zone, due, after=planned.at, not_before=now)

    expected = list(takewhile(lambda p: p.at <= now, schedule(policy, zone, due)))
    expected = [p for p in expected if p.at >= start]
    assert [key for key, _ in sent] == [p.key for p in expected]
    for (_, when), wanted in zip(sent, expected, strict=True):
        assert wanted.at <= when < wanted.at + timedelta(minutes=tick_minutes)
        assert local(wanted.at, zone).date() == wanted.day


# -- steps, non-sending days and repeats -------------------------------------------------------


def test_steps_fall_around_the_due_date_at_the_local_send_time() -> None:
    policy = a_policy(offsets=(-3, 0, 7), send_time=time(9, 30))

    steps = list(schedule(policy, NEW_YORK, date(2026, 6, 15)))

    assert [(s.key.step, s.day) for s in steps] == [
        ("-3", date(2026, 6, 12)),
        ("0", date(2026, 6, 15)),
        ("+7", date(2026, 6, 22)),
    ]
    assert [local(s.at, NEW_YORK).time() for s in steps] == [time(9, 30)] * 3


def test_a_reminder_on_a_non_sending_day_goes_out_the_next_sending_day() -> None:
    policy = a_policy(offsets=(0, 1, 2, 3), quiet_days=frozenset({5, 6}))
    saturday = date(2026, 6, 13)

    shown = preview_schedule(policy, LONDON, saturday)

    # Saturday's, Sunday's and Monday's reminders coincide on Monday: one goes out.
    assert [(p.key.step, p.day) for p in shown] == [
        ("0", date(2026, 6, 15)),
        ("+3", date(2026, 6, 16)),
    ]


def test_chosen_non_sending_days_are_skipped_like_weekends() -> None:
    policy = a_policy(offsets=(0,), quiet_days=frozenset({2}))  # no reminders on Wednesdays
    wednesday = date(2026, 6, 17)

    [step] = schedule(policy, LONDON, wednesday)

    assert step.day == date(2026, 6, 18)


def test_repeats_follow_the_last_step_every_n_days_until_paid() -> None:
    policy = a_policy(offsets=(0, 7), repeat_every_days=5)

    first = list(schedule(policy, LONDON, date(2026, 6, 1)))[:5]

    assert [(p.key, p.day) for p in first] == [
        (ReminderKey("0"), date(2026, 6, 1)),
        (ReminderKey("+7"), date(2026, 6, 8)),
        (ReminderKey("+7", 1), date(2026, 6, 13)),
        (ReminderKey("+7", 2), date(2026, 6, 18)),
        (ReminderKey("+7", 3), date(2026, 6, 23)),
    ]
    assert {p.tone for p in first[2:]} == {Tone.FINAL}


def test_the_next_reminder_far_into_the_repeats_is_found_without_walking_them_all() -> None:
    policy = a_policy(offsets=(0,), repeat_every_days=1)
    due = date(2020, 1, 1)
    now = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)

    planned = plan_next(policy, LONDON, due, after=None, not_before=now)

    assert planned is not None and planned.day == date(2026, 6, 11)
    assert planned.key == ReminderKey("0", (date(2026, 6, 11) - due).days)


def test_past_steps_are_not_caught_up_when_reminders_start() -> None:
    policy = a_policy(offsets=(-3, 0, 7))
    due = date(2026, 6, 15)
    now = datetime(2026, 6, 16, 8, 0, tzinfo=UTC)

    planned = plan_next(policy, LONDON, due, after=None, not_before=now)

    assert planned is not None and planned.key == ReminderKey("+7")


def test_a_used_key_is_never_planned_again() -> None:
    policy = a_policy(offsets=(0, 7), send_time=time(17, 0))
    due = date(2026, 6, 15)
    now = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)

    planned = plan_next(policy, LONDON, due, after=None, not_before=now, used=[ReminderKey("0")])

    assert planned is not None and planned.key == ReminderKey("+7")


def test_nothing_is_planned_while_reminders_are_off() -> None:
    policy = a_policy(enabled=False)

    assert plan_next(policy, LONDON, date(2026, 6, 15), after=None, not_before=None) is None


@pytest.mark.parametrize(
    ("offsets", "tones"),
    [
        ((-3, 0, 7), [Tone.FRIENDLY, Tone.DUE_TODAY, Tone.OVERDUE]),
        (
            (-3, 0, 3, 7, 14),
            [Tone.FRIENDLY, Tone.DUE_TODAY, Tone.OVERDUE, Tone.OVERDUE, Tone.FINAL],
        ),
        ((-7, -1), [Tone.FRIENDLY, Tone.FRIENDLY]),
    ],
)
def test_each_step_has_a_default_tone_from_its_place(
    offsets: tuple[int, ...], tones: list[Tone]
) -> None:
    policy = a_policy(offsets=offsets)

    assert [tone_of(policy, offset) for offset in offsets] == tones


# -- wording ---------------------------------------------------------------------------------


VALUES = {
    "first_name": "Ada",
    "invoice_number": "INV-0042",
    "balance": "$120.00",
    "due_date": "Jun 15, 2026",
    "pay_link": "https://billing.example.com/pay/abc",
}


def test_placeholders_are_filled_with_the_clients_details() -> None:
    text = parse_wording(
        "Dear {first_name}, {invoice_number} ({balance}, due {due_date}): {pay_link}"
    )

    assert fill_text(text, VALUES) == (
        "Dear Ada, INV-0042 ($120.00, due Jun 15, 2026): https://billing.example.com/pay/abc"
    )
    assert subject_for(Tone.OVERDUE, VALUES) == "Invoice INV-0042 is overdue"


def test_an_unknown_placeholder_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(InvalidValue) as refused:
        parse_wording("Hi {frist_name}, please pay {balance}.")

    assert "{frist_name} is not a placeholder" in str(refused.value)
    assert "{first_name}" in str(refused.value) and "{pay_link}" in str(refused.value)


def test_a_wording_too_long_is_refused() -> None:
    with pytest.raises(InvalidValue, match="keep it to 2000"):
        parse_wording("x" * 2001)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"repeat_every_days": 0}, "Repeat every 1 to 365 days"),
        ({"quiet_days": frozenset(range(7))}, "at least one day"),
        ({"quiet_days": frozenset({7})}, r"Monday \(0\) to Sunday \(6\)"),
    ],
)
def test_a_policy_that_cannot_be_kept_is_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidValue, match=message):
        a_policy(**changes)


# -- a due reminder --------------------------------------------------------------------------


def a_due() -> DueReminder:
    return DueReminder(
        id="r1",
        key=ReminderKey("0"),
        due_at=datetime(2026, 6, 15, 8, 0, tzinfo=UTC),
        practice_id=PracticeId("p1"),
        invoice_id=InvoiceId("i1"),
        due_date=date(2026, 6, 15),
    )


NOW = datetime(2026, 6, 15, 8, 0, 30, tzinfo=UTC)


def test_a_due_reminder_is_sent_and_its_invoices_next_step_planned() -> None:
    practice = a_practice_in(LONDON, a_policy(send_time=time(9, 0)))

    decision = decide(a_due(), practice, NOW)

    assert decision.state is ReminderState.SENT and decision.reason is None
    assert decision.next is not None and decision.next.key == ReminderKey("+7")


def test_reminders_turned_off_skip_what_was_already_scheduled() -> None:
    practice = a_practice_in(LONDON, a_policy(enabled=False))

    decision = decide(a_due(), practice, NOW)

    assert decision.reason is SkipReason.REMINDERS_OFF and decision.next is None


def test_a_practice_gone_sends_nothing_more() -> None:
    practice = replace(a_practice_in(LONDON, a_policy()), active=False)

    assert decide(a_due(), practice, NOW).reason is SkipReason.UNINSTALLED
    assert decide(a_due(), None, NOW).reason is SkipReason.UNINSTALLED


@pytest.mark.parametrize(
    ("status", "paused", "has_address", "reason"),
    [
        (InvoiceStatus.OPEN, False, True, None),
        (InvoiceStatus.PARTIALLY_PAID, False, True, None),
        (InvoiceStatus.PAID, False, True, SkipReason.PAID),
        (InvoiceStatus.VOID, False, True, SkipReason.VOID),
        (InvoiceStatus.DRAFT, False, True, SkipReason.NOT_ISSUED),
        (InvoiceStatus.OPEN, True, True, SkipReason.PAUSED),
        (InvoiceStatus.OPEN, False, False, SkipReason.NO_ADDRESS),
    ],
)
def test_a_reminder_the_invoice_no_longer_needs_is_skipped_when_written(
    status: InvoiceStatus, paused: bool, has_address: bool, reason: SkipReason | None
) -> None:
    practice = a_practice_in(LONDON, a_policy())

    assert skip_reason(practice, status, paused=paused, has_address=has_address) is reason
    if reason is not None:
        # Only a missing address leaves the invoice's next step in place.
        assert stops_the_schedule(reason) is (reason is not SkipReason.NO_ADDRESS)


def test_the_digest_comes_at_the_practices_morning_time() -> None:
    practice = a_practice_in(NEW_YORK, a_policy(digest_time=time(8, 30)))

    before = next_digest_at(practice, datetime(2026, 3, 7, 12, 0, tzinfo=UTC))
    after = next_digest_at(practice, datetime(2026, 3, 7, 14, 0, tzinfo=UTC))

    assert before == datetime(2026, 3, 7, 13, 30, tzinfo=UTC)
    # The next morning is the spring-forward day: 08:30 EDT.
    assert after == datetime(2026, 3, 8, 12, 30, tzinfo=UTC)


# -- the overdue digest ------------------------------------------------------------------------


def an_overdue(number: int, days: int, amount: str, currency: str = "USD") -> OverdueInvoice:
    today = date(2026, 6, 30)
    return OverdueInvoice(
        InvoiceId(f"i{number}"),
        f"INV-{number:04d}",
        ClientId(f"c{number}"),
        f"Client {number}",
        today - timedelta(days=days),
        Money(Decimal(amount), Currency(currency)),
    )


def test_the_digest_counts_and_totals_what_is_overdue_by_age() -> None:
    invoices = [
        an_overdue(1, 0, "10.00"),  # due today: not overdue
        an_overdue(2, 1, "20.00"),
        an_overdue(3, 30, "30.00"),
        an_overdue(4, 31, "40.00"),
        an_overdue(5, 61, "50.00"),
        an_overdue(6, 90, "60.00"),
        an_overdue(7, 91, "70.00"),
        an_overdue(8, 400, "80.00"),
        an_overdue(9, 5, "1", "JPY"),
    ]

    digest = overdue_digest(invoices, date(2026, 6, 30))

    usd = {b.label: (b.count, str(b.total.amount)) for b in digest.buckets[Currency("USD")]}
    assert usd == {
        "1–30 days": (2, "50.00"),
        "31–60 days": (1, "40.00"),
        "61–90 days": (2, "110.00"),
        "90+ days": (2, "150.00"),
    }
    assert [c.code for c in digest.buckets] == ["JPY", "USD"]
    assert digest.count == 8 and digest.count_past_30 == 5
    assert [i.number for i in digest.largest] == [
        "INV-0008",
        "INV-0007",
        "INV-0006",
        "INV-0005",
        "INV-0004",
    ]
