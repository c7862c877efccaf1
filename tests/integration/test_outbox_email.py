"""E-mail through the outbox to a real SMTP server (aiosmtpd), on SQLite and PostgreSQL:
an outage keeps messages waiting with growing pauses, and each arrives once when it ends."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from billing_bot.outbox_handlers import email_handler
from domain.outbox import OutboxKind
from domain.ports import Env
from factories import a_practice
from fakes import FixedClock
from gateways.mail import SmtpEndpoint, SmtpMailer
from outbox_scenario import CLIENT_ADDRESS, CLIENT_NAME, SUBJECT, a_worker, enqueue
from smtp_sink import SmtpSink, smtp_sink
from storage.outbox_queue import SqlOutboxQueue

EMAIL = str(OutboxKind.EMAIL)
MAIL_FROM = "Billing <billing@practice-mail.example>"


class _Ids:
    def new_id(self) -> str:
        return uuid.uuid4().hex[:24]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 12, 5, 9, 0, tzinfo=UTC))


@pytest.fixture
def env(clock: FixedClock) -> Env:
    return Env(clock=clock, ids=_Ids())


def mailer_for(sink: SmtpSink, clock: FixedClock) -> SmtpMailer:
    return SmtpMailer(SmtpEndpoint("127.0.0.1", sink.port, "none"), MAIL_FROM, clock, timeout=10)


def test_mail_waits_out_an_smtp_outage_and_then_arrives_once(engine, new_uow, env, clock, caplog):
    practice = a_practice(new_uow(), env)
    messages = enqueue(new_uow(), env, practice.id, ["receipt:1", "receipt:2", "receipt:3"])
    sink = SmtpSink()  # its port reserved, nothing listening yet: the provider is down
    handlers = {EMAIL: email_handler(mailer_for(sink, clock))}
    worker = a_worker(SqlOutboxQueue(engine), handlers, clock)
    caplog.set_level(logging.INFO)
    outage_began = clock.now()

    try:
        during_outage = worker.run_once()
        uow = new_uow()
        with uow:
            waiting = uow.outbox.get(practice.id, "receipt:1")
        sink.start()
        too_early = worker.run_once()
        clock.advance(seconds=30)
        after_pause = worker.run_once()
        clock.advance(hours=2)
        later = worker.run_once()
        received = sink.received
    finally:
        sink.stop()

    assert during_outage == 3
    assert waiting.state == "pending" and waiting.attempts == 1
    assert waiting.next_attempt_at == outage_began + timedelta(seconds=30)
    assert waiting.last_error.startswith("cannot connect to the SMTP server")
    assert (too_early, after_pause, later) == (0, 3, 0)
    ids = Counter(mail.message["Message-ID"] for mail in received)
    assert ids == Counter(f"<{m.id}@practice-mail.example>" for m in messages)
    for text in (CLIENT_ADDRESS, CLIENT_NAME, SUBJECT):
        assert text not in caplog.text
    assert all(f"id={m.id}" in caplog.text for m in messages)


def test_the_same_dedupe_key_enqueued_twice_sends_one_email(engine, new_uow, env, clock):
    practice = a_practice(new_uow(), env)
    enqueue(new_uow(), env, practice.id, ["receipt:pay-1"])
    enqueue(new_uow(), env, practice.id, ["receipt:pay-1"])

    with smtp_sink() as sink:
        worker = a_worker(
            SqlOutboxQueue(engine), {EMAIL: email_handler(mailer_for(sink, clock))}, clock
        )
        worker.run_once()
        clock.advance(hours=1)
        worker.run_once()
        received = sink.received

    assert len(received) == 1
    assert received[0].rcpt_tos == (CLIENT_ADDRESS,)


def test_a_recipient_the_server_refuses_for_good_is_failed_without_retrying(
    engine, new_uow, env, clock
):
    practice = a_practice(new_uow(), env)
    enqueue(new_uow(), env, practice.id, ["receipt:pay-1"])

    with smtp_sink() as sink:
        sink.refuse(CLIENT_ADDRESS, "550 5.1.1 <ada.lovelace@example.com>: no such user")
        queue = SqlOutboxQueue(engine)
        a_worker(queue, {EMAIL: email_handler(mailer_for(sink, clock))}, clock).run_once()

    uow = new_uow()
    with uow:
        row = uow.outbox.get(practice.id, "receipt:pay-1")
    assert row.state == "failed" and row.attempts == 1
    assert row.last_error == "the SMTP server refused the recipient (550)"
