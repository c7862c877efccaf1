"""The Bolt app: built once per worker from settings, with every feature's listeners."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot import (
    appointments,
    billing_details,
    clients,
    home,
    hub,
    invoice_pdf,
    invoice_reminders,
    invoice_settings,
    invoices,
    lifecycle,
    payment_links,
    payment_settings,
    reminders,
    roles,
    services,
    support,
    support_workspace,
    tax_rates,
)
from bot.edge.auth import (
    AnswerNotInstalled,
    InstallationStoreAuthorize,
    installation_store,
    oauth_settings,
)
from bot.edge.deps import BotDeps
from bot.edge.respond import answer_unexpected
from bot.edge.text import NOT_INSTALLED

log = logging.getLogger(__name__)

# Bolt tries listeners in registration order on every request, so the busiest surfaces
# (the everyday commands and the Home tab) come first.
FEATURES: tuple[Callable[[App, BotDeps], None], ...] = (
    invoices.register,
    home.register,
    hub.register,
    billing_details.register,
    tax_rates.register,
    invoice_settings.register,
    reminders.register,
    services.register,
    roles.register,
    clients.register,
    appointments.register,
    lifecycle.register,
    payment_settings.register,
    payment_links.register,
    support.register,
    support_workspace.register,
    invoice_reminders.register,
    invoice_pdf.register,
)


def build_slack_app(
    deps: BotDeps,
    *,
    signing_secret: str,
    api_url: str,
    engine: Engine,
    client_id: str | None = None,
    client_secret: str | None = None,
    bot_token: str | None = None,
) -> App:
    """OAuth (multi-workspace) when a client id and secret are given, else single-workspace
    with one bot token. Every Web API call goes to `api_url`; nothing is called at build."""
    client = WebClient(base_url=api_url)
    if client_id and client_secret:
        store = installation_store(client_id, engine)
        authorize = InstallationStoreAuthorize(store)
        deps = replace(deps, forget_installation=authorize.forget)
        app = App(
            signing_secret=signing_secret,
            client=client,
            installation_store=store,
            # Bolt accepts an Authorize instance beside OAuth settings; its annotation
            # names only plain functions.
            authorize=authorize,  # type: ignore[arg-type]
            before_authorize=AnswerNotInstalled(authorize, deps.later),
            oauth_settings=oauth_settings(
                deps,
                client_id=client_id,
                client_secret=client_secret,
                api_url=api_url,
                store=store,
                engine=engine,
            ),
            user_facing_authorize_error_message=NOT_INSTALLED,
            # Listeners finish their work before Slack gets its answer, which spares
            # Bolt's 10 ms polling for ack(); Slack calls that can wait go to deps.later.
            process_before_response=True,
            # Every route into Bolt passes RequestGuard, which checks the signature first
            # (Socket Mode needs no signature).
            request_verification_enabled=False,
        )
    elif bot_token:
        app = App(
            signing_secret=signing_secret,
            # Bolt takes the token from the client it is given, not from `token=`.
            client=WebClient(base_url=api_url, token=bot_token),
            token=bot_token,
            token_verification_enabled=False,
            user_facing_authorize_error_message=NOT_INSTALLED,
            # Listeners finish their work before Slack gets its answer, which spares
            # Bolt's 10 ms polling for ack(); Slack calls that can wait go to deps.later.
            process_before_response=True,
            # RequestGuard checks every request's signature before Bolt sees it.
            request_verification_enabled=False,
        )
    else:
        raise ValueError("Slack needs SLACK_CLIENT_ID and SLACK_CLIENT_SECRET, or SLACK_BOT_TOKEN")
    app.error(answer_unexpected)
    for register in FEATURES:
        register(app, deps)
    return app
