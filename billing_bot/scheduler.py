"""Background jobs of a serving process, on APScheduler 3: the outbox worker, every few
seconds and whenever a request asks (`kick`); the reminder sweep, every minute; where Stripe
is set up, the daily reconciliation of card payments whose webhook never arrived; and
periodic jobs such as the escalation of support questions left unanswered.

Each server process (every Granian worker, `socket`, `demo`) runs its own scheduler; they
share nothing but the database, whose claims keep two of them from delivering one message.
APScheduler fires on the wall clock; whether a message is due is decided by the app's
clock (`Env.clock`), which tests move.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from billing_bot.logs import where
from billing_bot.outbox_worker import OutboxWorker
from billing_bot.reminder_sweep import ReminderSweep

log = logging.getLogger(__name__)

OUTBOX_JOB_ID = "outbox"
#: How often due messages (retries, and anything enqueued by another replica) are looked
#: for; a request that enqueued one here wakes the worker at once instead.
OUTBOX_INTERVAL_S = 5.0
#: After a run, how long the worker gathers what requests enqueued meanwhile before claiming
#: again. Under a burst (Stripe delivering a hundred webhooks a second) a claim after every
#: request found one request's messages at a time, and those claims cost the serving
#: process a third of each webhook's CPU (bench/webhook_bench.py); a short wait lets one
#: claim take a batch, and a message still goes out well within a second.
AGAIN_AFTER_S = 0.1
REMINDERS_JOB_ID = "reminders"
#: How often due reminders and digests are looked for: reminders go out at a minute of the
#: practice's send time, so a sweep a minute is late by less than that.
REMINDERS_INTERVAL_S = 60.0
RECONCILE_JOB_ID = "reconcile"
#: When the daily reconciliation runs (UTC): a fixed time of day rather than "a day after
#: start", so that deploying more often than daily never keeps it from running. Every
#: replica runs it; that costs Stripe a few list calls and records nothing twice.
RECONCILE_AT = {"hour": 4, "minute": 17}


@dataclass(frozen=True)
class PeriodicJob:
    """A job run every `interval_s` seconds (the first run one interval after start); it
    opens its own unit of work and must not raise for a passing failure."""

    id: str
    interval_s: float
    run: Callable[[], None]


class BackgroundJobs:
    """Starts and stops the scheduler with the server; `kick` delivers soon."""

    def __init__(
        self,
        outbox: OutboxWorker,
        *,
        interval_s: float = OUTBOX_INTERVAL_S,
        reminders: ReminderSweep | None = None,
        reminders_interval_s: float = REMINDERS_INTERVAL_S,
        reconcile: Callable[[], None] | None = None,
        periodic: Sequence[PeriodicJob] = (),
    ) -> None:
        self.outbox = outbox
        self.reminders = reminders
        self._interval_s = interval_s
        self._reminders_interval_s = reminders_interval_s
        self._reconcile = reconcile
        self._periodic = list(periodic)
        self._scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=2)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self._lock = threading.Lock()
        self._running = False
        self._again = False

    @property
    def started(self) -> bool:
        return bool(self._scheduler.running)

    def start(self) -> None:
        """Start the scheduler thread, with a first outbox run and a first reminder sweep at
        once (what fell due while the server was down)."""
        self._scheduler.add_job(
            self._deliver_outbox,
            IntervalTrigger(seconds=self._interval_s, timezone=UTC),
            id=OUTBOX_JOB_ID,
            replace_existing=True,
            next_run_time=datetime.now(UTC),
        )
        if self.reminders is not None:
            self._scheduler.add_job(
                self._sweep_reminders,
                IntervalTrigger(seconds=self._reminders_interval_s, timezone=UTC),
                id=REMINDERS_JOB_ID,
                replace_existing=True,
                next_run_time=datetime.now(UTC),
            )
        if self._reconcile is not None:
            self._scheduler.add_job(
                self.reconcile_now,
                CronTrigger(**RECONCILE_AT, timezone=UTC),
                id=RECONCILE_JOB_ID,
                replace_existing=True,
            )
        for job in self._periodic:
            self._scheduler.add_job(
                _logged(job),
                IntervalTrigger(seconds=job.interval_s, timezone=UTC),
                id=job.id,
                replace_existing=True,
            )
        self._scheduler.start()
        log.info(
            "event=background_jobs_started outbox_kinds=%s reminders=%s worker=%s reconcile=%s",
            ",".join(sorted(self.outbox.handlers)) or "-",
            "on" if self.reminders is not None else "off",
            self.outbox.name,
            "daily" if self._reconcile is not None else "off",
        )

    @property
    def next_reconcile(self) -> datetime | None:
        """When the daily reconciliation runs next (None: not scheduled here)."""
        job = self._scheduler.get_job(RECONCILE_JOB_ID)
        return None if job is None else job.next_run_time

    def reconcile_now(self) -> None:
        """Record paid Checkout Sessions whose webhook never arrived, then deliver their
        cards and receipts. Never raises: a failed run is logged and tomorrow's tries again
        (it looks back three days)."""
        if self._reconcile is None:
            return
        try:
            self._reconcile()
        except Exception as error:
            log.error("event=reconcile_failed error=%s%s", type(error).__name__, where(error))
            return
        self.kick()

    def kick(self) -> None:
        """Deliver due messages now rather than at the next interval (call it after the
        commit that enqueued them). Cheap, never blocks, never raises."""
        with self._lock:
            self._again = True
            if self._running:
                return  # the run in progress claims once more before it ends
        if not self._scheduler.running:
            return
        with contextlib.suppress(JobLookupError):  # stopping
            self._scheduler.modify_job(OUTBOX_JOB_ID, next_run_time=datetime.now(UTC))

    def stop(self) -> None:
        """Let the message and the reminder batch in hand finish, then stop (at server or
        worker exit)."""
        self.outbox.stop()
        if self.reminders is not None:
            self.reminders.stop()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)

    def _deliver_outbox(self) -> None:
        with self._lock:
            self._running = True
        try:
            while True:
                with self._lock:
                    self._again = False
                self.outbox.drain()
                with self._lock:
                    if not self._again or self.outbox.stopping:
                        self._running = False
                        return
                self.outbox.pause(AGAIN_AFTER_S)
        except Exception as error:
            # The database is away, most likely; the next interval tries again. Its text is
            # left out: a driver's error may quote the statement's parameters.
            log.error("event=outbox_run_failed error=%s%s", type(error).__name__, where(error))
        with self._lock:
            self._running = False

    def sweep_reminders_now(self) -> None:
        """Run the reminder sweep at once, in the caller's thread (the sandbox's clock was
        moved on). Never raises; does nothing without a sweep."""
        if self.reminders is not None:
            self._sweep_reminders()

    def _sweep_reminders(self) -> None:
        assert self.reminders is not None
        try:
            self.reminders.run_once()
        except Exception as error:
            # The database is away, most likely; the next minute tries again. As above, the
            # error's text is left out.
            log.error("event=reminder_sweep_failed error=%s%s", type(error).__name__, where(error))


def _logged(job: PeriodicJob) -> Callable[[], None]:
    def run() -> None:
        try:
            job.run()
        except Exception as error:
            # Most likely the database is away; the next interval tries again. The text is
            # left out, as for the outbox: it may quote a statement's parameters.
            log.error(
                "event=job_failed job=%s error=%s%s", job.id, type(error).__name__, where(error)
            )

    return run
