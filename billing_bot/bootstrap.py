"""The composition root: the one place that turns settings into the app's collaborators.

`build_container` is called once per process (in each server worker, or by a CLI
command) and everything else receives what it needs from the container. Importing this module
connects to nothing.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from slack_bolt import App
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from billing_bot.outbox_handlers import email_handler
from billing_bot.outbox_worker import OutboxHandler, OutboxWorker
from billing_bot.reminder_sweep import ReminderSweep
from billing_bot.scheduler import BackgroundJobs, PeriodicJob
from billing_bot.settings import Settings
from bot.app import build_slack_app
from bot.deliveries import slack_handlers
from bot.edge.background import Later
from bot.edge.deps import BotDeps, RecentWorkspaces
from bot.edge.guard import RequestGuard
from bot.edge.signed_links import LinkSigner
from bot.payments_web import PaymentsSurface, admin_link
from bot.support_deliveries import support_handler
from documents.client_mail import compose_client_email
from domain.outbox import OutboxKind, OutboxMessage
from domain.ports import Clock, Env, Mailer
from domain.usecases.card_payments import reconcile_card_payments
from domain.usecases.support import escalate_unanswered
from gateways.mail import SmtpEndpoint, SmtpMailer
from gateways.mail_folder import FileMailer
from gateways.stripe_payments import StripeGateway
from gateways.system import RandomIds, ShiftedClock, SystemClock
from storage.document_lookup import SqlInvoicePdfLookup
from storage.engine import create_engine_for, without_transactions
from storage.health import database_status
from storage.outbox_queue import SqlOutboxQueue
from storage.seen_requests import SqlSeenRequests
from storage.unit_of_work import SqlAlchemyUnitOfWork, session_factory

log = logging.getLogger(__name__)


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
    #: The pay page, Stripe's webhook and onboarding pages (None without Slack: nobody could
    #: have sent a pay link).
    payments: PaymentsSurface | None
    #: None while SMTP_URL is set without MAIL_FROM: e-mail then waits in the outbox.
    mailer: Mailer | None
    outbox: SqlOutboxQueue
    #: The outbox's handlers by kind; the worker reads it at each claim, and a kind missing
    #: here is left in the outbox for a process that has its handler.
    outbox_handlers: dict[str, OutboxHandler]
    #: Not running until `start_background` (serving processes only, never a CLI command).
    jobs: BackgroundJobs

    def database_status(self) -> dict[str, Any]:
        """What /healthz reports of the database; the web surface asks here, since the bot
        reaches storage only through this composition root."""
        return database_status(self.engine)

    def start_background(self) -> None:
        """Start this process's scheduler: the outbox worker and the reminder sweep (in
        serving processes)."""
        self.jobs.start()

    def close(self) -> None:
        """Stop the scheduler after the message in hand, finish queued Slack calls, then close
        pooled database connections (at worker exit or after a CLI command)."""
        self.jobs.stop()
        if self.slack is not None:
            self.slack.later.close()
        self.engine.dispose()


def build_container(settings: Settings) -> Container:
    """Build the collaborators described by `settings` without opening any connection.

    Raises `UnsupportedDatabaseUrl` for a database URL that settings validation would refuse.
    """
    engine = create_engine_for(settings.database_url)
    sessions = session_factory(engine)
    clock: Clock = SystemClock()
    if settings.test_clock_file:
        clock = ShiftedClock(Path(settings.test_clock_file))
        log.warning("event=test_clock_in_use (TEST_CLOCK_FILE is for tests and the sandbox)")
    env = Env(clock=clock, ids=RandomIds())

    def uow_factory() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(sessions)

    read_sessions = session_factory(without_transactions(engine))

    def reader_factory() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(read_sessions, read_only=True)

    mailer = build_mailer(settings, env.clock)
    handlers: dict[str, OutboxHandler] = {}
    if mailer is not None:
        handlers[OutboxKind.EMAIL] = email_handler(mailer)
        handlers[OutboxKind.CLIENT_EMAIL] = _client_email_handler(
            mailer, reader_factory, uow_factory, env, settings.public_base_url
        )
    outbox = SqlOutboxQueue(engine)
    gateway = stripe_gateway(settings)
    periodic = []
    if settings.support_team_id:
        periodic.append(
            PeriodicJob(
                "support_escalation",
                settings.escalation_check_seconds,
                partial(_escalate, settings.support_team_id, uow_factory, env, lambda: jobs.kick()),
            )
        )
    kick = _Kick()
    jobs = BackgroundJobs(
        OutboxWorker(
            outbox,
            handlers,
            env.clock,
            first_retry=timedelta(seconds=settings.outbox_retry_seconds),
        ),
        reminders=ReminderSweep(uow_factory, env, on_enqueued=kick),
        reconcile=_daily_reconcile(uow_factory, env, gateway) if gateway is not None else None,
        periodic=periodic,
    )
    kick.target = jobs.kick
    slack = _slack_surface(settings, engine, sessions, uow_factory, reader_factory, env, jobs.kick)
    if slack is not None:
        # Card updates, billing-channel news and Home refreshes need the Slack app's client
        # and installations, so they are registered once it exists.
        handlers.update(slack_handlers(slack.app, slack.deps))
        handlers[OutboxKind.SUPPORT] = support_handler(slack.app, slack.deps)
    return Container(
        settings=settings,
        engine=engine,
        session_factory=sessions,
        uow_factory=uow_factory,
        env=env,
        slack=slack,
        payments=(
            _payments_surface(settings, slack.deps, gateway, engine) if slack is not None else None
        ),
        mailer=mailer,
        outbox=outbox,
        outbox_handlers=handlers,
        jobs=jobs,
    )


def _escalate(
    support_team_id: str,
    uow_factory: Callable[[], SqlAlchemyUnitOfWork],
    env: Env,
    deliver_soon: Callable[[], None],
) -> None:
    if escalate_unanswered(support_team_id, uow_factory(), env):
        deliver_soon()


class _Kick:
    """Wakes the outbox worker once the jobs exist (the sweep is built before them)."""

    target: Callable[[], None] | None = None

    def __call__(self) -> None:
        if self.target is not None:
            self.target()


#: The sender of filed mail when MAIL_FROM is not set (development, the sandbox).
FILE_MAIL_FROM = "Billing Bot <billing-bot@localhost>"


def build_mailer(settings: Settings, clock: Clock) -> Mailer | None:
    """SMTP when ``SMTP_URL`` is set (None without ``MAIL_FROM``: nothing can be sent, and
    e-mail waits in the outbox until it is set); otherwise the file outbox in ``MAIL_DIR``."""
    server = settings.smtp_server()
    if server is None:
        return FileMailer(Path(settings.mail_dir), settings.mail_from or FILE_MAIL_FROM, clock)
    if settings.mail_from is None:
        log.warning("event=mail_not_sent reason=MAIL_FROM_unset")
        return None
    endpoint = SmtpEndpoint(
        host=server.host,
        port=server.port,
        security=server.security,
        username=server.username,
        password=server.password.get_secret_value() if server.password else None,
    )
    return SmtpMailer(endpoint, settings.mail_from, clock)


def _client_email_handler(
    mailer: Mailer,
    reader: Callable[[], SqlAlchemyUnitOfWork],
    writer: Callable[[], SqlAlchemyUnitOfWork],
    env: Env,
    public_base_url: str,
) -> OutboxHandler:
    """A payment link, receipt or reminder: written from the invoice as it is now, then
    sent."""

    def deliver(message: OutboxMessage) -> None:
        email = compose_client_email(
            message.practice_id, message.payload, reader(), env, public_base_url, writer
        )
        if email is not None:
            mailer.send(email, message.id)

    return deliver


def stripe_gateway(settings: Settings) -> StripeGateway | None:
    """Stripe through its SDK (the stand-in's address in sandbox mode), or None without a key."""
    if settings.stripe_secret_key is None:
        return None
    webhook_secret = settings.stripe_webhook_secret
    return StripeGateway(
        settings.stripe_secret_key.get_secret_value(),
        api_base=settings.stripe_api_base,
        webhook_secret=webhook_secret.get_secret_value() if webhook_secret else None,
        timeout_seconds=settings.stripe_timeout_seconds,
    )


def _link_signer(settings: Settings) -> LinkSigner:
    # The onboarding links an admin follows are signed with a secret only this server knows
    # (and every replica shares); without Stripe there are none to sign, and a random secret
    # refuses any.
    key = settings.stripe_secret_key
    return LinkSigner(key.get_secret_value() if key else secrets.token_hex(32))


def _daily_reconcile(
    uow_factory: Callable[[], SqlAlchemyUnitOfWork], env: Env, gateway: StripeGateway
) -> Callable[[], None]:
    def run() -> None:
        for result in reconcile_card_payments(uow_factory(), env, gateway):
            log.info(
                "event=reconciled practice_id=%s checked=%d recorded=%d stripe=%s",
                result.practice_id,
                result.checked,
                result.recorded,
                "unavailable" if result.unavailable else "ok",
            )

    return run


def _payments_surface(
    settings: Settings, deps: BotDeps, gateway: StripeGateway | None, engine: Engine
) -> PaymentsSurface:
    return PaymentsSurface(
        deps=deps,
        gateway=gateway,
        signer=_link_signer(settings),
        deliver_soon=deps.deliver_soon,
        pdf_lookup=SqlInvoicePdfLookup(engine),
    )


def _slack_surface(
    settings: Settings,
    engine: Engine,
    sessions: sessionmaker[Session],
    uow_factory: Callable[[], SqlAlchemyUnitOfWork],
    reader_factory: Callable[[], SqlAlchemyUnitOfWork],
    env: Env,
    deliver_soon: Callable[[], None],
) -> SlackSurface | None:
    secret = settings.slack_signing_secret
    client_secret = settings.slack_client_secret
    bot_token = settings.slack_bot_token
    oauth = bool(settings.slack_client_id and client_secret)
    if secret is None or not (oauth or bot_token):
        return None
    later = Later()
    stripe_links = (
        partial(admin_link, _link_signer(settings), settings.public_base_url)
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
        deliver_soon=deliver_soon,
        stripe_links=stripe_links,
        support_team_id=settings.support_team_id,
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
