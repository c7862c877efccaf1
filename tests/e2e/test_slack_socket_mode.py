"""``billing-bot socket``: the real process connected to the stand-in over Socket Mode, as a
developer runs it without a public URL. The same commands, clicks, submissions and events as
over HTTP, carried in envelopes and answered in acknowledgements."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_app_fixture import SlackWorld, initial_values, reply_text, slack_world, view_text

from bot.home import OPEN_BILLING_DETAILS
from helpers import cli_env, free_port, run_cli, wait_until
from sandbox.slack import SlackStandIn
from storage.migrate import upgrade


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackWorld]:
    path = tmp_path_factory.mktemp("socket-world")
    database = f"sqlite:///{path / 'billing.sqlite3'}"
    with slack_world(path, database, socket_mode=True) as started:
        yield started


def test_a_practice_installs_and_configures_billing_over_socket_mode(world: SlackWorld) -> None:
    seat = world.new_practice("Harbour Physio")
    home = world.open_home(seat.admin)
    invoice = world.slack.driver.slash_command(seat.admin, "/invoice", channel=seat.general)
    details = world.slack.driver.block_action(OPEN_BILLING_DETAILS, view=home).opened_view()
    before = world.rows()

    refused = world.slack.driver.submit_view(details, {"name": "  "})
    unchanged = world.rows()
    saved = world.slack.driver.submit_view(details, {"name": "Harbour Physio Ltd"})

    assert "Billing for Harbour Physio" in view_text(home)
    assert "No invoices yet." in reply_text(invoice)
    assert list(refused.errors) == ["name"] and "practice name" in refused.errors["name"]
    assert unchanged == before
    assert saved.response_action is None
    assert world.practice(seat.workspace).billing.name == "Harbour Physio Ltd"
    reopened = world.open_setting(seat.admin, OPEN_BILLING_DETAILS, channel=seat.general)
    assert initial_values(reopened)["name"] == "Harbour Physio Ltd"
    # The web routes keep no access log: request lines would carry OAuth codes and pay links.
    assert "/slack/oauth_redirect" not in world.server.output()


@pytest.mark.parametrize(
    ("interruption", "within"),
    [
        ("refresh", 10.0),  # Slack's "disconnect": the app opens a new one, then drops the old
        ("drop", 30.0),  # the connection vanishes: the app notices when its pings go unanswered
    ],
)
def test_the_app_is_connected_again_after_an_interruption(
    world: SlackWorld, interruption: str, within: float
) -> None:
    seat = world.new_practice(f"Tidewater Therapy ({interruption})")
    socket = world.slack.socket_mode
    assert socket is not None
    opened = len(world.slack.calls("apps.connections.open"))

    if interruption == "refresh":
        socket.refresh()
    else:
        socket.drop()
    wait_until(
        lambda: (
            len(world.slack.calls("apps.connections.open")) > opened and socket.connections == 1
        ),
        within,
        what="the app to hold one new connection",
    )
    invoice = world.slack.driver.slash_command(seat.admin, "/invoice", channel=seat.general)

    assert "No invoices yet." in reply_text(invoice)


def test_the_app_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    with slack_world(tmp_path, f"sqlite:///{tmp_path / 'b.sqlite3'}", socket_mode=True) as world:
        socket = world.slack.socket_mode
        assert socket is not None
        world.server.process.send_signal(signal.SIGTERM)

        assert world.server.process.wait(timeout=20) == 0
        wait_until(lambda: socket.connections == 0, 10, what="the connection to close")
        assert "event=socket_mode_stopping" in world.server.output()


@pytest.mark.parametrize(
    ("token", "advice"),
    [
        ("unknown", "copy it again from the app's Basic Information page"),
        ("no scope", "connections:write scope"),
        ("revoked", "generate a new app-level token"),
    ],
)
def test_a_refused_app_token_is_named_with_what_to_fix(
    tmp_path: Path, token: str, advice: str
) -> None:
    with SlackStandIn(signing_secret="socket-secret", socket_mode=True) as slack:
        workspace = slack.create_workspace("Cove Clinic")
        slack.install(workspace, slack.create_user(workspace, "ada", is_admin=True))
        app_token = {
            "unknown": "xapp-1-A0NOTREAL-1-" + "0" * 64,
            "no scope": slack.app_token(scopes=()),
            "revoked": slack.app_token(),
        }[token]
        if token == "revoked":
            slack.revoke_app_token(app_token)
        env = cli_env(
            DATABASE_URL=f"sqlite:///{tmp_path / 'b.sqlite3'}",
            SLACK_SIGNING_SECRET="socket-secret",
            SLACK_BOT_TOKEN=slack.installation(workspace).bot_token,
            SLACK_API_URL=slack.api_url,
            SLACK_APP_TOKEN=app_token,
        )
        upgrade(env["DATABASE_URL"])

        finished = run_cli("socket", "--port", str(free_port()), cwd=tmp_path, env=env, timeout=60)

    assert finished.returncode == 2, finished.stderr
    assert "Slack refused SLACK_APP_TOKEN" in finished.stderr
    assert advice in finished.stderr
    assert "Traceback" not in finished.stderr
