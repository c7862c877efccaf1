"""Payment reminders on SQLite and PostgreSQL: planned from the practice's policy, each due
reminder claimed once and written to the outbox in the same transaction, its e-mail not
written when the invoice is paid, void or paused by then (even when paid in the same
second), shared by concurrent sweeps and surviving a process killed mid-claim."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from documents.client_mail import compose_client_email
from domain.errors import Conflict
from domain.outbox import OutboxKind
from domain.ports import Env
from domain.practice import Practice
from domain.reminders import (
    DeliveryState,
    ReminderKey,
    ReminderState,
    SettledReminder,
    SkipReason,
)
from domain.usecases.invoicing import void_invoice
from domain.usecases.reminders import (
    AlreadyRemindedToday,
    PauseReminders,
    RemindNow,
    RemindOverdue,
    pause_reminders,
    remind_now,
    remind_overdue,
    send_due_reminders,
)
from domain.usecases.settings import ConfigureReminders, configure_reminders
from factories import ACTOR, a_client, a_payment, a_practice
from fakes import FixedClock
from reminder_scenario import (
    an_open_invoice,
    history,
    many_open_invoices,
    reminder_mail,
    reminders_on,
    sweep,
)
from storage.orm import OutboxRow, ReminderRow
from storage.unit_of_work import SqlAlchemyUnitOfWork, session_factory

LONDON = "Europe/London"
# Monday 1 June 2026, 12:00 in London (BST, UTC+1).
MONDAY_NOON = datetime(2026, 6, 1, 11, 0, tzinfo=UTC)
FRIDAY = date(2026, 6, 5)
# 09:00 BST on Tuesday 2 June: the -3 step of an invoice due Friday.
TUESDAY_NINE = datetime(2026, 6, 2, 8, 0, tzinfo=UTC)
SWEEP_SCRIPT = Path(__file__).with_name("reminder_sweep_process.py")
BASE = "https://billing.example.com"


class _Ids:
    def new_id(self) -> str:
        return uuid.uuid4().hex[:24]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MONDAY_NOON)


@pytest.fixture
def env(clock: FixedClock) -> Env:
    return Env(clock=clock, ids=_Ids())


@pytest.fixture
def practice(new_uow, env) -> Practice:
    practice = a_practice(new_uow(), env, time_zone=LONDON)
    return reminders_on(new_uow(), env, practice)


def _outbox_reminders(engine: Engine) -> Counter[str]:
    """How many reminder e-mails are in the outbox, per reminder."""
    with engine.connect() as connection:
        payloads = connection.execute(
            select(OutboxRow.payload).where(OutboxRow.kind == str(OutboxKind.CLIENT_EMAIL))
        ).scalars()
        return Counter(str(p["reminder_id"]) for p in payloads if p.get("template") == "reminder")


def _written(engine: Engine, new_uow, env: Env) -> dict[str, str]:
    """Writes each reminder e-mail in the outbox as its delivery does (the invoice read as it
    is now, a skipped one recorded): to whom each one that is written goes, by reminder."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(OutboxRow.practice_id, OutboxRow.payload).where(
                OutboxRow.kind == str(OutboxKind.CLIENT_EMAIL)
            )
        ).all()
    written = {}
    for practice_id, payload in rows:
        if payload.get("template") == "reminder":
            email = compose_client_email(practice_id, payload, new_uow(), env, BASE, new_uow)
            if email is not None:
                written[str(payload["reminder_id"])] = email.to_address
    return written


def test_a_due_reminder_goes_to_the_outbox_once_and_the_next_step_is_planned(
    engine, new_uow, env, clock, practice
):
    invoice = an_open_invoice(new_uow(), env, practice, FRIDAY)
    before = sweep(new_uow, env)
    planned = history(new_uow(), practice.id, invoice.id)

    clock.set(TUESDAY_NINE + timedelta(seconds=20))
    first = sweep(new_uow, env)
    again = sweep(new_uow, env)
    after = history(new_uow(), practice.id, invoice.id)

    assert before.sent == 0
    assert [(e.key, e.state, e.due_at) for e in planned] == [
        (ReminderKey("-3"), ReminderState.SCHEDULED, TUESDAY_NINE)
    ]
    assert (first.sent, again.sent) == (1, 0)
    assert [(e.key, e.state) for e in after] == [
        (ReminderKey("-3"), ReminderState.SENT),
        (ReminderKey("0"), ReminderState.SCHEDULED),
    ]
    assert after[0].delivery is DeliveryState.QUEUED
    assert after[1].due_at == datetime(2026, 6, 5, 8, 0, tzinfo=UTC)
    mail = reminder_mail(new_uow(), practice.id, after[0])
    assert mail.kind is OutboxKind.CLIENT_EMAIL
    assert dict(mail.payload) == {
        "template": "reminder",
        "invoice_id": invoice.id,
        "reminder_id": after[0].id,
    }
    assert _outbox_reminders(engine) == {after[0].id: 1}
    assert _written(engine, new_uow, env) == {after[0].id: "ada@example.com"}
    uow = new_uow()
    with uow:
        link = uow.pay_links.for_invoice(practice.id, invoice.id)
    assert link is not None, "a reminder's e-mail makes the invoice's pay link when it has none"


