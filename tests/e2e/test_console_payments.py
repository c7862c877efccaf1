"""The whole payment story in the sandbox console, clicked through in Chromium with no Stripe
account: ``billing-bot demo`` runs the Stripe stand-in beside the app, so the admin sets up
Stripe on the stand-in's onboarding page, sends a payment link, reads the e-mail in the
console's Mail pane, pays on the pay page and the stand-in's Checkout with 4242…, and sees the
card in #billing turn Paid and the receipt arrive. Screenshots of each step land in
tests/artifacts/console-payments-*.png."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from console_sandbox import Sandbox
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from pydantic import SecretStr
from test_console import demo_practice, home

from billing_bot.settings import load_settings
from domain.usecases.records import (
    AddClient,
    AddServiceType,
    ClientDetails,
    add_client,
    add_service_type,
)
from helpers import ARTIFACTS
from sandbox.console.mode import start_sandbox

#: What the app does after the request (the outbox's deliveries, Stripe's webhooks) has its
#: worker's 5-second tick to come, on a machine that may be busy.
LATER_MS = 30_000

CLIENT = "Grace Hopper"
CLIENT_EMAIL = "grace@example.org"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    opened = browser.new_context(viewport={"width": 1280, "height": 800})
    yield opened
    opened.close()


def shot(page: Page, step: str, *, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"console-payments-{step}.png"), full_page=full_page)


def seed_client_and_service(sandbox_tmp: Path) -> None:
    """Practice A's client (with an e-mail address) and a service, straight in the sandbox's
    database: the demo starts with none, and adding them is another test's story."""
    engine, env, new_uow, practice = demo_practice(sandbox_tmp, "Practice A")
    add_client(
        AddClient(practice.id, "USEEDER", ClientDetails(CLIENT, CLIENT_EMAIL)), new_uow(), env
    )
    add_service_type(
        AddServiceType(practice.id, "USEEDER", "Therapy session", "80"), new_uow(), env
    )
    engine.dispose()


# -- what a person does ----------------------------------------------------------------------


def go_to_channel(page: Page, name: str) -> None:
    page.get_by_role("region", name="Channels").get_by_role("link", name=name).click()
    expect(page.locator("#place-title")).to_contain_text(name)


def open_mail(page: Page) -> None:
    page.get_by_role("navigation", name="Outside Slack").get_by_role("link", name="Mail").click()
    expect(page.locator("#place-title")).to_have_text("Mail")


def card_in(page: Page, number: str) -> Locator:
    return page.locator("li.msg", has_text=f"Invoice {number}").last


def mail_list(page: Page) -> Locator:
    return page.get_by_role("navigation", name="E-mails").locator(".mail-item")


def issue_an_invoice_in_billing(page: Page) -> str:
    """`/invoice new grace` in #billing, the seeded service on one line, issued at once;
    the new invoice's number, once its card is in the channel."""
    go_to_channel(page, "billing")
    composer = page.get_by_role("textbox", name="Message")
    composer.fill("/invoice new grace")
    composer.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="New invoice")).to_be_visible()
    dialog.locator('select[data-action-id="line_service"]').select_option(index=1)
    expect(dialog.locator('input[data-action-id="line_unit_price"]')).to_have_value("80.00")
    dialog.get_by_role("button", name="Add line").click()
    expect(dialog.get_by_role("heading", name="Lines (1)")).to_be_visible()
    dialog.get_by_text("Issue it now").click()
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.get_by_role("heading", name="Invoice created")).to_be_visible()
    dialog.get_by_role("button", name="OK").click()
    number = re.search(r"INV-\d+", card_in(page, "INV-").inner_text())
    assert number is not None
    return number.group(0)


def on_a_phone(browser: Browser, url: str, step: str, *, then_pay: bool = False) -> None:
    """Open `url` at a phone's width: nothing may be wider than the screen. With `then_pay`,
    press Pay and check Stripe's Checkout the same way (the desktop's Pay then reuses that
    open session)."""
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = phone.new_page()
        page.goto(url)
        _fits_the_screen(page)
        shot(page, step, full_page=True)
        if then_pay:
            page.get_by_role("button", name=re.compile(r"Pay £80\.00")).click()
            expect(page.get_by_role("heading", name="Pay with card")).to_be_visible()
            _fits_the_screen(page)
            shot(page, "phone-checkout", full_page=True)
    finally:
        phone.close()


# -- the story -------------------------------------------------------------------------------


