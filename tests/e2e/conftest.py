"""Fixtures for the end-to-end tests: the real server behind the Slack stand-in, and the
sandbox console with the headless Chromium that drives it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from console_sandbox import Sandbox, running_sandbox
from playwright.sync_api import Browser, sync_playwright
from slack_app_fixture import SlackWorld, slack_world

from helpers import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture
def fresh_world(tmp_path: Path, database_url: str) -> Iterator[SlackWorld]:
    """A server of the test's own on an empty database, on SQLite and on PostgreSQL."""
    with slack_world(tmp_path, database_url) as world:
        yield world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackWorld]:
    """One server per test module, on SQLite; each test installs practices of its own."""
    path = tmp_path_factory.mktemp("slack-world")
    with slack_world(path, f"sqlite:///{path / 'billing.sqlite3'}") as started:
        yield started


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium, one per test module; missing, it skips the module's
    browser tests, or fails them under CI=true."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    """``billing-bot demo``'s sandbox (app, stand-ins, console) of the test's own."""
    with running_sandbox(tmp_path) as started:
        yield started
        started.stop()
