"""`billing-bot socket`: Slack over a Socket Mode websocket for development, while a
threaded HTTP server keeps serving the web routes (Stripe, client pages, health)."""

from __future__ import annotations

import logging
import threading

from slack_bolt.adapter.socket_mode import SocketModeHandler
from werkzeug.serving import make_server

from billing_bot.bootstrap import build_container
from billing_bot.bot.web import create_web_app
from billing_bot.settings import Settings

log = logging.getLogger(__name__)


def run_socket_mode(settings: Settings) -> None:
    """Run until interrupted. Raises ValueError when Slack is not configured."""
    container = build_container(settings)
    if container.slack is None or settings.slack_app_token is None:
        raise ValueError(
            "Slack is not configured: set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN "
            "(or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET), and SLACK_APP_TOKEN"
        )
    web = make_server(settings.host, settings.port, create_web_app(container), threaded=True)
    threading.Thread(target=web.serve_forever, name="web", daemon=True).start()
    log.info("event=socket_mode_started web=http://%s:%s", settings.host, settings.port)
    try:
        SocketModeHandler(container.slack.app, settings.slack_app_token.get_secret_value()).start()
    finally:
        web.shutdown()
        container.close()
