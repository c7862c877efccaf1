"""Payment settings: the practice's Stripe account, its status in plain words, and the
buttons that lead an admin to Stripe's onboarding and dashboard."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot import home
from bot.blocks import day_text, note
from bot.edge.deps import BotDeps, Caller
from bot.edge.listen import action, open_or_push
from domain.roles import Role
from domain.stripe_connect import StripeConnection, describe_disabled_reason
from domain.usecases.stripe_setup import stripe_connection

CALLBACK_ID = "payment_settings"
GO_TO_SETUP = "stripe_setup_link"
GO_TO_DASHBOARD = "stripe_dashboard_link"


def _mark(done: bool) -> str:
    return ":white_check_mark:" if done else ":x:"


def stripe_status_text(connection: StripeConnection | None, configured: bool) -> str:
    """One paragraph: where card payments stand and what is next."""
    if not configured:
        return (
            "Card payments need Stripe, and this server has no Stripe key "
            "(`STRIPE_SECRET_KEY`). Ask whoever runs Billing Bot to configure it."
        )
    if connection is None:
        return (
            "*Not set up.* Billing Bot creates a new Stripe Express account for the practice, "
            "where clients' card payments land. An existing Stripe account cannot be linked."
        )
    if not connection.connected:
        return (
            "*Disconnected.* The practice's Stripe account was disconnected from Billing Bot, "
            "so clients cannot pay by card. Contact support to set up a new account."
        )
    status = connection.status
    if status.ready:
        return "*Ready.* Clients can pay invoices by card through their payment links."
    parts = ["*Setup not finished.*"]
    reason = describe_disabled_reason(status.disabled_reason)
    if reason:
        parts.append(f"Card payments are off: {reason}.")
    if status.needs:
        parts.append("Stripe still needs " + ", ".join(status.needs) + ".")
    elif not status.details_submitted:
        parts.append("Finish Stripe's onboarding form to take card payments.")
    return " ".join(parts)


def stripe_status_blocks(
    connection: StripeConnection | None,
    *,
    setup_url: str | None,
    dashboard_url: str | None,
) -> list[Block]:
    configured = setup_url is not None
    blocks: list[Block] = [
        SectionBlock(
            block_id="stripe_status",
            text=MarkdownTextObject(text=stripe_status_text(connection, configured)),
        )
    ]
    if connection is not None and connection.connected:
        status = connection.status
        blocks.append(
            SectionBlock(
                fields=[
                    MarkdownTextObject(text=f"{_mark(status.details_submitted)} Details submitted"),
                    MarkdownTextObject(text=f"{_mark(status.charges_enabled)} Charges enabled"),
                    MarkdownTextObject(text=f"{_mark(status.payouts_enabled)} Payouts enabled"),
                ]
            )
        )
        if connection.status_as_of is not None:
            blocks.append(
                note(
                    f"Stripe account {connection.account_id} · status as of "
                    f"{day_text(connection.status_as_of.date())}"
                )
            )
    buttons: list[ButtonElement] = []
    if setup_url and (connection is None or (connection.connected and not connection.status.ready)):
        buttons.append(
            ButtonElement(
                text="Complete Stripe setup" if connection is None else "Continue Stripe setup",
                action_id=GO_TO_SETUP,
                url=setup_url,
                style="primary",
            )
        )
    if dashboard_url and connection is not None and connection.connected:
        buttons.append(
            ButtonElement(
                text="Open Stripe dashboard", action_id=GO_TO_DASHBOARD, url=dashboard_url
            )
        )
    if buttons:
        blocks.append(ActionsBlock(block_id="stripe_actions", elements=buttons))
    return blocks


def payment_settings_modal(
    connection: StripeConnection | None, setup_url: str | None, dashboard_url: str | None
) -> View:
    return View(
        type="modal",
        callback_id=CALLBACK_ID,
        title="Payment settings",
        close="Done",
        blocks=[
            *stripe_status_blocks(connection, setup_url=setup_url, dashboard_url=dashboard_url),
            note(
                "Payments are made on Stripe's pages: Billing Bot never sees card numbers. "
                "Stripe receives the invoice number and amount, never services or names."
            ),
        ],
    )


def admin_links(deps: BotDeps, caller: Caller) -> tuple[str | None, str | None]:
    if deps.stripe_links is None or caller.role is not Role.ADMIN:
        return None, None
    team = caller.practice.workspace_id
    return (
        deps.stripe_links("setup", team, caller.user_id),
        deps.stripe_links("dashboard", team, caller.user_id),
    )


def open_payment_settings(
    deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient
) -> None:
    connection = stripe_connection(caller.practice.id, deps.read())
    setup_url, dashboard_url = admin_links(deps, caller)
    open_or_push(client, body, payment_settings_modal(connection, setup_url, dashboard_url))


def _followed(ack: Ack) -> None:
    """A link button: Slack opens the URL itself and tells the app, which has nothing to do."""
    ack()


def register(app: App, deps: BotDeps) -> None:
    app.action(home.STRIPE_SETUP)(action(deps, Role.ADMIN, partial(open_payment_settings, deps)))
    app.action(GO_TO_SETUP)(_followed)
    app.action(GO_TO_DASHBOARD)(_followed)
