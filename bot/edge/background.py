"""Slack calls made after Slack has its answer: opening a modal, republishing a Home tab.

They run on a small thread pool of the worker, so a slow Slack API never holds the HTTP
answer (Slack gives up after three seconds) and a failure is logged, never lost silently.
The pool takes only so much: past that, the request's own thread does the work before
answering. A backlog would otherwise grow without bound under a burst, and a modal opened
more than three seconds after its click fails, since Slack's trigger_id has expired.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from bot.edge.respond import apology

log = logging.getLogger(__name__)


class Later:
    """`later(work)` runs `work()` soon on a background thread, or at once when `threads`
    are busy and `waiting` more are queued."""

    def __init__(self, threads: int = 4, waiting: int = 16) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="slack-later")
        self._room = threads + waiting
        self._taken = 0
        self._lock = threading.Lock()

    @property
    def backlog(self) -> int:
        """How many pieces of work are queued or running on the pool."""
        return self._taken

    def __call__(self, work: Callable[[], object]) -> None:
        with self._lock:
            room = self._taken < self._room
            self._taken += room
        if not room:
            self._run(work)
            return
        try:
            done = self._pool.submit(self._run, work)
        except RuntimeError:  # the worker is shutting down: finish here rather than drop it
            self._release()
            self._run(work)
            return
        done.add_done_callback(self._release)

    def _release(self, _done: Future[None] | None = None) -> None:
        with self._lock:
            self._taken -= 1

    @staticmethod
    def _run(work: Callable[[], object]) -> None:
        try:
            work()
        except Exception as error:  # reported with an id; nothing else can be done here
            apology(error)

    def close(self) -> None:
        """Finish what was queued (at worker exit)."""
        self._pool.shutdown(wait=True, cancel_futures=False)
