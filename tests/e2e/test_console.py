"""The sandbox console in a real browser, used as a person would use it: Debian's headless
Chromium driven by Playwright against ``billing-bot demo``, which runs the real app against
the Slack stand-in. Screenshots land in tests/artifacts/ for a person to look at."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest
from console_sandbox import Sandbox
from playwright.sync_api import Browser, Locator, Page, Route, expect
from sqlalchemy import Engine, Row, select

from domain.appointments import AppointmentStatus
from domain.ids import AppointmentId, ClientId
from domain.invoices import LineInput
from domain.money import Money
from domain.ports import Env
from domain.practice import Practice
from domain.usecases.invoicing import (
    CreateInvoice,
    create_invoice,
    create_invoice_from_appointment,
    issue_invoice,
)
from domain.usecases.payments import RecordPayment, record_manual_payment
from domain.usecases.records import (
    AddClient,
    AddServiceType,
    ClientDetails,
    ScheduleAppointment,
    add_client,
    add_service_type,
    schedule_appointment,
    set_appointment_status,
)
from gateways.system import RandomIds, SystemClock
from helpers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from storage.engine import create_engine_for
from storage.orm import PracticeRow
from storage.unit_of_work import SqlAlchemyUnitOfWork, session_factory

# The app answers within Slack's three seconds; lazy listeners and polling add a little.
expect.set_options(timeout=15_000)


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


#: Rendering the settings' sample invoice and uploading it can take seconds on a busy machine.
PREVIEW_MS = 30_000


def test_logo_goes_through_the_file_chooser_and_is_checked_by_content(page: Page) -> None:
    home(page).locator("button[data-action-id=invoice_settings_open]").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Invoice settings")).to_be_visible()
    # The preview is drawn after the modal opens and replaces the view when it comes, as
    # Slack's views.update does, which clears a Save's field errors: a person sees it arrive
    # before they are done choosing a file; the test waits for it as they would.
    expect(dialog.locator('[data-block-id="preview"] img')).to_be_visible(timeout=PREVIEW_MS)

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
    reopened = page.get_by_role("dialog")
    expect(reopened.get_by_text("Remove the current logo")).to_be_visible()
    # Its preview drawn too, so that no render is still in flight when the sandbox stops.
    expect(reopened.locator('[data-block-id="preview"] img')).to_be_visible(timeout=PREVIEW_MS)


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


def demo_practice(
    sandbox_tmp: Path, name: str
) -> tuple[Engine, Env, Callable[[], SqlAlchemyUnitOfWork], Practice]:
    """The running sandbox's database and its demo practice `name`, for seeding it directly
    through the use cases: the engine (the caller disposes of it), ids and clock, units of
    work, and the practice."""
    [database] = (sandbox_tmp / "tmp").glob("billing-bot-sandbox-*/sandbox.sqlite3")
    engine = create_engine_for(f"sqlite:///{database}")
    new_uow = partial(SqlAlchemyUnitOfWork, session_factory(engine))
    with new_uow() as uow:
        [found] = [p for p in _practices(engine) if p.name == name]
        practice = uow.practices.get(found.id)
    assert practice is not None
    return engine, Env(SystemClock(), RandomIds()), new_uow, practice


def seed_clients_and_a_service(sandbox_tmp: Path, practice: str, clients: int) -> None:
    """Give a demo practice many clients and a service, straight in the sandbox's database
    (the demo starts with none, and adding 101 through /client would be the whole test)."""
    engine, env, new_uow, practice_row = demo_practice(sandbox_tmp, practice)
    practice_id = practice_row.id
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


def seed_a_client_with_history(sandbox_tmp: Path, practice: str) -> None:
    """A client with a past appointment on a partly paid invoice, an unbilled one and one to
    come, straight in the sandbox's database."""
    engine, env, new_uow, practice_row = demo_practice(sandbox_tmp, practice)
    seeder = "USEEDER"
    details = ClientDetails(
        "Zoë Saldaña", "zoe.saldana@example.org", "+14155550123", city="Oakland", country="US"
    )
    zoe = add_client(AddClient(practice_row.id, seeder, details), new_uow(), env)
    service = add_service_type(
        AddServiceType(practice_row.id, seeder, "Couples session", "140"), new_uow(), env
    )
    now = env.clock.now()
    visits = [
        schedule_appointment(
            ScheduleAppointment(
                practice_row.id,
                seeder,
                zoe.id,
                service.id,
                now + timedelta(days=days),
                50,
                "U0SEED",
            ),
            new_uow(),
            env,
        )
        for days in (-14, -7, 6)
    ]
    on = env.today_at(practice_row) - timedelta(days=14)
    line = LineInput(
        on,
        "Session",
        Decimal(1),
        Money.of("140", practice_row.currency.code),
        None,
        service.id,
        visits[0].id,
    )
    draft = create_invoice(CreateInvoice(practice_row.id, seeder, zoe.id, (line,)), new_uow(), env)
    invoice = issue_invoice(practice_row.id, draft.id, seeder, new_uow(), env)
    record_manual_payment(
        RecordPayment(practice_row.id, seeder, invoice.id, "40", "cash"), new_uow(), env
    )
    engine.dispose()


