"""Fixtures for the stand-ins' contract tests: running stand-ins, an app to drive or to
receive their webhooks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_scenario import SIGNING_SECRET, Practice, RecordingApp, a_practice, serving
from stripe import StripeClient
from stripe_scenario import AppSite, app_site, client_for

from sandbox.slack import SlackStandIn
from sandbox.stripe import StripeStandIn


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


@pytest.fixture
def app() -> Iterator[AppSite]:
    """The app's web side: a webhook receiver and the pages Stripe redirects to."""
    with app_site() as site:
        yield site


@pytest.fixture
def stripe_standin(app: AppSite) -> Iterator[StripeStandIn]:
    """A running Stripe stand-in delivering webhooks to `app`."""
    with StripeStandIn(deliver_to=app.webhook_url) as standin:
        yield standin


@pytest.fixture
def stripe_client(stripe_standin: StripeStandIn) -> StripeClient:
    return client_for(stripe_standin)
