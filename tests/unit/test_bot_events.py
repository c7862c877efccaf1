"""The Slack event listeners, called directly as a test imports them: opening the Home tab
publishes it after the answer, and revoking the bot's tokens (not a user's) retires the
practice."""

from __future__ import annotations

import pytest

from bot import home, lifecycle
from bot.edge.deps import BotDeps, PracticeNotInstalled, identify
from domain.ports import Env
from domain.usecases.access import InstallApp, install_app
from fakes import FakeUnitOfWork
from slack_fakes import RecordingClient, context

TEAM, ADMIN = "T0HARBOUR", "U0ADMIN01"


@pytest.fixture
def deps(uow: FakeUnitOfWork, env: Env) -> BotDeps:
    install_app(InstallApp(TEAM, "Harbour Therapy", ADMIN), uow, env)
    return BotDeps(
        uow=lambda: uow,  # type: ignore[arg-type,return-value]
        env=env,
        public_base_url="",
    )


def test_opening_the_home_tab_publishes_it_for_the_user(deps: BotDeps) -> None:
    client = RecordingClient()

    home.home_opened(deps, {"tab": "home", "user": ADMIN}, client, context(TEAM, ADMIN))

    assert [(method, arguments["user_id"]) for method, arguments in client.calls] == [
        ("views.publish", ADMIN)
    ]


def test_opening_the_messages_tab_publishes_nothing(deps: BotDeps) -> None:
    client = RecordingClient()

    home.home_opened(deps, {"tab": "messages", "user": ADMIN}, client, context(TEAM, ADMIN))

    assert client.calls == []


def test_revoking_only_a_users_token_keeps_the_practice(deps: BotDeps) -> None:
    lifecycle.tokens_revoked(deps, None, {"tokens": {"oauth": [ADMIN]}}, context(TEAM, ADMIN))

    assert identify(deps, TEAM, ADMIN).practice.active


def test_revoking_the_bots_token_retires_the_practice(deps: BotDeps) -> None:
    lifecycle.tokens_revoked(deps, None, {"tokens": {"bot": ["U0BOT"]}}, context(TEAM, ADMIN))

    with pytest.raises(PracticeNotInstalled):
        identify(deps, TEAM, ADMIN)
