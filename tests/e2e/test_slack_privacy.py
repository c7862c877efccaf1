"""The privacy check that every Slack end-to-end run ends with (see `slack_app_fixture`) finds
health data wherever a whole channel could read it, and only there. Checked against a bare
stand-in, where the test itself posts as the bot."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_app_fixture import SIGNING_SECRET, channel_posts, privacy_breaches
from slack_sdk import WebClient

from sandbox.slack import SlackStandIn

CLIENT, SERVICE = "Marisol Quenby", "Couples therapy"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(signing_secret=SIGNING_SECRET) as standin:
        yield standin


def test_the_privacy_check_finds_names_services_and_addresses_only_where_a_channel_sees_them(
    slack: SlackStandIn,
) -> None:
    clinic = slack.create_workspace("Sunrise Therapy")
    ada = slack.create_user(clinic, "ada")
    billing = slack.create_channel(clinic, "billing", members=[ada])
    bot = WebClient(token=slack.install(clinic, ada).bot_token, base_url=slack.api_url)
    slack.invite_bot(billing)
    posted = bot.chat_postMessage(channel=billing.id, text=f"INV-0001 for {CLIENT}")
    bot.chat_update(channel=billing.id, ts=posted["ts"], text="INV-0001 for M.Q.")
    bot.chat_postMessage(
        channel=billing.id,
        text="INV-0002 for M.Q.",
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": f"_{SERVICE}_"}}],
    )
    bot.chat_postMessage(channel=billing.id, text="Receipt sent to <mailto:mq@example.org>")
    bot.chat_postMessage(channel=ada.id, text=f"{CLIENT} paid INV-0003 ({SERVICE})")
    bot.chat_postEphemeral(channel=billing.id, user=ada.id, text=f"{CLIENT} · {SERVICE}")
    bot.chat_postMessage(channel=billing.id, text="INV-0004 for M.Q. is paid")

    breaches = privacy_breaches(channel_posts(slack), {CLIENT, SERVICE})

    assert sorted(breach.split(" shows ", 1)[1] for breach in breaches) == [
        "'Couples therapy'",
        "'Couples therapy'",
        "'Marisol Quenby'",
        "the e-mail address 'mq@example.org'",
        "the e-mail address 'mq@example.org'",
    ]
    assert all(billing.id in breach.split(" shows ", 1)[0] for breach in breaches)