def _practices(engine: Engine) -> list[Row[tuple[str, str]]]:
    with engine.connect() as connection:
        return list(connection.execute(select(PracticeRow.id, PracticeRow.name)))


def test_a_client_record_is_found_without_accents_and_edited_in_the_console(
    page: Page, tmp_path: Path
) -> None:
    seed_a_client_with_history(tmp_path, "Practice A")
    open_messages_tab(page)

    run_command(page, "/client zoe")
    record = page.locator("li.msg.ephemeral").filter(has_text="Open balance")
    expect(record).to_contain_text("Zoë Saldaña")
    expect(record).to_contain_text("partially paid")
    expect(record).to_contain_text("not invoiced")
    screenshot(page, "console-client-record.png")
    record.get_by_role("button", name="Edit").click()

    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Edit client")).to_be_visible()
    expect(dialog.locator('input[data-action-id="name"]')).to_have_value("Zoë Saldaña")
    screenshot(page, "console-client-edit.png")


# -- the page itself: scrolling, push, redraws, emoji ------------------------------------------


def test_the_conversation_scrolls_in_its_pane_and_the_composer_stays_in_the_window(
    page: Page,
) -> None:
    switch_person(page, "Ben Okri")
    open_messages_tab(page)
    replies = page.locator(".msg.ephemeral")

    for count in range(1, 11):
        run_command(page, "/billing")
        expect(replies).to_have_count(count)

    expect(page.get_by_role("textbox", name="Message")).to_be_in_viewport()
    expect(replies.last).to_be_in_viewport()
    expect(replies.first).not_to_be_in_viewport()
    # The window itself never scrolls; only the message pane does.
    assert page.evaluate("document.scrollingElement.scrollHeight <= window.innerHeight")
    screenshot(page, "console-ten-replies.png")


def test_what_the_app_does_later_reaches_an_open_page_over_its_event_stream(
    page: Page,
) -> None:
    asked_for_versions: list[str] = []
    page.on("request", lambda r: asked_for_versions.append(r.url) if "/version" in r.url else None)
    expect(page.locator("body")).to_have_attribute("data-live", "stream")
    expect(home(page)).to_contain_text("Billing for Practice A")
    other_tab = page.context.new_page()
    other_tab.goto(page.url.removesuffix("/home") + "/messages")

    dialog = open_billing_details(other_tab)
    dialog.get_by_label("Practice name").fill("Pushed Practice")
    save_and_return_to_hub(dialog)

    # The Home is republished by a lazy listener after the save was answered; the first tab
    # did nothing, so only the event stream can have told it.
    expect(home(page)).to_contain_text("Billing for Pushed Practice")
    assert int(page.locator("body").get_attribute("data-pushes") or 0) > 1
    assert asked_for_versions == []


def test_text_typed_while_the_app_redraws_the_modal_is_kept(page: Page) -> None:
    home(page).locator("button[data-action-id=services_open]").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("#modal-title")).to_have_text("Services")
    dialog.get_by_label("Name").fill("Individual session")
    dialog.get_by_label("Default price").fill("80")

    def type_the_next_one_first(route: Route) -> None:
        # The person types on while "Add service" is on its way to the app.
        dialog.get_by_label("Name").fill("Couples session")
        route.continue_()

    page.route("**/submit", type_the_next_one_first)
    dialog.get_by_role("button", name="Add service").click()

    listed = dialog.locator('.bk-section[data-block-id^="service:"]')
    expect(listed).to_contain_text("Individual session")
    expect(dialog.get_by_label("Name")).to_have_value("Couples session")
    # What the app had already taken is cleared for the next service, as the app asked.
    expect(dialog.get_by_label("Default price")).to_have_value("")
    screenshot(page, "console-services-typed-during-redraw.png")


