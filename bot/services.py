"""Services in Slack: what the practice bills for, with default price and tax rate; listed with
a menu each (edit, deactivate or reactivate) above a form that adds one, in one modal updated
in place; editing pushes a prefilled form over the list."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import partial
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    Block,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    OverflowMenuElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot import home
from bot.blocks import escape, form_generation, note, select_input, text_input
from bot.edge.deps import BotDeps, Caller
from bot.edge.listen import Saved, action, open_or_push, submission
from bot.edge.state import ViewState
from domain.errors import DomainError, NotFound
from domain.ids import PracticeId, ServiceTypeId, TaxRateId
from domain.money import Currency
from domain.numbers import example
from domain.practice import TaxRate
from domain.roles import Role
from domain.services import ServiceType
from domain.usecases.queries import service_list
from domain.usecases.records import (
    AddServiceType,
    EditServiceType,
    add_service_type,
    edit_service_type,
    set_service_type_active,
)

CALLBACK_ID = "services"
EDIT_CALLBACK_ID = "service_edit"

NAME = "name"
DEFAULT_PRICE = "default_price"
DEFAULT_TAX_RATE = "default_tax_rate"
NO_TAX = "none"
NOTICE = "services_notice"
SERVICE_MENU = "service_menu"
"""The menu on each service row; an option's value is `verb:service type id`."""
EDIT, DEACTIVATE, REACTIVATE = "edit", "deactivate", "reactivate"
SERVICE_BLOCK_PREFIX = "service:"

BLOCK_FOR_FIELD = {NAME: NAME, DEFAULT_PRICE: DEFAULT_PRICE, DEFAULT_TAX_RATE: DEFAULT_TAX_RATE}
# A modal holds at most 100 blocks, a static select at most 100 options.
MAX_LISTED = 80
MAX_RATE_OPTIONS = 99


def _service_row(service: ServiceType, tax: str, locale: str) -> SectionBlock:
    state = "" if service.active else " · _inactive_"
    verb, label = (DEACTIVATE, "Deactivate") if service.active else (REACTIVATE, "Reactivate")
    choices = [(EDIT, "Edit name, price or tax"), (verb, label)]
    return SectionBlock(
        block_id=f"{SERVICE_BLOCK_PREFIX}{service.id}",
        text=MarkdownTextObject(
            text=f"*{escape(service.name)}* · {service.default_price.format(locale)} · {tax}{state}"
        ),
        accessory=OverflowMenuElement(
            action_id=SERVICE_MENU,
            options=[Option(value=f"{choice}:{service.id}", text=text) for choice, text in choices],
        ),
    )


def price_example(currency_code: str, locale: str) -> str:
    """A price as the practice types it: '89,50' in de_DE, '89.50' in en_US."""
    return example(Decimal("89.5"), locale, decimals=Currency(currency_code).exponent)


def services_modal(
    services: Sequence[ServiceType],
    rates: Mapping[TaxRateId, TaxRate],
    default_rate_id: TaxRateId | None,
    currency_code: str,
    notice: str | None = None,
    locale: str = "en_US",
) -> View:
    """Every service (inactive ones marked), then the form that adds one. `rates` holds every
    rate by id, archived too, since an older service may still name one; prices and rates
    are written as the practice's `locale` writes numbers."""
    blocks: list[Block] = []
    if notice:
        blocks.append(
            SectionBlock(block_id=NOTICE, text=MarkdownTextObject(text=f":warning: {notice}"))
        )
    blocks.append(HeaderBlock(text="Services"))
    if not services:
        blocks.append(note("No services yet. Add what you bill for below."))
    for service in services[:MAX_LISTED]:
        rate = rates.get(service.default_tax_rate_id) if service.default_tax_rate_id else None
        tax = escape(rate.label_in(locale)) if rate else "no tax"
        blocks.append(_service_row(service, tax, locale))
    if len(services) > MAX_LISTED:
        blocks.append(note(f"Showing {MAX_LISTED} of {len(services)} services."))
    active_rates = [rate for rate in rates.values() if not rate.is_archived][:MAX_RATE_OPTIONS]
    choices = [(NO_TAX, "No tax"), *((rate.id, rate.label_in(locale)) for rate in active_rates)]
    listed = form_generation(
        f"{service.id} {service.name} {service.default_price} {service.default_tax_rate_id} "
        f"{service.active}"
        for service in services
    )
    blocks += [
        DividerBlock(),
        HeaderBlock(text="Add a service"),
        text_input(
            NAME,
            "Name",
            None,
            max_length=100,
            placeholder="e.g. Individual session",
            generation=listed,
        ),
        text_input(
            DEFAULT_PRICE,
            "Default price",
            None,
            max_length=20,
            hint=f"In {currency_code}, e.g. {price_example(currency_code, locale)}.",
            generation=listed,
        ),
        select_input(
            DEFAULT_TAX_RATE,
            "Default tax rate",
            choices,
            default_rate_id or NO_TAX,
            generation=listed,
        ),
        note("Inactive services are not offered on new invoices or appointments."),
    ]
    return View(
        type="modal",
        callback_id=CALLBACK_ID,
        title="Services",
        submit="Add service",
        close="Done",
        blocks=blocks,
    )


def typed_price(service: ServiceType, locale: str) -> str:
    """The price as the practice types it back in: '89,50' in de_DE, '1250.00' in en_US."""
    return service.default_price.typed(locale)


