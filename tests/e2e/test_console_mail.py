"""The console's Mail pane in a real browser: every e-mail the file outbox filed, newest first;
one opened shows its HTML in a frame where no script runs and whose links open in a new tab,
its text part, and its attachments as downloads; new mail appears on an open page by itself.

The e-mails are written by the app's own `FileMailer` into the folder the console reads, as
the outbox does in sandbox mode; the console runs on its own beside the Slack stand-in."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect, sync_playwright
from test_console import CHROMIUM, CHROMIUM_ARGS, screenshot
from test_console_session import _Quiet
from werkzeug.serving import make_server

from domain.outbox import Attachment, EmailMessage
from gateways.mail_folder import FileMailer
from sandbox.console.app import mount_console
from sandbox.console.clock import SandboxTime
from sandbox.console.session import Console
from sandbox.slack import SlackStandIn, User

PDF = b"%PDF-1.7\n% the invoice as a PDF\n"
# What a hostile or broken e-mail could carry: a script that must not run in the console.
HTML = """<!doctype html><html><head><title>Invoice</title></head><body>
<p id="greeting">Hello Grace,</p>
<p><a href="{link}">View and pay invoice INV-0042</a></p>
<script>document.getElementById("greeting").textContent = "script ran";</script>
</body></html>"""


class _Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


@dataclass
class MailWorld:
    console: Console
    mailer: FileMailer
    clock: _Clock
    console_url: str
    ada: User

    @property
    def mail_url(self) -> str:
        return f"{self.console_url}/{self.ada.team_id}/{self.ada.id}/mail"

    def file(
        self,
        message_id: str,
        subject: str,
        *,
        html: str | None = None,
        attachments: tuple[Attachment, ...] = (),
    ) -> None:
        """The outbox files an e-mail, a minute after the last one, and the console hears."""
        self.clock.at += timedelta(minutes=1)
        message = EmailMessage(
            to_address="grace@example.org",
            to_name="Grace Hopper",
            subject=subject,
            text=f"Hello Grace,\n\n{subject}.\n",
            html=html,
            sender_name="Practice A",
            reply_to="office@practice-a.example",
            attachments=attachments,
        )
        self.mailer.send(message, message_id)
        self.console.mail_filed()


@pytest.fixture
def mail_world(tmp_path: Path) -> Iterator[MailWorld]:
    slack = SlackStandIn(signing_secret="s", app_url="http://127.0.0.1:9")
    console = Console(slack)
    console.mail_dir = tmp_path / "mail"
    web = Flask(__name__)
    mount_console(web, console)
    server = make_server("127.0.0.1", 0, web, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.daemon = True
    thread.start()
    slack.start()
    try:
        practice = slack.create_workspace("Practice A")
        ada = slack.create_user(practice, "ada", real_name="Ada Lovelace", tz="Europe/London")
        clock = _Clock()
        # The list shows a time for today's e-mails: "today" is the app's day, not the machine's.
        console.time = SandboxTime(tmp_path / "shift", clock, lambda: None)
        mailer = FileMailer(console.mail_dir, "Billing Bot <billing-bot@localhost>", clock)
        url = f"http://127.0.0.1:{server.server_port}/console"
        yield MailWorld(console, mailer, clock, url, ada)
    finally:
        console.closing.set()
        slack.state.touch()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        slack.stop()


@pytest.fixture
def page() -> Iterator[Page]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        opened = browser.new_page(viewport={"width": 1280, "height": 800})
        yield opened
        browser.close()


def test_mail_lists_newest_first_and_opens_html_text_and_attachments(
    mail_world: MailWorld, page: Page, tmp_path: Path
) -> None:
    world = mail_world
    link = f"{world.mail_url}?from-the-mail"
    world.file("m1", "Invoice INV-0042 from Practice A", html=HTML.format(link=link))
    world.file(
        "m2",
        "Receipt INV-0042-R1 from Practice A",
        attachments=(Attachment("receipt-INV-0042-R1.pdf", "application/pdf", PDF),),
    )
    page.goto(world.mail_url)

    items = page.get_by_role("navigation", name="E-mails").locator(".mail-item")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("Receipt INV-0042-R1")
    expect(items.nth(1)).to_contain_text("Invoice INV-0042")
    expect(items.nth(0)).to_contain_text("Grace Hopper")
    expect(items.nth(0)).to_contain_text("09:02")
    expect(page.locator("#mail-count")).to_have_text("2")

    # The newest is open: no HTML part, a text part and its attachment.
    reader = page.get_by_role("article")
    expect(reader.get_by_role("heading", name="Receipt INV-0042-R1")).to_be_visible()
    expect(reader).to_contain_text("office@practice-a.example")
    expect(reader.locator("iframe")).to_have_count(0)
    expect(reader.locator(".mail-text")).to_contain_text("Receipt INV-0042-R1 from Practice A.")
    attachment = reader.get_by_role("list", name="Attachments").get_by_role("listitem")
    expect(attachment).to_contain_text("receipt-INV-0042-R1.pdf")
    with page.expect_download() as started:
        attachment.get_by_role("link", name="Download").click()
    assert started.value.suggested_filename == "receipt-INV-0042-R1.pdf"
    saved = tmp_path / "saved.pdf"
    started.value.save_as(saved)
    assert saved.read_bytes() == PDF

    # The older one: its HTML in a frame where its script did not run.
    items.nth(1).click()
    expect(reader.get_by_role("heading", name="Invoice INV-0042 from Practice A")).to_be_visible()
    frame = page.frame_locator("iframe.mail-html")
    expect(frame.locator("#greeting")).to_have_text("Hello Grace,")
    expect(reader.locator("iframe.mail-html")).to_have_attribute(
        "sandbox", "allow-popups allow-popups-to-escape-sandbox"
    )
    expect(reader.locator(".mail-text")).to_contain_text("Invoice INV-0042 from Practice A.")
    screenshot(page, "console-mail-pane.png")

    # Its link opens in a new tab, as a mail program opens a link in the browser.
    with page.context.expect_page() as opened:
        frame.get_by_role("link", name="View and pay invoice INV-0042").click()
    assert opened.value.url == link
    opened.value.close()


def test_new_mail_appears_on_an_open_page_and_in_the_rail_badge(
    mail_world: MailWorld, page: Page
) -> None:
    world = mail_world
    page.goto(world.mail_url)
    expect(page.locator("body")).to_have_attribute("data-live", "stream")
    expect(page.get_by_role("navigation", name="E-mails")).to_contain_text("No e-mail yet")
    expect(page.locator("#mail-count")).to_be_hidden()

    world.file("m1", "Invoice INV-0042 from Practice A")

    items = page.get_by_role("navigation", name="E-mails").locator(".mail-item")
    expect(items).to_have_count(1)
    expect(page.get_by_role("article")).to_contain_text("Invoice INV-0042 from Practice A.")
    expect(page.locator("#mail-count")).to_have_text("1")


def test_the_html_of_a_mail_is_served_under_a_sandboxing_policy(
    mail_world: MailWorld, page: Page
) -> None:
    world = mail_world
    world.file("m1", "Invoice INV-0042", html=HTML.format(link="http://127.0.0.1:9/pay/x"))

    served = page.request.get(f"{world.mail_url.removesuffix('/mail')}/mail-m1/html")
    missing = page.request.get(f"{world.mail_url.removesuffix('/mail')}/mail-m9/html")
    not_mail = page.request.get(f"{world.mail_url.removesuffix('/mail')}/home/html")

    policy = served.headers["content-security-policy"]
    assert "sandbox allow-popups allow-popups-to-escape-sandbox" in policy
    assert "script-src" not in policy and "default-src 'none'" in policy
    assert '<base target="_blank">' in served.text()
    assert missing.status == 404 and not_mail.status == 404
