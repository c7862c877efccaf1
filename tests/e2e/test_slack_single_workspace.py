"""Single-workspace mode: a small self-hosted practice runs the app with one bot token
instead of the OAuth install."""

from __future__ import annotations

from pathlib import Path

import httpx
from slack_app_fixture import SIGNING_SECRET, reply_text

from helpers import free_port, running_server, wait_until
from sandbox.slack import SlackStandIn
from storage.migrate import upgrade


def test_with_one_bot_token_the_first_user_sets_the_practice_up_as_its_admin(
    tmp_path: Path,
) -> None:
    database_url = f"sqlite:///{tmp_path / 'single.sqlite3'}"
    upgrade(database_url)
    app_port = free_port()
    slack = SlackStandIn(signing_secret=SIGNING_SECRET, app_url=f"http://127.0.0.1:{app_port}")
    slack.start()
    workspace = slack.create_workspace("Solo Therapy")
    owner = slack.create_user(workspace, "owner", is_admin=True)
    colleague = slack.create_user(workspace, "colleague")
    channel = slack.create_channel(workspace, "billing", members=[owner, colleague])
    settings = {
        "DATABASE_URL": database_url,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_BOT_TOKEN": slack.install(workspace, owner).bot_token,
        "SLACK_API_URL": slack.api_url,
    }
    try:
        with running_server(tmp_path, port=app_port, **settings) as server:
            wait_until(
                lambda: httpx.get(f"{server.base_url}/healthz", timeout=5).status_code == 200,
                timeout=30,
                ignore=(httpx.TransportError,),
                what="/healthz",
            )

            hub = slack.driver.slash_command(owner, "/billing", channel=channel).opened_view()
            refused = slack.driver.slash_command(colleague, "/billing", channel=channel)

        assert hub.callback_id == "billing_hub"
        assert "billing admin" in reply_text(refused)
        assert f"<@{owner.id}>" in reply_text(refused)
    finally:
        slack.stop()
