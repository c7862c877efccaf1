"""The stand-in's HTTP side on one ``http://127.0.0.1:PORT``: the v1 API (what
``StripeClient(base_addresses={"api": ..., "connect": ...})`` calls) and the hosted pages
(Checkout, onboarding, the Express dashboard, receipts)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from sandbox.stripe import hosted
from sandbox.stripe.api import ApiRequest, answer
from sandbox.stripe.faults import Faults
from sandbox.stripe.state import StripeState

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

_PAGES = [
    (re.compile(r"^/c/pay/([A-Za-z0-9_]+)$"), "checkout"),
    (re.compile(r"^/setup/e/(acct_[A-Za-z0-9]+)/([A-Za-z0-9_-]+)$"), "onboarding"),
    (re.compile(r"^/express/(acct_[A-Za-z0-9]+)/([A-Za-z0-9_-]+)$"), "dashboard"),
    (re.compile(r"^/receipts/payment/([A-Za-z0-9_-]+)$"), "receipt"),
]


class _QuietHandler(WSGIRequestHandler):
    # An access-log line per API call would drown a test's output; errors still log.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class StripeWebApp:
    """The WSGI application; holds no state of its own besides the shared `StripeState`."""

    def __init__(self, state: StripeState, faults: Faults) -> None:
        self.state = state
        self.faults = faults

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        response = self.api(request) if request.path.startswith("/v1/") else self.page(request)
        return response(environ, start_response)

    def api(self, request: Request) -> Response:
        pairs = list((request.args if request.method == "GET" else request.form).items(multi=True))
        headers = {name.lower(): value for name, value in request.headers.items()}
        result = answer(
            self.state,
            self.faults,
            ApiRequest(request.method, request.path, headers, pairs),
        )
        if result.delay:
            # The slow answer is the point of the delay switch.
            time.sleep(result.delay)
        return Response(
            result.body,
            result.status,
            headers=result.headers,
            content_type="application/json",
        )

    def page(self, request: Request) -> Response:
        if request.method not in ("GET", "POST"):
            return Response("method not allowed", 405, content_type="text/plain")
        form = request.form.to_dict() if request.method == "POST" else {}
        for pattern, kind in _PAGES:
            match = pattern.match(request.path)
            if match is None:
                continue
            if kind == "checkout":
                outcome = hosted.checkout_page(self.state, match[1], request.method, form)
            elif kind == "onboarding":
                outcome = hosted.onboarding_page(
                    self.state, match[1], match[2], request.method, form
                )
            elif kind == "dashboard":
                outcome = hosted.dashboard_page(self.state, match[1], match[2])
            else:
                outcome = hosted.receipt_page(self.state, match[1])
            if outcome.location is not None:
                return Response("", outcome.status, headers={"Location": outcome.location})
            return Response(
                outcome.html,
                outcome.status,
                content_type="text/html; charset=utf-8",
                headers={"Cache-Control": "no-store"},
            )
        return Response("not found", 404, content_type="text/plain")


class StandInServer:
    """Serves `StripeWebApp` from a background thread; `start` binds (port 0 = any free one)."""

    def __init__(
        self, state: StripeState, faults: Faults, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.state = state
        self.faults = faults
        self._host, self._port = host, port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Stripe stand-in is not running")
        return f"http://{self._host}:{self._server.server_port}"

    def start(self) -> str:
        """Listen and serve in a daemon thread; returns the base URL."""
        if self._server is not None:
            return self.base_url
        self._server = make_server(
            self._host,
            self._port,
            StripeWebApp(self.state, self.faults),
            threaded=True,
            request_handler=_QuietHandler,
        )
        self.state.base_url = self.base_url
        # A short poll interval makes stop() quick: shutdown waits for the next poll.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="stripe-stand-in",
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
