"""The console's routes, mounted at ``/console`` on the app's own Flask app in sandbox mode.

Pages are drawn on the server (`screen` + Jinja2 templates); the page's script posts what the
person does to the ``/console/<team>/<user>/<place>/…`` endpoints, which act through the
`Console`, then redraws from ``…/parts``. It polls ``…/version`` to notice what the app does
later on its own (lazy listeners, ``views.update``, ``chat.update``).

Anyone who can reach the console can act as anyone in the demo workspaces, so it answers
only requests addressed to a loopback host name, and every POST must carry the
``X-Console`` header, which a page of another origin cannot add without a CORS preflight
that is never granted.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, abort, jsonify, redirect, request
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from werkzeug.wrappers import Response as WerkzeugResponse

from sandbox.console.screen import (
    NotFound,
    Screen,
    build_screen,
    default_url,
    screen_version,
)
from sandbox.console.session import Console, ConsoleError, FieldValue

CONSOLE_HEADER = "X-Console"
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]"}


def mount_console(app: Flask, console: Console) -> None:
    """Serve the console at ``/console`` on `app` (sandbox mode only)."""
    app.register_blueprint(console_blueprint(console))


def console_blueprint(console: Console) -> Blueprint:
    """The console's routes and static files, bound to `console`."""
    blueprint = Blueprint(
        "console",
        __name__,
        url_prefix="/console",
        static_folder="static",
        static_url_path="/static",
    )
    templates = _templates()

    @blueprint.before_request
    def screen_requests() -> Response | None:
        host = (request.host or "").rsplit(":", 1)[0]
        if host not in _LOOPBACK_HOSTS:
            abort(403)
        if request.method == "POST" and request.headers.get(CONSOLE_HEADER) != "1":
            abort(403)
        return None

    @blueprint.get("", strict_slashes=False)
    def start() -> WerkzeugResponse:
        url = default_url(console)
        if url is None:
            abort(503)
        return redirect(url)

    @blueprint.get("/<team_id>/<user_id>/<place>")
    def page(team_id: str, user_id: str, place: str) -> str:
        screen = _screen(console, team_id, user_id, place)
        main = templates.get_template("_main.html").render(s=screen)
        return templates.get_template("console.html").render(
            s=screen,
            # Safe: the autoescaping template rendered it.
            main=Markup(main),  # noqa: S704
            main_digest=_digest(main),
        )

    @blueprint.get("/<team_id>/<user_id>/<place>/parts")
    def parts(team_id: str, user_id: str, place: str) -> Response:
        screen = _screen(console, team_id, user_id, place)
        main = templates.get_template("_main.html").render(s=screen)
        return _no_store(
            jsonify(
                version=screen.version,
                main=main,
                main_digest=_digest(main),
                modal=templates.get_template("_modal.html").render(s=screen),
                modal_key=screen.modal.key if screen.modal else "",
                drawer=templates.get_template("_drawer.html").render(s=screen),
                drawer_count=len(screen.drawer),
            )
        )

    @blueprint.get("/<team_id>/<user_id>/<place>/version")
    def version(team_id: str, user_id: str, place: str) -> Response:
        try:
            return _no_store(jsonify(version=screen_version(console, team_id, user_id)))
        except NotFound:
            abort(404)

    @blueprint.post("/<team_id>/<user_id>/<place>/command")
    def command(team_id: str, user_id: str, place: str) -> Response:
        screen = _screen(console, team_id, user_id, place)
        if screen.channel_id is None:
            return _refused("There is no composer here.")
        body = _json()
        return _done(
            lambda: console.command(
                team_id, user_id, screen.channel_id or "", str(body.get("text", ""))
            )
        )

    @blueprint.post("/<team_id>/<user_id>/<place>/action")
    def action(team_id: str, user_id: str, place: str) -> Response:
        body = _json()
        block_id, action_id = str(body.get("block_id", "")), str(body.get("action_id", ""))
        value = body.get("value")
        if body.get("view_id"):
            return _done(
                lambda: console.act_in_view(
                    team_id,
                    user_id,
                    str(body["view_id"]),
                    block_id,
                    action_id,
                    value,
                    _values(body),
                )
            )
        return _done(
            lambda: console.act_in_message(
                team_id,
                user_id,
                str(body.get("channel_id", "")),
                str(body.get("ts", "")),
                block_id,
                action_id,
                value,
            )
        )

    @blueprint.post("/<team_id>/<user_id>/<place>/submit")
    def submit(team_id: str, user_id: str, place: str) -> Response:
        body = _json()
        return _done(
            lambda: console.submit(team_id, user_id, str(body.get("view_id", "")), _values(body))
        )

    @blueprint.post("/<team_id>/<user_id>/<place>/suggest")
    def suggest(team_id: str, user_id: str, place: str) -> Response:
        body = _json()
        try:
            found = console.suggest(
                team_id,
                user_id,
                str(body.get("view_id", "")),
                str(body.get("action_id", "")),
                str(body.get("text", "")),
            )
        except ConsoleError as problem:
            return _refused(str(problem))
        listed = [{"value": o["value"], "text": o["text"]["text"]} for o in found]
        return _no_store(jsonify(ok=True, options=listed))

    @blueprint.post("/<team_id>/<user_id>/<place>/close")
    def close(team_id: str, user_id: str, place: str) -> Response:
        body = _json()
        return _done(lambda: console.close(team_id, user_id, str(body.get("view_id", ""))))

    @blueprint.post("/<team_id>/<user_id>/<place>/opened")
    def opened(team_id: str, user_id: str, place: str) -> Response:
        tab = "messages" if place == "messages" else "home"
        return _done(lambda: console.opened(team_id, user_id, tab))

    @blueprint.post("/<team_id>/<user_id>/<place>/files")
    def upload(team_id: str, user_id: str, place: str) -> Response:
        chosen = request.files.get("file")
        if chosen is None:
            return _refused("No file was sent.")
        try:
            hosted = console.upload(team_id, user_id, chosen.filename or "file", chosen.read())
        except ConsoleError as problem:
            return _refused(str(problem))
        return jsonify(ok=True, id=hosted.id, name=hosted.name, size=hosted.size)

    @blueprint.get("/files/<file_id>")
    def download(file_id: str) -> Response:
        # The person's own Slack client is signed in, so it shows files without a token.
        with console.slack.state.lock:
            hosted = console.slack.state.files.get(file_id)
            content = hosted.content if hosted else None
        if hosted is None or content is None:
            abort(404)
        kind = hosted.mimetype or mimetypes.guess_type(hosted.name)[0] or "application/octet-stream"
        response = Response(content, mimetype=kind)
        response.headers["Content-Disposition"] = f'inline; filename="{hosted.name}"'
        # An uploaded SVG must not run script with the console's origin.
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'"
        )
        return response

    return blueprint


def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("sandbox.console", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _digest(html: str) -> str:
    return hashlib.sha1(html.encode(), usedforsecurity=False).hexdigest()


def _screen(console: Console, team_id: str, user_id: str, place: str) -> Screen:
    try:
        return build_screen(console, team_id, user_id, place)
    except NotFound:
        abort(404)


def _json() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400)
    return body


def _values(body: dict[str, Any]) -> list[FieldValue]:
    items = body.get("values") or []
    if not isinstance(items, list):
        abort(400)
    return [
        FieldValue(str(item.get("block_id", "")), str(item.get("action_id", "")), item.get("value"))
        for item in items
        if isinstance(item, dict)
    ]


def _done(act: Callable[[], None]) -> Response:
    try:
        act()
    except ConsoleError as problem:
        return _refused(str(problem))
    return jsonify(ok=True)


def _refused(problem: str) -> Response:
    response = jsonify(ok=False, error=problem)
    response.status_code = 409
    return response


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
