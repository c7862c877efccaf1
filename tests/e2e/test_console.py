"""The sandbox console in a real browser, used as a person would use it: Debian's headless
Chromium driven by Playwright against ``billing-bot demo``, which runs the real app against
the Slack stand-in. Screenshots land in tests/artifacts/ for a person to look at."""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from console_sandbox import Sandbox, running_sandbox
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
from sqlalchemy import select

from domain.ports import Env
from domain.usecases.records import (
    AddClient,
    AddServiceType,
    ClientDetails,
    add_client,
    add_service_type,
)
from gateways.system import RandomIds, SystemClock
from storage.engine import create_engine_for
from storage.orm import PracticeRow
from storage.unit_of_work import SqlAlchemyUnitOfWork, session_factory

CHROMIUM = Path("/usr/bin/chromium")
# Headless and quiet: no GPU, no QUIC, and none of the browser's own calls home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
# The app answers within Slack's three seconds; lazy listeners and polling add a little.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    with running_sandbox(tmp_path) as started:
        yield started
        started.stop()


@pytest.fixture
def page(browser: Browser, sandbox: Sandbox) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    opened.goto(sandbox.console_url)
    yield opened
    context.close()


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


# -- what a person does ----------------------------------------------------------------------


def open_messages_tab(page: Page) -> None:
    page.get_by_role("navigation", name="Billing Bot").get_by_role("link", name="Messages").click()
    expect(page.get_by_role("textbox", name="Message")).to_be_visible()


def run_command(page: Page, line: str) -> None:
    composer = page.get_by_role("textbox", name="Message")
    composer.fill(line)
    composer.press("Enter")


def open_billing_details(page: Page) -> Locator:
    """/billing → "Open" beside Billing details; returns the modal."""
    run_command(page, "/billing")
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Billing settings")).to_be_visible()
    dialog.locator('[data-block-id="billing_details_open"]').get_by_role("button").click()
    expect(dialog.get_by_role("heading", name="Billing details")).to_be_visible()
    return dialog


def save_and_return_to_hub(dialog: Locator) -> None:
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("heading", name="Billing settings")).to_be_visible()


def close_modal(page: Page) -> None:
    page.get_by_role("dialog").get_by_role("button", name="Done").click()
    expect(page.get_by_role("dialog")).to_have_count(0)


