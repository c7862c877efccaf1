"""Setting up card payments: the practice's Express account, its onboarding and its status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.audit import STRIPE
from domain.errors import Conflict
from domain.ids import PracticeId
from domain.online_payments import NewAccount
from domain.ports import Env, PaymentGateway, UnitOfWork
from domain.stripe_connect import AccountStatus, StripeConnection
from domain.usecases import _effects
from domain.usecases._common import audit, load_practice


class StripeNotConnected(Conflict):
    """The practice has no Stripe account, or Stripe disconnected it."""


@dataclass(frozen=True, slots=True)
class StartStripeSetup:
    practice_id: PracticeId
    actor: str
    refresh_url: str
    return_url: str
    admin_email: str | None = None


def account_idempotency_key(practice_id: PracticeId) -> str:
    """One key per practice: Stripe answers a repeated create with the account it made the
    first time, so two admins pressing at once, or a retry, never make a second account."""
    return f"express-account-{practice_id}"


def start_stripe_setup(
    cmd: StartStripeSetup, uow: UnitOfWork, env: Env, gateway: PaymentGateway
) -> str:
    """The onboarding URL for the practice's Express account, creating the account the first
    time. The account id is stored before the URL is returned, so a user who never comes back
    from Stripe leaves nothing behind that a second press would duplicate."""
    with uow:
        practice = load_practice(uow, cmd.practice_id)
        connection = uow.stripe_connections.get(practice.id)
    if connection is not None and not connection.connected:
        raise StripeNotConnected(
            "Stripe disconnected this practice's account. Contact support to set up a new one."
        )
    if connection is None:
        account_id = gateway.create_express_account(
            NewAccount(
                practice_id=practice.id,
                country=practice.billing.address.country or "US",
                email=cmd.admin_email,
                business_name=practice.billing.name,
                idempotency_key=account_idempotency_key(practice.id),
            )
        )
        with uow:
            created = uow.stripe_connections.add(
                StripeConnection(practice.id, account_id, created_at=env.clock.now())
            )
            if created:
                audit(
                    uow,
                    env,
                    practice.id,
                    cmd.actor,
                    "stripe.account_created",
                    "practice",
                    practice.id,
                    account_id=account_id,
                )
            uow.commit()
            connection = uow.stripe_connections.get(practice.id)
        assert connection is not None
    return gateway.onboarding_link(
        connection.account_id, refresh_url=cmd.refresh_url, return_url=cmd.return_url
    )


def stripe_connection(practice_id: PracticeId, uow: UnitOfWork) -> StripeConnection | None:
    with uow:
        return uow.stripe_connections.get(practice_id)


def refresh_stripe_status(
    practice_id: PracticeId, uow: UnitOfWork, env: Env, gateway: PaymentGateway
) -> StripeConnection | None:
    """Asks Stripe for the account's state now (the user is back from onboarding)."""
    with uow:
        connection = uow.stripe_connections.get(practice_id)
    if connection is None or not connection.connected:
        return connection
    status = gateway.account_status(connection.account_id)
    return apply_account_status(connection.account_id, status, env.clock.now(), uow, env)


def apply_account_status(
    account_id: str, status: AccountStatus, as_of: datetime, uow: UnitOfWork, env: Env
) -> StripeConnection | None:
    """Stores Stripe's state of the account unless a newer one is stored already."""
    with uow:
        connection = uow.stripe_connections.for_account(account_id)
        if connection is None:
            return None
        updated = store_account_status(connection, status, as_of, uow, env)
        uow.commit()
        return updated


def store_account_status(
    connection: StripeConnection,
    status: AccountStatus,
    as_of: datetime,
    uow: UnitOfWork,
    env: Env,
) -> StripeConnection:
    """Inside the caller's transaction: the newer state, audited when card payments turn on
    or off, and App Home redrawn; the stored one unchanged when `as_of` is older than what it
    reflects."""
    updated = connection.with_status(status, as_of)
    if updated is connection:
        return connection
    uow.stripe_connections.update(updated)
    _effects.settings_changed(
        uow, env, connection.practice_id, f"stripe:{connection.account_id}:v{updated.version}"
    )
    if updated.status.charges_enabled != connection.status.charges_enabled:
        audit(
            uow,
            env,
            connection.practice_id,
            STRIPE,
            "stripe.charges_enabled" if status.charges_enabled else "stripe.charges_disabled",
            "practice",
            connection.practice_id,
            account_id=connection.account_id,
        )
    return updated


def stripe_dashboard_link(practice_id: PracticeId, uow: UnitOfWork, gateway: PaymentGateway) -> str:
    with uow:
        connection = uow.stripe_connections.get(practice_id)
    if connection is None or not connection.connected:
        raise StripeNotConnected("Set up Stripe first: the practice has no Stripe account yet.")
    return gateway.dashboard_link(connection.account_id)
