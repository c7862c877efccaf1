"""Small factories and servers for the Slack stand-in's contract tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from slack_sdk import WebClient
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from sandbox.slack import (
    DEFAULT_BOT_SCOPES,
    Channel,
    Installation,
    SlackStandIn,
    User,
    Workspace,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

SIGNING_SECRET = "contract-test-signing-secret"


@dataclass
class Practice:
    """A workspace with the app installed: an admin, a colleague and a #billing channel."""

    workspace: Workspace
    admin: User
    staff: User
    billing: Channel
    installation: Installation
    client: WebClient


def a_practice(
    slack: SlackStandIn,
    name: str = "Sunrise Therapy",
    *,
    scopes: Iterable[str] = DEFAULT_BOT_SCOPES,
    tz: str = "Europe/Berlin",
) -> Practice:
    """A practice's workspace with the app installed directly and the bot in #billing."""
    workspace = slack.create_workspace(name)
    admin = slack.create_user(workspace, "ada", real_name="Ada Lovelace", tz=tz, is_admin=True)
    staff = slack.create_user(workspace, "ben", real_name="Ben Okri", tz=tz)
    installation = slack.install(workspace, admin, scopes=scopes)
    billing = slack.create_channel(workspace, "billing", members=[admin, staff], with_bot=True)
    client = WebClient(token=installation.bot_token, base_url=slack.api_url)
    return Practice(workspace, admin, staff, billing, installation, client)


def a_modal(*blocks: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A modal view with a title, a submit button and `blocks`."""
    return {
        "type": "modal",
        "callback_id": "settings",
        "title": {"type": "plain_text", "text": "Billing settings"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": list(blocks),
        **fields,
    }


def a_text_input(block_id: str, action_id: str | None = None, **element: Any) -> dict[str, Any]:
    """An input block holding a plain_text_input."""
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": block_id.replace("_", " ").title()},
        "element": {"type": "plain_text_input", "action_id": action_id or block_id, **element},
    }


@dataclass(frozen=True)
class Received:
    """A request the recording app got from the driver."""

    headers: dict[str, str]
    body: bytes

    def payload(self) -> dict[str, Any]:
        """The interaction payload, the Events API body, or the slash command form."""
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("application/json"):
            return dict(json.loads(self.body))
        form = {key: values[0] for key, values in parse_qs(self.body.decode()).items()}
        return dict(json.loads(form["payload"])) if "payload" in form else form


Answer = Callable[[Received], tuple[int, Any]]


@dataclass
class RecordingApp:
    """Plays the billing app: records what "Slack" sends and answers as the test says."""

    received: list[Received] = field(default_factory=list)
    answer: Answer = field(default=lambda _: (200, None))

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
        request = Request(environ)
        got = Received(dict(request.headers), request.get_data())
        self.received.append(got)
        status, body = self.answer(got)
        text = "" if body is None else body if isinstance(body, str) else json.dumps(body)
        kind = (
            "application/json" if body is not None and not isinstance(body, str) else "text/plain"
        )
        return iter(Response(text, status, content_type=kind)(environ, start_response))

    @property
    def last(self) -> Received:
        return self.received[-1]


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@contextmanager
def serving(app: WSGIApplication) -> Iterator[str]:
    """Serve a WSGI app on a free port of 127.0.0.1 in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class LateApp:
    """A WSGI app whose target is set after the server starts (its URL is needed to build it)."""

    target: WSGIApplication | None = None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        assert self.target is not None, "LateApp.target was never set"
        return self.target(environ, start_response)
