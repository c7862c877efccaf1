"""People's names for the Help channel's relayed lines, asked of Slack (the stand-in, through
slack_sdk) once per person and remembered for a while."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.slack_names import SlackNames, first_name_of
from sandbox.slack import SlackStandIn


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(signing_secret="names-test") as standin:
        yield standin


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_name_is_asked_of_slack_once_and_remembered_for_an_hour(slack: SlackStandIn):
    workspace = slack.create_workspace("Calm Minds")
    ada = slack.create_user(workspace, "ada", real_name="Ada Lovelace", is_admin=True)
    client = WebClient(token=slack.install(workspace, ada).bot_token, base_url=slack.api_url)
    clock = Clock()
    names = SlackNames(monotonic=clock)

    first = names.first_name(client, workspace.id, ada.id)
    clock.now += 3599
    again = names.first_name(client, workspace.id, ada.id)
    assert (first, again) == ("Ada", "Ada")
    assert len(slack.calls("users.info")) == 1

    clock.now += 2
    names.first_name(client, workspace.id, ada.id)
    assert len(slack.calls("users.info")) == 2


def test_someone_slack_does_not_know_has_no_name_and_is_asked_again_a_minute_later(
    slack: SlackStandIn,
):
    workspace = slack.create_workspace("Calm Minds")
    ada = slack.create_user(workspace, "ada", real_name="Ada Lovelace", is_admin=True)
    client = WebClient(token=slack.install(workspace, ada).bot_token, base_url=slack.api_url)
    clock = Clock()
    names = SlackNames(monotonic=clock)

    assert names.first_name(client, workspace.id, "UNOBODY") is None
    assert names.first_name(client, workspace.id, "UNOBODY") is None
    assert len(slack.calls("users.info")) == 1
    clock.now += 61
    names.first_name(client, workspace.id, "UNOBODY")
    assert len(slack.calls("users.info")) == 2


def test_only_the_most_recent_names_are_kept(slack: SlackStandIn):
    workspace = slack.create_workspace("Calm Minds")
    ada = slack.create_user(workspace, "ada", real_name="Ada Lovelace", is_admin=True)
    bo = slack.create_user(workspace, "bo", real_name="Bo Chen")
    client = WebClient(token=slack.install(workspace, ada).bot_token, base_url=slack.api_url)
    names = SlackNames(limit=1)

    names.first_name(client, workspace.id, ada.id)
    names.first_name(client, workspace.id, bo.id)
    names.first_name(client, workspace.id, ada.id)

    assert len(slack.calls("users.info")) == 3


def test_the_first_name_comes_from_the_profile_then_the_real_name_then_the_handle():
    assert first_name_of({"profile": {"first_name": "Ada", "real_name": "Augusta Ada"}}) == "Ada"
    assert first_name_of({"real_name": "Sam Rivera", "profile": {"real_name": ""}}) == "Sam"
    assert first_name_of({"name": "olga", "profile": {}}) == "olga"
    assert first_name_of({"profile": {"real_name": "  "}}) is None
