"""The Help channel in the console, in a real browser: a question asked as Practice A in
Billing Bot's Messages tab, answered as support in the vendor's workspace, both threads
watched, resolved and rated. Screenshots land in tests/artifacts/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from console_sandbox import Sandbox
from playwright.sync_api import Browser, Locator, Page, expect

from helpers import ARTIFACTS

expect.set_options(timeout=15_000)


@pytest.fixture
def page(browser: Browser, sandbox: Sandbox) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    opened = context.new_page()
    opened.goto(sandbox.console_url)
    yield opened
    context.close()


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def switch_workspace(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Workspaces").get_by_role("link", name=name).click()
    expect(page.locator(".workspace-name")).to_have_text(name)


def switch_person(page: Page, real_name: str) -> None:
    page.locator("#user-switcher").get_by_role("link", name=real_name).click()
    expect(page.locator("#user-switcher [aria-current=true]")).to_contain_text(real_name)


def open_channel(page: Page, name: str) -> None:
    page.get_by_role("complementary").get_by_role("link", name=name, exact=True).click()
    expect(page.locator("#place-title")).to_contain_text(name)


def top_message(page: Page, text: str) -> Locator:
    """The top-level message showing `text` (with its thread inside it)."""
    return page.locator("ol.messages > li.msg", has_text=text).first


def reply_in_thread(message: Locator, text: str) -> None:
    start = message.locator("details.thread-start")
    if start.count():
        start.locator("summary").click()
    box = message.get_by_role("textbox", name="Reply in thread")
    box.fill(text)
    box.press("Enter")


def test_a_question_from_practice_a_is_answered_by_support_in_both_threads(page: Page) -> None:
    page.get_by_role("navigation", name="Billing Bot").get_by_role("link", name="Messages").click()
    composer = page.get_by_role("textbox", name="Message")
    composer.fill("How do I send a payment link again?")
    composer.press("Enter")

    question = top_message(page, "How do I send a payment link again?")
    expect(question.locator("ol.thread")).to_contain_text("Support has your question (#1)")
    screenshot(page, "console-help-asked.png")

    switch_workspace(page, "Billing Bot Support")
    switch_person(page, "Sam Rivera")
    open_channel(page, "support")
    card = top_message(page, "#1 · Practice A")
    expect(card).to_contain_text("How do I send a payment link again?")
    expect(card).to_contain_text("nobody yet")
    card.get_by_role("button", name="Assign to me").click()
    expect(card).to_contain_text("Sam Rivera")
    reply_in_thread(card, "Open the invoice's card and press Send payment link.")
    expect(card.locator("ol.thread")).to_contain_text("Send payment link")
    expect(card).to_contain_text("First response")
    screenshot(page, "console-help-support-thread.png")

    # Support's Home: the desk at a glance, not a practice's billing setup.
    home = open_home(page)
    expect(home).to_contain_text("Billing Bot Support")
    expect(home).to_contain_text("#1 · Practice A")
    expect(home).to_contain_text("Answered")
    expect(home).not_to_contain_text("New invoice")
    expect(home.get_by_role("button", name="Support settings")).to_have_count(0)
    screenshot(page, "console-help-support-home.png")

    switch_workspace(page, "Practice A")
    page.get_by_role("navigation", name="Billing Bot").get_by_role("link", name="Messages").click()
    question = top_message(page, "How do I send a payment link again?")
    expect(question.locator("ol.thread")).to_contain_text("Sam from support")
    expect(question.locator("ol.thread")).to_contain_text("press Send payment link")
    reply_in_thread(question, "Found it, thank you!")
    expect(question.locator("ol.thread")).to_contain_text("Found it, thank you!")
    screenshot(page, "console-help-practice-thread.png")

    switch_workspace(page, "Billing Bot Support")
    switch_person(page, "Sam Rivera")
    open_channel(page, "support")
    card = top_message(page, "#1 · Practice A")
    expect(card.locator("ol.thread")).to_contain_text("Found it, thank you!")
    card.get_by_role("button", name="Resolve").click()
    expect(card).to_contain_text("Resolved")
    expect(card.get_by_role("button", name="Reopen")).to_be_visible()

    switch_workspace(page, "Practice A")
    page.get_by_role("navigation", name="Billing Bot").get_by_role("link", name="Messages").click()
    question = top_message(page, "How do I send a payment link again?")
    expect(question.locator("ol.thread")).to_contain_text("How did we do?")
    question.locator("ol.thread").get_by_role("button", name="Great").click()
    expect(question.locator("ol.thread")).to_contain_text("Thanks! You rated #1: Great")
    screenshot(page, "console-help-rated.png")

    switch_workspace(page, "Billing Bot Support")
    open_channel(page, "support")
    expect(top_message(page, "#1 · Practice A")).to_contain_text("Great")
    screenshot(page, "console-help-support-resolved.png")

    switch_person(page, "Olga Operator")
    home = open_home(page)
    expect(home).to_contain_text("No open conversations")
    expect(home).to_contain_text("Recently resolved")
    expect(home).to_contain_text("Great")
    expect(home.get_by_role("button", name="Support settings")).to_be_visible()
    screenshot(page, "console-help-operator-home.png")


def open_home(page: Page) -> Locator:
    """Billing Bot's Home tab, opened from the sidebar; its content."""
    page.get_by_role("complementary").get_by_role("link", name="Billing Bot Home").click()
    expect(page.locator("#place-title")).to_contain_text("Billing Bot")
    return page.locator("#main.home-content")
