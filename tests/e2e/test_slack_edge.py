"""What the real server answers at the edge of Slack's wire protocol: requests that fail
inside a listener, bodies too large or never sent, workspaces that never installed the app,
and signed bodies that are not what Slack sends. Every request goes over HTTP to
``billing-bot serve``, since only there is what Bolt finally answers visible.

On SQLite, one server for the module; some tests make the app fail on purpose, so its log
is checked by each test rather than at the end."""

from __future__ import annotations

import http.client
import json
import re
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from slack_app_fixture import (
    SIGNING_SECRET,
    SlackWorld,
    a_png,
    slack_world,
    view_text,
)

from bot import clients, invoice_settings, tax_rates
from bot.edge.text import NOT_INSTALLED
from bot.home import OPEN_INVOICE_SETTINGS
from sandbox.slack import AppResponse, User, Workspace
from sandbox.slack.signing import signature
from sandbox.slack.transport import FORM, JSON

#: Long enough for any answer of the app; short enough that a request the app leaves
#: hanging fails the test instead of stalling the run.
GENEROUS_TIMEOUT = 10.0
_APOLOGY = re.compile(r"error ([0-9a-f]+)\)")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackWorld]:
    path = tmp_path_factory.mktemp("slack-edge")
    with slack_world(
        path, f"sqlite:///{path / 'billing.sqlite3'}", failures_expected=True
    ) as started:
        yield started


# -- helpers -----------------------------------------------------------------------------


def _log_since(world: SlackWorld, mark: int) -> str:
    return world.server.stderr.read_text()[mark:]


def _command_form(
    world: SlackWorld, user: User, command: str, *, response_url: str
) -> dict[str, str]:
    """A slash command's form as Slack sends it, from `user`, answering to `response_url`."""
    state = world.slack.state
    with state.lock:
        workspace = state.workspace(user.team_id)
        app = state.app
    return {
        "token": app.verification_token,
        "team_id": workspace.id,
        "team_domain": workspace.domain,
        "channel_id": "C0EDGE0001",
        "channel_name": "general",
        "user_id": user.id,
        "user_name": user.name,
        "command": command,
        "text": "",
        "api_app_id": app.app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": "1111.2222.edgecase",
    }


def _send(world: SlackWorld, body: bytes, content_type: str) -> AppResponse:
    return world.slack.driver.transport.send(body, content_type)


def _assert_logged_once_with_its_id(log: str, error_id: str) -> None:
    assert log.count(error_id) == 1, log
    assert f"event=listener_failed error_id={error_id}" in log
    assert log.count("Traceback") == 1, log  # ours, under the id; not Bolt's again


# -- 10: an unexpected failure is answered with the apology ------------------------------


