"""Billing details: the practice's name, currency, address, time zone, registration
numbers, billing channel and privacy mode."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    CheckboxesElement,
    ConversationFilter,
    ConversationSelectElement,
    DividerBlock,
    ExternalDataSelectElement,
    InputBlock,
    Option,
)
from slack_sdk.models.views import View

from bot import home
from bot.blocks import (
    ADDRESS_LINE1,
    ADDRESS_LINE2,
    CITY,
    COUNTRY,
    POSTAL_CODE,
    REGION,
    address_inputs,
    note,
    select_input,
    text_input,
)
from bot.edge.deps import BotDeps, Caller
from bot.edge.listen import Saved, action, open_or_push, options, submission
from bot.edge.state import ViewState
from domain.money import currency_label, matching_currencies
from domain.practice import (
    PRACTICE_LOCALES,
    Practice,
    locale_label,
    matching_time_zones,
)
from domain.roles import Role
from domain.usecases.settings import ConfigureBillingDetails, configure_billing_details

log = logging.getLogger(__name__)

CALLBACK_ID = "billing_details"

NAME = "name"
CURRENCY = "currency"
TIME_ZONE = "time_zone"
LOCALE = "locale"
TAX_NUMBER = "tax_number"
LICENCE_NUMBER = "licence_number"
BILLING_CHANNEL = "billing_channel"
PRIVACY = "privacy_mode"
PRIVACY_ON = "on"

# Domain field -> the block that shows its error (they share names here).
BLOCK_FOR_FIELD = {
    field: field
    for field in (
        NAME,
        CURRENCY,
        TIME_ZONE,
        LOCALE,
        ADDRESS_LINE1,
        ADDRESS_LINE2,
        CITY,
        REGION,
        POSTAL_CODE,
        COUNTRY,
        TAX_NUMBER,
        LICENCE_NUMBER,
    )
}
# Slack lists at most 100 options in a menu.
MAX_OPTIONS = 100


def _search_select(
    action_id: str, label: str, current: Option, placeholder: str, hint: str
) -> InputBlock:
    """A menu that asks the app for the options matching what is typed, showing `current`."""
    return InputBlock(
        block_id=action_id,
        label=label,
        hint=hint,
        element=ExternalDataSelectElement(
            action_id=action_id,
            placeholder=placeholder,
            initial_option=current,
            min_query_length=1,
        ),
    )


def _locale_choices(current: str) -> list[tuple[str, str]]:
    listed = PRACTICE_LOCALES if current in PRACTICE_LOCALES else (current, *PRACTICE_LOCALES)
    return [(code, locale_label(code)) for code in listed]


def billing_details_modal(practice: Practice) -> View:
    """The billing details form, filled with what is saved."""
    billing, address = practice.billing, practice.billing.address
    privacy = Option(value=PRIVACY_ON, text="Privacy mode: initials only in channel posts")
    channel = ConversationSelectElement(
        action_id=BILLING_CHANNEL,
        initial_conversation=practice.billing_channel_id,
        filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
    )
    return View(
        type="modal",
        callback_id=CALLBACK_ID,
        title="Billing details",
        submit="Save",
        close="Cancel",
        blocks=[
            text_input(NAME, "Practice name", billing.name, max_length=120),
            _search_select(
                CURRENCY,
                "Currency",
                Option(value=billing.currency.code, text=currency_label(billing.currency.code)),
                "Type a code or name, e.g. EUR or euro",
                "Fixed once invoices exist.",
            ),
            _search_select(
                TIME_ZONE,
                "Time zone",
                Option(value=billing.time_zone, text=billing.time_zone),
                "Type a city or a region",
                "Due dates and reminders follow it.",
            ),
            select_input(
                LOCALE,
                "Number format",
                _locale_choices(billing.locale),
                billing.locale,
                hint="How amounts and tax rates are typed and shown; follows the currency "
                "and country until you pick another.",
            ),
            DividerBlock(),
            *address_inputs(
                "Billing address",
                address.line1,
                address.line2,
                address.city,
                address.region,
                address.postal_code,
                address.country,
            ),
            DividerBlock(),
            text_input(TAX_NUMBER, "Tax number", billing.tax_number, optional=True, max_length=60),
            text_input(
                LICENCE_NUMBER,
                "Licence number",
                billing.licence_number,
                optional=True,
                max_length=60,
            ),
            InputBlock(
                block_id=BILLING_CHANNEL,
                label="Billing channel",
                optional=True,
                hint="Invoice cards and payment news are posted here.",
                element=channel,
            ),
            InputBlock(
                block_id=PRIVACY,
                label="Client privacy",
                optional=True,
                element=CheckboxesElement(
                    action_id=PRIVACY,
                    options=[privacy],
                    initial_options=[privacy] if practice.privacy_mode else None,
                ),
            ),
            note(
                "With privacy mode on, channel posts show a client's initials and the invoice "
                "number, never the name or the service."
            ),
        ],
    )


def _command(caller: Caller, view: dict[str, Any]) -> ConfigureBillingDetails:
    state = ViewState(view)
    return ConfigureBillingDetails(
        practice_id=caller.practice.id,
        actor=caller.user_id,
        name=state.text(NAME),
        currency=state.selected(CURRENCY) or "",
        time_zone=state.selected(TIME_ZONE) or "",
        locale=state.selected(LOCALE) or "",
        address_line1=state.text(ADDRESS_LINE1),
        address_line2=state.text(ADDRESS_LINE2),
        city=state.text(CITY),
        region=state.text(REGION),
        postal_code=state.text(POSTAL_CODE),
        country=state.text(COUNTRY),
        tax_number=state.text(TAX_NUMBER),
        licence_number=state.text(LICENCE_NUMBER),
        privacy_mode=PRIVACY_ON in state.checked(PRIVACY),
        billing_channel_id=state.conversation(BILLING_CHANNEL),
    )


def _join_billing_channel(client: WebClient, practice: Practice, user_id: str) -> None:
    """Join the chosen channel, or tell the admin how to invite the app to a private one."""
    channel = practice.billing_channel_id
    if not channel:
        return
    try:
        client.conversations_join(channel=channel)
        client.chat_postMessage(
            channel=channel,
            text="Billing Bot will post invoice updates and payment news here.",
        )
    except SlackApiError as error:
        code = error.response.get("error")
        log.info("event=billing_channel_join_failed channel=%s error=%s", channel, code)
        client.chat_postMessage(
            channel=user_id,
            text=(
                f"I can't join <#{channel}> by myself (Slack said `{code}`). Invite me with "
                f"`/invite @Billing Bot` in that channel, so invoice updates can be posted there."
            ),
        )


def open_details(caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    open_or_push(client, body, billing_details_modal(caller.practice))


def save_details(deps: BotDeps, caller: Caller, view: dict[str, Any], client: WebClient) -> Saved:
    """Save the details; after the answer, join a newly chosen billing channel and refresh
    the Home tab."""
    before = caller.practice.billing_channel_id
    practice = configure_billing_details(_command(caller, view), deps.uow(), deps.env)

    def then() -> None:
        if practice.billing_channel_id != before:
            _join_billing_channel(client, practice, caller.user_id)
        home.refresh(client, deps, caller.practice.workspace_id, caller.user_id)

    return Saved(then=then)


def currency_options(caller: Caller, typed: str) -> list[Option]:
    """The currencies whose code or name holds what the admin typed ('euro', 'CHF')."""
    caller.require(Role.ADMIN)
    return [
        Option(value=code, text=currency_label(code))
        for code in matching_currencies(typed, MAX_OPTIONS)
    ]


def time_zone_options(caller: Caller, typed: str) -> list[Option]:
    """The time zones whose name holds the place the admin typed ('Berlin')."""
    caller.require(Role.ADMIN)
    return [Option(value=zone, text=zone) for zone in matching_time_zones(typed, MAX_OPTIONS)]


def register(app: App, deps: BotDeps) -> None:
    app.action(home.OPEN_BILLING_DETAILS)(action(deps, Role.ADMIN, open_details))
    app.options(CURRENCY)(options(deps, currency_options))
    app.options(TIME_ZONE)(options(deps, time_zone_options))
    app.view(CALLBACK_ID)(
        submission(deps, Role.ADMIN, BLOCK_FOR_FIELD, partial(save_details, deps))
    )
