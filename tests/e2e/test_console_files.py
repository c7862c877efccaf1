"""Files the app shares in a conversation, as the console shows them: a chip in the
conversation that opens or downloads the file, for the people who can see that conversation
and no one else (Slack's files are private). The app is scripted (`ScriptedApp`); it uploads
over the stand-in's real Web API, and a real browser opens the console."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect, sync_playwright
from slack_sdk import WebClient
from test_console import CHROMIUM, CHROMIUM_ARGS, screenshot
from test_console_session import ScriptedApp, _Quiet
from werkzeug.serving import make_server

from sandbox.console.app import mount_console
from sandbox.console.session import Console
from sandbox.slack import SlackStandIn, User

STATEMENT = b"%PDF-1.7\n% a statement the app made\n"


@dataclass
class FilesWorld:
    slack: SlackStandIn
    console_url: str
    ada: User
    cleo: User
    dana: User

    def upload_to_dm(self, person: User, name: str, content: bytes) -> str:
        """The app uploads a file into its direct message with `person`; the file's id."""
        token = self.slack.installation(person.team_id).bot_token
        client = WebClient(token=token, base_url=self.slack.api_url)
        dm = client.conversations_open(users=person.id)["channel"]["id"]
        shared = client.files_upload_v2(
            channel=dm, filename=name, content=content, initial_comment="Your statement"
        )
        return str(shared["files"][0]["id"])

    def messages_of(self, person: User) -> str:
        return f"{self.console_url}/{person.team_id}/{person.id}/messages"


@pytest.fixture
def files_world() -> Iterator[FilesWorld]:
    app = ScriptedApp()
    app_server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    slack = SlackStandIn(signing_secret="s", app_url=f"http://127.0.0.1:{app_server.server_port}")
    web = Flask(__name__)
    mount_console(web, Console(slack))
    console_server = make_server("127.0.0.1", 0, web, threaded=True, request_handler=_Quiet)
    threads = [
        threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        for s in (app_server, console_server)
    ]
    for thread in threads:
        thread.start()
    slack.start()
    try:
        practice_a = slack.create_workspace("Practice A")
        ada = slack.create_user(practice_a, "ada", real_name="Ada Lovelace", is_admin=True)
        cleo = slack.create_user(practice_a, "cleo", real_name="Cleo Park")
        slack.install(practice_a, ada)
        practice_b = slack.create_workspace("Practice B")
        dana = slack.create_user(practice_b, "dana", real_name="Dana Reyes", is_admin=True)
        slack.install(practice_b, dana)
        url = f"http://127.0.0.1:{console_server.server_port}/console"
        yield FilesWorld(slack, url, ada, cleo, dana)
    finally:
        slack.stop()
        for server in (app_server, console_server):
            server.shutdown()
            server.server_close()
        for thread in threads:
            thread.join(timeout=5)


@pytest.fixture
def page() -> Iterator[Page]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        opened = browser.new_page(viewport={"width": 1280, "height": 800})
        yield opened
        browser.close()


def test_a_file_the_app_shares_in_a_dm_is_shown_there_and_downloads(
    files_world: FilesWorld, page: Page, tmp_path: Path
) -> None:
    page.goto(files_world.messages_of(files_world.ada))
    expect(page.locator("body")).to_have_attribute("data-live", "stream")

    files_world.upload_to_dm(files_world.ada, "statement-0042.pdf", STATEMENT)

    chip = page.get_by_role("group", name="File statement-0042.pdf")
    expect(chip).to_be_visible()
    expect(chip).to_contain_text(f"{len(STATEMENT)} B")
    expect(page.locator(".msg", has=chip)).to_contain_text("Your statement")
    screenshot(page, "console-file-in-dm.png")
    with page.expect_download() as started:
        chip.get_by_role("link", name="Download").click()
    download = started.value
    assert download.suggested_filename == "statement-0042.pdf"
    saved = tmp_path / "saved.pdf"
    download.save_as(saved)
    assert saved.read_bytes() == STATEMENT


def test_a_file_in_someone_elses_dm_is_not_found_for_anyone_else(
    files_world: FilesWorld, page: Page
) -> None:
    file_id = files_world.upload_to_dm(files_world.ada, "statement-0042.pdf", STATEMENT)
    world = files_world
    own = f"{world.messages_of(world.ada)}/files/{file_id}"
    same_practice = f"{world.messages_of(world.cleo)}/files/{file_id}"
    other_practice = f"{world.messages_of(world.dana)}/files/{file_id}"

    assert page.request.get(own).body() == STATEMENT
    assert page.request.get(same_practice).status == 404
    assert page.request.get(other_practice).status == 404