def switch_workspace(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Workspaces").get_by_role("link", name=name).click()
    expect(page.locator(".workspace-name")).to_have_text(name)


def switch_person(page: Page, real_name: str) -> None:
    page.locator("#user-switcher").get_by_role("link", name=real_name).click()
    expect(page.locator("#user-switcher [aria-current=true]")).to_contain_text(real_name)


def home(page: Page) -> Locator:
    return page.locator("[data-surface=home]")


# -- the tests -------------------------------------------------------------------------------


def currency_menu(dialog: Locator) -> Locator:
    return dialog.locator('select[data-action-id="currency"]')


def pick_currency(dialog: Locator, typed: str, label: str) -> None:
    """Type into the currency's search box, then pick from what the app lists."""
    dialog.locator('[data-block-id="currency"]').get_by_role("searchbox", name="Search").fill(typed)
    expect(currency_menu(dialog).locator("option", has_text=label)).to_have_count(1)
    currency_menu(dialog).select_option(label=label)


def test_admin_fixes_a_bad_country_and_sees_the_saved_billing_details(page: Page) -> None:
    expect(home(page)).to_contain_text("Billing for Practice A")
    expect(home(page)).to_contain_text("You are billing admin")
    screenshot(page, "console-home.png")
    open_messages_tab(page)

    dialog = open_billing_details(page)
    expect(currency_menu(dialog).locator("option:checked")).to_have_text("GBP · British Pound")
    screenshot(page, "console-billing-details.png")
    dialog.get_by_label("Practice name").fill("Sunrise Therapy")
    pick_currency(dialog, "euro", "EUR · Euro")
    dialog.get_by_label("Country").fill("XX")
    dialog.get_by_role("button", name="Save").click()

    error = dialog.locator('[data-block-id="country"]').get_by_role("alert")
    expect(error).to_contain_text("'XX' is not a country code")
    expect(dialog.get_by_label("Country")).to_have_attribute("aria-invalid", "true")
    expect(dialog.get_by_label("Practice name")).to_have_value("Sunrise Therapy")
    expect(currency_menu(dialog).locator("option:checked")).to_have_text("EUR · Euro")
    screenshot(page, "console-modal-field-error.png")

    dialog.get_by_label("Country").fill("IE")
    save_and_return_to_hub(dialog)
    dialog.locator('[data-block-id="billing_details_open"]').get_by_role("button").click()

    expect(dialog.get_by_role("heading", name="Billing details")).to_be_visible()
    expect(dialog.get_by_label("Practice name")).to_have_value("Sunrise Therapy")
    expect(currency_menu(dialog).locator("option:checked")).to_have_text("EUR · Euro")
    expect(dialog.get_by_label("Country")).to_have_value("IE")
    # Nobody picked a number format: it followed the new currency and country.
    number_format = dialog.locator('select[data-action-id="locale"]')
    expect(number_format.locator("option:checked")).to_have_text("English (Ireland) · 1,250.00")
    expect(dialog.get_by_role("alert")).to_have_count(0)
    dialog.get_by_role("button", name="Cancel").click()
    close_modal(page)
    page.get_by_role("navigation", name="Billing Bot").get_by_role("link", name="Home").click()
    expect(home(page)).to_contain_text("Billing for Sunrise Therapy")
    expect(home(page)).to_contain_text("currency EUR")
    screenshot(page, "console-home-after-setup.png")


def test_practice_b_sees_none_of_practice_as_settings(page: Page) -> None:
    open_messages_tab(page)
    dialog = open_billing_details(page)
    dialog.get_by_label("Practice name").fill("Only In Practice A")
    save_and_return_to_hub(dialog)
    close_modal(page)

    switch_workspace(page, "Practice B")

    expect(home(page)).to_contain_text("Billing for Practice B")
    expect(home(page)).to_contain_text("currency EUR")
    expect(page.locator("body")).not_to_contain_text("Only In Practice A")
    screenshot(page, "console-practice-b-home.png")
    open_messages_tab(page)
    dialog = open_billing_details(page)
    expect(dialog.get_by_label("Practice name")).to_have_value("Practice B")
    expect(currency_menu(dialog).locator("option:checked")).to_have_text("EUR · Euro")
    number_format = dialog.locator('select[data-action-id="locale"]')
    expect(number_format.locator("option:checked")).to_have_text("German (Germany) · 1.250,00")
    dialog.get_by_label("Country").fill("QQ")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("alert")).to_contain_text("'QQ' is not a country code")
    screenshot(page, "console-practice-b-modal-field-error.png")


def test_staff_asking_for_settings_is_told_who_the_admins_are(page: Page) -> None:
    switch_person(page, "Ben Okri")
    open_messages_tab(page)

    run_command(page, "/billing")

    reply = page.locator(".msg.ephemeral").last
    expect(reply).to_contain_text("You need the billing admin role")
    expect(reply.locator(".mk-mention")).to_have_text("@Ada Lovelace")
    expect(reply).to_contain_text("Only visible to you")
    expect(page.get_by_role("dialog")).to_have_count(0)


def test_requests_drawer_lists_the_command_and_the_apps_web_api_calls(page: Page) -> None:
    open_messages_tab(page)
    run_command(page, "/billing")
    expect(page.get_by_role("dialog")).to_be_visible()

    page.get_by_role("button", name="Requests").click()

    drawer = page.get_by_role("complementary", name="Requests")
    command = drawer.locator(".request", has_text="slash command /billing").first
    expect(command).to_contain_text("200")
    opened = drawer.locator(".request", has_text="views.open").first
    expect(opened).to_contain_text("ok")
    opened.locator("summary").click()
    expect(opened.locator("pre").first).to_contain_text('"trigger_id"')


