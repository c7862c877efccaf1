"""Fixtures for the Slack stand-in's contract tests: a running stand-in, an app to drive."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_scenario import SIGNING_SECRET, Practice, RecordingApp, a_practice, serving

from sandbox.slack import SlackStandIn


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    """A running stand-in with no app behind it (for Web API tests)."""
    with SlackStandIn(signing_secret=SIGNING_SECRET) as standin:
        yield standin


@pytest.fixture
def practice(slack: SlackStandIn) -> Practice:
    return a_practice(slack)


@pytest.fixture
def recording_app() -> RecordingApp:
    return RecordingApp()


@pytest.fixture
def driven(recording_app: RecordingApp) -> Iterator[SlackStandIn]:
    """A running stand-in whose driver talks to `recording_app`."""
    with (
        serving(recording_app) as app_url,
        SlackStandIn(signing_secret=SIGNING_SECRET, app_url=app_url) as standin,
    ):
        yield standin
