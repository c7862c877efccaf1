"""The console's routes, mounted at ``/console`` on the app's own Flask app in sandbox mode.

Pages are drawn on the server (`screen` + Jinja2 templates); the page's script posts what the
person does to the ``/console/<team>/<user>/<place>/…`` endpoints, which act through the
`Console`, then redraws from ``…/parts``. What the app does later on its own (lazy listeners,
``views.update``, ``chat.update``) reaches the page over ``…/events``, a server-sent event
stream that names the new screen version whenever the stand-in's state changes, as Slack's
client hears of it over its websocket.

Anyone who can reach the console can act as anyone in the demo workspaces, so it answers
only requests addressed to a loopback host name, and every POST must carry the
``X-Console`` header, which a page of another origin cannot add without a CORS preflight
that is never granted.
"""

from __future__ import annotations

import hashlib
import mimetypes
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Flask, Response, abort, jsonify, redirect, request
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from werkzeug.wrappers import Response as WerkzeugResponse

from gateways.mail_folder import StoredMail
from sandbox.console.mail import (
    FRAME_SANDBOX,
    HTML_POLICY,
    NoSuchMail,
    find_mail,
    framed_html,
    is_mail_place,
    opened_id,
)
from sandbox.console.screen import (
    NotFound,
    Screen,
    build_screen,
    default_url,
    screen_version,
    shared_file,
)
from sandbox.console.session import Console, ConsoleError, FieldValue

CONSOLE_HEADER = "X-Console"
#: Each open page holds one server thread for its event stream; a few tabs are plenty, and
#: the bound keeps a runaway script from taking every thread of the sandbox.
MAX_STREAMS = 24
#: A comment line this often tells the browser the stream is alive, and finds out (by failing
#: to write) that a page has gone, which ends its thread.
HEARTBEAT_SECONDS = 10.0
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
                mail_count=screen.mail_count,
            )
        )

    streams = threading.BoundedSemaphore(MAX_STREAMS)

    @blueprint.get("/<team_id>/<user_id>/<place>/events")
    def events(team_id: str, user_id: str, place: str) -> Response:
        try:
            screen_version(console, team_id, user_id)
        except NotFound:
            abort(404)
        if not streams.acquire(blocking=False):
            abort(503)
        stream = _stream_versions(console, team_id, user_id)
        response = Response(stream, mimetype="text/event-stream")
        # Called by the server however the stream ends, even if it never started.
        response.call_on_close(streams.release)
        response.headers["Cache-Control"] = "no-store"
        return response

    @blueprint.post("/<team_id>/<user_id>/<place>/command")
    def command(team_id: str, user_id: str, place: str) -> Response:
        screen = _screen(console, team_id, user_id, place)
        if screen.channel_id is None:
            return _refused("There is no composer here.")
        body = _json()
        thread_ts = str(body.get("thread_ts") or "") or None
        return _done(
            lambda: console.command(
                team_id, user_id, screen.channel_id or "", str(body.get("text", "")), thread_ts
            )
        )

    @blueprint.post("/<team_id>/<user_id>/<place>/react")
    def react(team_id: str, user_id: str, place: str) -> Response:
        screen = _screen(console, team_id, user_id, place)
        if screen.channel_id is None:
            return _refused("There are no messages here.")
        body = _json()
        return _done(
            lambda: console.react(
                team_id,
                user_id,
                screen.channel_id or "",
                str(body.get("ts", "")),
                str(body.get("reaction", "")),
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

    @blueprint.post("/<team_id>/<user_id>/<place>/clock")
    def skip_time(team_id: str, user_id: str, place: str) -> Response:
        _screen(console, team_id, user_id, place)
        if console.time is None:
            return _refused("This console has no clock to move.")
        seconds = _json().get("seconds")
        if not isinstance(seconds, int) or isinstance(seconds, bool):
            return _refused("Say how many seconds to skip.")
        try:
            console.time.skip(timedelta(seconds=seconds))
        except ValueError as problem:
            return _refused(str(problem))
        return jsonify(ok=True)

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

    @blueprint.get("/<team_id>/<user_id>/<place>/files/<file_id>")
    def download(team_id: str, user_id: str, place: str, file_id: str) -> Response:
        # The person's own Slack client is signed in as them: it opens the files they may see.
        try:
            hosted = shared_file(console, team_id, user_id, file_id)
        except NotFound:
            abort(404)
        kind = hosted.mimetype or mimetypes.guess_type(hosted.name)[0] or "application/octet-stream"
        response = Response(hosted.content, mimetype=kind)
        disposition = "attachment" if request.args.get("download") else "inline"
        response.headers["Content-Disposition"] = _disposition(disposition, hosted.name)
        # An uploaded SVG or HTML file must not run script with the console's origin.
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; sandbox"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        return _no_store(response)

    @blueprint.get("/<team_id>/<user_id>/<place>/html")
    def mail_html(team_id: str, user_id: str, place: str) -> Response:
        mail = _opened_mail(console, team_id, user_id, place)
        if mail.html is None:
            abort(404)
        response = Response(framed_html(mail.html), mimetype="text/html")
        # The frame's sandbox attribute says the same; this holds even if the page is opened
        # on its own, outside the frame.
        response.headers["Content-Security-Policy"] = HTML_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return _no_store(response)

    @blueprint.get("/<team_id>/<user_id>/<place>/attachments/<int:index>")
    def mail_attachment(team_id: str, user_id: str, place: str, index: int) -> Response:
        mail = _opened_mail(console, team_id, user_id, place)
        if index >= len(mail.attachments):
            abort(404)
        attached = mail.attachments[index]
        response = Response(attached.content, mimetype=attached.content_type)
        response.headers["Content-Disposition"] = _disposition("attachment", attached.filename)
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return _no_store(response)

    return blueprint


def _opened_mail(console: Console, team_id: str, user_id: str, place: str) -> StoredMail:
    """The e-mail a Mail place names, for a person of the console (404 otherwise)."""
    if not is_mail_place(place):
        abort(404)
    try:
        screen_version(console, team_id, user_id)
        mail = find_mail(console.mail_dir, opened_id(place))
    except (NotFound, NoSuchMail):
        abort(404)
    if mail is None:
        abort(404)
    return mail


def _stream_versions(console: Console, team_id: str, user_id: str) -> Iterator[str]:
    """Server-sent events: the screen's version now, then each time it changes."""
    state = console.slack.state
    # How long the browser waits before reconnecting after the stream drops.
    yield "retry: 1000\n\n"
    shown = None
    while not console.closing.is_set():
        with state.changed:
            seen = state.generation
            current = screen_version(console, team_id, user_id)
        if current != shown:
            shown = current
            yield f"event: version\ndata: {current}\n\n"
        with state.changed:
            changed = state.changed.wait_for(
                partial(_moved_on, console, seen), timeout=HEARTBEAT_SECONDS
            )
        if not changed:
            yield ": still here\n\n"


def _disposition(kind: str, name: str) -> str:
    # A name may hold quotes or non-ASCII letters: RFC 6266's encoded form carries any name.
    return f"{kind}; filename*=UTF-8''{quote(name, safe='')}"


def _moved_on(console: Console, seen: int) -> bool:
    return console.slack.state.generation != seen or console.closing.is_set()


def _templates() -> Environment:
    templates = Environment(
        loader=PackageLoader("sandbox.console", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    templates.globals["mail_frame_sandbox"] = FRAME_SANDBOX
    return templates


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
