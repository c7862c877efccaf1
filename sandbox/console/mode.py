"""Sandbox mode: the real app, a local Slack stand-in and the console, in one process.

``billing-bot demo`` runs this when no Slack credentials are configured. The app is built by
the same composition root and Flask factory as ``billing-bot serve``; only its settings
differ: ``SLACK_API_URL``, ``SLACK_SIGNING_SECRET`` and the OAuth client id and secret point
at the stand-in (and ``SUPPORT_TEAM_ID`` at its support workspace), the database is a fresh
SQLite file in a temporary folder (the stand-in's workspaces live in memory and vanish at
exit, so nothing would match them next time), the file outbox (without ``SMTP_URL``) is the
``mail`` folder beside it, which the console's Mail pane reads, and the console is mounted
at ``/console`` on the app's own port.

Time can be skipped ahead from the console (`sandbox.console.clock`): the app runs on a clock
shifted through ``TEST_CLOCK_FILE``, a file in the temporary folder unless one is named, so
that reminders planned for days ahead can be seen going out; the Stripe stand-in keeps the
same time.

Card payments work offline too: unless a Stripe key is configured (which is then used as
is), the Stripe stand-in runs in the same process on a port of its own, the app's
``STRIPE_SECRET_KEY``, ``STRIPE_WEBHOOK_SECRET`` and ``STRIPE_API_BASE`` name it, and its
webhooks go to the app's own ``/stripe/webhook``. Its onboarding and checkout pages are
what the browser opens from the setup button and the pay page. Nothing listens beyond
127.0.0.1: the console lets whoever reaches it act as anyone in the demo workspaces.

Why one process under Werkzeug's threaded server rather than `billing-bot serve`'s Granian:
the stand-in keeps Slack's world in memory, so every request of the console and every Web
API call of the app must reach the same process (a second server worker would hold a
second, empty world, and requests would land on either); and the console waits inside a
request for the app to answer a signed request sent to that same server, while the app
calls the stand-in in the same process — that needs a thread per request, which Werkzeug's
threaded server gives.
"""

from __future__ import annotations

import logging
import secrets
import signal
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from pydantic import SecretStr
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from billing_bot.bootstrap import Container, build_container
from billing_bot.outbox_worker import OutboxHandler
from billing_bot.settings import Settings
from bot.edge.auth import REDIRECT_PATH
from bot.web import create_web_app
from domain.outbox import OutboxKind, OutboxMessage
from gateways.system import ShiftedClock
from sandbox.console.app import mount_console
from sandbox.console.clock import SandboxTime
from sandbox.console.demo import APP_EVENTS, SUPPORT_WORKSPACE, seed_demo
from sandbox.console.session import Console, StripeMode
from sandbox.slack import SlackStandIn
from sandbox.stripe import StripeStandIn
from storage.migrate import upgrade

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
WEBHOOK_PATH = "/stripe/webhook"
#: Settings that mean "this is meant to talk to real Slack": the sandbox never runs then.
SLACK_CREDENTIALS = (
    "slack_signing_secret",
    "slack_client_id",
    "slack_client_secret",
    "slack_bot_token",
    "slack_app_token",
)


def slack_credentials(settings: Settings) -> list[str]:
    """The Slack credentials that are set, as variable names (values are never shown)."""
    return [name.upper() for name in SLACK_CREDENTIALS if getattr(settings, name) is not None]


class SandboxRefused(RuntimeError):
    """Slack credentials are configured, so the sandbox must not run."""


@dataclass
class Sandbox:
    """A running sandbox: stop it with `stop` (or use it as a context manager)."""

    url: str
    console_url: str
    slack: SlackStandIn
    #: None when a Stripe key is configured: the app then talks to that Stripe.
    stripe: StripeStandIn | None
    console: Console
    container: Container
    _server: BaseWSGIServer
    _thread: threading.Thread
    _folder: tempfile.TemporaryDirectory[str]

    def stop(self) -> None:
        """Stop serving, stop the stand-ins, release the database, delete the temp folder."""
        # Open pages' event streams end first, or each would hold a thread to its heartbeat.
        self.console.closing.set()
        self.slack.state.touch()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        # The app first: the Slack calls it still has queued (a preview being uploaded, a
        # Home refresh) finish against stand-ins that still answer, instead of waiting out
        # their timeouts against stopped ones.
        self.container.close()
        if self.stripe is not None:
            self.stripe.stop()
        self.slack.stop()
        self._folder.cleanup()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def start_sandbox(settings: Settings, *, port: int) -> Sandbox:
    """Start the app against the stand-in on 127.0.0.1:`port` (0: any free port) and install
    it into the demo workspaces. Raises `SandboxRefused` when Slack credentials are set, and
    `OSError` when the port cannot be bound."""
    present = slack_credentials(settings)
    if present:
        raise SandboxRefused(
            f"{', '.join(present)} set: the sandbox runs only without Slack credentials"
        )
    folder = tempfile.TemporaryDirectory(prefix="billing-bot-sandbox-")
    try:
        return _start(settings, port, folder)
    except BaseException:
        folder.cleanup()
        raise


