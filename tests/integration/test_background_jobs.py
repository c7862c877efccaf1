"""The outbox worker under APScheduler in a serving process: a first run at start, a kick
that delivers at once, a clean stop; and the composition root's choice of mailer."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from billing_bot.bootstrap import Container, build_container
from billing_bot.scheduler import BackgroundJobs
from billing_bot.settings import load_settings
from domain.outbox import OutboxKind, OutboxMessage
from domain.ports import Env
from factories import a_practice
from fakes import FixedClock
from gateways.mail import SmtpMailer
from gateways.mail_folder import FileMailer, read_mail_folder
from gateways.system import SystemClock
from helpers import wait_until
from outbox_scenario import CLIENT_ADDRESS, Deliveries, a_worker, enqueue
from reminder_scenario import an_open_invoice, reminders_on, sweep
from smtp_sink import smtp_sink
from storage.outbox_queue import SqlOutboxQueue

EMAIL = str(OutboxKind.EMAIL)
#: Longer than any test: only the start and a kick make the worker run.
NEVER_S = 3600.0


class _Ids:
    def new_id(self) -> str:
        return uuid.uuid4().hex[:24]


@pytest.fixture
def env() -> Env:
    return Env(clock=FixedClock(datetime.now(UTC)), ids=_Ids())


@pytest.fixture
def practice(new_uow, env):
    return a_practice(new_uow(), env)


@pytest.fixture
def delivered() -> Deliveries:
    return Deliveries()


@pytest.fixture
def jobs(engine, env, delivered) -> Iterator[BackgroundJobs]:
    worker = a_worker(SqlOutboxQueue(engine), {EMAIL: delivered}, env.clock)
    background = BackgroundJobs(worker, interval_s=NEVER_S)
    yield background
    background.stop()


def test_what_waited_while_the_server_was_down_goes_out_at_start(
    new_uow, env, practice, jobs, delivered
):
    [message] = enqueue(new_uow(), env, practice.id, ["receipt:1"])

    jobs.start()

    wait_until(lambda: delivered.ids, 10, what="the first run")
    assert delivered.ids == [message.id]


def test_a_kick_delivers_at_once_rather_than_at_the_next_interval(
    new_uow, env, practice, jobs, delivered
):
    jobs.start()
    [message] = enqueue(new_uow(), env, practice.id, ["receipt:1"])

    jobs.kick()

    wait_until(lambda: delivered.ids, 10, what="the kicked run")
    assert delivered.ids == [message.id]


def test_a_kick_during_a_run_is_not_lost(new_uow, env, practice, jobs, delivered):
    in_hand, release = threading.Event(), threading.Event()

    def hold_the_first(message: OutboxMessage) -> None:
        if message.dedupe_key == "receipt:1":
            in_hand.set()
            release.wait(timeout=10)

    delivered.fail = hold_the_first
    [first] = enqueue(new_uow(), env, practice.id, ["receipt:1"])
    jobs.start()
    assert in_hand.wait(timeout=10)

    # Enqueued after the run claimed its batch, while it is delivering.
    [second] = enqueue(new_uow(), env, practice.id, ["receipt:2"])
    jobs.kick()
    release.set()

    wait_until(lambda: len(delivered.ids) == 2, 10, what="the second message")
    assert delivered.ids == [first.id, second.id]


def test_stopping_finishes_the_message_in_hand_and_gives_the_rest_back(
    engine, new_uow, env, practice, jobs, delivered
):
    in_hand, release = threading.Event(), threading.Event()

    def hold(message: OutboxMessage) -> None:
        in_hand.set()
        release.wait(timeout=10)

    delivered.fail = hold
    messages = enqueue(new_uow(), env, practice.id, ["receipt:1", "receipt:2", "receipt:3"])
    jobs.start()
    assert in_hand.wait(timeout=10)

    stopping = threading.Thread(target=jobs.stop)
    stopping.start()
    release.set()
    stopping.join(timeout=30)

    assert not stopping.is_alive() and not jobs.started
    assert len(delivered.ids) == 1 and delivered.ids[0] in {m.id for m in messages}
    # Given back: another worker takes them at once, without waiting out a lease.
    others = Deliveries()
    assert a_worker(SqlOutboxQueue(engine), {EMAIL: others}, env.clock, name="b").run_once() == 2
    jobs.kick()  # after the stop: does nothing, raises nothing


def _container(engine, tmp_path: Path, **settings: str) -> Container:
    url = engine.url.render_as_string(hide_password=False)
    return build_container(
        load_settings(env_file=None, database_url=url, mail_dir=str(tmp_path / "mail"), **settings)
    )


def test_the_serving_process_sends_mail_through_smtp_url(engine, env, tmp_path):
    with smtp_sink() as sink:
        container = _container(
            engine,
            tmp_path,
            smtp_url=f"smtp://127.0.0.1:{sink.port}",
            mail_from="Billing <billing@practice-mail.example>",
        )
        try:
            container.start_background()
            practice = a_practice(container.uow_factory(), env)
            [message] = enqueue(container.uow_factory(), container.env, practice.id, ["r:1"])
            container.jobs.kick()

            [received] = wait_until(lambda: sink.received, 10, what="the e-mail")
        finally:
            container.close()

    assert isinstance(container.mailer, SmtpMailer)
    assert received.rcpt_tos == (CLIENT_ADDRESS,)
    assert received.message["Message-ID"] == f"<{message.id}@practice-mail.example>"


def test_without_smtp_url_mail_is_filed_in_mail_dir(engine, env, tmp_path):
    container = _container(engine, tmp_path)
    try:
        container.start_background()
        practice = a_practice(container.uow_factory(), env)
        [message] = enqueue(container.uow_factory(), container.env, practice.id, ["r:1"])
        container.jobs.kick()

        [filed] = wait_until(lambda: read_mail_folder(tmp_path / "mail"), 10, what="the file")
    finally:
        container.close()

    assert isinstance(container.mailer, FileMailer)
    assert filed.message_id == message.id


def test_smtp_url_without_mail_from_keeps_mail_waiting(engine, tmp_path):
    container = _container(engine, tmp_path, smtp_url="smtp://127.0.0.1:2525")
    container.close()

    assert container.mailer is None
    assert EMAIL not in container.outbox_handlers


def test_a_serving_process_with_stripe_reconciles_card_payments_daily(engine, tmp_path):
    with_stripe = _container(
        engine,
        tmp_path,
        stripe_secret_key="sk_test_daily",
        stripe_api_base="http://127.0.0.1:9",
    )
    without_stripe = _container(engine, tmp_path)
    try:
        with_stripe.start_background()
        without_stripe.start_background()
        next_run = with_stripe.jobs.next_reconcile
        never = without_stripe.jobs.next_reconcile
    finally:
        with_stripe.close()
        without_stripe.close()

    assert next_run is not None and never is None
    assert timedelta(0) < next_run - datetime.now(UTC) <= timedelta(days=1)


def test_what_a_reconciliation_records_goes_out_at_once_and_a_failed_one_waits_a_day(
    engine, new_uow, env, practice, delivered, caplog
):
    found: list[OutboxMessage] = []
    failing = {"now": False}
    # An error's text may quote anything: only its type is logged.
    text = "card of grace@example.org declined"

    def reconcile() -> None:
        if failing["now"]:
            raise ConnectionError(text)
        found.extend(enqueue(new_uow(), env, practice.id, ["receipt:reconciled"]))

    worker = a_worker(SqlOutboxQueue(engine), {EMAIL: delivered}, env.clock)
    jobs = BackgroundJobs(worker, interval_s=NEVER_S, reconcile=reconcile)
    try:
        jobs.start()
        jobs.reconcile_now()
        wait_until(lambda: delivered.ids, 10, what="the receipt the reconciliation enqueued")
        failing["now"] = True
        jobs.reconcile_now()  # logged, never raised: tomorrow's run looks back three days
    finally:
        jobs.stop()

    assert delivered.ids == [found[0].id]
    assert "event=reconcile_failed error=ConnectionError" in caplog.text
    assert text not in caplog.text


def test_a_periodic_job_runs_beside_the_outbox_and_survives_its_own_failure(engine, env):
    from billing_bot.scheduler import PeriodicJob

    runs: list[int] = []
    ran_twice = threading.Event()

    def flaky() -> None:
        runs.append(1)
        if len(runs) >= 2:
            ran_twice.set()
        raise RuntimeError("the database is away")

    worker = a_worker(SqlOutboxQueue(engine), {}, env.clock)
    background = BackgroundJobs(
        worker, interval_s=NEVER_S, periodic=[PeriodicJob("flaky", 0.05, flaky)]
    )
    background.start()
    try:
        assert ran_twice.wait(10)
    finally:
        background.stop()


def test_the_escalation_job_is_scheduled_only_with_a_support_workspace(tmp_path: Path):
    base = {"database_url": f"sqlite:///{tmp_path / 'b.sqlite3'}", "mail_dir": str(tmp_path)}
    without = build_container(load_settings(env_file=None, **base))
    with_desk = build_container(load_settings(env_file=None, support_team_id="TVENDOR", **base))
    try:
        assert [job.id for job in without.jobs._periodic] == []
        assert [job.id for job in with_desk.jobs._periodic] == ["support_escalation"]
    finally:
        without.close()
        with_desk.close()


def test_the_serving_process_sweeps_reminders_due_at_start_and_mails_them(engine, tmp_path):
    shift = tmp_path / "clock-shift"
    real = Env(clock=SystemClock(), ids=_Ids())
    with smtp_sink() as sink:
        container = _container(
            engine,
            tmp_path,
            smtp_url=f"smtp://127.0.0.1:{sink.port}",
            mail_from="Billing <billing@practice-mail.example>",
            test_clock_file=str(shift),
        )
        try:
            uow = container.uow_factory
            practice = reminders_on(uow(), real, a_practice(uow(), real), offsets="1")
            invoice = an_open_invoice(uow(), real, practice, datetime.now(UTC).date())
            sweep(uow, real)  # plans its one reminder: tomorrow at 09:00
            shift.write_text(str(2 * 86400))  # the server's clock is two days ahead

            container.start_background()
            [received] = wait_until(lambda: sink.received, 20, what="the reminder")
        finally:
            container.close()

    assert received.rcpt_tos == ("ada@example.com",)
    assert received.message["Subject"] == f"Invoice {invoice.number} is overdue"
