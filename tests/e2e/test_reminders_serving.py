"""Reminders as `billing-bot serve` sends them, to a real SMTP server (aiosmtpd), on one
PostgreSQL database: two serving processes share the due reminders and each goes out once;
a process killed with SIGKILL mid-delivery and a restart lose and double nothing; an SMTP
outage of an hour (of the servers' clock, moved through TEST_CLOCK_FILE) holds them back
until it ends.

The reminders are planned for a moment just past: the servers' first sweep, at start, finds
them due. Time moves only through the clock file; nothing sleeps.
"""

from __future__ import annotations

import os
import signal
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from domain.ports import Env
from factories import a_client, a_practice
from fakes import FixedClock
from helpers import cli_env, run_cli, running_server, wait_until
from reminder_scenario import many_open_invoices, reminders_on, sweep
from smtp_sink import SmtpSink, smtp_sink
from storage.engine import create_engine_for
from storage.unit_of_work import SqlAlchemyUnitOfWork, session_factory

pytestmark = pytest.mark.postgres

MAIL_FROM = "Billing <billing@practice-mail.example>"
CLIENT = "ada@example.com"


class _Ids:
    def new_id(self) -> str:
        return uuid.uuid4().hex[:24]


@pytest.fixture
def postgres_url(postgres_server) -> Iterator[str]:
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)


def _due_reminders(url: str, tmp_path: Path, count: int) -> list[str]:
    """A migrated database whose practice has `count` open invoices, each with a reminder
    planned for today's midnight (UTC): due by now. Returns the invoice numbers."""
    migrated = run_cli("migrate", cwd=tmp_path, env=cli_env(DATABASE_URL=url))
    assert migrated.returncode == 0, migrated.stderr
    today = datetime.now(UTC).date()
    # Planned the evening before, as a sweep then would have.
    env = Env(
        clock=FixedClock(datetime.combine(today, datetime.min.time(), UTC) - timedelta(hours=1)),
        ids=_Ids(),
    )
    engine = create_engine_for(url)
    try:
        sessions = session_factory(engine)

        def new_uow() -> SqlAlchemyUnitOfWork:
            return SqlAlchemyUnitOfWork(sessions)

        practice = reminders_on(
            new_uow(), env, a_practice(new_uow(), env), offsets="0", send_time="00:00"
        )
        client = a_client(new_uow(), env, practice, email=CLIENT)
        many_open_invoices(new_uow(), env, practice, client, count, today)
        planned = sweep(new_uow, env)
        assert planned.planned == count
        with engine.connect() as connection:
            return list(connection.execute(text("SELECT number FROM invoices")).scalars())
    finally:
        engine.dispose()


def _sent_reminders(url: str) -> Counter[str]:
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            return Counter(
                connection.execute(text("SELECT state FROM reminders WHERE step = '0'")).scalars()
            )
    finally:
        engine.dispose()


def _numbers(sink: SmtpSink) -> Counter[str]:
    """How many reminder e-mails arrived per invoice number (from the subjects)."""
    return Counter(str(r.message["Subject"]).split()[1] for r in sink.received)


def _serve(stack: ExitStack, tmp_path: Path, name: str, url: str, sink: SmtpSink, **settings: str):
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    return stack.enter_context(
        running_server(
            folder,
            DATABASE_URL=url,
            SMTP_URL=f"smtp://127.0.0.1:{sink.port}",
            MAIL_FROM=MAIL_FROM,
            **settings,
        )
    )


