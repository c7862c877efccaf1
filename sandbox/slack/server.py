"""The stand-in's HTTP side: Slack's Web API, OAuth authorize page, file hosts, response URLs.

Routes (all on one ``http://127.0.0.1:PORT``):

- ``POST|GET /api/<method>``: form-encoded, multipart or JSON bodies, token from
  ``Authorization: Bearer`` or a ``token`` field, client credentials for ``oauth.v2.access``
  from ``Authorization: Basic`` (as `slack_sdk` sends them) or form fields;
- ``GET /oauth/v2/authorize``: see `oauth.authorize`;
- ``POST /upload/v1/<key>`` and ``GET /files-pri/<team>-<file>/...``: see `files`;
- ``POST /response/<key>``: see `responses`.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from sandbox.slack import files, oauth, responses
from sandbox.slack.api import Handler, answer
from sandbox.slack.methods_apps import HANDLERS as APP_HANDLERS
from sandbox.slack.methods_auth import HANDLERS as AUTH_HANDLERS
from sandbox.slack.methods_chat import HANDLERS as CHAT_HANDLERS
from sandbox.slack.methods_conversations import HANDLERS as CONVERSATION_HANDLERS
from sandbox.slack.methods_users import HANDLERS as USER_HANDLERS
from sandbox.slack.methods_views import HANDLERS as VIEW_HANDLERS
from sandbox.slack.state import SlackState

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

HANDLERS: dict[str, Handler] = {
    **APP_HANDLERS,
    **AUTH_HANDLERS,
    **CHAT_HANDLERS,
    **CONVERSATION_HANDLERS,
    **USER_HANDLERS,
    **VIEW_HANDLERS,
    **files.HANDLERS,
    "oauth.v2.access": oauth.oauth_v2_access,
}
#: Methods called with client credentials instead of a token.
UNAUTHENTICATED = {"oauth.v2.access"}


class _Request(Request):
    # A view or a block list travels as one form field; Werkzeug's 500 kB default is too small
    # for a 100-block modal with long texts.
    max_form_memory_size = 10 * 1024 * 1024


class _QuietHandler(WSGIRequestHandler):
    # One access-log line per Web API call would drown a test's output; errors still log.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class SlackWebApp:
    """The WSGI application; holds no state of its own besides the shared `SlackState`."""

    def __init__(self, state: SlackState) -> None:
        self.state = state

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = _Request(environ)
        response = self.route(request)
        return response(environ, start_response)

    def route(self, request: _Request) -> Response:
        path = request.path
        if path.startswith("/api/"):
            return self.web_api(request, path.removeprefix("/api/"))
        if path == "/oauth/v2/authorize" and request.method == "GET":
            return self.authorize(request)
        if path.startswith("/upload/v1/") and request.method == "POST":
            return self.upload(request, path.removeprefix("/upload/v1/"))
        if path.startswith("/files-pri/") and request.method == "GET":
            return self.download(request)
        if path.startswith("/response/") and request.method == "POST":
            return self.response_url(request, path.removeprefix("/response/"))
        if path == "/signin":
            return Response(files.SIGN_IN_PAGE, 200, content_type="text/html; charset=utf-8")
        return Response("not found", 404, content_type="text/plain")

    def web_api(self, request: _Request, method: str) -> Response:
        args: dict[str, Any] = dict(request.args.to_dict())
        if request.is_json:
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                return _json(200, {"ok": False, "error": "invalid_json"})
            args.update(body)
        else:
            args.update(request.form.to_dict())
        kind, _, credentials = (request.headers.get("Authorization") or "").partition(" ")
        bearer = credentials.strip() if kind.lower() == "bearer" else None
        if kind.lower() == "basic":
            args = {**_basic_credentials(credentials), **args}
        result = answer(self.state, HANDLERS, UNAUTHENTICATED, method, args, bearer)
        return _json(result.status, result.body, result.headers)

    def authorize(self, request: _Request) -> Response:
        outcome = oauth.authorize(self.state, request.args.to_dict())
        if outcome.location is not None:
            return Response("", outcome.status, headers={"Location": outcome.location})
        return Response(outcome.page, outcome.status, content_type="text/plain; charset=utf-8")

    def upload(self, request: _Request, key: str) -> Response:
        if request.mimetype == "multipart/form-data" and request.files:
            content = next(iter(request.files.values())).read()
        else:
            content = request.get_data()
        status, text = files.receive_upload(self.state, key, content)
        return Response(text, status, content_type="text/plain; charset=utf-8")

    def download(self, request: _Request) -> Response:
        kind, _, token = (request.headers.get("Authorization") or "").partition(" ")
        bearer = token.strip() if kind.lower() == "bearer" else None
        result = files.download(self.state, request.path, bearer)
        if result.byte_every is None:
            return Response(result.body, result.status, headers=result.headers)
        return Response(
            _trickled(result.body, result.byte_every),
            result.status,
            headers=result.headers,
            direct_passthrough=True,
        )

    def response_url(self, request: _Request, key: str) -> Response:
        body = request.get_json(force=True, silent=True)
        status, answer_body = responses.receive(self.state, key, body)
        return _json(status, answer_body)


def _trickled(body: bytes, byte_every: float) -> Iterator[bytes]:
    # Plays a slow network: the pause is the point, so this waits on purpose. A client that
    # gives up ends the generator when its connection breaks.
    for index in range(len(body)):
        yield body[index : index + 1]
        time.sleep(byte_every)


class StandInServer:
    """Serves `SlackWebApp` from a background thread; `start` binds (port 0 = any free one)."""

    def __init__(self, state: SlackState, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = state
        self._host, self._port = host, port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Slack stand-in is not running")
        return f"http://{self._host}:{self._server.server_port}"

    def start(self) -> str:
        """Listen and serve in a daemon thread; returns the base URL."""
        if self._server is not None:
            return self.base_url
        self._server = make_server(
            self._host,
            self._port,
            SlackWebApp(self.state),
            threaded=True,
            request_handler=_QuietHandler,
        )
        self.state.base_url = self.base_url
        # A short poll interval makes stop() quick: shutdown waits for the next poll.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="slack-stand-in",
            daemon=True,
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None


def _json(
    status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        json.dumps(body),
        status,
        headers=dict(headers or {}),
        content_type="application/json; charset=utf-8",
    )


def _basic_credentials(encoded: str) -> dict[str, str]:
    try:
        client_id, _, client_secret = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return {}
    return {"client_id": client_id, "client_secret": client_secret}
