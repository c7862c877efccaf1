"""A practice's currency, time zone and number format, as an admin sets them in Slack: the
currency and zone are found by typing (block_suggestion to the real server), and prices are
then typed the way the practice writes numbers (on SQLite: one server for the module, a
practice of its own per test)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from slack_app_fixture import (
    BACKGROUND_TIMEOUT,
    Seat,
    SlackWorld,
    initial_values,
    message_text,
    view_text,
)

from bot import billing_details, invoice_form, services
from bot.home import OPEN_BILLING_DETAILS, OPEN_SERVICES
from bot.invoice_card import RECORD_PAYMENT
from bot.invoices import PAY_AMOUNT
from domain.usecases.records import (
    AddClient,
    AddServiceType,
    ClientDetails,
    add_client,
    add_service_type,
)
from domain.usecases.settings import ConfigureBillingDetails, configure_billing_details
from helpers import wait_until
from sandbox.slack import Channel, Message

DE_FORMS = "Type the price as 1.250,00 or 1250,00."
US_FORMS = "Type the price as 1,250.00 or 1250.00."


def _german(world: SlackWorld, seat: Seat) -> None:
    """The practice bills in euros from Berlin, so it writes 89,50."""
    practice = world.practice(seat.workspace)
    configure_billing_details(
        ConfigureBillingDetails(
            practice.id,
            seat.admin.id,
            practice.billing.name,
            "EUR",
            "Europe/Berlin",
            country="DE",
        ),
        world.uow(),
        world.env,
    )


def test_currency_and_time_zone_are_found_by_typing_a_name_or_a_city(world: SlackWorld) -> None:
    seat = world.new_practice("Linden Praxis")
    form = world.open_setting(seat.admin, OPEN_BILLING_DETAILS, channel=seat.general)

    euro = world.slack.driver.suggest(form, billing_details.CURRENCY, "euro")
    swiss = world.slack.driver.suggest(form, billing_details.CURRENCY, "Swiss")
    by_code = world.slack.driver.suggest(form, billing_details.CURRENCY, "eur")
    berlin = world.slack.driver.suggest(form, billing_details.TIME_ZONE, "Berlin")
    new_york = world.slack.driver.suggest(form, billing_details.TIME_ZONE, "new york")
    europe = world.slack.driver.suggest(form, billing_details.TIME_ZONE, "e")
    outsider = world.slack.create_user(seat.workspace, "ivy")
    not_admin = world.slack.driver.suggest(form, billing_details.CURRENCY, "euro", user=outsider)

    assert (euro[0]["value"], euro[0]["text"]["text"]) == ("EUR", "EUR · Euro")
    assert [option["value"] for option in swiss] == ["CHF"]
    assert by_code[0]["value"] == "EUR"
    assert [option["value"] for option in berlin] == ["Europe/Berlin"]
    assert [option["value"] for option in new_york] == ["America/New_York"]
    assert len(europe) == billing_details.MAX_OPTIONS
    assert not_admin == []


def test_picking_euro_berlin_and_germany_makes_the_practice_write_german_numbers(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Kastanie Therapie")
    form = world.open_setting(seat.admin, OPEN_BILLING_DETAILS, channel=seat.general)
    opened = initial_values(form)
    [euro] = world.slack.driver.suggest(form, billing_details.CURRENCY, "EUR")[:1]
    [berlin] = world.slack.driver.suggest(form, billing_details.TIME_ZONE, "Berlin")

    saved = world.slack.driver.submit_view(
        form,
        {
            billing_details.CURRENCY: euro["value"],
            billing_details.TIME_ZONE: berlin["value"],
            billing_details.COUNTRY: "DE",
        },
    )

    assert (opened["currency"], opened["locale"]) == ("USD", "en_US")
    assert saved.status == 200 and not saved.errors
    reopened = world.open_setting(seat.admin, OPEN_BILLING_DETAILS, channel=seat.general)
    shown = initial_values(reopened)
    assert (shown["currency"], shown["time_zone"], shown["locale"]) == (
        "EUR",
        "Europe/Berlin",
        "de_DE",
    )
    assert "German (Germany) · 1.250,00" in str(reopened.blocks)


def test_a_german_practice_types_a_price_89_50_and_sees_it_the_german_way(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Ahorn Praxis")
    _german(world, seat)
    form = world.open_setting(seat.admin, OPEN_SERVICES, channel=seat.general)

    added = world.slack.driver.submit_view(
        form, {services.NAME: "Einzelsitzung", services.DEFAULT_PRICE: "89,50"}
    )

    assert added.response_action == "update" and not added.errors
    assert "*Einzelsitzung* · 89,50\xa0€" in view_text(form)
    with world.uow() as uow:
        [stored] = uow.service_types.list(world.practice(seat.workspace).id)
    assert stored.default_price.amount == Decimal("89.50")


@pytest.mark.parametrize(
    ("german", "typed", "price"),
    [
        (False, "$1,250.00", "1250.00"),
        (False, "1250", "1250.00"),
        (True, "1250", "1250.00"),
        (True, "12,50", "12.50"),
        (True, "1.250,00", "1250.00"),
    ],
)
def test_a_price_written_as_the_practice_writes_numbers_is_accepted(
    world: SlackWorld, german: bool, typed: str, price: str
) -> None:
    seat = world.new_practice("Birke Praxis")
    if german:
        _german(world, seat)
    form = world.open_setting(seat.admin, OPEN_SERVICES, channel=seat.general)

    added = world.slack.driver.submit_view(
        form, {services.NAME: "Session", services.DEFAULT_PRICE: typed}
    )

    assert not added.errors
    with world.uow() as uow:
        [stored] = uow.service_types.list(world.practice(seat.workspace).id)
    assert stored.default_price.amount == Decimal(price)


@pytest.mark.parametrize(
    ("german", "typed", "forms"),
    [
        (False, "12,50", US_FORMS),
        (False, "1.250,00", US_FORMS),
        (True, "$1,250.00", DE_FORMS),
        (True, "1,250.00", DE_FORMS),
        (True, "1,250", DE_FORMS),
    ],
)
def test_a_price_the_practice_would_not_write_is_refused_saying_the_expected_form(
    world: SlackWorld, german: bool, typed: str, forms: str
) -> None:
    seat = world.new_practice("Eiche Praxis")
    if german:
        _german(world, seat)
    form = world.open_setting(seat.admin, OPEN_SERVICES, channel=seat.general)
    before = world.rows()

    refused = world.slack.driver.submit_view(
        form, {services.NAME: "Session", services.DEFAULT_PRICE: typed}
    )

    [(block, said)] = refused.errors.items()
    assert block.startswith(services.DEFAULT_PRICE)
    assert said.endswith(forms)
    assert world.rows() == before


# -- amounts shown: every surface writes them as the practice does ------------------------------

GERMAN_TOTAL = "1.250,00\xa0€"
GERMAN_BALANCE = "1.000,00\xa0€"
"""What Babel writes in de_DE (a no-break space before the sign), not '€1,250.00'."""


def _card_once(world: SlackWorld, channel: Channel, wanted: str) -> Message:
    def posted() -> Message | None:
        return next(
            (m for m in world.slack.messages_in(channel) if not m.deleted and wanted in m.text),
            None,
        )

    return wait_until(posted, BACKGROUND_TIMEOUT, what="the invoice's card")


def test_a_german_practice_sees_german_amounts_on_the_card_home_and_client_record(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Linde Praxis")
    admin = seat.admin
    practice = world.practice(seat.workspace)
    billing = world.slack.create_channel(seat.workspace, "abrechnung", members=[admin])
    world.slack.invite_bot(billing)
    configure_billing_details(
        ConfigureBillingDetails(
            practice.id,
            admin.id,
            practice.billing.name,
            "EUR",
            "Europe/Berlin",
            country="DE",
            billing_channel_id=billing.id,
        ),
        world.uow(),
        world.env,
    )
    service = add_service_type(
        AddServiceType(practice.id, admin.id, "Einzelsitzung", "1.250,00"),
        world.uow(),
        world.env,
    )
    add_client(
        AddClient(practice.id, admin.id, ClientDetails("Greta Lind", "greta@example.de")),
        world.uow(),
        world.env,
    )
    form = world.opened_view(
        world.slack.driver.slash_command(admin, "/invoice", "new Greta", channel=seat.general)
    )

    picked = form.hash
    world.slack.driver.block_action(invoice_form.LINE_SERVICE, view=form, value=service.id)
    world.wait_for_update(form, picked)
    price = next(
        b
        for b in form.blocks
        if (b.get("element") or {}).get("action_id") == invoice_form.LINE_PRICE
    )
    added = form.hash
    world.slack.driver.block_action(invoice_form.ADD_LINE, view=form)
    world.wait_for_update(form, added)
    in_form = view_text(form)
    world.slack.driver.submit_view(form, {invoice_form.CREATE_AS: invoice_form.AS_ISSUED})
    card = _card_once(world, billing, "Invoice ")
    posted = message_text(card)
    pay_form = world.opened_view(
        world.slack.driver.block_action(RECORD_PAYMENT, message=card, user=admin)
    )
    prefilled = next(b for b in pay_form.blocks if b.get("block_id") == PAY_AMOUNT)
    asked = view_text(pay_form)
    world.slack.driver.submit_view(pay_form, {PAY_AMOUNT: "250,00"})
    paid = view_text(pay_form)  # the notice the modal became
    wait_until(lambda: GERMAN_BALANCE in message_text(card), BACKGROUND_TIMEOUT, what="new card")
    home = view_text(world.open_home(admin))
    world.slack.driver.slash_command(admin, "/client", "Greta", channel=seat.general)
    record = message_text(world.slack.ephemeral_messages_for(admin)[-1])

    assert price["element"]["initial_value"] == "1250,00"  # typed back as the practice types
    assert f"1 × {GERMAN_TOTAL}" in in_form and f"*Total: {GERMAN_TOTAL}*" in in_form
    assert f"*Total*\n{GERMAN_TOTAL}" in posted and f"· {GERMAN_TOTAL} ·" in card.text
    assert prefilled["element"]["initial_value"] == "1250,00"
    assert f"balance {GERMAN_TOTAL}" in asked
    assert f"paid 250,00\xa0€, balance {GERMAN_BALANCE}" in paid
    assert f"*Outstanding*\n{GERMAN_BALANCE}" in home
    assert f"{GERMAN_TOTAL} · Partially paid · {GERMAN_BALANCE} left to pay" in home
    assert f"*Open balance:* {GERMAN_BALANCE} on 1 unpaid invoice" in record
    assert f"· {GERMAN_TOTAL} · Partially paid" in record
    for shown in (in_form, posted, home, record):
        assert "€1,250.00" not in shown and "1,250.00" not in shown
