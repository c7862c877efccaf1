"""The HTTP surface: a Flask app built per process from the container (no module-level app).

Later issues mount Slack (``/slack/...``), Stripe (``/stripe/webhook``) and the client-facing
pages here; this module owns the app factory, the health check and the JSON error pages.
"""

from __future__ import annotations

import logging
import secrets
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Protocol

from flask import Flask, Response, jsonify, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_bolt.adapter.flask.handler import to_flask_response
from slack_bolt.request import BoltRequest
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

from bot.documents_web import mount_documents
from bot.edge.auth import INSTALL_PATH, REDIRECT_PATH
from bot.edge.form import NotASlackBody, slack_body
from bot.edge.guard import MISSING_SIGNATURE, RequestGuard
from bot.payments_web import WEBHOOK_BODY_LIMIT, PaymentsSurface, mount_payments

log = logging.getLogger(__name__)

# Slack publishes no size for what it sends. The largest is an interaction carrying a view:
# Slack refuses to show a view over 250 kB (views.open/push/update/publish: view_too_large),
# and its inputs' values add at most 100 x 3,000 characters (1.2 MB in UTF-8); the form's
# percent-encoding at most triples that. Anything larger is not from Slack, and refusing it
# before it is read keeps a worker's memory bounded (a 1 GiB body once grew it to 2.4 GB).
SLACK_BODY_LIMIT = 5 * 1024 * 1024
#: The body each route's sender can send, by endpoint. A GET takes none (the health check,
#: OAuth's install page and its redirect from Slack carry everything in the URL).
BODY_LIMITS = {
    "slack_events": SLACK_BODY_LIMIT,
    "stripe_webhook": WEBHOOK_BODY_LIMIT,
    # The pay button's form carries nothing; the page's own token is in the URL.
    "pay_now": 1024,
}
#: For a route that takes a body and names no limit above (the sandbox console's forms, and
#: the files it uploads to the Slack stand-in, which may be larger than a logo may be so
#: that the app's own refusal can be tried).
OTHER_BODY_LIMIT = 16 * 1024 * 1024


class WebDependencies(Protocol):
    """What the web app needs from the composition root (`billing_bot.bootstrap.Container`)."""

    def database_status(self) -> dict[str, Any]:
        """Whether the database answers and its schema revision (see `health`)."""
        ...

    @property
    def slack(self) -> SlackSurfaceLike | None: ...

    @property
    def payments(self) -> PaymentsSurface | None: ...


class SlackSurfaceLike(Protocol):
    @property
    def app(self) -> App: ...

    @property
    def guard(self) -> RequestGuard: ...


def create_web_app(container: WebDependencies) -> Flask:
    """Build the WSGI app serving every HTTP route, wired to `container`'s services.

    Every response is JSON or a page of ours: errors never show Werkzeug's HTML or a
    traceback, and an unexpected exception answers 500 with an error id that is also logged.
    """
    app = Flask("billing_bot")
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app_version = _package_version()

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        """Status for load balancers and operators; see `health` for the contract."""
        body, status = health(container.database_status(), app_version)
        response = jsonify(body)
        response.headers["Cache-Control"] = "no-store"
        return response, status

    if container.slack is not None:
        _mount_slack(app, container.slack)
    if container.payments is not None:
        mount_payments(app, container.payments)
        mount_documents(app, container.payments.deps, container.payments.pdf_lookup)

    @app.before_request
    def refuse_oversized_body() -> tuple[Response, int] | None:
        """Refuse a body larger than the route's sender can send, from its Content-Length,
        before anything reads it. A body without one (chunked) is read one byte past the
        limit at most, so that the route can tell it was too large."""
        if request.endpoint is None:  # no such route: 404 or 405, whatever the body
            return None
        limit = BODY_LIMITS.get(
            request.endpoint, 0 if request.method in ("GET", "HEAD") else OTHER_BODY_LIMIT
        )
        request.max_content_length = limit + 1
        if request.content_length is not None and request.content_length > limit:
            return _too_large(limit)
        return None

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> WerkzeugResponse:
        # get_response() keeps headers such as Allow on a 405; only the body is replaced.
        response = error.get_response()
        response.set_data(app.json.dumps({"error": error.name, "status": error.code or 500}) + "\n")
        response.content_type = "application/json"
        return response

    @app.errorhandler(Exception)
    def unexpected_error(_error: Exception) -> tuple[Response, int]:
        error_id = secrets.token_hex(6)
        log.exception("event=unhandled_error error_id=%s", error_id)
        return jsonify({"error": "Internal Server Error", "status": 500, "id": error_id}), 500

    return app


