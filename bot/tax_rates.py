"""Tax rates in Slack: one modal that lists the active rates, adds one, and renames, sets
the default or archives a rate from its menu, updating itself in place after each change."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from functools import partial
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    OverflowMenuElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot import home
from bot.blocks import escape, form_block_id, form_generation, note, text_input
from bot.edge.deps import BotDeps, Caller
from bot.edge.listen import Saved, action, open_or_push, submission
from bot.edge.state import ViewState
from domain.errors import DomainError, NotFound, ValidationError
from domain.ids import PracticeId, TaxRateId
from domain.practice import TaxRate, format_percent
from domain.roles import Role
from domain.usecases.queries import editable_tax_rate, tax_rate_list
from domain.usecases.settings import (
    AddTaxRate,
    UpdateTaxRate,
    add_tax_rate,
    archive_tax_rate,
    set_default_tax_rate,
    update_tax_rate,
)

CALLBACK_ID = "tax_rates"
EDIT_CALLBACK_ID = "tax_rate_edit"

NAME = "name"
PERCENT = "percent"
MAKE_DEFAULT = "make_default"
MAKE_DEFAULT_ON = "on"
NOTICE = "tax_rates_notice"
RATE_MENU = "tax_rate_menu"
"""The overflow on each rate; its option values are `<verb>:<tax rate id>`."""
RATE_BLOCK_PREFIX = "tax_rate:"
EDIT, SET_DEFAULT, ARCHIVE = "edit", "default", "archive"

# Domain field -> block. Setting an archived rate as default reports `default_tax_rate`;
# it can only come from a stale modal, and is shown as a notice there.
BLOCK_FOR_FIELD = {NAME: NAME, PERCENT: PERCENT}
# A modal holds at most 100 blocks; the add form and headings take the rest.
MAX_LISTED = 80


def _rate_row(rate: TaxRate, is_default: bool, locale: str) -> SectionBlock:
    choices = [(EDIT, "Rename or change percent")]
    if not is_default:
        choices.append((SET_DEFAULT, "Make default"))
    # Offered on the default too, so the admin learns why it can't go (the domain says).
    choices.append((ARCHIVE, "Archive"))
    mark = " · _default_" if is_default else ""
    return SectionBlock(
        block_id=f"{RATE_BLOCK_PREFIX}{rate.id}",
        text=MarkdownTextObject(
            text=f"*{escape(rate.name)}* · {format_percent(rate.percent, locale)}{mark}"
        ),
        accessory=OverflowMenuElement(
            action_id=RATE_MENU,
            options=[Option(value=f"{verb}:{rate.id}", text=label) for verb, label in choices],
        ),
    )


def tax_rates_modal(
    rates: Sequence[TaxRate],
    default_id: TaxRateId | None,
    notice: str | None = None,
    locale: str = "en_US",
) -> View:
    """The active rates with their menus, then the form that adds a rate; percentages are
    shown as the practice's `locale` writes them."""
    blocks: list[Block] = []
    if notice:
        blocks.append(
            SectionBlock(block_id=NOTICE, text=MarkdownTextObject(text=f":warning: {notice}"))
        )
    blocks.append(HeaderBlock(text="Rates"))
    if not rates:
        blocks.append(note("No tax rates yet. The first rate you add becomes the default."))
    blocks.extend(_rate_row(rate, rate.id == default_id, locale) for rate in rates[:MAX_LISTED])
    if len(rates) > MAX_LISTED:
        blocks.append(note(f"Showing {MAX_LISTED} of {len(rates)} rates; archive unused ones."))
    make_default = Option(value=MAKE_DEFAULT_ON, text="Make this the default rate")
    listed = form_generation(
        f"{rate.id} {rate.name} {rate.percent} {rate.id == default_id}" for rate in rates
    )
    blocks += [
        DividerBlock(),
        HeaderBlock(text="Add a rate"),
        text_input(
            NAME, "Name", None, max_length=50, placeholder="e.g. Sales tax", generation=listed
        ),
        text_input(
            PERCENT,
            "Percent",
            None,
            max_length=12,
            hint=f"e.g. {format_percent(Decimal('7.5'), locale).removesuffix(' %')} for "
            f"{format_percent(Decimal('7.5'), locale)}",
            generation=listed,
        ),
        InputBlock(
            block_id=form_block_id(MAKE_DEFAULT, listed),
            label="Default",
            optional=True,
            element=CheckboxesElement(action_id=MAKE_DEFAULT, options=[make_default]),
        ),
        note("New invoice lines start with the default rate. Archived rates are not offered."),
    ]
    return View(
        type="modal",
        callback_id=CALLBACK_ID,
        title="Tax rates",
        submit="Add rate",
        close="Done",
        blocks=blocks,
    )


