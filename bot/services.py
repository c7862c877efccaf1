"""Services in Slack: what the practice bills for, with default price and tax rate; listed with
deactivate/reactivate buttons above a form that adds one, in one modal updated in place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import partial
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
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
    add_service_type,
    set_service_type_active,
)

CALLBACK_ID = "services"

NAME = "name"
DEFAULT_PRICE = "default_price"
DEFAULT_TAX_RATE = "default_tax_rate"
NO_TAX = "none"
NOTICE = "services_notice"
DEACTIVATE = "service_deactivate"
REACTIVATE = "service_reactivate"
"""Buttons on each service row; their value is the service type id."""
SERVICE_BLOCK_PREFIX = "service:"

BLOCK_FOR_FIELD = {NAME: NAME, DEFAULT_PRICE: DEFAULT_PRICE, DEFAULT_TAX_RATE: DEFAULT_TAX_RATE}
# A modal holds at most 100 blocks, a static select at most 100 options.
MAX_LISTED = 80
MAX_RATE_OPTIONS = 99


def _service_row(service: ServiceType, tax: str, locale: str) -> SectionBlock:
    state = "" if service.active else " · _inactive_"
    button = (
        ButtonElement(text="Deactivate", action_id=DEACTIVATE, value=service.id)
        if service.active
        else ButtonElement(text="Reactivate", action_id=REACTIVATE, value=service.id)
    )
    return SectionBlock(
        block_id=f"{SERVICE_BLOCK_PREFIX}{service.id}",
        text=MarkdownTextObject(
            text=f"*{escape(service.name)}* · {service.default_price.format(locale)} · {tax}{state}"
        ),
        accessory=button,
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


def set_active(
    deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient, *, active: bool
) -> None:
    """Deactivate or reactivate the row's service and show the list again; a refusal is shown
    as a notice, since a button press can't carry field errors."""
    service_id = ServiceTypeId(str(body["actions"][0]["value"]))
    notice: str | None = None
    try:
        set_service_type_active(
            caller.practice.id, service_id, active, caller.user_id, deps.uow(), deps.env
        )
    except NotFound:
        notice = "That service is no longer there; here are the current services."
    except DomainError as error:
        notice = str(error)
    view = body["view"]
    client.views_update(
        view_id=view["id"],
        hash=view.get("hash"),
        view=current_modal(deps, caller.practice.id, notice),
    )
    if notice is None:
        _refresh_home(deps, caller, client)


def register(app: App, deps: BotDeps) -> None:
    app.action(home.OPEN_SERVICES)(action(deps, Role.ADMIN, partial(open_services, deps)))
    deactivate = partial(set_active, deps, active=False)
    reactivate = partial(set_active, deps, active=True)
    app.action(DEACTIVATE)(action(deps, Role.ADMIN, deactivate, changes=True))
    app.action(REACTIVATE)(action(deps, Role.ADMIN, reactivate, changes=True))
    app.view(CALLBACK_ID)(submission(deps, Role.ADMIN, BLOCK_FOR_FIELD, partial(add_service, deps)))
