"""The outbox worker: claims due messages and hands each to the handler of its kind.

A handler delivers one message or raises. `TransientDeliveryError` (and any unexpected
exception) schedules another attempt after `domain.outbox.retry_delay`; a
`PermanentDeliveryError`, or running out of attempts, marks the message failed. One
message's failure never stops the others of its batch. Log lines carry the message's id,
kind and practice id, never its payload (addresses, names).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Protocol

from billing_bot.logs import where
from domain.outbox import (
    FIRST_RETRY,
    DeliveryError,
    OutboxMessage,
    PermanentDeliveryError,
    error_text,
    retry_delay,
)
from domain.ports import Clock
from storage.outbox_queue import Claim

log = logging.getLogger(__name__)

#: Delivers one message, or raises (see the module's docstring).
OutboxHandler = Callable[[OutboxMessage], None]

BATCH_SIZE = 20
#: How long a claimed batch is this worker's alone. Past it, the rows count as abandoned (the
#: process was killed) and any worker takes them again: so it must outlast any delivery.
LEASE = timedelta(minutes=10)
#: A message is started only while this much of the lease is left, so a handler must finish
#: within it: an SMTP delivery whose every step waits out `gateways.mail.SMTP_TIMEOUT_S`
#: takes about 3 minutes.
SEND_BUDGET = timedelta(minutes=4)
#: Batches one `drain` delivers at most, so a backlog never keeps a stop waiting long.
DRAIN_BATCHES = 50


class OutboxQueue(Protocol):
    """What the worker needs of storage (`storage.outbox_queue.SqlOutboxQueue`)."""

    def claim(
        self,
        worker: str,
        kinds: Collection[str],
        now: datetime,
        *,
        limit: int,
        lease: timedelta,
    ) -> Claim: ...
    def mark_sent(self, claim: Claim, message_id: str, now: datetime) -> bool: ...
    def mark_attempt_failed(
        self,
        claim: Claim,
        message_id: str,
        now: datetime,
        *,
        error: str,
        retry_at: datetime | None,
    ) -> bool: ...
    def release(self, claim: Claim, message_ids: Iterable[str]) -> None: ...


def worker_name() -> str:
    """Names this process in the leases it takes (host and pid), for an operator reading
    the table."""
    return f"{socket.gethostname()}:{os.getpid()}"


class OutboxWorker:
    """Delivers due messages of the kinds in `handlers` (by kind: `OutboxKind` values)."""

    def __init__(
        self,
        queue: OutboxQueue,
        handlers: Mapping[str, OutboxHandler],
        clock: Clock,
        *,
        name: str | None = None,
        batch_size: int = BATCH_SIZE,
        lease: timedelta = LEASE,
        send_budget: timedelta = SEND_BUDGET,
        first_retry: timedelta = FIRST_RETRY,
    ) -> None:
        self._queue = queue
        # Read at every claim: the composition root may register handlers after building.
        self.handlers = handlers
        self._clock = clock
        self.name = name or worker_name()
        self._batch_size = batch_size
        self._lease = lease
        self._send_budget = send_budget
        self._first_retry = first_retry
        self._stopping = threading.Event()

    def run_once(self) -> int:
        """Claim one batch and deliver it; returns how many messages were attempted."""
        claim = self._queue.claim(
            self.name,
            list(self.handlers),
            self._clock.now(),
            limit=self._batch_size,
            lease=self._lease,
        )
        attempted = 0
        for index, message in enumerate(claim.messages):
            if self._stopping.is_set() or self._clock.now() + self._send_budget > claim.until:
                # Given back rather than left leased, so another worker need not wait.
                self._queue.release(claim, [rest.id for rest in claim.messages[index:]])
                break
            self._deliver(claim, message)
            attempted += 1
        return attempted

    def drain(self, max_batches: int = DRAIN_BATCHES) -> int:
        """Deliver batches until no message is due (or `max_batches`, or `stop`); returns
        how many messages were attempted."""
        attempted = 0
        for _ in range(max_batches):
            if self._stopping.is_set():
                break
            done = self.run_once()
            attempted += done
            if done < self._batch_size:
                break
        return attempted

    def stop(self) -> None:
        """Finish the message in hand, then give the rest of the batch back."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def pause(self, seconds: float) -> None:
        """Wait `seconds`, or less if `stop` is called meanwhile."""
        self._stopping.wait(seconds)

    def _deliver(self, claim: Claim, message: OutboxMessage) -> None:
        handler = self.handlers[message.kind]
        ids = f"id={message.id} kind={message.kind} practice_id={message.practice_id}"
        try:
            handler(message)
        except Exception as error:  # recorded on the row and retried; never stops the batch
            self._failed(claim, message, error, ids)
            return
        if self._queue.mark_sent(claim, message.id, self._clock.now()):
            log.info("event=outbox_delivered %s attempt=%d", ids, message.attempts + 1)
        else:
            log.warning("event=outbox_lease_lost %s outcome=delivered", ids)

    def _failed(self, claim: Claim, message: OutboxMessage, error: Exception, ids: str) -> None:
        attempt = message.attempts + 1
        now = self._clock.now()
        delay = (
            None
            if isinstance(error, PermanentDeliveryError)
            else retry_delay(attempt, self._first_retry)
        )
        retry_at = now + delay if delay is not None else None
        text = error_text(error)
        kept = self._queue.mark_attempt_failed(
            claim, message.id, now, error=text, retry_at=retry_at
        )
        quoted = json.dumps(text)
        # An exception we did not define may be a bug, so where it was raised is logged (on
        # the first and the last attempt); never its text, which may quote the payload.
        trace = ""
        if not isinstance(error, DeliveryError) and (attempt == 1 or delay is None):
            trace = where(error)
        if not kept:
            log.warning("event=outbox_lease_lost %s outcome=failed error=%s", ids, quoted)
        elif delay is None:
            log.error("event=outbox_failed %s attempts=%d error=%s%s", ids, attempt, quoted, trace)
        else:
            log.warning(
                "event=outbox_retry %s attempt=%d retry_in_s=%d error=%s%s",
                ids,
                attempt,
                delay.total_seconds(),
                quoted,
                trace,
            )
