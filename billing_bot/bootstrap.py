"""The composition root: the one place that turns settings into the app's collaborators.

`build_container` is called once per process (in each server worker, or by a CLI
command) and everything else receives what it needs from the container. Importing this module
connects to nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from slack_bolt import App
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from billing_bot.settings import Settings
from bot.app import build_slack_app
from bot.edge.background import Later
from bot.edge.deps import BotDeps, RecentWorkspaces
from bot.edge.guard import RequestGuard
from bot.edge.signed_links import LinkSigner
from bot.payments_web import PaymentsSurface, admin_link
from domain.ports import Env
from gateways.stripe_payments import StripeGateway
from gateways.system import RandomIds, SystemClock
from storage.engine import create_engine_for, without_transactions
from storage.health import database_status
from storage.seen_requests import SqlSeenRequests
from storage.unit_of_work import SqlAlchemyUnitOfWork, session_factory


@dataclass(frozen=True)
class SlackSurface:
    """The Bolt app and the guard that screens requests before it (None: Slack not set up)."""

    app: App
    guard: RequestGuard
    later: Later
    deps: BotDeps


@dataclass(frozen=True)
class Container:
    """The app's long-lived collaborators for one process; `close` releases them."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    #: A fresh unit of work per Slack request, webhook or job run.
    uow_factory: Callable[[], SqlAlchemyUnitOfWork]
    env: Env
    slack: SlackSurface | None
    payments: PaymentsSurface | None
    # --- later issues add here: clock, id generator, Stripe gateway, mailer, scheduler,
    # --- Bolt app; each built in `build_container` from settings, none at import time.

    def database_status(self) -> dict[str, Any]:
        """What /healthz reports of the database; the web surface asks here, since the bot
        reaches storage only through this composition root."""
        return database_status(self.engine)

    def close(self) -> None:
        """Finish queued Slack calls, then close pooled database connections (at worker exit
        or after a CLI command)."""
        if self.slack is not None:
            self.slack.later.close()
        self.engine.dispose()


def build_container(settings: Settings) -> Container:
    """Build the collaborators described by `settings` without opening any connection.

    Raises `UnsupportedDatabaseUrl` for a database URL that settings validation would refuse.
    """
    engine = create_engine_for(settings.database_url)
    sessions = session_factory(engine)
    env = Env(clock=SystemClock(), ids=RandomIds())

    def uow_factory() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(sessions)

    read_sessions = session_factory(without_transactions(engine))

    def reader_factory() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(read_sessions, read_only=True)

    slack = _slack_surface(settings, engine, sessions, uow_factory, reader_factory, env)
    return Container(
        settings=settings,
        engine=engine,
        session_factory=sessions,
        uow_factory=uow_factory,
        env=env,
        slack=slack,
        payments=_payments_surface(settings, slack.deps) if slack is not None else None,
    )


def stripe_gateway(settings: Settings) -> StripeGateway | None:
    """Stripe through its SDK (the stand-in's address in sandbox mode), or None without a key."""
    if settings.stripe_secret_key is None:
        return None
    webhook_secret = settings.stripe_webhook_secret
    return StripeGateway(
        settings.stripe_secret_key.get_secret_value(),
        api_base=settings.stripe_api_base,
        webhook_secret=webhook_secret.get_secret_value() if webhook_secret else None,
    )


def _link_signer(settings: Settings) -> LinkSigner:
    # The onboarding links an admin follows are signed with a secret only this server knows
    # (and every replica shares); without Stripe there are none to sign, and a random secret
    # refuses any.
    key = settings.stripe_secret_key
    return LinkSigner(key.get_secret_value() if key else secrets.token_hex(32))


def _payments_surface(settings: Settings, deps: BotDeps) -> PaymentsSurface:
    return PaymentsSurface(
        deps=deps, gateway=stripe_gateway(settings), signer=_link_signer(settings)
    )


def _slack_surface(
    settings: Settings,
    engine: Engine,
    sessions: sessionmaker[Session],
    uow_factory: Callable[[], SqlAlchemyUnitOfWork],
    reader_factory: Callable[[], SqlAlchemyUnitOfWork],
    env: Env,
) -> SlackSurface | None:
    secret = settings.slack_signing_secret
    client_secret = settings.slack_client_secret
    bot_token = settings.slack_bot_token
    oauth = bool(settings.slack_client_id and client_secret)
    if secret is None or not (oauth or bot_token):
        return None
    later = Later()
    signer = _link_signer(settings)
    stripe_links = (
        partial(admin_link, signer, settings.public_base_url)
        if settings.stripe_secret_key is not None
        else None
    )
    deps = BotDeps(
        later=later,
        uow=uow_factory,
        env=env,
        public_base_url=settings.public_base_url,
        slack_api_url=settings.slack_api_url,
        install_on_first_contact=not oauth,
        reader=reader_factory,
        recent=RecentWorkspaces(),
        stripe_links=stripe_links,
    )
    app = build_slack_app(
        deps,
        signing_secret=secret.get_secret_value(),
        api_url=settings.slack_api_url,
        engine=engine,
        client_id=settings.slack_client_id if oauth else None,
        client_secret=client_secret.get_secret_value() if oauth and client_secret else None,
        bot_token=bot_token.get_secret_value() if bot_token and not oauth else None,
    )
    guard = RequestGuard(secret.get_secret_value(), SqlSeenRequests(engine), env.clock)
    return SlackSurface(app, guard, later, deps)