def edit_tax_rate_modal(rate: TaxRate, parent_view_id: str | None, locale: str = "en_US") -> View:
    """Rename a rate or change its percent; `parent_view_id` is the list to refresh after."""
    return View(
        type="modal",
        callback_id=EDIT_CALLBACK_ID,
        title="Edit tax rate",
        submit="Save",
        close="Back",
        private_metadata=json.dumps({"rate": rate.id, "parent": parent_view_id}),
        blocks=[
            text_input(NAME, "Name", rate.name, max_length=50),
            text_input(PERCENT, "Percent", format_percent(rate.percent, locale), max_length=12),
            note("A rate already on invoices or services keeps its percent; add a new one."),
        ],
    )


def current_modal(deps: BotDeps, practice_id: PracticeId, notice: str | None = None) -> View:
    """The modal as the stored rates are now (read after a change, not from the caller)."""
    stored = tax_rate_list(practice_id, deps.read(), deps.env)
    return tax_rates_modal(stored.rates, stored.default_id, notice, stored.locale)


def _refresh_home(deps: BotDeps, caller: Caller, client: WebClient) -> None:
    home.refresh(client, deps, caller.practice.workspace_id, caller.user_id)


def open_rates(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    open_or_push(client, body, current_modal(deps, caller.practice.id))


def add_rate(deps: BotDeps, caller: Caller, view: dict[str, Any], client: WebClient) -> Saved:
    """Add the rate typed in the form; the modal then shows it in the list."""
    state = ViewState(view)
    add_tax_rate(
        AddTaxRate(
            practice_id=caller.practice.id,
            actor=caller.user_id,
            name=state.text(NAME),
            percent=state.text(PERCENT),
            make_default=MAKE_DEFAULT_ON in state.checked(MAKE_DEFAULT),
        ),
        deps.uow(),
        deps.env,
    )
    return Saved(
        ack={"response_action": "update", "view": current_modal(deps, caller.practice.id)},
        then=partial(_refresh_home, deps, caller, client),
    )


def rate_menu(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    """One choice from a rate's menu. Block actions can't carry field errors, so a refusal
    (archiving the default, a rate gone meanwhile) is shown as a notice atop the list."""
    verb, _, raw_id = str(body["actions"][0]["selected_option"]["value"]).partition(":")
    rate_id, view, practice_id = TaxRateId(raw_id), body["view"], caller.practice.id
    notice: str | None = None
    try:
        if verb == EDIT:
            rate = editable_tax_rate(practice_id, rate_id, deps.read(), deps.env)
            client.views_push(
                trigger_id=body["trigger_id"],
                view=edit_tax_rate_modal(rate, view["id"], caller.practice.locale),
            )
            return
        if verb == SET_DEFAULT:
            set_default_tax_rate(practice_id, rate_id, caller.user_id, deps.uow(), deps.env)
        elif verb == ARCHIVE:
            archive_tax_rate(practice_id, rate_id, caller.user_id, deps.uow(), deps.env)
    except ValidationError as error:
        notice = next(iter(error.errors.values()))
    except NotFound:
        notice = "That rate is no longer there; here are the current rates."
    except DomainError as error:
        notice = str(error)
    client.views_update(
        view_id=view["id"], hash=view.get("hash"), view=current_modal(deps, practice_id, notice)
    )
    if notice is None:
        _refresh_home(deps, caller, client)


def save_edit(deps: BotDeps, caller: Caller, view: dict[str, Any], client: WebClient) -> Saved:
    """Save a renamed or re-priced rate, close the edit modal and refresh the list under it."""
    meta = json.loads(view.get("private_metadata") or "{}")
    state = ViewState(view)
    update_tax_rate(
        UpdateTaxRate(
            practice_id=caller.practice.id,
            actor=caller.user_id,
            tax_rate_id=TaxRateId(str(meta.get("rate") or "")),
            name=state.text(NAME),
            percent=state.text(PERCENT),
        ),
        deps.uow(),
        deps.env,
    )
    return home.saved_over_list(
        deps, caller, client, view, partial(current_modal, deps, caller.practice.id)
    )


def register(app: App, deps: BotDeps) -> None:
    app.action(home.OPEN_TAX_RATES)(action(deps, Role.ADMIN, partial(open_rates, deps)))
    app.action(RATE_MENU)(action(deps, Role.ADMIN, partial(rate_menu, deps), changes=True))
    app.view(CALLBACK_ID)(submission(deps, Role.ADMIN, BLOCK_FOR_FIELD, partial(add_rate, deps)))
    app.view(EDIT_CALLBACK_ID)(
        submission(deps, Role.ADMIN, BLOCK_FOR_FIELD, partial(save_edit, deps))
    )
