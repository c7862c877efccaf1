"""The outbox on SQLite and PostgreSQL: enqueued with the change, delivered once after
commit, retried with growing pauses, given up visibly, and shared safely by several workers
(threads and processes) and by a worker that died holding a lease."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from billing_bot.outbox_worker import LEASE
from domain.outbox import (
    MAX_ATTEMPTS,
    OutboxKind,
    OutboxMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from domain.ports import Env
from domain.practice import Practice
from factories import a_practice
from fakes import FixedClock
from helpers import wait_until
from outbox_scenario import (
    CLIENT_ADDRESS,
    CLIENT_NAME,
    SUBJECT,
    Deliveries,
    a_worker,
    an_email,
    enqueue,
)
from storage.engine import create_engine_for
from storage.outbox_queue import SqlOutboxQueue
from storage.unit_of_work import SqlAlchemyUnitOfWork

EMAIL = str(OutboxKind.EMAIL)
WORKER_SCRIPT = Path(__file__).with_name("outbox_worker_process.py")


class _Ids:
    def new_id(self) -> str:
        return uuid.uuid4().hex[:24]  # a workspace id is "T" and this, at most 32


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 12, 5, 9, 0, tzinfo=UTC))


@pytest.fixture
def env(clock: FixedClock) -> Env:
    return Env(clock=clock, ids=_Ids())


@pytest.fixture
def practice(new_uow: Callable[[], SqlAlchemyUnitOfWork], env: Env) -> Practice:
    return a_practice(new_uow(), env)


@pytest.fixture
def queue(engine: Engine) -> SqlOutboxQueue:
    return SqlOutboxQueue(engine)


def stored(new_uow: Callable[[], SqlAlchemyUnitOfWork], practice: Practice, key: str):
    uow = new_uow()
    with uow:
        return uow.outbox.get(practice.id, key)


def test_a_committed_message_is_delivered_once(new_uow, env, practice, queue, clock):
    [message] = enqueue(new_uow(), env, practice.id, ["receipt:pay-1"])
    delivered = Deliveries()
    worker = a_worker(queue, {EMAIL: delivered}, clock)

    first, second = worker.run_once(), worker.run_once()
    clock.advance(hours=2)
    third = worker.run_once()

    assert (first, second, third) == (1, 0, 0)
    assert delivered.ids == [message.id]
    after = stored(new_uow, practice, "receipt:pay-1")
    assert after.state == "sent" and after.sent_at == clock.now() - timedelta(hours=2)
    assert after.attempts == 1


def test_a_unit_of_work_that_is_not_committed_enqueues_nothing(new_uow, env, practice, queue):
    uow = new_uow()
    with uow:
        uow.outbox.add(
            OutboxMessage.email(
                id=env.ids.new_id(),
                practice_id=practice.id,
                dedupe_key="receipt:pay-1",
                message=an_email(),
                now=env.clock.now(),
            )
        )

    assert stored(new_uow, practice, "receipt:pay-1") is None
    assert queue.counts().pending == {}


def test_enqueueing_a_dedupe_key_again_is_a_no_op_and_the_transaction_goes_on(
    new_uow, env, practice, queue, clock
):
    [first] = enqueue(new_uow(), env, practice.id, ["receipt:pay-1"])

    uow = new_uow()
    with uow:
        again = uow.outbox.add(
            OutboxMessage.email(
                id=env.ids.new_id(),
                practice_id=practice.id,
                dedupe_key="receipt:pay-1",
                message=an_email(),
                now=env.clock.now(),
            )
        )
        # On PostgreSQL a unique violation would have aborted the transaction here.
        other = uow.outbox.add(
            OutboxMessage.email(
                id=env.ids.new_id(),
                practice_id=practice.id,
                dedupe_key="receipt:pay-2",
                message=an_email(),
                now=env.clock.now(),
            )
        )
        uow.commit()

    assert (again, other) == (False, True)
    delivered = Deliveries()
    a_worker(queue, {EMAIL: delivered}, clock).run_once()
    assert len(delivered.ids) == 2 and first.id in delivered.ids


def test_the_same_dedupe_key_in_two_practices_is_two_messages(new_uow, env, practice, queue):
    other = a_practice(new_uow(), env, name="Other Practice")

    enqueue(new_uow(), env, practice.id, ["receipt:pay-1"])
    enqueue(new_uow(), env, other.id, ["receipt:pay-1"])

    assert queue.counts().pending == {EMAIL: 2}


def test_a_message_for_later_waits_until_it_is_due(new_uow, env, practice, queue, clock):
    uow = new_uow()
    with uow:
        uow.outbox.add(
            OutboxMessage.new(
                id=env.ids.new_id(),
                practice_id=practice.id,
                kind=OutboxKind.EMAIL,
                payload=an_email().to_payload(),
                dedupe_key="reminder:inv-1:3",
                now=clock.now(),
                not_before=clock.now() + timedelta(days=3),
            )
        )
        uow.commit()
    delivered = Deliveries()
    worker = a_worker(queue, {EMAIL: delivered}, clock)

    before = worker.run_once()
    clock.advance(days=3)
    due = worker.run_once()

    assert (before, due) == (0, 1)


def test_a_failing_delivery_is_retried_with_growing_pauses_then_given_up(
    new_uow, env, practice, queue, clock
):
    enqueue(new_uow(), env, practice.id, ["receipt:pay-1"])
    delivered = Deliveries()

    def down(message: OutboxMessage) -> None:
        raise TransientDeliveryError("cannot connect to the SMTP server: ConnectionRefusedError")

    delivered.fail = down
    worker = a_worker(queue, {EMAIL: delivered}, clock)
    pauses = []
    for _ in range(MAX_ATTEMPTS):
        assert worker.run_once() == 1
        row = stored(new_uow, practice, "receipt:pay-1")
        if row.state == "failed":
            break
        pauses.append(row.next_attempt_at - clock.now())
        # Not a moment earlier.
        clock.advance(pauses[-1] - timedelta(seconds=1))
        assert worker.run_once() == 0
        clock.advance(seconds=1)

    assert pauses[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert max(pauses) == timedelta(hours=1)
    assert row.state == "failed" and row.attempts == MAX_ATTEMPTS
    assert row.last_error == "cannot connect to the SMTP server: ConnectionRefusedError"
    assert queue.counts().failed == {EMAIL: 1}
    assert [failed.id for failed in queue.failed()] == [row.id]
    clock.advance(days=7)
    assert worker.run_once() == 0


def test_failed_messages_put_back_in_line_are_delivered(new_uow, env, practice, queue, clock):
    enqueue(new_uow(), env, practice.id, ["receipt:pay-1"])
    delivered = Deliveries()

    def refused(message: OutboxMessage) -> None:
        raise PermanentDeliveryError("the SMTP server refused the recipient (550)")

    delivered.fail = refused
    worker = a_worker(queue, {EMAIL: delivered}, clock)
    worker.run_once()
    assert stored(new_uow, practice, "receipt:pay-1").state == "failed"

    delivered.fail = None
    assert queue.retry_failed(clock.now()) == 1
    worker.run_once()

    row = stored(new_uow, practice, "receipt:pay-1")
    assert row.state == "sent" and row.last_error == ""
    assert len(delivered.ids) == 1


def test_a_permanent_refusal_is_given_up_at_once(new_uow, env, practice, queue, clock):
    enqueue(new_uow(), env, practice.id, ["receipt:pay-1"])
    delivered = Deliveries()

    def refused(message: OutboxMessage) -> None:
        raise PermanentDeliveryError("the SMTP server refused the recipient (550)")

    delivered.fail = refused
    a_worker(queue, {EMAIL: delivered}, clock).run_once()

    row = stored(new_uow, practice, "receipt:pay-1")
    assert row.state == "failed" and row.attempts == 1
    assert row.last_error == "the SMTP server refused the recipient (550)"


def test_one_handler_raising_does_not_stop_the_others(new_uow, env, practice, queue, clock):
    emails = enqueue(new_uow(), env, practice.id, ["receipt:1", "receipt:2", "receipt:3"])
    posts = enqueue(new_uow(), env, practice.id, ["post:1", "post:2"], kind=OutboxKind.SLACK_POST)
    broken = emails[1]
    mail, slack = Deliveries(), Deliveries()

    def bug(message: OutboxMessage) -> None:
        if message.id == broken.id:
            raise KeyError(CLIENT_ADDRESS)

    mail.fail = bug
    worker = a_worker(queue, {EMAIL: mail, str(OutboxKind.SLACK_POST): slack}, clock)

    worker.run_once()

    assert sorted(mail.ids) == sorted(m.id for m in emails if m.id != broken.id)
    assert sorted(slack.ids) == sorted(m.id for m in posts)
    row = stored(new_uow, practice, "receipt:2")
    assert row.state == "pending" and row.attempts == 1
    # Only the type: an exception's text may quote the payload.
    assert row.last_error == "KeyError"


def test_a_kind_without_a_handler_waits_for_a_worker_that_has_one(
    new_uow, env, practice, queue, clock
):
    [card] = enqueue(new_uow(), env, practice.id, ["card:inv-1"], kind=OutboxKind.SLACK_CARD)
    mail_only = a_worker(queue, {EMAIL: Deliveries()}, clock)
    slack = Deliveries()
    full = a_worker(queue, {str(OutboxKind.SLACK_CARD): slack}, clock, name="worker-b")

    assert mail_only.run_once() == 0
    assert full.run_once() == 1
    assert slack.ids == [card.id]


def test_logs_name_the_message_by_id_and_never_quote_its_recipient(
    new_uow, env, practice, queue, clock, caplog
):
    [message] = enqueue(new_uow(), env, practice.id, ["receipt:pay-1"])
    delivered = Deliveries()

    def down(message: OutboxMessage) -> None:
        raise TransientDeliveryError("cannot connect to the SMTP server: ConnectionRefusedError")

    delivered.fail = down
    worker = a_worker(queue, {EMAIL: delivered}, clock)
    caplog.set_level(logging.DEBUG)

    worker.run_once()
    delivered.fail = None
    clock.advance(minutes=1)
    worker.run_once()

    lines = [record.getMessage() for record in caplog.records]
    retry = next(line for line in lines if line.startswith("event=outbox_retry"))
    done = next(line for line in lines if line.startswith("event=outbox_delivered"))
    assert f"id={message.id}" in retry and f"practice_id={practice.id}" in retry
    assert f"id={message.id}" in done
    for text in (CLIENT_ADDRESS, CLIENT_NAME, SUBJECT, "ada"):
        assert text not in caplog.text


def test_an_unexpected_error_is_logged_with_where_it_happened_but_not_its_text(
    new_uow, env, practice, queue, clock, caplog
):
    enqueue(new_uow(), env, practice.id, ["receipt:pay-1"])
    delivered = Deliveries()

    def bug(message: OutboxMessage) -> None:
        raise ValueError(f"bad address {CLIENT_ADDRESS}")

    delivered.fail = bug
    caplog.set_level(logging.INFO)

    a_worker(queue, {EMAIL: delivered}, clock).run_once()

    assert 'error="ValueError"' in caplog.text
    assert "in bug" in caplog.text
    assert CLIENT_ADDRESS not in caplog.text


def test_a_lease_that_ran_out_lets_another_worker_deliver_and_the_late_one_cannot_overwrite(
    new_uow, env, practice, queue, clock
):
    [message] = enqueue(new_uow(), env, practice.id, ["receipt:pay-1"])
    # A worker that claimed and then hung (or died) without recording anything.
    stuck = queue.claim("stuck-worker", [EMAIL], clock.now(), limit=10, lease=LEASE)
    delivered = Deliveries()
    rescuer = a_worker(queue, {EMAIL: delivered}, clock, name="rescuer")

    while_leased = rescuer.run_once()
    clock.advance(LEASE + timedelta(seconds=1))
    after_expiry = rescuer.run_once()
    late_mark = queue.mark_attempt_failed(
        stuck, message.id, clock.now(), error="too late", retry_at=clock.now()
    )

    assert [m.id for m in stuck.messages] == [message.id]
    assert (while_leased, after_expiry) == (0, 1)
    assert delivered.ids == [message.id]
    assert late_mark is False
    row = stored(new_uow, practice, "receipt:pay-1")
    assert row.state == "sent" and row.last_error == ""


def test_a_worker_gives_back_what_its_lease_no_longer_covers(new_uow, env, practice, queue, clock):
    messages = enqueue(new_uow(), env, practice.id, ["a", "b", "c"])
    slow = Deliveries()

    def takes_ten_minutes(message: OutboxMessage) -> None:
        clock.advance(minutes=10)

    slow.fail = takes_ten_minutes
    worker = a_worker(queue, {EMAIL: slow}, clock, lease=timedelta(minutes=11))
    other = Deliveries()

    worker.run_once()
    taken_over = a_worker(queue, {EMAIL: other}, clock, name="worker-b").run_once()

    # The first fitted in the lease; the other two were given back, not left leased.
    assert len(slow.ids) == 1 and taken_over == 2
    assert sorted(slow.ids + other.ids) == sorted(m.id for m in messages)


def _drain_until_empty(worker) -> None:
    while worker.drain():
        pass


def test_two_workers_in_threads_deliver_500_messages_each_exactly_once(
    engine, new_uow, env, practice, clock
):
    messages = enqueue(new_uow(), env, practice.id, [f"receipt:{n}" for n in range(500)])
    second_engine = create_engine_for(engine.url)
    delivered = Deliveries()
    workers = [
        a_worker(SqlOutboxQueue(engine), {EMAIL: delivered}, clock, name="a"),
        a_worker(SqlOutboxQueue(second_engine), {EMAIL: delivered}, clock, name="b"),
    ]
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def run(worker) -> None:
        try:
            start.wait(timeout=30)
            _drain_until_empty(worker)
        except BaseException as error:  # reported below
            failures.append(error)

    try:
        threads = [threading.Thread(target=run, args=(worker,)) for worker in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    finally:
        second_engine.dispose()

    assert failures == []
    counts = Counter(delivered.ids)
    assert sorted(counts) == sorted(m.id for m in messages)
    assert set(counts.values()) == {1}
    assert SqlOutboxQueue(engine).counts().sent == {EMAIL: 500}


def _start_workers(engine: Engine, tmp_path: Path, mode: str, count: int):
    url = engine.url.render_as_string(hide_password=False)
    go = tmp_path / "go"
    started = []
    for number in range(count):
        ready = tmp_path / f"ready-{number}"
        out = tmp_path / f"delivered-{number}"
        process = subprocess.Popen(
            [sys.executable, str(WORKER_SCRIPT), url, str(out), mode, str(ready), str(go)],
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append((process, ready, out))
    wait_until(lambda: all(ready.exists() for _p, ready, _o in started), 60, what="workers")
    go.touch()
    for process, _ready, _out in started:
        process.wait(timeout=300)
    return started


def _lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def test_two_worker_processes_deliver_500_messages_each_exactly_once(
    engine, new_uow, practice, tmp_path
):
    real_time = Env(clock=_RealClock(), ids=_Ids())
    messages = enqueue(new_uow(), real_time, practice.id, [f"receipt:{n}" for n in range(500)])

    started = _start_workers(engine, tmp_path, "deliver", 2)

    for process, _ready, _out in started:
        assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    delivered = [line for _p, _r, out in started for line in _lines(out)]
    counts = Counter(delivered)
    assert sorted(counts) == sorted(m.id for m in messages)
    assert set(counts.values()) == {1}


def test_a_worker_process_killed_holding_a_lease_is_replaced_after_the_lease(
    engine, new_uow, practice, tmp_path
):
    real_time = Env(clock=_RealClock(), ids=_Ids())
    messages = enqueue(new_uow(), real_time, practice.id, [f"receipt:{n}" for n in range(5)])

    [(dead, _ready, dead_out)] = _start_workers(engine, tmp_path, "die", 1)
    clock = FixedClock(datetime.now(UTC))
    delivered = Deliveries()
    rescuer = a_worker(SqlOutboxQueue(engine), {EMAIL: delivered}, clock, name="rescuer")
    while_leased = rescuer.run_once()
    clock.advance(LEASE + timedelta(seconds=5))
    _drain_until_empty(rescuer)

    assert dead.returncode == 3 and _lines(dead_out) == []
    assert while_leased == 0
    assert sorted(delivered.ids) == sorted(m.id for m in messages)


class _RealClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def test_counts_tell_pending_failed_and_sent_per_kind(new_uow, env, practice, queue, clock):
    enqueue(new_uow(), env, practice.id, ["a", "b", "c"])
    enqueue(new_uow(), env, practice.id, ["post"], kind=OutboxKind.SLACK_POST)
    delivered = Deliveries()

    def refuse_b(message: OutboxMessage) -> None:
        if message.dedupe_key == "b":
            raise PermanentDeliveryError("refused (550)")
        if message.dedupe_key == "c":
            raise TransientDeliveryError("busy (451)")

    delivered.fail = refuse_b
    a_worker(queue, {EMAIL: delivered}, clock).run_once()

    counts = queue.counts()
    assert counts.sent == {EMAIL: 1}
    assert counts.failed == {EMAIL: 1}
    assert counts.pending == {EMAIL: 1, str(OutboxKind.SLACK_POST): 1}
    assert counts.oldest_due == clock.now()