def test_a_failed_save_scrolls_to_its_error_below_the_fold(page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 560})
    open_messages_tab(page)
    dialog = open_billing_details(page)
    dialog.get_by_label("Country").fill("QQ")
    # Back at the top, as after reading the form: the Country field is out of sight.
    dialog.get_by_label("Practice name").fill("Sunrise Therapy")
    expect(dialog.get_by_label("Country")).not_to_be_in_viewport()

    dialog.get_by_role("button", name="Save").click()

    error = dialog.locator('[data-block-id="country"]').get_by_role("alert")
    expect(error).to_be_visible()
    expect(error).to_be_in_viewport()
    expect(dialog.get_by_label("Country")).to_be_focused()
    screenshot(page, "console-error-below-the-fold.png")


def test_the_apps_marks_show_on_a_machine_without_an_emoji_font(
    browser: Browser, sandbox: Sandbox, tmp_path: Path
) -> None:
    fonts = tmp_path / "fonts.conf"
    fonts.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        "<dir>/usr/share/fonts/truetype/dejavu</dir>"
        f"<cachedir>{tmp_path / 'font-cache'}</cachedir></fontconfig>"
    )
    # Chromium as on a fresh machine: its only fonts are DejaVu's, none of them with emoji.
    bare = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        args=CHROMIUM_ARGS,
        env={**os.environ, "FONTCONFIG_FILE": str(fonts)},
    )
    try:
        page = bare.new_page(viewport={"width": 1280, "height": 800})
        page.goto(sandbox.console_url)
        setup = home(page).locator(".bk-section", has_text="Services")

        expect(page.locator("body")).to_have_class(re.compile(r"\bno-emoji-font\b"))
        mark = setup.first.get_by_role("img", name=":white_square:")
        expect(mark).to_be_visible()
        # Drawn, not an empty box of a missing glyph: as wide as a letter or two. Polled, since
        # a pushed redraw may replace the Home tab (and the mark) while it is measured.
        page.wait_for_function(
            """() => [...document.querySelectorAll('[data-surface=home] [role=img]')]
                .some((m) => m.getAttribute('aria-label') === ':white_square:'
                    && m.getBoundingClientRect().width >= 12)""",
            timeout=15_000,
        )
        screenshot(page, "console-home-without-emoji-font.png")
    finally:
        bare.close()


def test_an_invoice_made_in_the_modal_gets_a_card_that_updates_in_place(
    page: Page, tmp_path: Path
) -> None:
    seed_clients_and_a_service(tmp_path, "Practice A", clients=3)
    open_messages_tab(page)

    run_command(page, "/invoice new zed")
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="New invoice")).to_be_visible()
    dialog.locator('select[data-action-id="line_service"]').select_option(index=1)
    expect(dialog.locator('input[data-action-id="line_unit_price"]')).to_have_value("90.00")
    dialog.get_by_role("button", name="Add line").click()
    expect(dialog.get_by_role("heading", name="Lines (1)")).to_be_visible()
    dialog.locator('input[data-action-id="line_description"]').fill("Report for the school")
    dialog.locator('input[data-action-id="line_unit_price"]').fill("45.50")
    dialog.get_by_role("button", name="Add line").click()
    expect(dialog.get_by_role("heading", name="Lines (2)")).to_be_visible()
    expect(dialog.locator('[data-block-id="invoice_totals"]')).to_contain_text("Total: £135.50")
    screenshot(page, "console-new-invoice.png")
    dialog.get_by_text("Issue it now").click()
    dialog.locator('[data-block-id="invoice_totals"]').scroll_into_view_if_needed()
    screenshot(page, "console-new-invoice-totals.png")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.get_by_role("heading", name="Invoice created")).to_be_visible()
    dialog.get_by_role("button", name="OK").click()

    # The demo's billing channel is #billing: the card is posted there.
    page.get_by_role("region", name="Channels").get_by_role("link", name="billing").click()
    card = page.locator(".msg", has_text="Invoice INV-").last
    expect(card).to_contain_text("Open")
    expect(card).to_contain_text("£135.50")
    expect(card).to_contain_text("Z.Q.")
    expect(card).not_to_contain_text("Zed")
    screenshot(page, "console-invoice-card.png")
    card.get_by_role("button", name="Record payment").click()
    payment = page.get_by_role("dialog")
    expect(payment.get_by_role("heading", name="Record payment")).to_be_visible()
    payment.locator('input[data-action-id="amount"]').fill("35.50")
    payment.get_by_role("button", name="Record").click()
    expect(payment.get_by_role("heading", name="Payment recorded")).to_be_visible()
    payment.get_by_role("button", name="OK").click()

    expect(card).to_contain_text("Partially paid")
    expect(card).to_contain_text("£100.00")
    expect(page.locator(".msg", has_text="Invoice INV-")).to_have_count(1)
    screenshot(page, "console-invoice-card-after-payment.png")