def test_the_payment_story_clicked_through_in_the_console(
    browser: Browser, context: BrowserContext, sandbox: Sandbox, tmp_path: Path
) -> None:
    seed_client_and_service(tmp_path)
    page = context.new_page()
    page.goto(sandbox.console_url)

    # Stripe is the stand-in, and the console says so.
    expect(page.locator("#stripe-mode")).to_contain_text("Stripe is a local stand-in")
    expect(home(page)).to_contain_text("Card payments: a new Stripe account for the practice")
    shot(page, "01-home")

    # Home → the Stripe step → Payment settings → Complete Stripe setup (a new tab).
    home(page).locator("button[data-action-id=stripe_setup_open]").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Payment settings")).to_be_visible()
    expect(dialog).to_contain_text("Not set up.")
    shot(page, "02-payment-settings")
    with context.expect_page() as opened:
        dialog.get_by_role("button", name="Complete Stripe setup").click()
    onboarding = opened.value
    expect(onboarding.get_by_role("heading", name="Get paid by Billing Bot")).to_be_visible()
    assert onboarding.url.startswith("http://127.0.0.1:")
    assert not onboarding.url.startswith(sandbox.base_url), "onboarding is on Stripe's port"
    shot(onboarding, "03-stripe-onboarding")
    onboarding.get_by_role("button", name="Finish onboarding").click()
    expect(onboarding.get_by_role("heading", name="Stripe is set up.")).to_be_visible()
    assert onboarding.url.startswith(f"{sandbox.base_url}/stripe/connect/return")
    shot(onboarding, "04-back-from-stripe")
    onboarding.close()

    # Back in the console: Stripe's webhook told the app, which redrew the Home.
    dialog.get_by_role("button", name="Done").click()
    expect(home(page)).to_contain_text("Card payments are on", timeout=LATER_MS)
    home(page).locator("button[data-action-id=stripe_setup_open]").click()
    expect(page.get_by_role("dialog")).to_contain_text("Ready.")
    shot(page, "05-stripe-ready")
    page.get_by_role("dialog").get_by_role("button", name="Done").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    # An invoice, made and issued from #billing; its card lands there.
    number = issue_an_invoice_in_billing(page)
    card = card_in(page, number)
    expect(card).to_contain_text("Open")
    expect(card).to_contain_text("£80.00")
    shot(page, "06-invoice-card")

    # Send payment link → the confirm modal → Send.
    card.get_by_role("button", name="Send payment link").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Send payment link")).to_be_visible()
    expect(dialog.get_by_role("textbox", name="E-mail")).to_have_value(CLIENT_EMAIL)
    dialog.get_by_role("textbox", name="Message").fill("Thank you for coming in this week.")
    shot(page, "07-send-payment-link")
    dialog.get_by_role("button", name="Send").click()
    expect(dialog).to_contain_text(CLIENT_EMAIL)
    shot(page, "08-payment-link-sent")
    dialog.get_by_role("button", name=re.compile("Done|OK|Close")).first.click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    # The rail's Mail badge counts the e-mail as soon as the outbox has filed it.
    expect(page.locator("#mail-count")).to_have_text("1", timeout=LATER_MS)

    # Mail: the e-mail to the client, its HTML and its text.
    open_mail(page)
    expect(mail_list(page)).to_have_count(1)
    expect(mail_list(page).first).to_contain_text(CLIENT)
    expect(mail_list(page).first).to_contain_text(f"Invoice {number}")
    reader = page.get_by_role("article")
    expect(reader.locator(".mail-text")).to_contain_text("/pay/")
    expect(reader.locator(".mail-text")).to_contain_text("Thank you for coming in this week.")
    frame = page.frame_locator("iframe.mail-html")
    pay_button = frame.get_by_role("link", name=f"View and pay invoice {number}")
    expect(pay_button).to_be_visible()
    shot(page, "09-mail-payment-link")

    # The link opens the pay page in a new tab; Pay leads to the stand-in's Checkout.
    with context.expect_page() as opened:
        pay_button.click()
    pay_page = opened.value
    expect(pay_page.get_by_role("button", name=re.compile(r"Pay £80\.00"))).to_be_visible()
    assert pay_page.url.startswith(f"{sandbox.base_url}/pay/")
    pay_url = pay_page.url
    shot(pay_page, "10-pay-page", full_page=True)
    on_a_phone(browser, pay_url, "phone-pay-page", then_pay=True)
    pay_page.get_by_role("button", name=re.compile(r"Pay £80\.00")).click()
    expect(pay_page.get_by_role("heading", name="Pay with card")).to_be_visible()
    assert not pay_page.url.startswith(sandbox.base_url), "Checkout is on Stripe's port"
    checkout_form = pay_page.get_by_role("form", name="Pay with card")
    if checkout_form.get_by_label("Email").count():
        checkout_form.get_by_label("Email").fill(CLIENT_EMAIL)
    checkout_form.get_by_label("Card number").fill("4242 4242 4242 4242")
    checkout_form.get_by_label("Expiration date (MM / YY)").fill("12 / 34")
    checkout_form.get_by_label("Security code (CVC)").fill("123")
    checkout_form.get_by_label("Name on card").fill(CLIENT)
    shot(pay_page, "11-stripe-checkout")
    checkout_form.get_by_role("button", name=re.compile(r"Pay £80\.00")).click()
    expect(pay_page).to_have_url(re.compile(re.escape(pay_url) + r"/done"))
    expect(pay_page.locator("body")).to_contain_text("Thank you")
    shot(pay_page, "12-paid-done-page", full_page=True)
    pay_page.close()
    on_a_phone(browser, f"{pay_url}/done", "phone-done-page")
    on_a_phone(browser, pay_url, "phone-paid-pay-page")

    # In the console: the receipt in Mail, and the card in #billing says Paid.
    expect(mail_list(page)).to_have_count(2, timeout=LATER_MS)
    expect(mail_list(page).first).to_contain_text("Receipt")
    mail_list(page).first.click()
    expect(page.get_by_role("article").locator(".mail-text")).to_contain_text("£80.00")
    shot(page, "13-mail-receipt")
    go_to_channel(page, "billing")
    expect(card_in(page, number)).to_contain_text("Paid", timeout=LATER_MS)
    shot(page, "14-card-paid")

    # The practice's Express dashboard (the stand-in's) lists the payment.
    page.get_by_role("region", name="Apps").get_by_role("link", name="Billing Bot Home").click()
    home(page).locator("button[data-action-id=stripe_setup_open]").click()
    with context.expect_page() as opened:
        page.get_by_role("dialog").get_by_role("button", name="Open Stripe dashboard").click()
    dashboard = opened.value
    expect(dashboard.get_by_role("heading", name="Payments")).to_be_visible()
    expect(dashboard.get_by_role("row", name=re.compile(r"£80\.00"))).to_contain_text("Succeeded")
    shot(dashboard, "15-stripe-dashboard")


