"""The App Home tab: the setup checklist, and once invoices exist the practice's totals,
latest invoices and quick actions. Only billing roles see billing data."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot import support_home
from bot.blocks import day_text, escape, invoice_row, note
from bot.edge.deps import BotDeps, Caller, PracticeNotInstalled, identify
from bot.edge.listen import Saved
from domain.invoices import InvoiceListing
from domain.practice import InvoiceSettings, Practice
from domain.roles import Role
from domain.stripe_connect import StripeConnection
from domain.usecases.calendar import UninvoicedSessions, uninvoiced_sessions
from domain.usecases.reporting import CurrencyTotals, home_overview
from domain.usecases.stripe_setup import stripe_connection

log = logging.getLogger(__name__)

# The modules that own these modals register these action ids.
OPEN_HUB = "hub_open"
OPEN_BILLING_DETAILS = "billing_details_open"
OPEN_TAX_RATES = "tax_rates_open"
OPEN_INVOICE_SETTINGS = "invoice_settings_open"
OPEN_REMINDERS = "reminders_open"
OPEN_SERVICES = "services_open"
OPEN_ROLES = "roles_open"
STRIPE_SETUP = "stripe_setup_open"
NEW_INVOICE = "invoice_new_open"
CREATE_INVOICE = "appointment_invoice"
"""The new-invoice form from one appointment (also in `/appointment`'s lists)."""
INVOICE_ALL = "sessions_invoice_all"
"""The new-invoice form with a line for each of a client's uninvoiced sessions."""
LATEST_COUNT = 5
SESSIONS_SHOWN = 10
CLIENTS_OFFERED = 5
BUTTON_TEXT = 75


@dataclass(frozen=True)
class SetupStep:
    label: str
    done: bool
    action_id: str
    explain: str


@dataclass(frozen=True)
class HomeData:
    practice: Practice
    role: Role | None
    admins: tuple[str, ...]
    steps: tuple[SetupStep, ...]
    totals: tuple[CurrencyTotals, ...]
    latest: tuple[InvoiceListing, ...]
    """The newest invoices with their client's name."""
    sessions: UninvoicedSessions | None = None
    """Attended appointments no invoice bills yet; None for someone without a billing role."""


def setup_steps(
    practice: Practice,
    active_rates: int,
    services: int,
    stripe: StripeConnection | None = None,
    stripe_configured: bool = True,
) -> tuple[SetupStep, ...]:
    return (
        SetupStep(
            "Billing details",
            bool(practice.billing.address.country),
            OPEN_BILLING_DETAILS,
            "Name, currency, address, time zone",
        ),
        SetupStep("Tax rates", active_rates > 0, OPEN_TAX_RATES, "Named rates and a default"),
        SetupStep(
            "Invoice settings",
            practice.invoice_settings != InvoiceSettings(),
            OPEN_INVOICE_SETTINGS,
            "Template, logo, theme, terms, footer",
        ),
        SetupStep(
            "Reminders",
            practice.reminder_policy.enabled,
            OPEN_REMINDERS,
            "Automatic payment reminders",
        ),
        SetupStep("Services", services > 0, OPEN_SERVICES, "What you bill for, with prices"),
        SetupStep(
            "Stripe",
            bool(stripe and stripe.connected and stripe.status.ready),
            STRIPE_SETUP,
            _stripe_step_text(stripe, stripe_configured),
        ),
    )


def _stripe_step_text(stripe: StripeConnection | None, configured: bool) -> str:
    if not configured:
        return "Card payments (this server has no Stripe key)"
    if stripe is None:
        return "Card payments: a new Stripe account for the practice"
    if not stripe.connected:
        return "Card payments: Stripe disconnected the account"
    if stripe.status.ready:
        return "Card payments are on"
    needs = stripe.status.needs
    return "Card payments: Stripe still needs " + (", ".join(needs[:3]) if needs else "details")


def home_view(data: HomeData) -> View:
    """The Home tab for one user; pure, so tests assert on its blocks."""
    practice = data.practice
    blocks: list[Block] = [HeaderBlock(text=f"Billing for {practice.billing.name}"[:150])]
    if data.role is None:
        admins = ", ".join(f"<@{admin}>" for admin in data.admins) or "your workspace admin"
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text="You don't have a billing role in this practice, so there is nothing "
                    f"to show you here. Ask {admins} if you need one."
                )
            )
        )
        return View(type="home", blocks=blocks)

    blocks.append(
        note(
            f"You are *{data.role.label.lower()}* · currency "
            f"{practice.currency.code} · {practice.billing.time_zone}"
        )
    )
    if data.totals and data.latest:
        locale = practice.locale
        for totals in data.totals:
            blocks.append(
                SectionBlock(
                    fields=[
                        MarkdownTextObject(
                            text=f"*Outstanding*\n{totals.outstanding.format(locale)}"
                            f" ({totals.unpaid_count})"
                        ),
                        MarkdownTextObject(
                            text=f"*Overdue*\n{totals.overdue.format(locale)}"
                            f" ({totals.overdue_count})"
                        ),
                        MarkdownTextObject(
                            text=f"*Paid this month*\n{totals.paid_this_month.format(locale)}"
                        ),
                    ]
                )
            )
        blocks.append(HeaderBlock(text="Latest invoices"))
        blocks.extend(invoice_row(invoice, locale) for invoice in data.latest)
        blocks.append(DividerBlock())

    if data.sessions is not None and data.sessions.total:
        blocks += uninvoiced_blocks(data.sessions, practice.zone)
        blocks.append(DividerBlock())

    pending = [step for step in data.steps if not step.done]
    blocks.append(HeaderBlock(text="Setup" if pending else "Setup complete"))
    for step in data.steps:
        mark = ":white_check_mark:" if step.done else ":white_square:"
        accessory = None
        if data.role is Role.ADMIN:
            accessory = ButtonElement(
                text="Edit" if step.done else "Set up",
                action_id=step.action_id,
                style=None if step.done else "primary",
            )
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=f"{mark} *{step.label}*\n{step.explain}"),
                accessory=accessory,
            )
        )
    actions = [
        ButtonElement(text="+ New invoice", action_id=NEW_INVOICE, style="primary"),
        ButtonElement(text="Settings", action_id=OPEN_HUB),
    ]
    if data.role is Role.ADMIN:
        actions.append(ButtonElement(text="Roles", action_id=OPEN_ROLES))
    blocks += [DividerBlock(), ActionsBlock(block_id="home_actions", elements=actions)]
    if data.role is Role.STAFF:
        blocks.append(note("Settings are changed by billing admins."))
    return View(type="home", blocks=blocks)