def test_a_german_practice_sees_its_invoice_and_home_in_german_amounts(
    page: Page, tmp_path: Path
) -> None:
    seed_clients_and_a_service(tmp_path, "Practice B", clients=3)
    switch_workspace(page, "Practice B")
    open_messages_tab(page)

    run_command(page, "/invoice new zed")
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="New invoice")).to_be_visible()
    dialog.locator('select[data-action-id="line_service"]').select_option(index=1)
    expect(dialog.locator('input[data-action-id="line_unit_price"]')).to_have_value("90,00")
    dialog.get_by_role("button", name="Add line").click()
    expect(dialog.get_by_role("heading", name="Lines (1)")).to_be_visible()
    dialog.locator('input[data-action-id="line_description"]').fill("Bericht für die Schule")
    dialog.locator('input[data-action-id="line_quantity"]').fill("1,5")
    dialog.locator('input[data-action-id="line_unit_price"]').fill("1.000,00")
    dialog.get_by_role("button", name="Add line").click()
    expect(dialog.get_by_role("heading", name="Lines (2)")).to_be_visible()
    expect(dialog).to_contain_text("1,5 × 1.000,00\xa0€")
    expect(dialog.locator('[data-block-id="invoice_totals"]')).to_contain_text(
        "Total: 1.590,00\xa0€"
    )
    screenshot(page, "console-new-invoice-german.png")
    dialog.get_by_text("Issue it now").click()
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.get_by_role("heading", name="Invoice created")).to_be_visible()
    expect(dialog).to_contain_text("for 1.590,00\xa0€ is issued")
    dialog.get_by_role("button", name="OK").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    page.get_by_role("region", name="Channels").get_by_role("link", name="billing").click()
    card = page.locator(".msg", has_text="Invoice INV-").last
    expect(card).to_contain_text("1.590,00\xa0€")
    expect(card).not_to_contain_text("€1,590.00")
    screenshot(page, "console-invoice-card-german.png")
    page.get_by_role("region", name="Apps").get_by_role("link", name="Billing Bot Home").click()
    expect(home(page)).to_contain_text("Outstanding")
    expect(home(page)).to_contain_text("1.590,00\xa0€")
    screenshot(page, "console-home-german.png")


def seed_invoices(sandbox_tmp: Path, practice: str, count: int) -> None:
    """`count` open invoices of one client, straight in the sandbox's database."""
    engine, env, new_uow, practice_row = demo_practice(sandbox_tmp, practice)
    seeder = "USEEDER"
    details = ClientDetails("Amélie Poulain", "amelie@example.org")
    amelie = add_client(AddClient(practice_row.id, seeder, details), new_uow(), env)
    for n in range(count):
        price = Money.of(Decimal("95.50") + n, practice_row.currency.code)
        line = LineInput(env.today_at(practice_row), "Session", Decimal(1), price, None)
        draft = create_invoice(
            CreateInvoice(practice_row.id, seeder, amelie.id, (line,)), new_uow(), env
        )
        issue_invoice(practice_row.id, draft.id, seeder, new_uow(), env)
    engine.dispose()


