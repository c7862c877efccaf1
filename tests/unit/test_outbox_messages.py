"""The outbox's rules without a database: what an e-mail may hold, how it travels as JSON,
how long failed deliveries wait, and what a failure may say."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from domain.outbox import (
    MAX_ATTEMPTS,
    Attachment,
    EmailMessage,
    OutboxKind,
    OutboxMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
    error_text,
    retry_delay,
)
from domain.ports import Env
from factories import a_practice
from fakes import FakeUnitOfWork, FixedClock

PDF = bytes(range(256)) * 3


def an_email(**changes: object) -> EmailMessage:
    fields: dict[str, object] = {
        "to_address": "ada@example.com",
        "to_name": "Ada Lovelace",
        "subject": "Your invoice INV-0007",
        "text": "Please find your invoice attached.",
        "html": "<p>Please find your invoice attached.</p>",
        "reply_to": "desk@calm.example",
        "sender_name": "Calm Minds",
        "attachments": (Attachment("INV-0007.pdf", "application/pdf", PDF),),
    }
    fields.update(changes)
    return EmailMessage(**fields)  # type: ignore[arg-type]


def test_an_email_survives_the_trip_through_json_with_its_attachment_bytes() -> None:
    email = an_email()

    stored = json.loads(json.dumps(email.to_payload()))

    assert EmailMessage.from_payload(stored) == email


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"to_address": "ada at example.com"}, "recipient address"),
        ({"reply_to": "front desk"}, "reply-to address"),
        ({"subject": "Invoice\nBcc: everyone@example.com"}, "single line"),
        ({"to_name": "Ada\r\nBcc: x@example.com"}, "single line"),
        ({"subject": "  "}, "needs a subject"),
    ],
)
def test_an_email_that_could_not_be_sent_as_meant_is_refused(
    changes: dict[str, object], complaint: str
) -> None:
    with pytest.raises(ValueError, match=complaint):
        an_email(**changes)


@pytest.mark.parametrize(
    ("filename", "content_type"),
    [("../etc/passwd", "text/plain"), ("a.pdf", "pdf"), ("", "application/pdf")],
)
def test_an_attachment_needs_a_plain_name_and_a_content_type(
    filename: str, content_type: str
) -> None:
    with pytest.raises(ValueError, match="attachment"):
        Attachment(filename, content_type, b"x")


def test_a_payload_that_is_not_json_is_refused_when_enqueued(env: Env) -> None:
    with pytest.raises(ValueError, match="JSON-able"):
        OutboxMessage.new(
            id="m1",
            practice_id="p1",  # type: ignore[arg-type]
            kind=OutboxKind.SLACK_POST,
            payload={"amount": Decimal("1.50")},
            dedupe_key="k",
            now=env.clock.now(),
        )


def test_the_payload_is_copied_so_later_changes_to_the_callers_dict_are_not_stored(
    env: Env,
) -> None:
    payload = {"invoice_id": "inv-1"}
    message = OutboxMessage.new(
        id="m1",
        practice_id="p1",  # type: ignore[arg-type]
        kind=OutboxKind.SLACK_CARD,
        payload=payload,
        dedupe_key="card:inv-1:v2",
        now=env.clock.now(),
    )

    payload["invoice_id"] = "inv-2"

    assert message.payload == {"invoice_id": "inv-1"}


@pytest.mark.parametrize("key", ["", "x" * 201, "receipt:\n1"])
def test_a_dedupe_key_is_a_short_printable_text(env: Env, key: str) -> None:
    with pytest.raises(ValueError, match="dedupe key"):
        OutboxMessage.email(
            id="m1",
            practice_id="p1",  # type: ignore[arg-type]
            dedupe_key=key,
            message=an_email(),
            now=env.clock.now(),
        )


def test_a_message_is_due_at_once_or_from_the_moment_asked(clock: FixedClock) -> None:
    later = clock.now() + timedelta(days=3)

    at_once = OutboxMessage.new(
        id="m1",
        practice_id="p1",  # type: ignore[arg-type]
        kind=OutboxKind.EMAIL,
        payload={},
        dedupe_key="a",
        now=clock.now(),
    )
    deferred = OutboxMessage.new(
        id="m2",
        practice_id="p1",  # type: ignore[arg-type]
        kind=OutboxKind.EMAIL,
        payload={},
        dedupe_key="b",
        now=clock.now(),
        not_before=later,
    )

    assert at_once.next_attempt_at == clock.now() and at_once.state == "pending"
    assert deferred.next_attempt_at == later


def test_retries_wait_30_seconds_then_twice_as_long_each_time_up_to_an_hour() -> None:
    delays = [retry_delay(attempt) for attempt in range(1, 11)]

    assert delays == [
        timedelta(seconds=30),
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(minutes=8),
        timedelta(minutes=16),
        timedelta(minutes=32),
        timedelta(hours=1),
        timedelta(hours=1),
        timedelta(hours=1),
    ]


def test_a_message_is_given_up_after_about_a_day_of_attempts() -> None:
    waits = [retry_delay(attempt) for attempt in range(1, MAX_ATTEMPTS)]

    assert None not in waits
    assert retry_delay(MAX_ATTEMPTS) is None
    total = sum((wait for wait in waits if wait is not None), timedelta())
    assert timedelta(hours=20) <= total <= timedelta(hours=26)


def test_a_failure_is_recorded_by_its_own_words_only_when_we_wrote_them() -> None:
    assert error_text(TransientDeliveryError("cannot connect to the SMTP server")) == (
        "cannot connect to the SMTP server"
    )
    assert error_text(PermanentDeliveryError("refused (550)")) == "refused (550)"
    # Anything else may quote the payload: only its type is kept.
    assert error_text(KeyError("ada@example.com")) == "KeyError"
    assert len(error_text(TransientDeliveryError("x" * 1000))) == 200


def test_enqueueing_the_same_dedupe_key_twice_stores_one_message(env: Env) -> None:
    uow = FakeUnitOfWork()
    practice = a_practice(uow, env)

    def enqueue(message_id: str) -> bool:
        with uow:
            added = uow.outbox.add(
                OutboxMessage.email(
                    id=message_id,
                    practice_id=practice.id,
                    dedupe_key="receipt:pay-1",
                    message=an_email(),
                    now=env.clock.now(),
                )
            )
            uow.commit()
        return added

    assert (enqueue("m1"), enqueue("m2")) == (True, False)
    with uow:
        stored = uow.outbox.get(practice.id, "receipt:pay-1")
    assert stored is not None and stored.id == "m1"


def test_nothing_is_enqueued_when_the_unit_of_work_is_not_committed(env: Env) -> None:
    uow = FakeUnitOfWork()
    practice = a_practice(uow, env)

    with uow:
        uow.outbox.add(
            OutboxMessage.email(
                id="m1",
                practice_id=practice.id,
                dedupe_key="receipt:pay-1",
                message=an_email(),
                now=env.clock.now(),
            )
        )

    assert uow.committed.outbox == {}
