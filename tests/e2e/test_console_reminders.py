"""Payment reminders in the sandbox console, clicked through in Chromium as Practice A's
billing admin: reminders turned on in Settings → Reminders, a step's wording rewritten and
previewed, an invoice issued from #billing and its pay link sent, the app's time skipped ahead
in the console until the invoice's first reminder falls due and its e-mail arrives in Mail,
"Remind now" on the card, the reminders in its History, pausing and resuming them, and the
client paying from the reminder two weeks on (Stripe's stand-in keeps the app's time).
Screenshots of each step land in tests/artifacts/console-reminders-*.png."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from console_sandbox import Sandbox
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from test_console import home
from test_console_payments import (
    CLIENT,
    CLIENT_EMAIL,
    LATER_MS,
    card_in,
    go_to_channel,
    issue_an_invoice_in_billing,
    mail_list,
    open_mail,
    seed_client_and_service,
)

from helpers import ARTIFACTS

#: The first step's own wording, so that the preview and the e-mail can be told apart from
#: the default.
WORDING = (
    "Hi {first_name}, a gentle nudge: {invoice_number} ({balance}) is due on {due_date}. "
    "Pay it here: {pay_link}"
)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    opened = browser.new_context(viewport={"width": 1280, "height": 800})
    yield opened
    opened.close()


def shot(page: Page, step: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"console-reminders-{step}.png"))


# -- what a person does ----------------------------------------------------------------------


def set_up_stripe(context: BrowserContext, page: Page) -> None:
    """Home → Stripe → the stand-in's onboarding in a new tab, finished."""
    home(page).locator("button[data-action-id=stripe_setup_open]").click()
    dialog = page.get_by_role("dialog")
    with context.expect_page() as opened:
        dialog.get_by_role("button", name="Complete Stripe setup").click()
    onboarding = opened.value
    onboarding.get_by_role("button", name="Finish onboarding").click()
    expect(onboarding.get_by_role("heading", name="Stripe is set up.")).to_be_visible()
    onboarding.close()
    close_dialog(page, "Done")
    expect(home(page)).to_contain_text("Card payments are on", timeout=LATER_MS)


def turn_reminders_on(page: Page) -> None:
    """Settings → Reminders: on, the first step's wording rewritten and previewed, saved."""
    home(page).get_by_role("button", name="Settings").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Billing settings")).to_be_visible()
    dialog.locator('[data-block-id="reminders_open"]').get_by_role("button").click()
    expect(dialog.get_by_role("heading", name="Reminders")).to_be_visible()
    dialog.get_by_text("Send payment reminders by e-mail").click()
    dialog.get_by_label("3 days before the due date · Friendly reminder").fill(WORDING)
    dialog.get_by_role("button", name="Update preview").click()
    preview = dialog.locator('[data-block-id="wording_preview:-3"]')
    expect(preview).to_contain_text("Hi Alex, a gentle nudge: INV-0042 (£120.00) is due on")
    expect(dialog.locator('[data-block-id="reminders_schedule"]')).to_contain_text(
        "Clients with an unpaid invoice get a reminder 3 days before the due date"
    )
    preview.scroll_into_view_if_needed()
    shot(page, "01-settings-wording-preview")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("heading", name="Billing settings")).to_be_visible()
    close_dialog(page, "Done")
    step = home(page).locator(".bk-section", has_text="Automatic payment reminders")
    expect(step.get_by_role("button", name="Edit")).to_be_visible()


def send_payment_link(page: Page, card: Locator) -> None:
    card.get_by_role("button", name="Send payment link").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("textbox", name="E-mail")).to_have_value(CLIENT_EMAIL)
    dialog.get_by_role("button", name="Send").click()
    expect(dialog).to_contain_text(CLIENT_EMAIL)
    dialog.get_by_role("button", name=re.compile("Done|OK|Close")).first.click()
    expect(page.get_by_role("dialog")).to_have_count(0)


def sandbox_time(page: Page) -> Locator:
    return page.locator("#sandbox-time")


def skip_ahead(page: Page, label: str) -> None:
    """The sidebar's skip button; the page is drawn again with the app's new time."""
    before = sandbox_time(page).locator(".app-time").inner_text()
    sandbox_time(page).get_by_role("button", name=label).click()
    expect(sandbox_time(page).locator(".app-time")).not_to_have_text(before)


def history(page: Page, card: Locator) -> Locator:
    card.get_by_role("button", name="History").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name=re.compile(r"^History INV-"))).to_be_visible()
    return dialog


def close_dialog(page: Page, name: str) -> None:
    # The footer's button: the × in the corner is named "Close" too.
    page.get_by_role("dialog").get_by_role("button", name=name, exact=True).last.click()
    expect(page.get_by_role("dialog")).to_have_count(0)


def pay_from_the_opened_mail(context: BrowserContext, page: Page) -> None:
    """The e-mail's pay button → the pay page → the stand-in's Checkout, paid by card."""
    frame = page.frame_locator("iframe.mail-html")
    with context.expect_page() as opened:
        frame.get_by_role("link", name=re.compile(r"Pay £80\.00")).click()
    pay_page = opened.value
    pay_page.get_by_role("button", name=re.compile(r"Pay £80\.00")).click()
    checkout = pay_page.get_by_role("form", name="Pay with card")
    expect(checkout).to_be_visible()
    if checkout.get_by_label("Email").count():
        checkout.get_by_label("Email").fill(CLIENT_EMAIL)
    checkout.get_by_label("Card number").fill("4242 4242 4242 4242")
    checkout.get_by_label("Expiration date (MM / YY)").fill("12 / 34")
    checkout.get_by_label("Security code (CVC)").fill("123")
    checkout.get_by_label("Name on card").fill(CLIENT)
    checkout.get_by_role("button", name=re.compile(r"Pay £80\.00")).click()
    expect(pay_page.locator("body")).to_contain_text("Thank you")
    pay_page.close()