def test_a_reminder_due_while_the_invoice_is_paid_in_the_same_second_is_not_sent(
    engine, new_uow, env, clock, practice
):
    invoice = an_open_invoice(new_uow(), env, practice, FRIDAY)
    sweep(new_uow, env)
    clock.set(TUESDAY_NINE)

    a_payment(new_uow(), env, practice, invoice, "100.00")
    sweep(new_uow, env)

    assert _written(engine, new_uow, env) == {}
    # Skipped when its e-mail was to be written, and the invoice's next step dropped.
    [entry] = history(new_uow(), practice.id, invoice.id)
    assert (entry.state, entry.reason) == (ReminderState.SKIPPED, SkipReason.PAID)
    assert sweep(new_uow, env).sent == 0


def test_a_reminder_planned_without_its_invoices_due_date_is_planned_on_from_the_invoice(
    engine, new_uow, env, clock, practice
):
    invoice = an_open_invoice(new_uow(), env, practice, FRIDAY)
    sweep(new_uow, env)
    # As a process still running the release before the column was added stores it.
    with engine.begin() as connection:
        connection.execute(text("UPDATE reminders SET invoice_due_date = NULL"))
    clock.set(TUESDAY_NINE)

    report = sweep(new_uow, env)

    assert report.sent == 1
    following = history(new_uow(), practice.id, invoice.id)[1]
    assert (following.key, following.due_at) == (
        ReminderKey("0"),
        datetime(2026, 6, 5, 8, 0, tzinfo=UTC),
    )


def test_settling_a_claim_changes_only_the_reminders_still_scheduled(
    engine, new_uow, env, clock, practice
):
    for _ in range(3):
        an_open_invoice(new_uow(), env, practice, FRIDAY)
    sweep(new_uow, env)
    clock.set(TUESDAY_NINE)
    now = clock.now()
    uow = new_uow()
    with uow:
        due = uow.reminders.claim_due(now, 10)
        # Settled from under the claim (another sweep's work, were the claim not holding it).
        first = uow.reminders.settle([SettledReminder(due[0].id, ReminderState.SENT, None, now)])
        rest = uow.reminders.settle(
            [SettledReminder(item.id, ReminderState.SENT, None, now) for item in due]
        )

    assert (len(due), first, rest) == (3, 1, 2)


def test_a_partly_paid_invoice_is_reminded_of_its_balance(engine, new_uow, env, clock, practice):
    invoice = an_open_invoice(new_uow(), env, practice, FRIDAY)
    a_payment(new_uow(), env, practice, invoice, "40.00")
    sweep(new_uow, env)
    clock.set(TUESDAY_NINE)

    report = sweep(new_uow, env)

    assert report.sent == 1
    assert history(new_uow(), practice.id, invoice.id)[0].state is ReminderState.SENT


def test_void_and_paused_invoices_get_no_reminder_and_resuming_carries_on_from_now(
    engine, new_uow, env, clock, practice
):
    paused = an_open_invoice(new_uow(), env, practice, FRIDAY)
    void = an_open_invoice(new_uow(), env, practice, FRIDAY)
    sweep(new_uow, env)
    pause_reminders(PauseReminders(practice.id, ACTOR, paused.id, True), new_uow(), env)
    void_invoice(practice.id, void.id, "Entered twice", ACTOR, new_uow(), env)
    clock.set(TUESDAY_NINE)
    sweep(new_uow, env)
    written = _written(engine, new_uow, env)
    clock.set(datetime(2026, 6, 3, 10, 0, tzinfo=UTC))
    pause_reminders(PauseReminders(practice.id, ACTOR, paused.id, False), new_uow(), env)

    assert written == {}
    paused_history = history(new_uow(), practice.id, paused.id)
    assert [(e.key, e.state, e.reason) for e in paused_history] == [
        (ReminderKey("-3"), ReminderState.SKIPPED, SkipReason.PAUSED),
        (ReminderKey("0"), ReminderState.SCHEDULED, None),
    ]
    [voided] = history(new_uow(), practice.id, void.id)
    assert (voided.state, voided.reason) == (ReminderState.SKIPPED, SkipReason.VOID)