def test_logo_goes_through_the_file_chooser_and_is_checked_by_content(page: Page) -> None:
    home(page).locator("button[data-action-id=invoice_settings_open]").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Invoice settings")).to_be_visible()

    dialog.get_by_label("Logo").set_input_files(
        {"name": "logo.png", "mimeType": "image/png", "buffer": b"%PDF-1.7 not an image"}
    )
    expect(dialog.locator(".bk-file-chip")).to_have_text("logo.png")
    dialog.get_by_role("button", name="Save").click()
    logo_error = dialog.locator('[data-block-id="logo"]').get_by_role("alert")
    expect(logo_error).to_contain_text("is not a PNG, JPEG or SVG image")
    dialog.get_by_label("Logo").set_input_files(
        {"name": "logo.png", "mimeType": "image/png", "buffer": PNG}
    )
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_have_count(0)

    home(page).locator("button[data-action-id=invoice_settings_open]").click()
    expect(page.get_by_role("dialog").get_by_text("Remove the current logo")).to_be_visible()


def test_tax_rates_menu_pushes_and_updates_the_modal(page: Page) -> None:
    home(page).locator("button[data-action-id=tax_rates_open]").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Tax rates")).to_be_visible()
    for name, percent in (("VAT", "20"), ("Reduced", "5")):
        dialog.get_by_label("Name").fill(name)
        dialog.get_by_label("Percent").fill(percent)
        dialog.get_by_role("button", name="Add rate").click()
        expect(rate_row(dialog, name)).to_be_visible()
        # The form is ready for the next rate rather than offering this one again.
        expect(dialog.get_by_label("Name")).to_have_value("")
        expect(dialog.get_by_label("Percent")).to_have_value("")
    screenshot(page, "console-tax-rates-after-adding.png")

    open_rate_menu(dialog, "Reduced", "Make default")
    expect(rate_text(dialog, "Reduced")).to_have_text("Reduced · 5 % · default")
    open_rate_menu(dialog, "VAT", "Rename or change percent")
    expect(dialog.get_by_role("heading", name="Edit tax rate")).to_be_visible()
    expect(dialog.get_by_role("button", name="Go back")).to_be_visible()
    dialog.get_by_label("Percent").fill("19")
    dialog.get_by_role("button", name="Save").click()

    expect(dialog.get_by_role("heading", name="Tax rates")).to_be_visible()
    expect(rate_text(dialog, "VAT")).to_have_text("VAT · 19 %")
    expect(rate_text(dialog, "Reduced")).to_have_text("Reduced · 5 % · default")


def test_a_german_practice_prices_and_edits_a_service_the_german_way(page: Page) -> None:
    switch_workspace(page, "Practice B")
    home(page).locator("button[data-action-id=services_open]").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("#modal-title")).to_have_text("Services")
    expect(dialog).to_contain_text("In EUR, e.g. 89,50.")
    dialog.get_by_label("Name").fill("Einzelsitzung")
    dialog.get_by_label("Default price").fill("1,250.00")
    dialog.get_by_role("button", name="Add service").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Type the price as 1.250,00 or 1250,00.")
    dialog.get_by_label("Default price").fill("89,50")
    dialog.get_by_role("button", name="Add service").click()
    row = dialog.locator('[data-block-id^="service:"]', has_text="Einzelsitzung")
    expect(row.locator(".bk-text")).to_contain_text("Einzelsitzung · 89,50\xa0€ · no tax")

    row.get_by_label("More actions").click()
    row.get_by_role("menuitem", name="Edit name, price or tax").click()
    expect(dialog.get_by_role("heading", name="Edit service")).to_be_visible()
    expect(dialog.get_by_label("Default price")).to_have_value("89,50")
    dialog.get_by_label("Default price").fill("95,00")
    screenshot(page, "console-service-edit.png")
    dialog.get_by_role("button", name="Save").click()

    expect(dialog.locator("#modal-title")).to_have_text("Services")
    expect(row.locator(".bk-text")).to_contain_text("Einzelsitzung · 95,00\xa0€ · no tax")
    screenshot(page, "console-services-german.png")


