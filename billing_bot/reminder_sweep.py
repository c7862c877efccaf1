"""The reminder sweep a serving process runs every minute: plan the practices whose settings
changed, send every due reminder (a batch per transaction) and enqueue the overdue digests
whose morning came.

Any number of processes may sweep one database at once: each batch is claimed in its own
transaction (`domain.usecases.reminders.send_due_reminders`), so they share the due
reminders and none is sent twice. Time is the app's clock (`Env.clock`), which tests move.
Log lines carry counts and ids, never a client's details.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from billing_bot.logs import where
from domain.ports import Env, UnitOfWork
from domain.usecases.reminders import (
    BATCH_SIZE,
    ReminderClaimLost,
    plan_practice,
    post_due_digests,
    practices_to_plan,
    send_due_reminders,
)

log = logging.getLogger(__name__)

#: Practices planned per sweep at most; the rest wait for the next sweep.
PLAN_PRACTICES = 200
DIGESTS_PER_BATCH = 50
#: Batches one sweep sends at most, so a backlog never keeps a stop waiting long.
SWEEP_BATCHES = 100


@dataclass(frozen=True)
class SweepReport:
    planned: int
    sent: int
    skipped: int
    digests: int


class ReminderSweep:
    """Runs the sweep with a fresh unit of work per transaction; `on_enqueued` (the outbox
    worker's kick) is called when e-mails or posts were enqueued."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        env: Env,
        *,
        on_enqueued: Callable[[], None] = lambda: None,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self._uow = uow
        self._env = env
        self._on_enqueued = on_enqueued
        self._batch_size = batch_size
        self._stopping = threading.Event()

    def stop(self) -> None:
        """Finish the batch in hand, then take no more."""
        self._stopping.set()

    def run_once(self) -> SweepReport:
        planned = 0
        for practice_id in practices_to_plan(PLAN_PRACTICES, self._uow()):
            if self._stopping.is_set():
                break
            try:
                done = plan_practice(practice_id, self._uow(), self._env)
            except Exception as error:
                # One practice's trouble must not hold up every other practice's reminders;
                # it is tried again next minute. Its text is left out (it may quote data).
                log.error(
                    "event=reminders_plan_failed practice_id=%s error=%s%s",
                    practice_id,
                    type(error).__name__,
                    where(error),
                )
                continue
            if done is not None:
                planned += done.scheduled
                log.info(
                    "event=reminders_planned practice_id=%s replanned=%s scheduled=%d",
                    practice_id,
                    str(done.replanned).lower(),
                    done.scheduled,
                )
        sent = skipped = 0
        for _ in range(SWEEP_BATCHES):
            if self._stopping.is_set():
                break
            try:
                batch = send_due_reminders(self._batch_size, self._uow(), self._env)
            except ReminderClaimLost:
                log.warning("event=reminder_claim_lost outcome=rolled_back")
                continue
            sent += batch.sent
            skipped += batch.skipped
            if batch.sent:
                self._on_enqueued()
            if batch.claimed < self._batch_size:
                break
        digests = 0
        while not self._stopping.is_set():
            posted = post_due_digests(DIGESTS_PER_BATCH, self._uow(), self._env)
            digests += posted
            if posted < DIGESTS_PER_BATCH:
                break
        if digests:
            self._on_enqueued()
        if sent or skipped or digests:
            log.info("event=reminders_swept sent=%d skipped=%d digests=%d", sent, skipped, digests)
        return SweepReport(planned, sent, skipped, digests)