def test_a_command_that_fails_unexpectedly_answers_the_apology_with_its_error_id(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Apology Command Clinic")
    form = _command_form(world, seat.admin, "/billing", response_url="http://127.0.0.1:9/r")
    del form["trigger_id"]  # the hub cannot open its modal without one
    mark = len(world.server.stderr.read_text())

    answer = _send(world, urlencode(form).encode(), FORM)

    assert answer.status == 200
    shown = answer.json()["text"] if answer.text.startswith("{") else answer.text
    assert shown.startswith("Sorry, something went wrong on our side")
    _assert_logged_once_with_its_id(_log_since(world, mark), _APOLOGY.findall(shown)[0])


def test_a_submission_whose_metadata_is_not_the_apps_answers_the_apology(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Apology Metadata Clinic")
    payload = _submission(
        world,
        seat.workspace,
        seat.admin,
        {"callback_id": tax_rates.EDIT_CALLBACK_ID, "private_metadata": "not the app's JSON"},
    )
    mark = len(world.server.stderr.read_text())

    answer = _send(world, urlencode({"payload": json.dumps(payload)}).encode(), FORM)

    assert answer.status == 200
    reply = answer.json()
    assert reply["response_action"] == "update"
    shown = json.dumps(reply["view"])
    assert "Sorry, something went wrong on our side" in shown
    _assert_logged_once_with_its_id(_log_since(world, mark), _APOLOGY.findall(shown)[0])


def test_a_client_name_the_database_cannot_store_answers_the_apology_in_the_modal(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Apology Surrogate Clinic")
    command = world.slack.driver.slash_command(seat.admin, clients.COMMAND, channel=seat.general)
    form = world.opened_view(command)
    mark = len(world.server.stderr.read_text())

    # A lone surrogate: valid JSON (as an escape), but not text SQLite can encode.
    submitted = world.slack.driver.submit_view(
        form, {clients.NAME: "Ada \ud83d", clients.EMAIL: "ada@example.com"}
    )

    assert submitted.status == 200
    assert submitted.response_action == "update"
    shown = view_text(submitted.current_view())
    assert "Sorry, something went wrong on our side" in shown
    _assert_logged_once_with_its_id(_log_since(world, mark), _APOLOGY.findall(shown)[0])
    assert "ada@example.com" not in _log_since(world, mark)


def _submission(
    world: SlackWorld, workspace: Workspace, user: User, view: dict[str, Any]
) -> dict[str, Any]:
    """A view_submission payload of a modal the app never opened (as a forged one would be)."""
    state = world.slack.state
    with state.lock:
        app = state.app
    return {
        "type": "view_submission",
        "team": {"id": workspace.id, "domain": workspace.domain},
        "user": {"id": user.id, "username": user.name, "name": user.name, "team_id": workspace.id},
        "api_app_id": app.app_id,
        "token": app.verification_token,
        "enterprise": None,
        "is_enterprise_install": False,
        "trigger_id": "1111.2222.edgecase",
        "view": {
            "id": "V0EDGE0001",
            "team_id": workspace.id,
            "type": "modal",
            "blocks": [],
            "state": {"values": {}},
            "hash": "1.edge",
            **view,
        },
        "response_urls": [],
    }


# -- 15: a signed body that is not what Slack sends -------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"type": "event_callback", "event": ', JSON),
        (b"[1, 2, 3]", JSON),
        (b'"a string"', JSON),
        (b"payload=", FORM),
        (b"payload=%7Bnot+json", FORM),
        (b"payload=%5B1%2C2%5D", FORM),
        (b"payload=null", FORM),
        (b"payload=%22text%22&x=1", FORM),
    ],
    ids=[
        "invalid JSON",
        "a JSON array",
        "a JSON string",
        "an empty payload",
        "a payload of invalid JSON",
        "a payload holding an array",
        "a payload holding null",
        "a payload holding a string beside another field",
    ],
)
def test_a_signed_body_that_is_not_a_slack_request_gets_400_with_a_reason(
    world: SlackWorld, body: bytes, content_type: str
) -> None:
    mark = len(world.server.stderr.read_text())

    answer = _send(world, body, content_type)

    assert answer.status == 400
    assert answer.json()["error"]
    log = _log_since(world, mark)
    assert "Traceback" not in log
    assert "error_id" not in log


# -- 11: bodies are refused before they are read ----------------------------------------

#: More than any request of Slack's, and than a server should hold in memory for one.
ONE_GIB = 1 << 30


@pytest.fixture(scope="module")
def werkzeug_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackWorld]:
    """``billing-bot socket``, whose web routes Werkzeug's threaded server serves."""
    path = tmp_path_factory.mktemp("slack-edge-werkzeug")
    with slack_world(path, f"sqlite:///{path / 'billing.sqlite3'}", socket_mode=True) as started:
        yield started


@pytest.fixture(params=["granian", "werkzeug"])
def server(request: pytest.FixtureRequest) -> SlackWorld:
    """The app under each HTTP server it runs under."""
    name = "world" if request.param == "granian" else "werkzeug_world"
    started: SlackWorld = request.getfixturevalue(name)
    return started


def _exchange(world: SlackWorld, head: str, sent: bytes = b"") -> tuple[int, dict[str, Any]]:
    """Send the request `head` (its lines, without the blank line that ends them) and then
    only `sent` of its body, and read the answer: if the server waited for the body the
    head announces, this times out instead."""
    address = urlsplit(world.app_url)
    with socket.create_connection(
        (address.hostname, address.port), timeout=GENEROUS_TIMEOUT
    ) as connection:
        connection.sendall(head.replace("\n", "\r\n").encode() + b"\r\n\r\n" + sent)
        answer = http.client.HTTPResponse(connection)
        answer.begin()
        return answer.status, json.loads(answer.read())


