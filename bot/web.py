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

from bot.edge.auth import INSTALL_PATH, REDIRECT_PATH
from bot.edge.form import interaction_payload
from bot.edge.guard import RequestGuard

log = logging.getLogger(__name__)


class WebDependencies(Protocol):
    """What the web app needs from the composition root (`billing_bot.bootstrap.Container`)."""

    def database_status(self) -> dict[str, Any]:
        """Whether the database answers and its schema revision (see `health`)."""
        ...

    @property
    def slack(self) -> SlackSurfaceLike | None: ...


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
        body = request.get_data()
        refusal = slack.guard.refusal(
            body,
            request.headers.get("X-Slack-Request-Timestamp"),
            request.headers.get("X-Slack-Signature"),
        )
        if refusal is not None:
            return jsonify({"error": refusal, "status": 401}), 401
        payload = interaction_payload(body)
        if payload is None:
            return handler.handle(request)
        # Bolt takes an already parsed body only in its Socket Mode form, which differs from
        # HTTP only in skipping Bolt's signature check; the guard above made that one.
        parsed = BoltRequest(
            body=payload,
            query=request.query_string.decode(),
            headers=request.headers,  # type: ignore[arg-type]
            mode="socket_mode",
        )
        return to_flask_response(slack.app.dispatch(parsed))

    @app.get(INSTALL_PATH)
    def slack_install() -> WerkzeugResponse:
        return handler.handle(request)

    @app.get(REDIRECT_PATH)
    def slack_oauth_redirect() -> WerkzeugResponse:
        return handler.handle(request)


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
