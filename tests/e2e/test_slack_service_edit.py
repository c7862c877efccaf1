"""Editing a service from its menu in the Services modal, over HTTP against the real server:
the form opens prefilled as the practice writes prices, a save updates the list under it, and
an edit of a service someone changed meanwhile is refused saying why (on SQLite: one server
for the module, a practice of its own per test)."""

from __future__ import annotations

from decimal import Decimal

from slack_app_fixture import Seat, SlackWorld, initial_values, view_text

from bot import services
from bot.home import OPEN_SERVICES
from domain.services import ServiceType
from domain.usecases.records import AddServiceType, add_service_type, set_service_type_active
from domain.usecases.settings import ConfigureBillingDetails, configure_billing_details
from sandbox.slack import View


def _german_service(world: SlackWorld, seat: Seat, name: str, price: str) -> ServiceType:
    practice = world.practice(seat.workspace)
    configure_billing_details(
        ConfigureBillingDetails(
            practice.id, seat.admin.id, practice.billing.name, "EUR", "Europe/Berlin", country="DE"
        ),
        world.uow(),
        world.env,
    )
    command = AddServiceType(practice.id, seat.admin.id, name, price)
    return add_service_type(command, world.uow(), world.env)


def _open_edit(world: SlackWorld, listed: View, service: ServiceType) -> View:
    return world.slack.driver.block_action(
        services.SERVICE_MENU,
        view=listed,
        value=f"{services.EDIT}:{service.id}",
        block_id=f"{services.SERVICE_BLOCK_PREFIX}{service.id}",
    ).opened_view()


def test_a_service_is_renamed_and_repriced_and_the_list_shows_it(world: SlackWorld) -> None:
    seat = world.new_practice("Linde Praxis")
    service = _german_service(world, seat, "Sitzung", "89,50")
    listed = world.open_setting(seat.admin, OPEN_SERVICES, channel=seat.general)
    form = _open_edit(world, listed, service)
    prefilled = initial_values(form)
    old_hash = listed.hash

    saved = world.slack.driver.submit_view(
        form, {services.NAME: "Lange Sitzung", services.DEFAULT_PRICE: "1.250,00"}
    )
    world.wait_for_update(listed, old_hash)

    assert (prefilled[services.NAME], prefilled[services.DEFAULT_PRICE]) == ("Sitzung", "89,50")
    assert saved.response_action is None and not saved.errors
    assert "*Lange Sitzung* · 1.250,00\xa0€ · no tax" in view_text(listed)
    with world.uow() as uow:
        stored = uow.service_types.get(service.practice_id, service.id)
    assert stored is not None
    assert (stored.name, stored.default_price.amount) == ("Lange Sitzung", Decimal("1250.00"))


def test_a_price_typed_the_american_way_in_the_edit_form_is_refused_on_the_field(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Ulme Praxis")
    service = _german_service(world, seat, "Sitzung", "89,50")
    listed = world.open_setting(seat.admin, OPEN_SERVICES, channel=seat.general)
    form = _open_edit(world, listed, service)
    before = world.rows()

    refused = world.slack.driver.submit_view(form, {services.DEFAULT_PRICE: "1,250.00"})

    assert list(refused.errors) == [services.DEFAULT_PRICE]
    assert refused.errors[services.DEFAULT_PRICE].endswith("Type the price as 1.250,00 or 1250,00.")
    assert world.rows() == before


def test_an_edit_of_a_service_changed_meanwhile_is_refused_saying_why(world: SlackWorld) -> None:
    seat = world.new_practice("Pappel Praxis")
    service = _german_service(world, seat, "Sitzung", "89,50")
    listed = world.open_setting(seat.admin, OPEN_SERVICES, channel=seat.general)
    form = _open_edit(world, listed, service)
    set_service_type_active(
        service.practice_id, service.id, False, seat.admin.id, world.uow(), world.env
    )
    before = world.rows()

    refused = world.slack.driver.submit_view(form, {services.DEFAULT_PRICE: "95,00"})

    assert refused.response_action == "update"
    assert "Not saved" in str(refused.current_view().definition)
    assert "Someone else changed 'Sitzung' meanwhile" in view_text(refused.current_view())
    assert world.rows() == before