# -- the story -------------------------------------------------------------------------------


def test_reminders_fall_due_are_sent_by_hand_paused_resumed_and_paid_from_in_the_console(
    context: BrowserContext, sandbox: Sandbox, tmp_path: Path
) -> None:
    seed_client_and_service(tmp_path)
    page = context.new_page()
    page.goto(sandbox.console_url)
    expect(home(page)).to_contain_text("Automatic payment reminders")
    set_up_stripe(context, page)
    turn_reminders_on(page)

    # An invoice issued from #billing, and its pay link sent to the client.
    number = issue_an_invoice_in_billing(page)
    card = card_in(page, number)
    expect(card.get_by_role("button", name="Remind now")).to_be_visible()
    expect(card.get_by_role("button", name="Pause reminders")).to_be_visible()
    send_payment_link(page, card)
    expect(page.locator("#mail-count")).to_have_text("1", timeout=LATER_MS)
    shot(page, "02-invoice-card")

    # Its first reminder is planned for three days before the due date.
    dialog = history(page, card_in(page, number))
    expect(dialog).to_contain_text("Reminder 3 days before · scheduled")
    shot(page, "03-history-planned")
    close_dialog(page, "Close")

    # Two weeks on for the app (the payment terms): the reminder goes out by itself.
    skip_ahead(page, "+1 week")
    expect(sandbox_time(page)).to_contain_text("(7 days ahead of yours)")
    skip_ahead(page, "+1 week")
    expect(sandbox_time(page)).to_contain_text("(14 days ahead of yours)")
    expect(page.locator("#mail-count")).to_have_text("2", timeout=LATER_MS)
    open_mail(page)
    reminder = mail_list(page).first
    expect(reminder).to_contain_text(CLIENT)
    expect(reminder).to_contain_text(f"Reminder: invoice {number} is due on")
    text = page.get_by_role("article").locator(".mail-text")
    expect(text).to_contain_text(f"Hi Grace, a gentle nudge: {number} (£80.00) is due on")
    expect(text).to_contain_text("/pay/")
    shot(page, "04-mail-reminder")

    # "Remind now" on the card: confirmed, then a reminder by hand.
    go_to_channel(page, "billing")
    card_in(page, number).get_by_role("button", name="Remind now").click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text("E-mail a reminder now?")
    shot(page, "05-remind-now-confirm")
    confirm.get_by_role("button", name="Send").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Reminder sent")).to_be_visible()
    expect(dialog).to_contain_text(f"{number}: a reminder of the balance of £80.00")
    expect(dialog).to_contain_text(CLIENT_EMAIL)
    shot(page, "06-reminder-sent")
    close_dialog(page, "OK")
    expect(page.locator("#mail-count")).to_have_text("3", timeout=LATER_MS)

    # History: the reminder the schedule sent, the one sent by hand, and the next one.
    dialog = history(page, card_in(page, number))
    expect(dialog).to_contain_text("Reminder 3 days before · sent", timeout=LATER_MS)
    expect(dialog).to_contain_text("Sent by hand · @Ada Lovelace · sent")
    expect(dialog).to_contain_text("· scheduled")
    shot(page, "07-history-reminders")
    close_dialog(page, "Close")

    # Pause, then resume, the invoice's reminders from its card.
    card_in(page, number).get_by_role("button", name="Pause reminders").click()
    expect(card_in(page, number).get_by_role("button", name="Resume reminders")).to_be_visible()
    dialog = history(page, card_in(page, number))
    expect(dialog).to_contain_text("Automatic reminders are paused.")
    expect(dialog).to_contain_text("not sent while paused")
    expect(dialog).not_to_contain_text("· scheduled")
    shot(page, "08-paused")
    close_dialog(page, "Close")
    card_in(page, number).get_by_role("button", name="Resume reminders").click()
    expect(card_in(page, number).get_by_role("button", name="Pause reminders")).to_be_visible()
    dialog = history(page, card_in(page, number))
    expect(dialog).to_contain_text("Reminders resumed")
    expect(dialog).not_to_contain_text("Automatic reminders are paused")
    expect(dialog).to_contain_text("· scheduled")
    shot(page, "09-resumed")
    close_dialog(page, "Close")

    # The client pays from the reminder, two weeks on: Stripe's stand-in keeps the app's
    # time, so the Checkout the app asks for, expiring in its own day, is one it accepts.
    open_mail(page)
    mail_list(page).filter(has_text="Reminder: invoice").first.click()
    pay_from_the_opened_mail(context, page)
    expect(mail_list(page)).to_have_count(4, timeout=LATER_MS)
    expect(mail_list(page).first).to_contain_text("Receipt")
    go_to_channel(page, "billing")
    expect(card_in(page, number)).to_contain_text("Paid", timeout=LATER_MS)
    shot(page, "10-paid-from-the-reminder")
