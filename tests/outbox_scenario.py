"""Messages enqueued through the real unit of work, and a handler that records deliveries,
for the outbox's storage and worker tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import timedelta

from billing_bot.outbox_worker import OutboxHandler, OutboxWorker
from domain.ids import PracticeId
from domain.outbox import EmailMessage, OutboxKind, OutboxMessage
from domain.ports import Clock, Env, UnitOfWork
from storage.outbox_queue import SqlOutboxQueue

CLIENT_ADDRESS = "ada.lovelace@example.com"
CLIENT_NAME = "Ada Lovelace"
SUBJECT = "Your receipt for INV-0007"


def an_email(number: int = 7) -> EmailMessage:
    return EmailMessage(
        to_address=CLIENT_ADDRESS,
        to_name=CLIENT_NAME,
        subject=SUBJECT if number == 7 else f"Your receipt for INV-{number:04d}",
        text=f"We received your payment for INV-{number:04d}.",
        html=f"<p>We received your payment for <b>INV-{number:04d}</b>.</p>",
        reply_to="desk@calm-minds.example",
        sender_name="Calm Minds",
    )


def enqueue(
    uow: UnitOfWork,
    env: Env,
    practice_id: PracticeId,
    keys: Iterable[str],
    *,
    kind: OutboxKind = OutboxKind.EMAIL,
) -> list[OutboxMessage]:
    """One message per key, all in one committed unit of work; returns those stored."""
    stored = []
    with uow:
        for key in keys:
            if kind is OutboxKind.EMAIL:
                message = OutboxMessage.email(
                    id=env.ids.new_id(),
                    practice_id=practice_id,
                    dedupe_key=key,
                    message=an_email(),
                    now=env.clock.now(),
                )
            else:
                message = OutboxMessage.new(
                    id=env.ids.new_id(),
                    practice_id=practice_id,
                    kind=kind,
                    payload={"key": key},
                    dedupe_key=key,
                    now=env.clock.now(),
                )
            if uow.outbox.add(message):
                stored.append(message)
        uow.commit()
    return stored


class Deliveries:
    """A handler that records the ids it delivered; thread-safe."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self._lock = threading.Lock()
        self.fail: Callable[[OutboxMessage], None] | None = None

    def __call__(self, message: OutboxMessage) -> None:
        if self.fail is not None:
            self.fail(message)
        with self._lock:
            self.ids.append(message.id)


def a_worker(
    engine_queue: SqlOutboxQueue,
    handlers: dict[str, OutboxHandler],
    clock: Clock,
    *,
    name: str = "worker-a",
    batch_size: int = 20,
    lease: timedelta = timedelta(minutes=5),
) -> OutboxWorker:
    return OutboxWorker(
        engine_queue, handlers, clock, name=name, batch_size=batch_size, lease=lease
    )
