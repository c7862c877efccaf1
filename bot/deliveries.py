"""The outbox's Slack deliveries: an invoice's card redrawn in place, news in the billing
channel, Home tabs refreshed. They run in the outbox worker, after the change committed."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import home, invoice_reminders
from bot.blocks import escape
from bot.edge.deps import BotDeps
from bot.invoice_card import publish_card
from domain.errors import NotFound
from domain.ids import InvoiceId, PracticeId
from domain.money import Currency
from domain.outbox import (
    OutboxKind,
    OutboxMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from domain.roles import Role
from domain.usecases.access import Workspace, practice_workspace
from domain.usecases.invoice_screens import InvoiceCard, invoice_card
from domain.usecases.reminders import practice_overdue_digest

log = logging.getLogger(__name__)

# Slack errors after which the same call can only fail again.
_FOR_GOOD = frozenset(
    {"channel_not_found", "is_archived", "not_in_channel", "account_inactive", "invalid_auth"}
)


def workspace_client(app: App, team_id: str) -> WebClient:
    """A Web API client with the workspace's bot token (from the installation store when the
    app is installed by OAuth, else the one token of a single-workspace app)."""
    store = app.installation_store
    if store is None:
        return app.client
    bot = store.find_bot(enterprise_id=None, team_id=team_id)
    if bot is None or not bot.bot_token:
        raise PermanentDeliveryError("the workspace has no bot token (uninstalled)")
    return WebClient(base_url=app.client.base_url, token=bot.bot_token)


def _workspace(deps: BotDeps, practice_id: PracticeId) -> Workspace:
    workspace = practice_workspace(practice_id, deps.read())
    if workspace is None:
        raise PermanentDeliveryError("the practice uninstalled the app")
    return workspace


def _slack_call(work: Callable[[], object]) -> None:
    try:
        work()
    except SlackApiError as error:
        code = str(error.response.get("error") or error.response.status_code)
        if code in _FOR_GOOD:
            raise PermanentDeliveryError(f"slack refused: {code}") from None
        raise TransientDeliveryError(f"slack answered {code}") from None
    except NotFound:
        raise PermanentDeliveryError("the record is gone") from None
    except OSError as error:
        raise TransientDeliveryError(f"slack unreachable: {type(error).__name__}") from None


def _money(payload: Mapping[str, Any], locale: str) -> str:
    code = str(payload.get("currency") or "").upper()
    minor = payload.get("amount_minor")
    if not code or minor is None:
        return "a payment"
    try:
        return Currency(code).from_minor_units(int(minor)).format(locale)
    except ValueError:
        return "a payment"


def news_text(news: str, payload: Mapping[str, Any], card: InvoiceCard | None, locale: str) -> str:
    """The billing channel's line for one piece of news. The channel copy follows privacy
    mode: initials, never a client's name or a service."""
    if news == "stripe_disconnected":
        return (
            ":warning: Stripe disconnected the practice's account from Billing Bot: clients can "
            "no longer pay by card. Manual payments still work."
        )
    if card is None:
        return ":information_source: Stripe reported news about an invoice that no longer exists."
    invoice = card.invoice
    who = card.client_initials if card.privacy_mode else escape(card.client_name)
    number = f"*{invoice.number}*"
    balance = invoice.balance.format(locale)
    if news == "card_payment":
        entry = next((e for e in invoice.ledger if e.id == payload.get("payment_id")), None)
        amount = entry.amount.format(locale) if entry else "a payment"
        return f":moneybag: {who} paid {amount} by card on {number}. Balance {balance}."
    if news == "refund":
        entry = next((e for e in invoice.ledger if e.id == payload.get("payment_id")), None)
        amount = entry.amount.format(locale) if entry else "money"
        return (
            f":leftwards_arrow_with_hook: {amount} refunded through Stripe on {number}. "
            f"Balance {balance}."
        )
    if news == "payment_failed":
        return f":warning: A card payment by {who} on {number} failed; the invoice stays open."
    if news == "dispute":
        reason = str(payload.get("reason") or "general").replace("_", " ")
        return (
            f":rotating_light: {who} disputed a card payment of {_money(payload, locale)} on "
            f"{number} ({reason}). Answer it in the Stripe dashboard before Stripe's deadline."
        )
    if news == "paid_void_invoice":
        return (
            f":warning: {_money(payload, locale)} was paid by card on {number}, which is void, "
            "so it was not recorded. Refund it from the Stripe dashboard."
        )
    if news == "refund_unrecorded":
        return f":warning: Stripe reported a refund on {number} that could not be recorded."
    return f":information_source: News about {number} from Stripe."


def deliver_card(app: App, deps: BotDeps, message: OutboxMessage) -> None:
    workspace = _workspace(deps, message.practice_id)
    client = workspace_client(app, workspace.practice.workspace_id)
    invoice_id = InvoiceId(str(message.payload["invoice_id"]))

    def update() -> None:
        card = invoice_card(message.practice_id, invoice_id, deps.read(), deps.env)
        publish_card(deps, client, message.practice_id, invoice_id, card.invoice.created_by)

    _slack_call(update)


def deliver_home_refresh(app: App, deps: BotDeps, message: OutboxMessage) -> None:
    workspace = _workspace(deps, message.practice_id)
    client = workspace_client(app, workspace.practice.workspace_id)
    team = workspace.practice.workspace_id
    for member in workspace.members:
        _slack_call(partial(home.refresh, client, deps, team, member.user_id))


def _channels(workspace: Workspace) -> list[str]:
    # No billing channel: the admins hear it in their DMs with the app.
    practice = workspace.practice
    if practice.billing_channel_id:
        return [practice.billing_channel_id]
    return [m.user_id for m in workspace.members if m.role is Role.ADMIN]


def deliver_digest(client: WebClient, deps: BotDeps, workspace: Workspace) -> None:
    """The overdue digest, as what is overdue now (nothing is posted when nothing is)."""
    practice, digest = practice_overdue_digest(workspace.practice.id, deps.read(), deps.env)
    if digest.is_empty:
        return
    blocks = invoice_reminders.digest_blocks(practice, digest)
    text = invoice_reminders.digest_text(digest)
    for channel in _channels(workspace):
        _slack_call(partial(client.chat_postMessage, channel=channel, text=text, blocks=blocks))


def deliver_news(app: App, deps: BotDeps, message: OutboxMessage) -> None:
    workspace = _workspace(deps, message.practice_id)
    practice = workspace.practice
    client = workspace_client(app, practice.workspace_id)
    if message.payload.get("news") == "overdue_digest":
        deliver_digest(client, deps, workspace)
        return
    invoice_id = message.payload.get("invoice_id")
    card = None
    if invoice_id:
        try:
            card = invoice_card(practice.id, InvoiceId(str(invoice_id)), deps.read(), deps.env)
        except NotFound:
            card = None
    text = news_text(str(message.payload.get("news")), message.payload, card, practice.locale)
    for channel in _channels(workspace):
        _slack_call(partial(client.chat_postMessage, channel=channel, text=text))


def slack_handlers(app: App, deps: BotDeps) -> dict[OutboxKind, Callable[[OutboxMessage], None]]:
    return {
        OutboxKind.SLACK_CARD: lambda message: deliver_card(app, deps, message),
        OutboxKind.HOME_REFRESH: lambda message: deliver_home_refresh(app, deps, message),
        OutboxKind.SLACK_POST: lambda message: deliver_news(app, deps, message),
    }
