"""Slack calls after the answer: on the pool while it has room, else before answering."""

from __future__ import annotations

import logging
import threading

import pytest

from bot.edge.background import Later
from helpers import wait_until


def test_work_runs_after_the_caller_returns_on_a_pool_thread() -> None:
    later = Later(threads=1, waiting=0)
    release, ran_on = threading.Event(), []

    def work() -> None:
        release.wait(5)
        ran_on.append(threading.current_thread().name)

    later(work)
    assert ran_on == [], "the caller waited for the work"
    release.set()
    later.close()
    assert ran_on[0].startswith("slack-later")


def test_past_its_room_the_pool_makes_the_caller_do_the_work() -> None:
    later = Later(threads=1, waiting=1)
    release, started, ran_on = threading.Event(), threading.Event(), []

    def blocked() -> None:
        started.set()
        release.wait(5)

    later(blocked)
    assert started.wait(5)
    later(lambda: ran_on.append(("queued", threading.current_thread().name)))
    later(lambda: ran_on.append(("third", threading.current_thread().name)))

    assert ran_on == [("third", threading.current_thread().name)]
    release.set()
    later.close()
    assert ran_on[-1][0] == "queued"


def test_room_is_given_back_when_work_finishes() -> None:
    later = Later(threads=1, waiting=0)
    ran_on: list[str] = []
    for _ in range(3):
        later(lambda: ran_on.append(threading.current_thread().name))
        wait_until(lambda: later.backlog == 0, timeout=5, what="the pool to finish")
    later.close()
    assert len(ran_on) == 3
    assert all(name.startswith("slack-later") for name in ran_on), ran_on


def test_a_failure_is_logged_with_an_error_id_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    later = Later(threads=1, waiting=0)

    def broken() -> None:
        raise RuntimeError("Slack said no")

    with caplog.at_level(logging.ERROR):
        later(broken)
        later.close()
    assert any("event=listener_failed error_id=" in r.getMessage() for r in caplog.records)