def uninvoiced_blocks(sessions: UninvoicedSessions, zone: ZoneInfo) -> list[Block]:
    """The latest attended sessions no invoice bills, each with Create invoice, and for the
    clients with several a button putting them all on one invoice. Home is seen only by its
    user, so names and services may show."""
    blocks: list[Block] = [HeaderBlock(text="Uninvoiced sessions")]
    for entry in sessions.latest:
        appointment = entry.appointment
        start = appointment.start.astimezone(zone)
        service = entry.service or "a service no longer offered"
        text = (
            f"*{start:%a} {day_text(start.date())}, {start:%H:%M}* · "
            f"{escape(entry.client or '?')} · {escape(service)}"
        )
        blocks.append(
            SectionBlock(
                block_id=f"session:{appointment.id}",
                text=MarkdownTextObject(text=text),
                accessory=ButtonElement(
                    text="Create invoice", action_id=CREATE_INVOICE, value=appointment.id
                ),
            )
        )
    if sessions.more:
        blocks.append(note(f"…and {sessions.more} more attended sessions not yet invoiced."))
    several = [c for c in sessions.clients if c.count > 1][:CLIENTS_OFFERED]
    if several:
        blocks.append(
            ActionsBlock(
                block_id="sessions_invoice_all",
                elements=[
                    ButtonElement(
                        text=_fitted(f"Invoice all {c.count} for {c.name}"),
                        action_id=INVOICE_ALL,
                        value=c.client_id,
                    )
                    for c in several
                ],
            )
        )
    return blocks


def _fitted(text: str) -> str:
    return text if len(text) <= BUTTON_TEXT else text[: BUTTON_TEXT - 1] + "…"


def load_home(deps: BotDeps, team_id: str | None, user_id: str) -> HomeData:
    caller = identify(deps, team_id, user_id)
    practice = caller.practice
    overview = home_overview(practice, caller.role, LATEST_COUNT, deps.read(), deps.env)
    steps = setup_steps(
        practice,
        overview.active_tax_rates,
        overview.active_services,
        stripe_connection(practice.id, deps.read()),
        deps.stripe_links is not None,
    )
    summary = overview.summary
    if summary is None:
        return HomeData(practice, caller.role, caller.admins, steps, (), ())
    totals = summary.totals if summary.latest else ()
    sessions = uninvoiced_sessions(practice.id, SESSIONS_SHOWN, deps.read(), deps.env)
    return HomeData(practice, caller.role, caller.admins, steps, totals, summary.latest, sessions)


def refresh(client: WebClient, deps: BotDeps, team_id: str, user_id: str) -> None:
    """Publish the user's Home tab again after something it shows changed (in the vendor's
    support workspace, the support desk's Home instead of billing)."""
    if support_home.is_support_workspace(deps, team_id):
        support_home.publish(client, deps, user_id)
        return
    try:
        data = load_home(deps, team_id, user_id)
    except PracticeNotInstalled:
        return
    client.views_publish(user_id=user_id, view=home_view(data))


def saved_over_list(
    deps: BotDeps,
    caller: Caller,
    client: WebClient,
    view: dict[str, Any],
    current_list: Callable[[], View],
) -> Saved:
    """What saving an edit form pushed over a settings list does after the ack: the list
    under it (named in its metadata, else the view it was pushed over) is redrawn with
    `current_list`, and the user's Home tab published again."""
    meta = json.loads(view.get("private_metadata") or "{}")
    parent = meta.get("parent") or view.get("previous_view_id")

    def then() -> None:
        if parent:
            client.views_update(view_id=parent, view=current_list())
        refresh(client, deps, caller.practice.workspace_id, caller.user_id)

    return Saved(then=then)


def home_opened(
    deps: BotDeps, event: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """A user opened the Home tab: publish it once Slack has its answer."""
    if event.get("tab") == "home" and context.team_id:
        deps.later(partial(refresh, client, deps, context.team_id, event["user"]))


def register(app: App, deps: BotDeps) -> None:
    app.event("app_home_opened")(partial(home_opened, deps))
