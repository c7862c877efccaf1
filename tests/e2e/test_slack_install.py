"""Installing the app into two workspaces through OAuth, on SQLite and on PostgreSQL: each
becomes a practice run by its installer, reinstalling keeps everything, and neither practice
ever sees the other's settings."""

from __future__ import annotations

from slack_app_fixture import SlackWorld, initial_values, view_text

from bot import billing_details, hub
from bot.home import OPEN_BILLING_DETAILS, OPEN_ROLES, OPEN_TAX_RATES
from domain.roles import Role

SUNRISE_DETAILS = {
    "name": "Sunrise Therapy Berlin",
    "currency": "chf",
    "address_line1": "Kastanienallee 12",
    "city": "Berlin",
    "postal_code": "10435",
    "country": "de",
    "tax_number": "DE-TAX-7788",
}


def test_each_installed_workspace_becomes_a_practice_run_by_its_installer(
    fresh_world: SlackWorld,
) -> None:
    sunrise = fresh_world.new_practice("Sunrise Therapy", admin="ada", tz="Europe/Berlin")

    harbor = fresh_world.new_practice("Harbor Physio", admin="hal", tz="America/Chicago")

    for seat, zone in ((sunrise, "Europe/Berlin"), (harbor, "America/Chicago")):
        practice = fresh_world.practice(seat.workspace)
        assert practice.active
        assert practice.billing.name == seat.workspace.name
        assert practice.billing.time_zone == zone
        with fresh_world.uow() as uow:
            member = uow.members.get(practice.id, seat.admin.id)
        assert member is not None and member.role is Role.ADMIN
        home = fresh_world.open_home(seat.admin)
        assert "billing admin" in view_text(home)
        home_actions = {
            element.get("action_id")
            for block in home.blocks
            for element in [block.get("accessory") or {}, *block.get("elements", [])]
        }
        assert {OPEN_BILLING_DETAILS, OPEN_TAX_RATES, OPEN_ROLES} <= home_actions
        assert fresh_world.open_hub(seat.admin, seat.general).callback_id == hub.CALLBACK_ID
    assert fresh_world.practice(sunrise.workspace).id != fresh_world.practice(harbor.workspace).id


def test_workspace_b_never_sees_the_settings_workspace_a_saved(fresh_world: SlackWorld) -> None:
    sunrise = fresh_world.new_practice("Sunrise Therapy", admin="ada", tz="Europe/Berlin")
    harbor = fresh_world.new_practice("Harbor Physio", admin="hal", tz="America/Chicago")
    details = fresh_world.open_setting(sunrise.admin, OPEN_BILLING_DETAILS, channel=sunrise.general)
    saved = fresh_world.slack.driver.submit_view(details, SUNRISE_DETAILS)
    rates = fresh_world.open_setting(sunrise.admin, OPEN_TAX_RATES, channel=sunrise.general)
    fresh_world.slack.driver.submit_view(rates, {"name": "Sunrise VAT", "percent": "19"})

    harbor_rates = fresh_world.open_setting(harbor.admin, OPEN_TAX_RATES, channel=harbor.general)
    harbor_details = fresh_world.open_setting(
        harbor.admin, OPEN_BILLING_DETAILS, channel=harbor.general
    )
    harbor_home = fresh_world.open_home(harbor.admin)
    sunrise_again = fresh_world.open_setting(
        sunrise.admin, OPEN_BILLING_DETAILS, channel=sunrise.general
    )

    assert saved.errors == {}
    assert initial_values(harbor_details) == {
        "name": "Harbor Physio",
        "currency": "USD",
        "time_zone": "America/Chicago",
        "locale": "en_US",
        "privacy_mode": [billing_details.PRIVACY_ON],
    }
    assert "No tax rates yet" in view_text(harbor_rates)
    for seen_by_harbor in (harbor_details, harbor_rates, harbor_home):
        for sunrise_value in ("Sunrise", "CHF", "Berlin", "Kastanienallee", "DE-TAX-7788"):
            assert sunrise_value not in view_text(seen_by_harbor)
    assert fresh_world.practice(harbor.workspace).billing.currency.code == "USD"
    assert initial_values(sunrise_again) == {
        "name": "Sunrise Therapy Berlin",
        "currency": "CHF",
        "time_zone": "Europe/Berlin",
        "locale": "de_DE",
        "address_line1": "Kastanienallee 12",
        "city": "Berlin",
        "postal_code": "10435",
        "country": "DE",
        "tax_number": "DE-TAX-7788",
        "privacy_mode": [billing_details.PRIVACY_ON],
    }


def test_reinstalling_a_workspace_keeps_its_practice_and_settings(fresh_world: SlackWorld) -> None:
    sunrise = fresh_world.new_practice("Sunrise Therapy")
    details = fresh_world.open_setting(sunrise.admin, OPEN_BILLING_DETAILS, channel=sunrise.general)
    fresh_world.slack.driver.submit_view(details, SUNRISE_DETAILS)
    before = fresh_world.practice(sunrise.workspace)

    status = fresh_world.install(sunrise.workspace, sunrise.admin)

    after = fresh_world.practice(sunrise.workspace)
    assert status == 200
    assert after == before
    with fresh_world.uow() as uow:
        members = uow.members.list(after.id)
    assert [(m.user_id, m.role) for m in members] == [(sunrise.admin.id, Role.ADMIN)]
    reopened = fresh_world.open_setting(
        sunrise.admin, OPEN_BILLING_DETAILS, channel=sunrise.general
    )
    assert initial_values(reopened)["name"] == "Sunrise Therapy Berlin"
    assert initial_values(reopened)["currency"] == "CHF"
