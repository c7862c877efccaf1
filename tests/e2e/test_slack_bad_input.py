"""Every bad input of the settings modals, as a user enters it in Slack: the app answers with
an error on the right block (or a notice in the modal, or a message only the user sees),
and nothing is stored. On SQLite, one server for the module, a practice of its own per test.

"Nothing is stored" is checked on every table of the database (but the replay guard's, which
records every accepted request) and, where the form is a settings form, by reopening it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from slack_app_fixture import (
    Seat,
    SlackWorld,
    a_pdf,
    a_png,
    initial_values,
    reply_text,
    view_text,
)
from slack_sdk import WebClient

from bot import invoice_settings, reminders, roles, tax_rates
from bot.edge.text import NOT_INSTALLED
from bot.home import (
    OPEN_BILLING_DETAILS,
    OPEN_INVOICE_SETTINGS,
    OPEN_REMINDERS,
    OPEN_ROLES,
    OPEN_TAX_RATES,
)
from domain.invoices import LineInput
from domain.logos import MAX_LOGO_BYTES
from domain.money import Money
from domain.roles import Role
from domain.usecases.invoicing import CreateInvoice, create_invoice
from domain.usecases.records import AddClient, ClientDetails, add_client
from domain.usecases.settings import AddTaxRate, add_tax_rate

# -- billing details ---------------------------------------------------------------------


def test_a_practice_name_of_only_spaces_is_refused(world: SlackWorld) -> None:
    seat = world.new_practice("Lotus Therapy")
    form = world.open_setting(seat.admin, OPEN_BILLING_DETAILS, channel=seat.general)
    before = world.rows()

    refused = world.slack.driver.submit_view(form, {"name": "   "})

    assert list(refused.errors) == ["name"]
    assert "practice name" in refused.errors["name"]
    assert refused.current_view() is form
    assert world.rows() == before
    assert _reopened_details(world, seat)["name"] == "Lotus Therapy"


def test_an_unknown_currency_code_is_refused(world: SlackWorld) -> None:
    seat = world.new_practice("Iris Counselling")
    form = world.open_setting(seat.admin, OPEN_BILLING_DETAILS, channel=seat.general)
    before = world.rows()

    refused = world.slack.driver.submit_view(form, {"currency": "xyz"})

    assert list(refused.errors) == ["currency"]
    assert "XYZ" in refused.errors["currency"]
    assert world.rows() == before
    assert _reopened_details(world, seat)["currency"] == "USD"


def test_the_currency_cannot_change_once_invoices_exist(world: SlackWorld) -> None:
    seat = world.new_practice("Juniper Psychology")
    practice = world.practice(seat.workspace)
    client = add_client(
        AddClient(practice.id, seat.admin.id, ClientDetails("Ines Morrow", "ines@example.com")),
        world.uow(),
        world.env,
    )
    create_invoice(
        CreateInvoice(
            practice.id,
            seat.admin.id,
            client.id,
            (LineInput(date.today(), "Session", Decimal(1), Money.of("90.00", "USD")),),
        ),
        world.uow(),
        world.env,
    )
    form = world.open_setting(seat.admin, OPEN_BILLING_DETAILS, channel=seat.general)
    before = world.rows()

    refused = world.slack.driver.submit_view(form, {"currency": "EUR"})

    assert list(refused.errors) == ["currency"]
    assert "stays USD" in refused.errors["currency"]
    assert "invoices" in refused.errors["currency"]
    assert world.rows() == before
    assert _reopened_details(world, seat)["currency"] == "USD"


# -- tax rates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "why"),
    [("abc", "is not a number"), ("150", "between 0 and 100"), ("-1", "between 0 and 100")],
)
def test_a_tax_rate_that_is_not_a_percentage_is_refused(
    world: SlackWorld, percent: str, why: str
) -> None:
    seat = world.new_practice(f"Fern Clinic {percent}")
    form = world.open_setting(seat.admin, OPEN_TAX_RATES, channel=seat.general)
    before = world.rows()

    refused = world.slack.driver.submit_view(form, {"name": "VAT", "percent": percent})

    assert list(refused.input_errors) == [tax_rates.PERCENT]
    assert why in refused.input_errors[tax_rates.PERCENT]
    assert world.rows() == before
    assert "No tax rates yet" in view_text(
        world.open_setting(seat.admin, OPEN_TAX_RATES, channel=seat.general)
    )


def test_a_second_tax_rate_with_the_same_name_is_refused(world: SlackWorld) -> None:
    seat = world.new_practice("Sage Therapy")
    _a_rate(world, seat, "VAT", "19")
    form = world.open_setting(seat.admin, OPEN_TAX_RATES, channel=seat.general)
    before = world.rows()

    refused = world.slack.driver.submit_view(form, {"name": "vat", "percent": "7"})

    assert list(refused.input_errors) == [tax_rates.NAME]
    assert "already a tax rate called 'VAT'" in refused.input_errors[tax_rates.NAME]
    assert world.rows() == before


def test_archiving_the_default_tax_rate_is_refused_with_a_notice(world: SlackWorld) -> None:
    seat = world.new_practice("Thyme Physio")
    default = _a_rate(world, seat, "VAT", "19")
    _a_rate(world, seat, "Reduced", "7")
    form = world.open_setting(seat.admin, OPEN_TAX_RATES, channel=seat.general)
    before, old_hash = world.rows(), form.hash

    world.slack.driver.block_action(
        tax_rates.RATE_MENU,
        view=form,
        value=f"{tax_rates.ARCHIVE}:{default}",
        block_id=f"{tax_rates.RATE_BLOCK_PREFIX}{default}",
    )

    world.wait_for_update(form, old_hash)
    [notice] = [block for block in form.blocks if block.get("block_id") == tax_rates.NOTICE]
    assert "'VAT' is the default tax rate" in notice["text"]["text"]
    assert "Make another rate the default first" in notice["text"]["text"]
    assert world.rows() == before
    assert world.practice(seat.workspace).default_tax_rate_id == default


# -- invoice settings: the logo ----------------------------------------------------------


def test_a_pdf_renamed_to_png_is_refused_as_a_logo(world: SlackWorld) -> None:
    seat = world.new_practice("Willowbrook Speech")
    renamed = world.slack.host_file(seat.admin, "logo.png", a_pdf())
    form = world.open_setting(seat.admin, OPEN_INVOICE_SETTINGS, channel=seat.general)
    before = world.rows()

    refused = world.slack.driver.submit_view(
        form, {invoice_settings.LOGO: renamed, invoice_settings.NUMBER_PREFIX: "WB-"}
    )

    assert list(refused.errors) == [invoice_settings.LOGO]
    assert "not a PNG, JPEG or SVG image" in refused.errors[invoice_settings.LOGO]
    assert world.rows() == before
    assert world.practice(seat.workspace).invoice_settings.logo_ref is None


def test_a_logo_over_one_megabyte_is_refused(world: SlackWorld) -> None:
    seat = world.new_practice("Alder Psychotherapy")
    big = a_png(600, 600, noisy=True)
    assert len(big) > MAX_LOGO_BYTES
    upload = world.slack.host_file(seat.admin, "big-logo.png", big)
    form = world.open_setting(seat.admin, OPEN_INVOICE_SETTINGS, channel=seat.general)
    before = world.rows()

    refused = world.slack.driver.submit_view(form, {invoice_settings.LOGO: upload})

    assert list(refused.errors) == [invoice_settings.LOGO]
    assert "under 1 MB" in refused.errors[invoice_settings.LOGO]
    assert world.rows() == before


# -- reminders ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "why"),
    [
        ("-3, 0, x", "'x' is not a whole number of days"),
        (", ".join(str(day) for day in range(-10, 1)), "at most 10 reminders"),
    ],
    ids=["a-letter", "eleven-offsets"],
)
def test_a_bad_reminder_schedule_is_refused(world: SlackWorld, schedule: str, why: str) -> None:
    seat = world.new_practice(f"Laurel Clinic {len(schedule)}")
    form = world.open_setting(seat.admin, OPEN_REMINDERS, channel=seat.general)
    before = world.rows()

    refused = world.slack.driver.submit_view(
        form, {reminders.ENABLED: [reminders.ENABLED_ON], reminders.OFFSETS: schedule}
    )

    assert list(refused.errors) == [reminders.OFFSETS]
    assert why in refused.errors[reminders.OFFSETS]
    assert world.rows() == before
    reopened = world.open_setting(seat.admin, OPEN_REMINDERS, channel=seat.general)
    assert reminders.ENABLED not in initial_values(reopened)


def test_a_send_time_of_25_00_is_refused(world: SlackWorld) -> None:
    # Slack's time picker cannot produce 25:00; a hand-made payload can, and the stand-in
    # sends it as given, so this proves the app's own check on the way in.
    seat = world.new_practice("Holly Therapy")
    form = world.open_setting(seat.admin, OPEN_REMINDERS, channel=seat.general)
    before = world.rows()

    refused = world.slack.driver.submit_view(
        form,
        {
            reminders.ENABLED: [reminders.ENABLED_ON],
            reminders.OFFSETS: "0, 7",
            reminders.SEND_TIME: "25:00",
        },
    )

    assert list(refused.errors) == [reminders.SEND_TIME]
    assert "'25:00' is not a time of day" in refused.errors[reminders.SEND_TIME]
    assert world.rows() == before


# -- roles -------------------------------------------------------------------------------


@pytest.mark.parametrize("new_role", [Role.STAFF.value, roles.NO_ROLE])
def test_the_last_admin_cannot_give_up_the_admin_role(world: SlackWorld, new_role: str) -> None:
    seat = world.new_practice(f"Myrtle Practice {new_role}")
    form = world.open_setting(seat.admin, OPEN_ROLES, channel=seat.general)
    before = world.rows()

    refused = world.slack.driver.submit_view(form, {roles.USER: seat.admin, roles.ROLE: new_role})

    assert list(refused.input_errors) == [roles.USER]
    assert "without a billing admin" in refused.input_errors[roles.USER]
    assert world.rows() == before
    assert world.open_hub(seat.admin, seat.general).callback_id == "billing_hub"


# -- a workspace the app does not know ---------------------------------------------------


def test_a_command_from_a_workspace_that_never_installed_is_told_to_install(
    world: SlackWorld,
) -> None:
    stranger = world.slack.create_workspace("Never Installed Clinic")
    eve = world.slack.create_user(stranger, "eve", is_admin=True)
    lobby = world.slack.create_channel(stranger, "lobby", members=[eve])
    before = world.rows()

    answer = world.slack.driver.slash_command(eve, "/billing", channel=lobby)

    assert answer.status == 200
    [told] = world.slack.ephemeral_messages_for(eve)
    assert told.text == NOT_INSTALLED
    assert world.rows() == before
    assert world.slack.calls(workspace=stranger) == []
    with world.uow() as uow:
        assert uow.practices.for_workspace(stranger.id) is None


def test_a_modal_submitted_from_a_workspace_unknown_to_the_app_stores_nothing(
    world: SlackWorld,
) -> None:
    # Slack knows the app in this workspace (say, installed from the app's settings page
    # against another deployment); this app's database does not.
    stranger = world.slack.create_workspace("Unknown To The App")
    eve = world.slack.create_user(stranger, "eve", is_admin=True)
    token = world.slack.install(stranger, eve).bot_token
    WebClient(token=token, base_url=world.slack.api_url).views_open(
        trigger_id=world.slack.trigger_for(eve),
        view={
            "type": "modal",
            "callback_id": "billing_details",
            "title": {"type": "plain_text", "text": "Billing details"},
            "submit": {"type": "plain_text", "text": "Save"},
            "blocks": [
                {
                    "type": "input",
                    "block_id": "name",
                    "label": {"type": "plain_text", "text": "Practice name"},
                    "element": {"type": "plain_text_input", "action_id": "name"},
                }
            ],
        },
    )
    form = world.slack.open_view_for(eve)
    before = world.rows()

    submitted = world.slack.driver.submit_view(form, {"name": "Hijacked Practice"})

    assert submitted.status == 200
    assert "isn't installed" in reply_text(submitted)
    assert world.rows() == before
    with world.uow() as uow:
        assert uow.practices.for_workspace(stranger.id) is None


# -- helpers -----------------------------------------------------------------------------


def _reopened_details(world: SlackWorld, seat: Seat) -> dict[str, object]:
    return initial_values(
        world.open_setting(seat.admin, OPEN_BILLING_DETAILS, channel=seat.general)
    )


def _a_rate(world: SlackWorld, seat: Seat, name: str, percent: str) -> str:
    practice = world.practice(seat.workspace)
    rate = add_tax_rate(
        AddTaxRate(practice.id, seat.admin.id, name, percent), world.uow(), world.env
    )
    return rate.id
