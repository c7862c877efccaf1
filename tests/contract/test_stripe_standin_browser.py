"""The Stripe stand-in's hosted pages in a real browser, used as a client and a practice
would: Debian's headless Chromium driven by Playwright. Screenshots land in tests/artifacts/
for a person to look at."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from stripe import StripeClient
from stripe_scenario import AppSite, a_checkout_session, an_express_account

from helpers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from sandbox.stripe import StripeStandIn

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


def a_page(browser: Browser, width: int, height: int) -> Page:
    return browser.new_context(viewport={"width": width, "height": height}).new_page()


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_a_client_pays_by_card_and_lands_on_the_success_page(
    browser: Browser, stripe_client: StripeClient, stripe_standin: StripeStandIn, app: AppSite
) -> None:
    practice = an_express_account(stripe_client, stripe_standin).id
    session = a_checkout_session(
        stripe_client,
        practice,
        amount=12_000,
        success_url=f"{app.url}/paid/{{CHECKOUT_SESSION_ID}}",
    )
    page = a_page(browser, 1280, 800)
    page.goto(session.url)
    expect(page.get_by_text("Pay Sunrise Therapy")).to_be_visible()
    expect(page.get_by_text("$120.00").first).to_be_visible()

    page.get_by_label("Card number").fill(stripe_standin_card := "4000 0000 0000 0002")
    page.get_by_label("Expiration date").fill("12 / 34")
    page.get_by_label("Security code").fill("123")
    page.get_by_label("Name on card").fill("Jenny Rosen")
    page.get_by_role("button", name="Pay $120.00", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Your card was declined.")
    expect(page.get_by_label("Card number")).to_have_value(stripe_standin_card)
    screenshot(page, "stripe-checkout-declined.png")

    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Pay $120.00", exact=True).click()

    expect(page).to_have_url(f"{app.url}/paid/{session.id}")
    seen = stripe_client.v1.checkout.sessions.retrieve(
        session.id, options={"stripe_account": practice}
    )
    assert seen.payment_status == "paid"
    page.context.close()


def test_the_checkout_page_fits_a_phone(
    browser: Browser, stripe_client: StripeClient, stripe_standin: StripeStandIn
) -> None:
    practice = an_express_account(stripe_client, stripe_standin).id
    session = a_checkout_session(stripe_client, practice, amount=8_500)
    page = a_page(browser, 390, 844)

    page.goto(session.url)
    page.get_by_role("button", name="Pay $85.00", exact=True).click()

    expect(page.get_by_text("Your card number is incomplete.")).to_be_visible()
    expect(page.get_by_label("Card number")).to_have_attribute("aria-invalid", "true")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    screenshot(page, "stripe-checkout-phone.png")
    page.context.close()


def test_a_practice_finishes_onboarding_and_returns_to_the_app(
    browser: Browser, stripe_client: StripeClient, stripe_standin: StripeStandIn, app: AppSite
) -> None:
    account = an_express_account(stripe_client, stripe_standin, onboarded=False)
    link = stripe_client.v1.account_links.create(
        params={
            "account": account.id,
            "type": "account_onboarding",
            "refresh_url": f"{app.url}/stripe/refresh",
            "return_url": f"{app.url}/stripe/return",
        }
    )
    page = a_page(browser, 1280, 800)

    page.goto(link.url)
    expect(page.get_by_role("heading", name="Get paid by Billing Bot")).to_be_visible()
    screenshot(page, "stripe-onboarding.png")
    page.get_by_role("button", name="Finish onboarding").click()

    expect(page).to_have_url(f"{app.url}/stripe/return")
    assert stripe_client.v1.accounts.retrieve(account.id).charges_enabled is True
    page.context.close()
