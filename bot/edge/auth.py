"""Installing the app into a workspace (OAuth) and authorizing each request from the
installation store, without a round trip to Slack."""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

from slack_bolt import BoltContext, BoltRequest, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import Authorize
from slack_bolt.middleware import Middleware
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import InstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine

from bot.edge.deps import BotDeps
from bot.edge.text import NOT_INSTALLED
from domain.usecases.access import InstallApp, install_app

log = logging.getLogger(__name__)

# Only what the app uses: posting its own messages (and DMs to the Messages tab), slash
# commands, joining the billing channel, reading the logo a user uploads in a modal, and
# reading a user's time zone. app_manifest.yml lists the same; a test keeps them equal.
# files:write and im:write: /invoice export uploads its CSV to the user's DM with the app.
# The Help channel reads messages in the app's DMs and in channels it was added to
# (im:history, channels:history; the latter also reads a message someone marked with 🎫),
# @-mentions (app_mentions:read) and reactions (reactions:read), and relays files.
BOT_SCOPES = [
    "app_mentions:read",
    "channels:history",
    "channels:join",
    "chat:write",
    "commands",
    "files:read",
    "files:write",
    "im:history",
    "im:write",
    "reactions:read",
    "users:read",
]

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


def authorize_url_for(api_url: str) -> str:
    """Slack's OAuth authorize page sits beside its Web API: https://slack.com/oauth/v2/authorize
    for https://slack.com/api/, and likewise on a local stand-in."""
    return urljoin(api_url, "../oauth/v2/authorize")


class InstallationStoreAuthorize(Authorize):
    """Answer Bolt's authorization from the stored bot token alone.

    Bolt's own version calls auth.test on every uncached request; the installation already
    holds the bot's ids, so asking Slack again only adds latency and a failure mode."""

    def __init__(self, store: InstallationStore, *, remember_for: float = 10.0) -> None:
        self._store = store
        self._remember_for = remember_for
        self._remembered: dict[tuple[str | None, str | None], tuple[float, AuthorizeResult]] = {}

    def __call__(
        self,
        *,
        context: BoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        **_actor: Any,
    ) -> AuthorizeResult | None:
        # Every request needs the bot token; remembering it briefly spares a query per
        # request. An uninstall is still noticed at once: the practice is looked up fresh.
        key = (enterprise_id, team_id)
        remembered = self._remembered.get(key)
        if remembered is not None and time.monotonic() - remembered[0] < self._remember_for:
            return _for_user(remembered[1], user_id)
        bot = self._store.find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=bool(context.is_enterprise_install),
        )
        if bot is None or not bot.bot_token:
            self._remembered.pop(key, None)
            return None
        result = AuthorizeResult(
            enterprise_id=bot.enterprise_id,
            team_id=bot.team_id,
            bot_token=bot.bot_token,
            bot_id=bot.bot_id,
            bot_user_id=bot.bot_user_id,
            bot_scopes=bot.bot_scopes,
        )
        self._remembered[key] = (time.monotonic(), result)
        return _for_user(result, user_id)

    def forget(self, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget the workspace's remembered bot token: after an uninstall and a new install
        it was revoked, and using it would fail every Slack call for a while."""
        self._remembered.pop((enterprise_id, team_id), None)


class AnswerNotInstalled(Middleware):
    """Runs before Bolt's authorization: a request that brings a response_url from a
    workspace with no installation is answered in the ack.

    Bolt would post its not-installed message to the response_url before answering, so a
    response_url that refused connections held the answer for a second and one that never
    answered for 30 s, and either ended in a 500. A slash command shows the ack's text; an
    interaction (a button in a message) shows only what reaches its response_url, which is
    posted after the answer."""

    def __init__(
        self, authorize: InstallationStoreAuthorize, later: Callable[[Callable[[], object]], None]
    ) -> None:
        self._authorize = authorize
        self._later = later

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        context = req.context
        if context.response_url is None:  # Bolt answers these in the ack itself
            return next()
        installed = self._authorize(
            context=context,
            enterprise_id=context.enterprise_id,
            team_id=context.team_id,
            user_id=context.user_id,
        )
        if installed is not None:
            return next()
        log.warning("event=request_not_installed team=%s", context.team_id)
        respond = context.respond
        if "command" not in req.body and respond is not None:
            self._later(lambda: respond(text=NOT_INSTALLED))
        return BoltResponse(status=200, body=NOT_INSTALLED)


def _for_user(result: AuthorizeResult, user_id: str | None) -> AuthorizeResult:
    return AuthorizeResult(
        enterprise_id=result.enterprise_id,
        team_id=result.team_id,
        bot_token=result.bot_token,
        bot_id=result.bot_id,
        bot_user_id=result.bot_user_id,
        bot_scopes=result.bot_scopes,
        user_id=user_id,
    )


def installation_store(client_id: str, engine: Engine) -> SQLAlchemyInstallationStore:
    return SQLAlchemyInstallationStore(client_id=client_id, engine=engine, logger=log)


def _page(title: str, message: str, status: int) -> BoltResponse:
    body = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;"
        "padding:0 1rem;color:#1d1c1d}h1{font-size:1.5rem}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{message}</p></body></html>"
    )
    return BoltResponse(
        status=status, body=body, headers={"Content-Type": "text/html; charset=utf-8"}
    )


def oauth_settings(
    deps: BotDeps,
    *,
    client_id: str,
    client_secret: str,
    api_url: str,
    store: SQLAlchemyInstallationStore,
    engine: Engine,
) -> OAuthSettings:
    """OAuth install at /slack/install: the installing workspace becomes a practice and the
    installing user its billing admin; installing again keeps the practice and its data."""

    def succeeded(args: SuccessArgs) -> BoltResponse:
        installation = args.installation
        zone = None
        try:
            client = WebClient(token=installation.bot_token, base_url=api_url)
            zone = client.users_info(user=installation.user_id)["user"].get("tz")
        except SlackApiError as error:
            log.warning(
                "event=installer_tz_unknown team=%s error=%s",
                installation.team_id,
                error.response.get("error"),
            )
        deps.forget_installation(installation.enterprise_id, installation.team_id)
        installed = install_app(
            InstallApp(
                workspace_id=installation.team_id or "",
                workspace_name=installation.team_name or "",
                installer_user_id=installation.user_id,
                installer_time_zone=zone,
            ),
            deps.uow(),
            deps.env,
        )
        if deps.recent is not None and installation.team_id:
            deps.recent.forget(installation.team_id)

        log.info(
            "event=app_installed team=%s practice=%s new=%s",
            installation.team_id,
            installed.practice.id,
            installed.created,
        )
        return _page(
            "Billing Bot is installed",
            "Open Billing Bot's Home tab in Slack to finish setting up billing, or type "
            "<code>/billing</code> in any channel.",
            200,
        )

    def failed(args: FailureArgs) -> BoltResponse:
        log.warning("event=install_failed reason=%s", args.reason)
        return _page(
            "Billing Bot was not installed",
            f"Slack said: {html.escape(args.reason)}. "
            f"<a href='{INSTALL_PATH}'>Try installing again</a>.",
            args.suggested_status_code,
        )

    return OAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=BOT_SCOPES,
        installation_store=store,
        state_store=SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine, logger=log),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        redirect_uri=f"{deps.public_base_url}{REDIRECT_PATH}",
        authorization_url=authorize_url_for(api_url),
        callback_options=CallbackOptions(success=succeeded, failure=failed),
    )
