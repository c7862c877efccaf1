"""Invoice documents in the sandbox console, clicked through in Chromium: the sample invoice
in invoice settings redrawn as the theme changes, "Download PDF" on a card landing in the
DM, the PDF attached to the payment-link e-mail in the Mail pane, and the pay page's own
download. Screenshots land in tests/artifacts/console-documents-*.png."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest
from console_sandbox import Sandbox
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from test_console import home
from test_console_payments import (
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


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    opened = browser.new_context(viewport={"width": 1280, "height": 900})
    yield opened
    opened.close()


def shot(page: Page, step: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"console-documents-{step}.png"))


def preview(dialog: Locator) -> Locator:
    return dialog.locator('[data-block-id="preview"] img')


def test_documents_clicked_through_in_the_console(
    context: BrowserContext, sandbox: Sandbox, tmp_path: Path
) -> None:
    seed_client_and_service(tmp_path)
    page = context.new_page()
    page.goto(sandbox.console_url)

    # Invoice settings: a sample invoice in the saved design, then in the one picked.
    home(page).locator("button[data-action-id=invoice_settings_open]").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Invoice settings")).to_be_visible()
    expect(preview(dialog)).to_be_visible(timeout=LATER_MS)
    expect(preview(dialog)).to_have_attribute("alt", re.compile("Classic template.*Slate"))
    assert page.evaluate("img => img.naturalWidth", preview(dialog).element_handle()), (
        "the preview image loads"
    )
    shot(page, "01-settings-preview")
    dialog.locator('select[data-action-id="theme"]').select_option("plum")
    expect(preview(dialog)).to_have_attribute("alt", re.compile("Plum"), timeout=LATER_MS)
    dialog.locator('select[data-action-id="template"]').select_option("modern")
    expect(preview(dialog)).to_have_attribute(
        "alt", re.compile("Modern template.*Plum"), timeout=LATER_MS
    )
    shot(page, "02-settings-preview-modern-plum")
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    # Download PDF on the card: a note for the clicker in #billing, the file in the DM.
    number = issue_an_invoice_in_billing(page)
    card_in(page, number).get_by_role("button", name="Download PDF").click()
    expect(page.locator("li.msg", has_text=f"{number}.pdf is in your DM")).to_be_visible(
        timeout=LATER_MS
    )
    shot(page, "03-download-note")
    page.get_by_role("region", name="Apps").get_by_role("link", name="Billing Bot Messages").click()
    file_link = page.get_by_role("link", name=re.compile(re.escape(f"{number}.pdf")))
    expect(file_link.first).to_be_visible(timeout=LATER_MS)
    downloaded = page.request.get(urljoin(page.url, file_link.first.get_attribute("href") or ""))
    assert downloaded.ok and downloaded.body().startswith(b"%PDF")
    shot(page, "04-pdf-in-dm")

    # The payment-link e-mail carries the PDF; the pay page offers it too.
    go_to_channel(page, "billing")
    card_in(page, number).get_by_role("button", name="Send payment link").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("textbox", name="E-mail")).to_have_value(CLIENT_EMAIL)
    dialog.get_by_role("button", name="Send").click()
    expect(dialog).to_contain_text(CLIENT_EMAIL)
    dialog.get_by_role("button", name=re.compile("Done|OK|Close")).first.click()
    expect(page.locator("#mail-count")).to_have_text("1", timeout=LATER_MS)
    open_mail(page)
    expect(mail_list(page)).to_have_count(1)
    attachments = page.get_by_role("list", name="Attachments")
    expect(attachments).to_contain_text(f"{number}.pdf")
    shot(page, "05-mail-with-pdf")
    frame = page.frame_locator("iframe.mail-html")
    with context.expect_page() as opened:
        frame.get_by_role("link", name=f"View and pay invoice {number}").click()
    pay_page = opened.value
    download = pay_page.get_by_role("link", name=re.compile("Download PDF"))
    expect(download).to_be_visible()
    pdf = pay_page.request.get(urljoin(pay_page.url, download.get_attribute("href") or ""))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    shot(pay_page, "06-pay-page-download")