def _start(settings: Settings, port: int, folder: tempfile.TemporaryDirectory[str]) -> Sandbox:
    database_url = f"sqlite:///{Path(folder.name) / 'sandbox.sqlite3'}"
    # The app's clock runs ahead of the real time by what the console skips (a test may name
    # a file of its own).
    clock_file = Path(settings.test_clock_file or Path(folder.name) / "clock-shift")
    upgrade(database_url)
    # Bound before the app is built: the app's OAuth redirect URL must name the real port.
    late = _LateApp()
    server = make_server(HOST, port, late, threaded=True, request_handler=_QuietHandler)
    url = f"http://{HOST}:{server.server_port}"
    slack = SlackStandIn(
        signing_secret=secrets.token_hex(16),
        app_url=url,
        redirect_urls=[url + REDIRECT_PATH],
        subscriptions=APP_EVENTS,
    ).start()
    # The vendor's workspace exists before the app is built: SUPPORT_TEAM_ID names it.
    support = slack.create_workspace(SUPPORT_WORKSPACE)
    stripe = None
    try:
        if settings.stripe_secret_key is None:
            # On the app's clock, however far the console skipped it: Stripe checks a
            # Checkout's expiry, which the app sets a day from its own now, against its own.
            # (Webhook signatures still carry the real time, which the app checks them by.)
            app_clock = ShiftedClock(clock_file)
            stripe = StripeStandIn(
                deliver_to=f"{url}{WEBHOOK_PATH}",
                host=HOST,
                clock=lambda: app_clock.now().timestamp(),
            ).start()
        mail_dir = Path(folder.name) / "mail"
        container = build_container(
            _sandbox_settings(
                settings, slack, stripe, url, database_url, mail_dir, support.id, clock_file
            )
        )
        web = create_web_app(container)
        console = Console(slack)
        console.mail_dir = mail_dir if container.settings.smtp_url is None else None
        console.stripe = _stripe_mode(stripe, container.settings)
        console.time = SandboxTime(
            clock_file, container.env.clock, then=container.jobs.sweep_reminders_now
        )
        _tell_console_of_mail(container.outbox_handlers, console)
        mount_console(web, console)
        late.target = web
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="sandbox-web"
        )
        thread.daemon = True
        thread.start()
    except BaseException:
        server.server_close()
        if stripe is not None:
            stripe.stop()
        slack.stop()
        raise
    sandbox = Sandbox(
        url, f"{url}/console", slack, stripe, console, container, server, thread, folder
    )
    try:
        container.start_background()
        console.world = seed_demo(slack, url, console.record, support=support)
    except BaseException:
        sandbox.stop()
        raise
    return sandbox


def _stripe_mode(stripe: StripeStandIn | None, settings: Settings) -> StripeMode:
    if stripe is not None:
        return StripeMode(standin=True, base_url=stripe.base_url)
    return StripeMode(standin=False, base_url=settings.stripe_api_base)


def _tell_console_of_mail(handlers: dict[str, OutboxHandler], console: Console) -> None:
    """Wrap the outbox's e-mail handlers so the Mail pane of every open page hears of each
    message as soon as it is filed (the worker reads the handlers at each claim)."""

    def then_tell(deliver: OutboxHandler) -> OutboxHandler:
        def delivered(message: OutboxMessage) -> None:
            deliver(message)
            console.mail_filed()

        return delivered

    for kind in (OutboxKind.EMAIL, OutboxKind.CLIENT_EMAIL):
        if kind in handlers:
            handlers[kind] = then_tell(handlers[kind])


def _sandbox_settings(
    settings: Settings,
    slack: SlackStandIn,
    stripe: StripeStandIn | None,
    url: str,
    database_url: str,
    mail_dir: Path,
    support_team_id: str,
    clock_file: Path,
) -> Settings:
    # A configured Stripe key is the operator's: it (and its webhook secret and base) stay.
    stripe_settings = (
        {
            "stripe_secret_key": SecretStr(stripe.secret_key),
            "stripe_webhook_secret": SecretStr(stripe.webhook_secret),
            "stripe_api_base": stripe.base_url,
        }
        if stripe is not None
        else {}
    )
    return settings.model_copy(
        update={
            **stripe_settings,
            # Filed beside the database, and gone with it: the demo's clients vanish at exit.
            "mail_dir": str(mail_dir),
            "host": HOST,
            "port": int(url.rsplit(":", 1)[1]),
            "public_base_url": url,
            "database_url": database_url,
            "support_team_id": support_team_id,
            "test_clock_file": str(clock_file),
            "slack_api_url": slack.api_url,
            "slack_signing_secret": SecretStr(slack.app.signing_secret),
            "slack_client_id": slack.app.client_id,
            "slack_client_secret": SecretStr(slack.app.client_secret),
            "slack_bot_token": None,
            "slack_app_token": None,
        }
    )


def run_sandbox(settings: Settings, *, port: int) -> None:
    """Start the sandbox, print its one URL, and serve until SIGINT or SIGTERM."""
    if settings.host != HOST:
        log.info("event=sandbox_loopback_only configured_host=%s", settings.host)
    stop = threading.Event()

    def stopping(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, stopping) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with start_sandbox(settings, port=port) as sandbox:
            print(
                f"billing-bot: sandbox console at {sandbox.console_url} "
                f"({_stand_ins(sandbox)}, two demo practices; Ctrl-C stops)",
                flush=True,
            )
            stop.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stand_ins(sandbox: Sandbox) -> str:
    if sandbox.stripe is None:
        return "a local Slack stand-in, your STRIPE_SECRET_KEY"
    return "local Slack and Stripe stand-ins"


class _LateApp:
    """A WSGI app whose target is set once the server's port is known."""

    target: WSGIApplication | None = None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self.target is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"starting\n"]
        return self.target(environ, start_response)


class _QuietHandler(WSGIRequestHandler):
    # Like `serve`: no access log, since request lines would record client payment links.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass
