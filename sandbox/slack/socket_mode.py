"""Slack's side of Socket Mode: the WebSocket an app dials with the URL that
``apps.connections.open`` gave it, and the requests Slack sends the app over it.

The protocol, from Slack's "Using Socket Mode" guide:

- the app connects to ``ws://HOST:PORT/link/?ticket=...&app_id=...``; a ticket works once;
- Slack greets it with ``{"type": "hello", "num_connections", "connection_info", ...}``;
- every request is an envelope ``{"envelope_id", "type", "payload",
  "accepts_response_payload"}`` (events add ``retry_attempt`` and ``retry_reason``), where
  ``payload`` is what HTTP mode would POST; the app acknowledges with ``{"envelope_id",
  "payload"?}``, and Slack treats that payload as it treats an HTTP answer's body;
- ``{"type": "disconnect", "reason": "refresh_requested"}`` asks the app to open a new
  connection; the old one keeps working until the app closes it.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal
from urllib.parse import parse_qs, parse_qsl, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from sandbox.slack.state import SlackState
from sandbox.slack.transport import FORM, AppResponse, SentRequest, Tamper

EnvelopeType = Literal["slash_commands", "interactive", "events_api"]
#: Interactions whose acknowledgement may carry an answer (errors, options...); Slack
#: ignores a payload in the others' acknowledgements.
_ANSWERED_INTERACTIONS = {"view_submission", "block_suggestion"}


@dataclass
class _Link:
    """One open connection from the app."""

    connection: ServerConnection
    send_lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, message: dict[str, Any]) -> None:
        with self.send_lock:
            self.connection.send(json.dumps(message))


class SocketModeServer:
    """The WebSocket server; `start` binds it and tells the state its URL."""

    def __init__(self, state: SlackState, host: str = "127.0.0.1") -> None:
        self.state = state
        self._host = host
        self._server: Server | None = None
        self._links: list[_Link] = []
        self._pending: dict[str, Future[dict[str, Any] | None]] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    def start(self) -> str:
        if self._server is None:
            # Slack's own pings are not what anything here tests; the app pings Slack.
            self._server = serve(
                self._serve,
                self._host,
                0,
                process_request=self._admit,
                ping_interval=None,
                compression=None,
                # The SDK's client drops its socket without a closing handshake.
                close_timeout=1,
            )
            threading.Thread(
                target=self._server.serve_forever, name="slack-socket-mode", daemon=True
            ).start()
            port = self._server.socket.getsockname()[1]
            with self.state.lock:
                self.state.socket_url = f"ws://{self._host}:{port}"
        return self.state.socket_url

    def stop(self) -> None:
        if self._server is None:
            return
        with self.state.lock:
            self.state.socket_url = ""
        for link in self._open_links():
            link.connection.close()
        self._server.shutdown()
        self._server = None

    # -- what tests and the driver use -----------------------------------------------------

    @property
    def connections(self) -> int:
        """How many connections the app holds open now."""
        return len(self._open_links())

    def wait_for_connections(self, count: int = 1, timeout: float = 30.0) -> None:
        """Block until the app holds `count` connections (TimeoutError after `timeout`)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self._links) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"the app opened {len(self._links)}/{count} connections")
                self._changed.wait(left)

    def refresh(self) -> None:
        """Ask the app to reconnect, as Slack does every few hours."""
        for link in self._open_links():
            link.send({"type": "disconnect", "reason": "refresh_requested"})

    def drop(self) -> None:
        """Close every connection without warning, as a network failure or a Slack restart
        does; the app has to notice and connect again."""
        for link in self._open_links():
            link.connection.close_socket()

    def deliver(
        self,
        kind: EnvelopeType,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool,
        retry: tuple[int, str] | None = None,
        timeout: float = 10.0,
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """Send one envelope on the newest connection and wait for its acknowledgement;
        returns the envelope and the payload the app answered with (None for a bare ack)."""
        links = self._open_links()
        if not links:
            raise ConnectionError("the app holds no Socket Mode connection")
        envelope: dict[str, Any] = {
            "envelope_id": str(uuid.uuid4()),
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if kind == "events_api":
            attempt, reason = retry or (0, "")
            envelope.update(retry_attempt=attempt, retry_reason=reason)
        answered: Future[dict[str, Any] | None] = Future()
        with self._lock:
            self._pending[envelope["envelope_id"]] = answered
        try:
            links[-1].send(envelope)
            return envelope, answered.result(timeout)
        except FutureTimeout:
            raise TimeoutError(f"the app did not acknowledge {kind} within {timeout}s") from None
        finally:
            with self._lock:
                self._pending.pop(envelope["envelope_id"], None)

    # -- the server's side -----------------------------------------------------------------

    def _admit(self, connection: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        ticket = parse_qs(parts.query).get("ticket", [""])[0]
        if parts.path.rstrip("/") != "/link" or not self.state.redeem_socket_ticket(ticket):
            return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid or used ticket\n")
        return None

    def _serve(self, connection: ServerConnection) -> None:
        link = _Link(connection)
        with self._changed:
            self._links.append(link)
            count = len(self._links)
            self._changed.notify_all()
        try:
            link.send(
                {
                    "type": "hello",
                    "num_connections": count,
                    "connection_info": {"app_id": self.state.app.app_id},
                    "debug_info": {"host": "applink-standin", "approximate_connection_time": 18060},
                }
            )
            for message in connection:
                self._acknowledged(message)
        except ConnectionClosed:
            pass
        finally:
            with self._changed:
                self._links.remove(link)
                self._changed.notify_all()

    def _acknowledged(self, message: str | bytes) -> None:
        try:
            ack = json.loads(message)
        except ValueError:
            return  # Slack drops what it cannot read; the request then times out
        if not isinstance(ack, dict):
            return
        with self._lock:
            answered = self._pending.get(str(ack.get("envelope_id")))
        if answered is not None and not answered.done():
            payload = ack.get("payload")
            answered.set_result(payload if isinstance(payload, dict) else None)

    def _open_links(self) -> list[_Link]:
        with self._lock:
            return list(self._links)


class SocketModeTransport:
    """Carries the driver's requests over Socket Mode instead of HTTP: the same payloads,
    unsigned, each in an envelope; the acknowledgement's payload becomes the answer."""

    def __init__(self, server: SocketModeServer, *, timeout: float = 10.0) -> None:
        self.server = server
        self._timeout = timeout

    def send(
        self,
        body: bytes,
        content_type: str,
        *,
        tamper: Tamper = Tamper.NONE,
        headers: dict[str, str] | None = None,
        signed_at: int | None = None,
    ) -> AppResponse:
        if tamper is not Tamper.NONE:
            raise ValueError("Socket Mode requests carry no signature to spoil")
        kind, payload = _envelope_contents(body, content_type)
        answered_types = _ANSWERED_INTERACTIONS if kind == "interactive" else set()
        accepts = kind == "slash_commands" or payload.get("type") in answered_types
        retry = None
        if headers and "X-Slack-Retry-Num" in headers:
            retry = (int(headers["X-Slack-Retry-Num"]), headers.get("X-Slack-Retry-Reason", ""))
        started = time.perf_counter()
        envelope, answer = self.server.deliver(
            kind, payload, accepts_response_payload=accepts, retry=retry, timeout=self._timeout
        )
        sent = SentRequest(
            f"{self.server.state.socket_url}#{envelope['envelope_id']}",
            json.dumps(envelope).encode(),
            {},
        )
        reply = json.dumps(answer).encode() if answer else b""
        headers_out = {"Content-Type": "application/json"}
        return AppResponse(200, headers_out, reply, time.perf_counter() - started, sent)

    def replay(self, sent: SentRequest) -> AppResponse:
        raise ValueError("Socket Mode envelopes are not replayed; replay applies over HTTP")


def _envelope_contents(body: bytes, content_type: str) -> tuple[EnvelopeType, dict[str, Any]]:
    """Which envelope carries the request HTTP mode would POST as `body`, and its payload."""
    if content_type == FORM:
        form = dict(parse_qsl(body.decode(), keep_blank_values=True))
        if "payload" in form:
            return "interactive", json.loads(form["payload"])
        return "slash_commands", form
    document = json.loads(body)
    if document.get("type") != "event_callback":
        raise ValueError(f"Slack sends no {document.get('type')} over Socket Mode")
    return "events_api", document
