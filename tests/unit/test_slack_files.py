"""Fetching a file a user gave the app: the bot token goes to Slack's origins only, redirects
are not followed, and no more than the limit plus one byte is read."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot import invoice_settings
from bot.edge.deps import BotDeps
from bot.edge.files import FileNotFetched, origin_of, slack_file_fetcher
from domain.ports import Env
from domain.practice import InvoiceSettings
from domain.usecases.access import InstallApp, install_app
from fakes import FakeUnitOfWork
from slack_fakes import RecordingAck, RecordingApp, RecordingClient, context, picked, submitted

TOKEN = "xoxb-test-token"


@dataclass
class FileServer:
    """A local HTTP server standing in for Slack's file host; it records who asked what."""

    url: str
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)


def _serve(server: FileServer) -> tuple[ThreadingHTTPServer, threading.Thread]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server.requests.append((self.path, self.headers.get("Authorization")))
            if self.path in server.redirects:
                self.send_response(302)
                self.send_header("Location", server.redirects[self.path])
                self.end_headers()
                return
            body = server.files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    return httpd, thread


@pytest.fixture
def slack() -> Iterator[FileServer]:
    server = FileServer("")
    httpd, thread = _serve(server)
    yield server
    httpd.shutdown()
    thread.join()


@pytest.fixture
def elsewhere() -> Iterator[FileServer]:
    server = FileServer("")
    httpd, thread = _serve(server)
    yield server
    httpd.shutdown()
    thread.join()


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/files-pri/T1-F1/logo.png",
        "https://files.slack.com@evil.example/logo.png",
        "https://files.slack.com.evil.example/logo.png",
        "http://files.slack.com/files-pri/T1-F1/logo.png",
        "https://files.slack.com:8443/files-pri/T1-F1/logo.png",
        "file:///etc/passwd",
        "",
    ],
)
def test_the_token_is_never_sent_outside_slack(url: str) -> None:
    fetch = slack_file_fetcher("https://slack.com/api/", limit=10)

    with pytest.raises(FileNotFetched, match="isn't stored on Slack"):
        fetch(url, TOKEN)


def test_origins_compare_scheme_host_and_port() -> None:
    assert origin_of("https://FILES.slack.com/x") == ("https", "files.slack.com", 443)
    assert origin_of("http://127.0.0.1:8080/api/") == ("http", "127.0.0.1", 8080)
    assert origin_of("ftp://files.slack.com/x") is None


def test_a_file_on_the_web_api_origin_is_fetched_with_the_bot_token(slack: FileServer) -> None:
    slack.files["/files-pri/T1-F1/download/logo.png"] = b"\x89PNG..."
    fetch = slack_file_fetcher(f"{slack.url}/api/", limit=100)

    content = fetch(f"{slack.url}/files-pri/T1-F1/download/logo.png", TOKEN)

    assert content == b"\x89PNG..."
    assert slack.requests == [("/files-pri/T1-F1/download/logo.png", f"Bearer {TOKEN}")]


def test_no_more_than_the_limit_and_one_byte_is_read(slack: FileServer) -> None:
    slack.files["/big.png"] = b"x" * 2_000_000
    fetch = slack_file_fetcher(f"{slack.url}/api/", limit=1_000_000)

    content = fetch(f"{slack.url}/big.png", TOKEN)

    assert len(content) == 1_000_001


def test_a_redirect_is_refused_and_the_token_goes_nowhere_else(
    slack: FileServer, elsewhere: FileServer
) -> None:
    slack.redirects["/files-pri/T1-F1/logo.png"] = f"{elsewhere.url}/steal"
    fetch = slack_file_fetcher(f"{slack.url}/api/", limit=100)

    with pytest.raises(FileNotFetched, match="HTTP 302"):
        fetch(f"{slack.url}/files-pri/T1-F1/logo.png", TOKEN)

    assert elsewhere.requests == []


def test_a_missing_file_is_reported_not_raised_as_a_crash(slack: FileServer) -> None:
    fetch = slack_file_fetcher(f"{slack.url}/api/", limit=100)

    with pytest.raises(FileNotFetched, match="HTTP 404"):
        fetch(f"{slack.url}/files-pri/T1-F9/gone.png", TOKEN)


def test_an_unreachable_host_is_reported(slack: FileServer) -> None:
    fetch = slack_file_fetcher("http://127.0.0.1:9/api/", limit=100, timeout=0.5)

    with pytest.raises(FileNotFetched, match="couldn't reach Slack"):
        fetch("http://127.0.0.1:9/files-pri/T1-F1/logo.png", TOKEN)


def test_no_token_means_no_request(slack: FileServer) -> None:
    fetch = slack_file_fetcher(f"{slack.url}/api/", limit=100)

    with pytest.raises(FileNotFetched, match="no Slack token"):
        fetch(f"{slack.url}/files-pri/T1-F1/logo.png", "")

    assert slack.requests == []


def test_the_invoice_settings_listener_saves_the_logo_slack_serves(
    slack: FileServer, uow: FakeUnitOfWork, env: Env
) -> None:
    practice = install_app(InstallApp("T0HARBOUR", "Harbour", "U0ADMIN01"), uow, env).practice
    slack.files["/files-pri/T0HARBOUR-F1/download/logo.svg"] = b'<svg xmlns="x"></svg>'
    deps = BotDeps(lambda: uow, env, "https://billing.example", f"{slack.url}/api/")  # type: ignore[arg-type,return-value]
    app = RecordingApp()
    invoice_settings.register(app, deps)  # type: ignore[arg-type]
    logo = {
        "name": "logo.svg",
        "url_private_download": f"{slack.url}/files-pri/T0HARBOUR-F1/download/logo.svg",
    }
    view = submitted(
        invoice_settings.invoice_settings_modal(InvoiceSettings()),
        template=picked("classic"),
        theme=picked("slate"),
        payment_terms_days={"type": "number_input", "value": "14"},
        logo={"type": "file_input", "files": [logo]},
    )
    ack = RecordingAck()

    app.listeners[("view", "invoice_settings")](
        ack=ack,
        body={"view": view},
        client=RecordingClient(),
        context=context("T0HARBOUR", "U0ADMIN01"),
    )

    assert ack.only == {}
    logo_ref = uow.committed.practices[practice.id].invoice_settings.logo_ref
    assert logo_ref is not None
    assert uow.committed.logos[(practice.id, logo_ref)].content_type == "image/svg+xml"
    assert slack.requests == [("/files-pri/T0HARBOUR-F1/download/logo.svg", f"Bearer {TOKEN}")]