def test_a_changed_schedule_plans_every_open_invoice_again_from_now(
    engine, new_uow, env, clock, practice
):
    invoice = an_open_invoice(new_uow(), env, practice, FRIDAY)
    sweep(new_uow, env)

    configure_reminders(
        ConfigureReminders(practice.id, ACTOR, True, "0, 14", "17:30"), new_uow(), env
    )
    sweep(new_uow, env)

    [entry] = history(new_uow(), practice.id, invoice.id)
    assert entry.key == ReminderKey("0")
    assert entry.due_at == datetime(2026, 6, 5, 16, 30, tzinfo=UTC)


def test_turning_reminders_off_drops_what_was_scheduled(engine, new_uow, env, clock, practice):
    invoice = an_open_invoice(new_uow(), env, practice, FRIDAY)
    sweep(new_uow, env)

    configure_reminders(
        ConfigureReminders(practice.id, ACTOR, False, "-3, 0, 7", "09:00"), new_uow(), env
    )
    sweep(new_uow, env)
    clock.set(TUESDAY_NINE + timedelta(days=10))
    report = sweep(new_uow, env)

    assert history(new_uow(), practice.id, invoice.id) == []
    assert report.sent == 0


def test_remind_now_sends_once_a_day(engine, new_uow, env, clock, practice):
    invoice = an_open_invoice(new_uow(), env, practice, FRIDAY)

    reminded = remind_now(RemindNow(practice.id, ACTOR, invoice.id), new_uow(), env)
    with pytest.raises(AlreadyRemindedToday):
        remind_now(RemindNow(practice.id, ACTOR, invoice.id), new_uow(), env)
    clock.advance(days=1)
    remind_now(RemindNow(practice.id, ACTOR, invoice.id), new_uow(), env)

    assert reminded.to == "ada@example.com"
    by_hand = [e for e in history(new_uow(), practice.id, invoice.id) if e.key.step == "now"]
    assert [(e.state, e.actor) for e in by_hand] == [(ReminderState.SENT, ACTOR)] * 2
    assert len(_outbox_reminders(engine)) == 2


def test_remind_all_30_plus_reminds_each_once_a_day_leaving_out_those_reminded_today(
    engine, new_uow, env, clock, practice
):
    long_overdue = date(2026, 4, 20)  # 42 days before Monday 1 June
    invoices = [an_open_invoice(new_uow(), env, practice, long_overdue) for _ in range(3)]
    recent = an_open_invoice(new_uow(), env, practice, date(2026, 5, 25))
    remind_now(RemindNow(practice.id, ACTOR, invoices[1].id), new_uow(), env)

    first = remind_overdue(RemindOverdue(practice.id, ACTOR), new_uow(), env)
    again = remind_overdue(RemindOverdue(practice.id, ACTOR), new_uow(), env)

    assert (first.sent, first.already_today) == (2, 1)
    assert (again.sent, again.already_today) == (0, 3)
    for invoice in invoices:
        by_hand = [e for e in history(new_uow(), practice.id, invoice.id) if e.key.step == "now"]
        assert [e.state for e in by_hand] == [ReminderState.SENT]
    assert [e for e in history(new_uow(), practice.id, recent.id) if e.key.step == "now"] == []
    assert sorted(_outbox_reminders(engine).values()) == [1, 1, 1]


def test_remind_now_refuses_a_paid_invoice_saying_so(engine, new_uow, env, practice):
    invoice = an_open_invoice(new_uow(), env, practice, FRIDAY)
    a_payment(new_uow(), env, practice, invoice, "100.00")

    with pytest.raises(Conflict, match="paid in full"):
        remind_now(RemindNow(practice.id, ACTOR, invoice.id), new_uow(), env)