def test_an_invoice_list_pages_with_next_and_the_export_arrives_in_the_dm(
    page: Page, tmp_path: Path
) -> None:
    seed_invoices(tmp_path, "Practice A", 23)
    open_messages_tab(page)

    run_command(page, "/invoice list unpaid amelie")
    listing = page.locator("li.msg.ephemeral").filter(has_text="Unpaid invoices")
    expect(listing).to_contain_text("1–20 of 23")
    expect(listing).to_contain_text("Amélie Poulain")
    screenshot(page, "console-invoice-list.png")
    listing.get_by_role("button", name="Next").click()
    expect(listing).to_contain_text("21–23 of 23")
    screenshot(page, "console-invoice-list-next.png")
    listing.get_by_role("button", name="Open INV-0002").click()
    details = page.get_by_role("dialog")
    expect(details.locator("#modal-title")).to_have_text("Invoice INV-0002")
    expect(details).to_contain_text("Amélie Poulain")
    screenshot(page, "console-invoice-list-opened.png")

    run_command(page, "/invoice export this month")
    chip = page.get_by_role("group", name=re.compile(r"File invoices-\d{4}-\d{2}\.csv"))
    expect(chip).to_be_visible()
    screenshot(page, "console-invoice-export.png")


# -- appointments ------------------------------------------------------------------------------


def seed_todays_appointments(sandbox_tmp: Path, practice: str) -> None:
    """Three appointments today for two clients, one of them already invoiced, and an attended
    session last week not yet invoiced, straight in the sandbox's database."""
    engine, env, new_uow, practice_row = demo_practice(sandbox_tmp, practice)
    with new_uow() as uow:
        clinician = uow.members.list(practice_row.id)[0].user_id
    seeder = "USEEDER"

    def client(name: str, email: str) -> ClientId:
        return add_client(
            AddClient(practice_row.id, seeder, ClientDetails(name, email)), new_uow(), env
        ).id

    nadia, ivo = client("Nadia Øberg", "nadia@example.org"), client("Ivo Andrić", "ivo@example.org")
    service = add_service_type(
        AddServiceType(practice_row.id, seeder, "Couples session", "140"), new_uow(), env
    )
    today = env.today_at(practice_row)

    def visit(client_id: ClientId, day: date, at: time) -> AppointmentId:
        start = datetime.combine(day, at, tzinfo=practice_row.zone)
        command = ScheduleAppointment(
            practice_row.id, seeder, client_id, service.id, start, 50, clinician
        )
        return schedule_appointment(command, new_uow(), env).id

    visit(nadia, today, time(9))
    invoiced = visit(ivo, today, time(11))
    visit(ivo, today, time(15, 30))
    create_invoice_from_appointment(practice_row.id, invoiced, seeder, new_uow(), env)
    for days in (7, 8):
        past = visit(nadia, today - timedelta(days=days), time(10))
        set_appointment_status(
            practice_row.id, past, AppointmentStatus.ATTENDED, seeder, new_uow(), env
        )
    engine.dispose()


def test_todays_appointments_are_marked_and_invoiced_from_the_list_and_home(
    page: Page, tmp_path: Path
) -> None:
    seed_todays_appointments(tmp_path, "Practice A")
    open_messages_tab(page)

    run_command(page, "/appointment today")
    listing = page.locator("li.msg.ephemeral").filter(has_text="Only you can see this list")
    expect(listing).to_contain_text("Nadia Øberg")
    expect(listing).to_contain_text("Couples session")
    expect(listing.get_by_role("button", name=re.compile(r"Invoice INV-"))).to_have_count(1)
    listing.get_by_role("button", name="Mark attended").first.click()
    expect(listing).to_contain_text("Attended")
    screenshot(page, "console-appointments-today.png")
    # Ivo's afternoon session; Nadia's stay for Home's "Invoice all" below.
    listing.get_by_role("button", name="Create invoice").last.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="New invoice")).to_be_visible()
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.get_by_role("heading", name="Invoice created")).to_be_visible()
    dialog.get_by_role("button", name="OK").click()
    # The list it was pressed in now shows that appointment's invoice.
    expect(listing.get_by_role("button", name=re.compile(r"Invoice INV-"))).to_have_count(2)
    expect(page.locator("li.msg.ephemeral").filter(has_text="Only you can see")).to_have_count(1)
    screenshot(page, "console-appointments-invoiced-from-the-list.png")

    page.get_by_role("navigation", name="Billing Bot").get_by_role("link", name="Home").click()
    expect(home(page)).to_contain_text("Uninvoiced sessions")
    expect(home(page).get_by_role("button", name="Invoice all 3 for Nadia Øberg")).to_be_visible()
    screenshot(page, "console-home-uninvoiced-sessions.png")