def _fits_the_screen(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the phone"


# -- which Stripe the sandbox uses -------------------------------------------------------------


def test_the_sandbox_points_the_app_at_its_own_stripe_stand_in() -> None:
    settings = load_settings(env_file=None).model_copy(
        update={"stripe_secret_key": None, "stripe_webhook_secret": None}
    )
    with start_sandbox(settings, port=0) as sandbox:
        stripe = sandbox.stripe
        assert stripe is not None
        used = sandbox.container.settings
        assert used.stripe_api_base == stripe.base_url
        assert used.stripe_secret_key is not None
        assert used.stripe_secret_key.get_secret_value() == stripe.secret_key
        assert used.stripe_webhook_secret is not None
        assert used.stripe_webhook_secret.get_secret_value() == stripe.webhook_secret
        # Its webhooks go to the app's own endpoint (the story above shows them arriving).
        assert stripe.webhooks.url == f"{sandbox.url}/stripe/webhook"
        page = httpx.get(sandbox.console_url, follow_redirects=True, timeout=10)
    assert "Stripe</b> is a local stand-in" in page.text


def test_a_configured_stripe_key_is_used_as_it_is() -> None:
    settings = load_settings(env_file=None).model_copy(
        update={
            "stripe_secret_key": SecretStr("sk_test_the_operators_own"),
            "stripe_webhook_secret": SecretStr("whsec_the_operators_own"),
            "stripe_api_base": "https://api.stripe.com",
        }
    )
    with start_sandbox(settings, port=0) as sandbox:
        used = sandbox.container.settings
        page = httpx.get(sandbox.console_url, follow_redirects=True, timeout=10)

    assert sandbox.stripe is None
    assert used.stripe_secret_key is not None
    assert used.stripe_secret_key.get_secret_value() == "sk_test_the_operators_own"
    assert used.stripe_api_base == "https://api.stripe.com"
    assert "STRIPE_SECRET_KEY</code> names" in page.text
    assert "sk_test_the_operators_own" not in page.text
