"""The stand-in's Socket Mode, as the unmodified `slack_sdk` Socket Mode client sees it: an
app-level token buys a one-time WebSocket URL, Slack says hello, and every request arrives
in an envelope whose acknowledgement is the answer."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from slack_scenario import SIGNING_SECRET, Practice, a_practice
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from helpers import wait_until
from sandbox.slack import SlackStandIn
from sandbox.slack.transport import Tamper


@dataclass
class SocketApp:
    """An app on the SDK's Socket Mode client: records each request and raw message, and
    acknowledges with what `answer` returns for it."""

    slack: SlackStandIn
    answer: Callable[[SocketModeRequest], dict[str, Any] | None] = lambda request: None
    requests: list[SocketModeRequest] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, app_token: str) -> SocketModeClient:
        client = SocketModeClient(
            app_token=app_token, web_client=WebClient(base_url=self.slack.api_url)
        )
        client.socket_mode_request_listeners.append(self._on_request)
        client.on_message_listeners.append(self._on_message)
        return client

    def _on_request(self, client: Any, request: SocketModeRequest) -> None:
        with self.lock:
            self.requests.append(request)
        payload = self.answer(request)
        client.send_socket_mode_response(
            SocketModeResponse(envelope_id=request.envelope_id, payload=payload)
        )

    def _on_message(self, message: str) -> None:
        with self.lock:
            self.messages.append(json.loads(message))


@pytest.fixture(scope="module")
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(signing_secret=SIGNING_SECRET, socket_mode=True) as standin:
        yield standin


@pytest.fixture
def practice(slack: SlackStandIn) -> Practice:
    return a_practice(slack)


@pytest.fixture(scope="module")
def connected(slack: SlackStandIn) -> Iterator[SocketApp]:
    # One app for the module: the SDK's client takes seconds to close.
    recorded = SocketApp(slack)
    client = recorded.client(slack.app_token())
    client.connect()
    assert slack.socket_mode is not None
    slack.socket_mode.wait_for_connections(1, timeout=10)
    yield recorded
    client.close()


@pytest.fixture
def app(connected: SocketApp) -> SocketApp:
    connected.answer = lambda request: None
    return connected


def _connections_open(slack: SlackStandIn, token: str) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        WebClient(base_url=slack.api_url).apps_connections_open(app_token=token)
    return raised.value


# -- apps.connections.open ---------------------------------------------------------------


def test_an_app_level_token_gets_a_websocket_url_with_a_ticket(slack: SlackStandIn) -> None:
    answer = WebClient(base_url=slack.api_url).apps_connections_open(app_token=slack.app_token())

    assert answer["url"].startswith("ws://127.0.0.1:")
    assert "/link/?ticket=" in answer["url"]
    assert f"app_id={slack.app.app_id}" in answer["url"]


def test_a_bot_token_cannot_open_a_connection(practice: Practice, slack: SlackStandIn) -> None:
    error = _connections_open(slack, practice.installation.bot_token)

    assert error.response["error"] == "not_allowed_token_type"


def test_an_app_level_token_without_connections_write_is_missing_scope(
    slack: SlackStandIn,
) -> None:
    error = _connections_open(slack, slack.app_token(scopes=()))

    assert error.response["error"] == "missing_scope"
    assert error.response["needed"] == "connections:write"


def test_an_app_level_token_in_the_body_is_not_taken(slack: SlackStandIn) -> None:
    body = f"token={slack.app_token()}".encode()
    request = urllib.request.Request(f"{slack.api_url}apps.connections.open", data=body)

    with urllib.request.urlopen(request) as reply:
        answer = json.load(reply)

    assert answer == {"ok": False, "error": "not_authed"}


def test_an_app_level_token_cannot_post_messages(slack: SlackStandIn, practice: Practice) -> None:
    client = WebClient(token=slack.app_token(), base_url=slack.api_url)

    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel=practice.billing.id, text="hello")

    assert raised.value.response["error"] == "not_allowed_token_type"


def test_an_app_not_set_up_for_socket_mode_is_denied() -> None:
    with SlackStandIn(signing_secret=SIGNING_SECRET) as plain:
        error = _connections_open(plain, plain.app_token())

    assert error.response["error"] == "access_denied"


def test_a_ticket_opens_one_connection_only() -> None:
    with SlackStandIn(signing_secret=SIGNING_SECRET, socket_mode=True) as slack:
        token = slack.app_token()
        url = WebClient(base_url=slack.api_url).apps_connections_open(app_token=token)
        with connect(url["url"]) as first:
            hello = json.loads(first.recv(timeout=5))

            with pytest.raises(InvalidStatus) as refused:
                connect(url["url"])

    assert hello["type"] == "hello"
    assert refused.value.response.status_code == 401


# -- envelopes ---------------------------------------------------------------------------


def test_slack_says_hello_with_the_apps_id(app: SocketApp, slack: SlackStandIn) -> None:
    hello = wait_until(
        lambda: next((m for m in app.messages if m.get("type") == "hello"), None),
        10,
        what="Slack's hello",
    )

    assert hello["connection_info"] == {"app_id": slack.app.app_id}
    assert hello["num_connections"] == 1


def test_a_slash_command_arrives_in_an_envelope_and_its_ack_is_the_reply(
    app: SocketApp, slack: SlackStandIn, practice: Practice
) -> None:
    app.answer = lambda request: {"text": f"You typed {request.payload['text']}"}

    typed = slack.driver.slash_command(practice.admin, "/invoice", "list", channel=practice.billing)

    request = app.requests[-1]
    assert request.type == "slash_commands"
    assert request.accepts_response_payload is True
    assert request.payload["command"] == "/invoice"
    assert request.payload["trigger_id"] == typed.trigger_id
    assert typed.reply() == {"text": "You typed list"}
    assert slack.ephemeral_messages_for(practice.admin)[-1].text == "You typed list"


def test_an_event_retry_carries_its_attempt_and_reason(
    app: SocketApp, slack: SlackStandIn, practice: Practice
) -> None:
    event = {"type": "app_home_opened", "user": practice.admin.id, "tab": "messages"}

    slack.driver.event(practice.workspace, event, event_id="Ev0RETRY01", retry_num=2)

    request = app.requests[-1]
    assert request.type == "events_api"
    assert request.accepts_response_payload is False
    assert (request.retry_attempt, request.retry_reason) == (2, "http_timeout")
    assert request.payload["event_id"] == "Ev0RETRY01"
    assert request.payload["event"]["type"] == "app_home_opened"


def test_the_app_reconnects_when_asked_to_refresh(
    app: SocketApp, slack: SlackStandIn, practice: Practice
) -> None:
    socket = slack.socket_mode
    assert socket is not None
    opened = len(slack.calls("apps.connections.open"))

    socket.refresh()

    wait_until(
        lambda: len(slack.calls("apps.connections.open")) > opened, 10, what="a new connection"
    )
    wait_until(lambda: socket.connections == 1, 10, what="the old connection to close")
    assert any(m.get("reason") == "refresh_requested" for m in app.messages)
    assert slack.driver.slash_command(practice.admin, "/invoice").status == 200


def test_socket_mode_requests_cannot_be_tampered_with_or_replayed(
    app: SocketApp, slack: SlackStandIn, practice: Practice
) -> None:
    with pytest.raises(ValueError, match="no signature"):
        slack.driver.slash_command(practice.admin, "/invoice", tamper=Tamper.WRONG_SIGNATURE)
    typed = slack.driver.slash_command(practice.admin, "/invoice")

    with pytest.raises(ValueError, match="not replayed"):
        slack.driver.replay(typed)


def test_with_no_app_connected_nothing_is_delivered() -> None:
    with SlackStandIn(signing_secret=SIGNING_SECRET, socket_mode=True) as slack:
        admin = a_practice(slack).admin

        with pytest.raises(ConnectionError, match="no Socket Mode connection"):
            slack.driver.slash_command(admin, "/invoice")