def _kill_hard(pid: int) -> None:
    """SIGKILL a server and its worker processes, as an out-of-memory kill would."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for child in children:
        os.kill(int(child), signal.SIGKILL)
    os.kill(pid, signal.SIGKILL)


def test_two_serving_processes_send_each_of_1000_due_reminders_once(postgres_url, tmp_path):
    numbers = _due_reminders(postgres_url, tmp_path, 1000)

    with smtp_sink() as sink, ExitStack() as servers:
        first = _serve(servers, tmp_path, "a", postgres_url, sink)
        second = _serve(servers, tmp_path, "b", postgres_url, sink)
        wait_until(lambda: len(sink.received) >= 1000, 300, interval=0.2, what="1,000 e-mails")
        arrived = _numbers(sink)
        message_ids = Counter(r.message["Message-ID"] for r in sink.received)
        logs = first.output() + second.output()

    assert sorted(arrived) == sorted(numbers)
    assert set(arrived.values()) == {1}, "an invoice was reminded twice"
    assert len(message_ids) == 1000 and set(message_ids.values()) == {1}
    assert {r.rcpt_tos for r in sink.received} == {(CLIENT,)}
    assert _sent_reminders(postgres_url) == {"sent": 1000}
    swept = [line for line in logs.splitlines() if "event=reminders_swept" in line]
    assert sum(int(line.split("sent=")[1].split()[0]) for line in swept) == 1000
    assert CLIENT not in logs


def test_a_server_killed_mid_delivery_and_a_restart_lose_and_double_nothing(postgres_url, tmp_path):
    numbers = _due_reminders(postgres_url, tmp_path, 400)
    clock_file = tmp_path / "clock-shift"

    with smtp_sink() as sink:
        with ExitStack() as first_run:
            first = _serve(
                first_run, tmp_path, "a", postgres_url, sink, TEST_CLOCK_FILE=str(clock_file)
            )
            wait_until(lambda: len(sink.received) >= 50, 120, interval=0.01, what="mail flowing")
            _kill_hard(first.process.pid)
            first.process.wait(timeout=30)
            at_kill = len(sink.received)
        # What the dead process held is leased for 10 minutes: the restart comes 11 later.
        clock_file.write_text(str(11 * 60))
        with ExitStack() as restart:
            _serve(restart, tmp_path, "b", postgres_url, sink, TEST_CLOCK_FILE=str(clock_file))
            wait_until(
                lambda: len(set(_numbers(sink))) >= 400, 300, interval=0.2, what="every reminder"
            )
            arrived = _numbers(sink)
            message_ids = Counter(r.message["Message-ID"] for r in sink.received)

    assert at_kill < 400, "the kill came after every e-mail was out"
    assert sorted(arrived) == sorted(numbers)
    assert len(message_ids) == 400
    # Delivery is at least once: only a message the killed process had handed to the SMTP
    # server but not yet marked sent can arrive again, and then with the same Message-ID.
    assert sum(arrived.values()) - 400 <= 1
    assert _sent_reminders(postgres_url) == {"sent": 400}


def test_reminders_wait_out_an_hour_long_smtp_outage_then_all_arrive_once(postgres_url, tmp_path):
    numbers = _due_reminders(postgres_url, tmp_path, 200)
    clock_file = tmp_path / "clock-shift"
    sink = SmtpSink()  # its port reserved, nothing listening: the mail provider is down

    with ExitStack() as servers:
        server = _serve(servers, tmp_path, "a", postgres_url, sink, TEST_CLOCK_FILE=str(clock_file))
        wait_until(
            lambda: server.output().count("event=outbox_retry") >= 200,
            120,
            interval=0.2,
            what="every reminder failing once",
        )
        for minutes in range(10, 61, 10):  # an hour of the servers' time, ten minutes at once
            clock_file.write_text(str(minutes * 60))
            retries = server.output().count("event=outbox_retry")
            wait_until(
                lambda retries=retries: server.output().count("event=outbox_retry") > retries,
                60,
                interval=0.2,
                what="another round of retries",
            )
        sink.start()
        try:
            clock_file.write_text(str(2 * 3600))
            wait_until(lambda: len(sink.received) >= 200, 120, interval=0.2, what="the mail")
            arrived = _numbers(sink)
        finally:
            sink.stop()

    assert sorted(arrived) == sorted(numbers)
    assert set(arrived.values()) == {1}
    assert _sent_reminders(postgres_url) == {"sent": 200}
