"""Fixtures for the Slack end-to-end tests: the real server behind the Slack stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_app_fixture import SlackWorld, slack_world


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