def edit_service_modal(
    service: ServiceType,
    rates: Mapping[TaxRateId, TaxRate],
    parent_view_id: str | None,
    locale: str = "en_US",
) -> View:
    """The service's name, default price and tax rate to change; the version read now goes
    along, so a save after someone else's change is refused rather than undoing it."""
    offered = [
        rate
        for rate in rates.values()
        if not rate.is_archived or rate.id == service.default_tax_rate_id
    ][:MAX_RATE_OPTIONS]
    choices = [(NO_TAX, "No tax"), *((rate.id, rate.label_in(locale)) for rate in offered)]
    meta = {"service": service.id, "version": service.version, "parent": parent_view_id}
    return View(
        type="modal",
        callback_id=EDIT_CALLBACK_ID,
        title="Edit service",
        submit="Save",
        close="Back",
        private_metadata=json.dumps(meta),
        blocks=[
            text_input(NAME, "Name", service.name, max_length=100),
            text_input(
                DEFAULT_PRICE,
                "Default price",
                typed_price(service, locale),
                max_length=20,
                hint=(
                    f"In {service.default_price.currency.code}, e.g. "
                    f"{price_example(service.default_price.currency.code, locale)}."
                ),
            ),
            select_input(
                DEFAULT_TAX_RATE,
                "Default tax rate",
                choices,
                service.default_tax_rate_id or NO_TAX,
            ),
            note("Invoices already made keep their prices; new lines start with these."),
        ],
    )


def current_modal(deps: BotDeps, practice_id: PracticeId, notice: str | None = None) -> View:
    """The modal as the stored services and rates are now."""
    stored = service_list(practice_id, deps.read(), deps.env)
    return services_modal(
        stored.services,
        {rate.id: rate for rate in stored.rates},
        stored.default_tax_rate_id,
        stored.currency.code,
        notice,
        stored.locale,
    )


def _refresh_home(deps: BotDeps, caller: Caller, client: WebClient) -> None:
    home.refresh(client, deps, caller.practice.workspace_id, caller.user_id)


def open_services(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    open_or_push(client, body, current_modal(deps, caller.practice.id))


def add_service(deps: BotDeps, caller: Caller, view: dict[str, Any], client: WebClient) -> Saved:
    """Add the service typed in the form; the modal then lists it."""
    state = ViewState(view)
    rate = state.selected(DEFAULT_TAX_RATE)
    add_service_type(
        AddServiceType(
            practice_id=caller.practice.id,
            actor=caller.user_id,
            name=state.text(NAME),
            default_price=state.text(DEFAULT_PRICE),
            default_tax_rate_id=TaxRateId(rate) if rate and rate != NO_TAX else None,
        ),
        deps.uow(),
        deps.env,
    )
    return Saved(
        ack={"response_action": "update", "view": current_modal(deps, caller.practice.id)},
        then=partial(_refresh_home, deps, caller, client),
    )


def service_menu(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    """One choice from a service's menu: edit pushes the form; deactivate or reactivate shows
    the list again. A refusal is shown as a notice, since a menu can't carry field errors."""
    verb, _, raw_id = str(body["actions"][0]["selected_option"]["value"]).partition(":")
    service_id, view, practice_id = ServiceTypeId(raw_id), body["view"], caller.practice.id
    notice: str | None = None
    try:
        if verb == EDIT:
            stored = service_list(practice_id, deps.read(), deps.env)
            service = next((s for s in stored.services if s.id == service_id), None)
            if service is None:
                raise NotFound("service type", service_id)
            rates = {rate.id: rate for rate in stored.rates}
            client.views_push(
                trigger_id=body["trigger_id"],
                view=edit_service_modal(service, rates, view["id"], stored.locale),
            )
            return
        set_service_type_active(
            practice_id, service_id, verb == REACTIVATE, caller.user_id, deps.uow(), deps.env
        )
    except NotFound:
        notice = "That service is no longer there; here are the current services."
    except DomainError as error:
        notice = str(error)
    client.views_update(
        view_id=view["id"],
        hash=view.get("hash"),
        view=current_modal(deps, practice_id, notice),
    )
    if notice is None:
        _refresh_home(deps, caller, client)


def save_edit(deps: BotDeps, caller: Caller, view: dict[str, Any], client: WebClient) -> Saved:
    """Save the edited service, close the form and refresh the list under it."""
    meta = json.loads(view.get("private_metadata") or "{}")
    state = ViewState(view)
    rate = state.selected(DEFAULT_TAX_RATE)
    edit_service_type(
        EditServiceType(
            practice_id=caller.practice.id,
            actor=caller.user_id,
            service_type_id=ServiceTypeId(str(meta.get("service") or "")),
            expected_version=int(meta.get("version") or 0),
            name=state.text(NAME),
            default_price=state.text(DEFAULT_PRICE),
            default_tax_rate_id=TaxRateId(rate) if rate and rate != NO_TAX else None,
        ),
        deps.uow(),
        deps.env,
    )
    return home.saved_over_list(
        deps, caller, client, view, partial(current_modal, deps, caller.practice.id)
    )


def register(app: App, deps: BotDeps) -> None:
    app.action(home.OPEN_SERVICES)(action(deps, Role.ADMIN, partial(open_services, deps)))
    menu = partial(service_menu, deps)
    app.action(SERVICE_MENU)(action(deps, Role.ADMIN, menu, changes=True))
    app.view(CALLBACK_ID)(submission(deps, Role.ADMIN, BLOCK_FOR_FIELD, partial(add_service, deps)))
    app.view(EDIT_CALLBACK_ID)(
        submission(deps, Role.ADMIN, BLOCK_FOR_FIELD, partial(save_edit, deps))
    )