def _signed_head(world: SlackWorld, path: str, length: int) -> str:
    timestamp = str(int(time.time()))
    return (
        f"POST {path} HTTP/1.1\n"
        f"Host: {urlsplit(world.app_url).netloc}\n"
        f"Content-Type: {FORM}\n"
        f"Content-Length: {length}\n"
        f"X-Slack-Request-Timestamp: {timestamp}\n"
        f"X-Slack-Signature: {signature(SIGNING_SECRET, timestamp, b'')}"
    )


def test_a_request_without_signature_headers_is_refused_before_its_body_is_read(
    server: SlackWorld,
) -> None:
    head = (
        "POST /slack/events HTTP/1.1\n"
        f"Host: {urlsplit(server.app_url).netloc}\n"
        f"Content-Type: {FORM}\n"
        "Content-Length: 1000000"
    )

    status, answer = _exchange(server, head, b"payload=")

    assert status == 401
    assert answer["error"] == "missing Slack signature headers"


def test_a_body_larger_than_slack_sends_is_refused_before_it_is_read(
    server: SlackWorld,
) -> None:
    status, answer = _exchange(server, _signed_head(server, "/slack/events", ONE_GIB), b"pay")

    assert status == 413
    assert "larger than" in answer["error"]


def test_a_chunked_body_larger_than_slack_sends_is_refused(server: SlackWorld) -> None:
    head = _signed_head(server, "/slack/events", 0).replace(
        "Content-Length: 0", "Transfer-Encoding: chunked"
    )
    chunk = b"x" * (6 << 20)

    status, answer = _exchange(server, head, b"%x\r\n" % len(chunk) + chunk + b"\r\n0\r\n\r\n")

    assert status == 413
    assert "larger than" in answer["error"]


@pytest.mark.parametrize("path", ["/slack/install", "/slack/oauth_redirect", "/healthz"])
def test_a_get_route_takes_no_body(server: SlackWorld, path: str) -> None:
    head = (
        f"GET {path} HTTP/1.1\nHost: {urlsplit(server.app_url).netloc}\nContent-Length: {ONE_GIB}"
    )

    status, answer = _exchange(server, head, b"x")

    assert status == 413
    assert "takes no body" in answer["error"]


# -- 12: a workspace without an installation --------------------------------------------


@pytest.fixture
def never_answering_url() -> Iterator[str]:
    """A URL whose server accepts connections and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/response"


def test_a_command_from_a_workspace_without_the_app_is_answered_in_the_ack(
    world: SlackWorld, never_answering_url: str
) -> None:
    stranger_space = world.slack.create_workspace("Never Installed Practice")
    stranger = world.slack.create_user(stranger_space, "zed", is_admin=True)
    form = _command_form(world, stranger, "/invoice", response_url=never_answering_url)

    answer = _send(world, urlencode(form).encode(), FORM)

    assert answer.status == 200
    assert answer.text == NOT_INSTALLED


# -- 13: a logo download that never finishes --------------------------------------------


def test_a_logo_that_trickles_in_is_refused_in_the_modal_instead_of_holding_the_answer(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Trickle Physiotherapy")
    # A byte every 1.5 s: each read is quick, the whole file would take minutes.
    slow = world.slack.host_file(seat.admin, "logo.png", a_png(), byte_every=1.5)
    form = world.open_setting(seat.admin, OPEN_INVOICE_SETTINGS, channel=seat.general)
    before = world.rows()

    refused = world.slack.driver.submit_view(
        form, {invoice_settings.LOGO: slow, invoice_settings.NUMBER_PREFIX: "TP-"}
    )

    assert list(refused.errors) == [invoice_settings.LOGO]
    assert "took too long" in refused.errors[invoice_settings.LOGO]
    assert world.rows() == before
    assert world.practice(seat.workspace).invoice_settings.logo_ref is None