# The smallest file the app's check takes for a PNG: the signature and some bytes.
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def rate_row(dialog: Locator, name: str) -> Locator:
    return dialog.locator('[data-block-id^="tax_rate:"]', has_text=name)


def rate_text(dialog: Locator, name: str) -> Locator:
    """The row's text alone (its menu's hidden options say "default" too)."""
    return rate_row(dialog, name).locator(".bk-text")


def open_rate_menu(dialog: Locator, name: str, choice: str) -> None:
    rate_row(dialog, name).get_by_label("More actions").click()
    rate_row(dialog, name).get_by_role("menuitem", name=choice).click()


def seed_clients_and_a_service(sandbox_tmp: Path, practice: str, clients: int) -> None:
    """Give a demo practice many clients and a service, straight in the sandbox's database
    (the demo starts with none, and adding 101 through /client would be the whole test)."""
    [database] = (sandbox_tmp / "tmp").glob("billing-bot-sandbox-*/sandbox.sqlite3")
    engine = create_engine_for(f"sqlite:///{database}")
    env = Env(SystemClock(), RandomIds())
    new_uow = partial(SqlAlchemyUnitOfWork, session_factory(engine))
    with engine.connect() as connection:
        practice_id = connection.execute(
            select(PracticeRow.id).where(PracticeRow.name == practice)
        ).scalar_one()
    for number in range(clients - 1):
        details = ClientDetails(f"Client {number:03}", f"client{number}@example.net")
        add_client(AddClient(practice_id, "USEEDER", details), new_uow(), env)
    details = ClientDetails("Zed Quarrington", "zed@example.org")
    add_client(AddClient(practice_id, "USEEDER", details), new_uow(), env)
    service = AddServiceType(practice_id, "USEEDER", "Family session", "90")
    add_service_type(service, new_uow(), env)
    engine.dispose()


def test_a_client_past_the_first_100_is_found_by_typing_and_booked(
    page: Page, tmp_path: Path
) -> None:
    seed_clients_and_a_service(tmp_path, "Practice A", clients=101)
    open_messages_tab(page)

    run_command(page, "/appointment")
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Schedule appointment")).to_be_visible()
    expect(dialog).to_contain_text("find one of the 101 clients")
    dialog.get_by_role("searchbox", name="Search").fill("quarr")
    client = dialog.locator('select[data-action-id="client"]')
    expect(client.locator("option")).to_have_text(
        ["1 found, pick one", "Zed Quarrington (zed@example.org)"]
    )
    client.select_option(label="Zed Quarrington (zed@example.org)")
    dialog.locator('select[data-action-id="service_type"]').select_option(index=1)
    dialog.locator('input[data-action-id="start_time"]').fill("09:30")
    dialog.locator('input[data-action-id="duration_minutes"]').fill("0")
    dialog.get_by_role("button", name="Schedule").click()
    # The app refuses the duration; the client picked from the search stays picked.
    expect(dialog.locator(".bk-invalid")).to_have_count(1)
    expect(client.locator("option:checked")).to_have_text("Zed Quarrington (zed@example.org)")
    dialog.locator('input[data-action-id="duration_minutes"]').fill("60")
    screenshot(page, "console-appointment-client-search.png")
    dialog.get_by_role("button", name="Schedule").click()

    expect(dialog.get_by_role("heading", name="Appointment scheduled")).to_be_visible()
    expect(dialog).to_contain_text("Zed Quarrington")
