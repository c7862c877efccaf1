"""`billing-bot socket`: Slack over a Socket Mode websocket for development, while a
threaded HTTP server keeps serving the web routes (Stripe, client pages, health)."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from urllib.error import URLError

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.errors import SlackApiError
from werkzeug.serving import make_server

from billing_bot.bootstrap import build_container
from billing_bot.settings import Settings
from bot.web import create_web_app

log = logging.getLogger(__name__)

#: What to do about each way Slack refuses the app-level token.
_TOKEN_ADVICE = {
    "missing_scope": "give the app-level token the connections:write scope",
    "invalid_auth": "Slack does not know it; copy it again from the app's Basic Information page",
    "token_revoked": "it was revoked; generate a new app-level token",
    "access_denied": "turn on Socket Mode in the app's settings",
}


#: The SDK's client notices a dropped connection only when its pings go unanswered for four
#: intervals; with Bolt's default of 10 s a developer's app stayed deaf for most of a minute.
PING_SECONDS = 2.0


class SocketModeRefused(ValueError):
    """Slack would not open a Socket Mode connection; the message says what to fix."""


def run_socket_mode(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM. Raises ValueError when Slack is not configured, and
    `SocketModeRefused` when Slack turns the connection down."""
    container = build_container(settings)
    if container.slack is None or settings.slack_app_token is None:
        container.close()
        raise ValueError(
            "Slack is not configured: set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN "
            "(or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET), and SLACK_APP_TOKEN"
        )
    stop = threading.Event()

    def stop_on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGINT, stop_on_signal)
    web = make_server(settings.host, settings.port, create_web_app(container), threaded=True)
    threading.Thread(target=web.serve_forever, name="web", daemon=True).start()
    container.start_background()
    slack = SocketModeHandler(
        container.slack.app,
        settings.slack_app_token.get_secret_value(),
        ping_interval=PING_SECONDS,
    )
    try:
        _connect(slack, settings.slack_api_url)
        log.info("event=socket_mode_started web=http://%s:%s", settings.host, settings.port)
        stop.wait()
        log.info("event=socket_mode_stopping")
    finally:
        slack.close()
        web.shutdown()
        container.close()


def _connect(slack: SocketModeHandler, api_url: str) -> None:
    try:
        slack.connect()
    except SlackApiError as error:
        code = str(error.response.get("error"))
        advice = _TOKEN_ADVICE.get(code, "check SLACK_APP_TOKEN")
        raise SocketModeRefused(f"Slack refused SLACK_APP_TOKEN ({code}): {advice}") from None
    except (URLError, OSError) as error:
        raise SocketModeRefused(f"cannot reach Slack at {api_url}: {error}") from None