def test_the_overdue_digest_is_enqueued_once_a_day_at_the_morning_time(engine, new_uow, env, clock):
    practice = a_practice(new_uow(), env, time_zone=LONDON)
    practice = reminders_on(new_uow(), env, practice, digest=True)
    sweep(new_uow, env)  # plans it: Tuesday 08:30 BST

    clock.set(datetime(2026, 6, 2, 7, 29, tzinfo=UTC))
    early = sweep(new_uow, env)
    clock.set(datetime(2026, 6, 2, 7, 31, tzinfo=UTC))
    on_time = sweep(new_uow, env)
    again = sweep(new_uow, env)

    assert (early.digests, on_time.digests, again.digests) == (0, 1, 0)
    uow = new_uow()
    with uow:
        post = uow.outbox.get(practice.id, "post:digest:2026-06-02")
    assert post is not None and post.payload["news"] == "overdue_digest"


# -- concurrency -------------------------------------------------------------------------------


def test_two_sweeps_at_once_send_each_of_300_due_reminders_once(
    engine, new_uow, env, clock, practice
):
    client = a_client(new_uow(), env, practice)
    invoices = many_open_invoices(new_uow(), env, practice, client, 300, FRIDAY)
    sweep(new_uow, env)  # plans the -3 step of each
    clock.set(TUESDAY_NINE + timedelta(minutes=1))
    start = threading.Barrier(2)
    reports = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            reports.append(sweep(new_uow, env, batch_size=25))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sum(report.sent for report in reports) == 300
    sent = _outbox_reminders(engine)
    assert len(sent) == 300 and set(sent.values()) == {1}
    with engine.connect() as connection:
        states = Counter(
            connection.execute(
                select(ReminderRow.step, ReminderRow.state).where(
                    ReminderRow.invoice_id.in_(invoices)
                )
            ).all()
        )
    assert states == {("-3", "sent"): 300, ("0", "scheduled"): 300}


def test_a_sweep_during_a_payment_in_progress_never_sends_the_paid_invoice_a_reminder(
    engine, backend, new_uow, env, clock, practice
):
    invoice = an_open_invoice(new_uow(), env, practice, FRIDAY)
    sweep(new_uow, env)
    clock.set(TUESDAY_NINE)
    payment_started = threading.Event()
    finish_payment = threading.Event()
    outcome: dict[str, object] = {}

    class _HoldingPayment(SqlAlchemyUnitOfWork):
        """Pays the invoice, then holds its transaction open until told to commit."""

        def commit(self) -> None:
            payment_started.set()
            finish_payment.wait(30)
            super().commit()

    def pay() -> None:
        a_payment(_HoldingPayment(session_factory(engine)), env, practice, invoice, "100.00")

    def claim() -> None:
        outcome["batch"] = send_due_reminders(10, new_uow(), env)

    payer = threading.Thread(target=pay)
    payer.start()
    assert payment_started.wait(30)
    claimer = threading.Thread(target=claim)
    claimer.start()
    if backend == "postgresql":
        # The claim reads no invoice: it goes ahead without waiting for the payment.
        claimer.join(30)
        assert not claimer.is_alive()
    else:
        # SQLite: the payment holds the write lock; the claim waits for it.
        claimer.join(0.5)
        assert claimer.is_alive()
    finish_payment.set()
    payer.join(30)
    claimer.join(30)

    assert outcome["batch"].claimed == 1  # type: ignore[attr-defined]
    # The e-mail is written after the payment committed: it finds the invoice paid.
    assert _written(engine, new_uow, env) == {}
    [entry] = history(new_uow(), practice.id, invoice.id)
    assert (entry.state, entry.reason) == (ReminderState.SKIPPED, SkipReason.PAID)


def test_a_sweep_process_killed_mid_claim_loses_and_doubles_nothing(
    engine, backend, new_uow, env, clock, practice, tmp_path
):
    client = a_client(new_uow(), env, practice)
    many_open_invoices(new_uow(), env, practice, client, 120, FRIDAY)
    sweep(new_uow, env)
    url = engine.url.render_as_string(hide_password=False)
    moment = (TUESDAY_NINE + timedelta(minutes=1)).isoformat()

    killed = subprocess.run(
        [sys.executable, str(SWEEP_SCRIPT), url, moment, "die-mid-claim"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    after_kill = _outbox_reminders(engine)
    clock.set(TUESDAY_NINE + timedelta(minutes=2))
    report = sweep(new_uow, env, batch_size=50)

    assert killed.returncode == 3, killed.stderr
    assert after_kill == {}, "a killed claim leaves nothing behind"
    assert report.sent == 120
    sent = _outbox_reminders(engine)
    assert len(sent) == 120 and set(sent.values()) == {1}
    with engine.connect() as connection:
        left = connection.execute(
            text("SELECT count(*) FROM reminders WHERE state = 'scheduled' AND step = '-3'")
        ).scalar_one()
    assert left == 0
