"""Slack calls made after Slack has its answer: opening a modal, republishing a Home tab.

They run on a small thread pool of the worker, so a slow Slack API never holds the HTTP
answer (Slack gives up after three seconds) and a failure is logged, never lost silently.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from billing_bot.bot.respond import apology

log = logging.getLogger(__name__)


class Later:
    """`later(work)` runs `work()` soon on a background thread."""

    def __init__(self, threads: int = 4) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="slack-later")

    def __call__(self, work: Callable[[], object]) -> None:
        self._pool.submit(self._run, work)

    @staticmethod
    def _run(work: Callable[[], object]) -> None:
        try:
            work()
        except Exception as error:  # reported with an id; nothing else can be done here
            apology(error)

    def close(self) -> None:
        """Finish what was queued (at worker exit)."""
        self._pool.shutdown(wait=True, cancel_futures=False)
