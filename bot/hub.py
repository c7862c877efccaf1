"""`/billing`: the settings hub, and usage help for anything it does not understand."""

from __future__ import annotations

import functools
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.models.blocks import ButtonElement, MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View

from bot import home, support, support_home, support_views, support_workspace
from bot.blocks import note
from bot.edge.deps import BotDeps, Caller
from bot.edge.listen import action, command, open_or_push
from domain.roles import Role

COMMAND = "/billing"
CALLBACK_ID = "billing_hub"

USAGE = (
    "*Billing Bot*\n"
    "• `/billing` opens the billing settings (billing admins).\n"
    "• `/billing help` shows this help; `/billing help` followed by a question sends it to "
    "Billing Bot's support team (or write to Billing Bot in its Messages tab).\n"
    "• `/invoice` shows what is outstanding and the latest invoices; `/invoice new` creates "
    "one; `/invoice INV-0042` shows one.\n"
    "• `/client` adds a client; `/appointment` schedules an appointment.\n"
    "The Billing Bot Home tab shows the setup checklist and your totals."
)

SECTIONS = (
    (
        "Billing details",
        "Name, currency, address, time zone, billing channel, privacy",
        home.OPEN_BILLING_DETAILS,
    ),
    ("Tax rates", "Named rates, the default rate, archiving", home.OPEN_TAX_RATES),
    (
        "Invoice settings",
        "Template, theme, logo, details, terms, footer, numbering",
        home.OPEN_INVOICE_SETTINGS,
    ),
    ("Reminders", "Automatic payment reminders and their schedule", home.OPEN_REMINDERS),
    ("Services", "What you bill for, with default prices and tax", home.OPEN_SERVICES),
    ("Payment settings", "Card payments through Stripe: setup and status", home.STRIPE_SETUP),
    ("Roles", "Who are billing admins and billing staff", home.OPEN_ROLES),
    (
        "Help channel",
        "Where questions to Billing Bot's support team start",
        support_views.OPEN_HELP_CHANNEL,
    ),
)


def hub_modal(practice_name: str) -> View:
    return View(
        type="modal",
        callback_id=CALLBACK_ID,
        title="Billing settings",
        close="Done",
        blocks=[
            note(f"Settings of *{practice_name}*"),
            *(
                SectionBlock(
                    block_id=action_id,
                    text=MarkdownTextObject(text=f"*{title}*\n{explain}"),
                    accessory=ButtonElement(text="Open", action_id=action_id),
                )
                for title, explain, action_id in SECTIONS
            ),
        ],
    )


def hub_view(practice_name: str) -> dict[str, Any]:
    """`hub_modal` as Slack's JSON. It opens on every Settings click and `/billing`, and
    slack_sdk takes longer to render a view than the rest of such a click, so each
    practice's hub is rendered once (the copy keeps the remembered one unchanged)."""
    return dict(_rendered_hub(practice_name))


@functools.lru_cache(maxsize=1024)
def _rendered_hub(practice_name: str) -> dict[str, Any]:
    return hub_modal(practice_name).to_dict()


def billing_command(
    deps: BotDeps, caller: Caller, text: str, body: dict[str, Any], client: WebClient, ack: Ack
) -> Any:
    """Open the hub; `help <question>` asks support, `support` opens the operator's support
    desk; anything else is answered with the usage. The support workspace, which is not a
    practice, gets its own settings and usage instead."""
    word, _, rest = text.partition(" ")
    if word.casefold() == "support" and not rest.strip():
        support.open_desk(deps, caller, body, client, ack)
        return None
    if support_home.is_support_workspace(deps, caller.practice.workspace_id):
        support_workspace.billing_command(deps, caller, text, body, client, ack)
        return None
    if word.casefold() == "help" and rest.strip():
        return support.ask_command(deps, caller, rest.strip(), client, ack)
    if text:
        ack(USAGE)
        return None
    caller.require(Role.ADMIN)
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=hub_view(caller.practice.billing.name))
    return None


def open_hub(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    if support_home.is_support_workspace(deps, caller.practice.workspace_id):
        support_workspace.open_settings(caller, body, client)
        return
    open_or_push(client, body, hub_view(caller.practice.billing.name))


def register(app: App, deps: BotDeps) -> None:
    app.command(COMMAND)(command(deps, functools.partial(billing_command, deps)))
    app.action(home.OPEN_HUB)(action(deps, Role.ADMIN, functools.partial(open_hub, deps)))