def _mount_slack(app: Flask, slack: SlackSurfaceLike) -> None:
    """Slack's endpoints: events and interactivity (screened first), and the OAuth install."""
    handler = SlackRequestHandler(slack.app)

    @app.post("/slack/events")
    def slack_events() -> WerkzeugResponse | tuple[Response, int]:
        timestamp = request.headers.get("X-Slack-Request-Timestamp")
        signature = request.headers.get("X-Slack-Signature")
        if not timestamp or not signature:
            # Before the body is read: anyone can send a request, of any size, without them.
            return jsonify({"error": MISSING_SIGNATURE, "status": 401}), 401
        body = request.get_data()
        if len(body) > SLACK_BODY_LIMIT:  # chunked, so not refused before it was read
            return _too_large(SLACK_BODY_LIMIT)
        refusal = slack.guard.forgery(body, timestamp, signature)
        if refusal is not None:
            return jsonify({"error": refusal, "status": 401}), 401
        try:
            parsed = slack_body(body, request.headers.get("Content-Type"))
        except NotASlackBody as error:
            log.warning("event=slack_body_refused reason=%s", error)
            return jsonify({"error": str(error), "status": 400}), 400
        refusal = slack.guard.replay(signature, parsed)
        if refusal is not None:
            return jsonify({"error": refusal, "status": 401}), 401
        # Bolt takes an already parsed body only in its Socket Mode form, which differs from
        # HTTP only in skipping Bolt's signature check; the guard above made that one.
        bolt_request = BoltRequest(
            body=parsed,
            query=request.query_string.decode(),
            headers=request.headers,  # type: ignore[arg-type]
            mode="socket_mode",
        )
        return to_flask_response(slack.app.dispatch(bolt_request))

    @app.get(INSTALL_PATH)
    def slack_install() -> WerkzeugResponse:
        return handler.handle(request)

    @app.get(REDIRECT_PATH)
    def slack_oauth_redirect() -> WerkzeugResponse:
        return handler.handle(request)


def _too_large(limit: int) -> tuple[Response, int]:
    reason = (
        "this route takes no body"
        if limit == 0
        else f"the body is larger than {limit} bytes, the most this route takes"
    )
    return jsonify({"error": reason, "status": 413}), 413


def health(database: dict[str, Any], app_version: str) -> tuple[dict[str, Any], int]:
    """Return the health body and HTTP status for the database's status as storage reports it
    (``status``, ``dialect``, ``revision``, ``head``).

    * ``ok`` / 200: the database answers and its schema is at this code's head revision;
    * ``degraded`` / 503: the database answers but its schema is not at head (``billing-bot
      migrate`` has not run, or ran for another version): this process would fail requests
      that touch the missing schema, so a load balancer should not send it traffic yet;
    * ``unavailable`` / 503: the database does not answer.
    """
    if database["status"] != "ok":
        status = "unavailable"
    elif database["revision"] != database["head"]:
        status = "degraded"
    else:
        status = "ok"
    body = {"status": status, "database": database, "version": app_version}
    return body, 200 if status == "ok" else 503


def _package_version() -> str:
    try:
        return version("billing-bot")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"
