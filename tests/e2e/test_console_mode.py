"""Sandbox mode as an operator meets it: ``billing-bot demo`` (what ``make run`` runs) prints
one URL and serves the console beside the real app, only when no Slack credentials are set;
with credentials it refuses, or with ``--or-serve`` serves the app normally, console-less."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from console_sandbox import first_line, running_sandbox

from billing_bot.bootstrap import build_container
from billing_bot.settings import load_settings
from bot.web import create_web_app
from helpers import billing_bot_executable, cli_env, free_port, run_cli

SLACK_SETTINGS = {
    "SLACK_SIGNING_SECRET": "real-signing-secret",
    "SLACK_CLIENT_ID": "1234.5678",
    "SLACK_CLIENT_SECRET": "real-client-secret",
}


def test_demo_prints_one_url_and_serves_the_console_and_the_app(tmp_path: Path) -> None:
    with running_sandbox(tmp_path) as sandbox:
        with httpx.Client(base_url=sandbox.base_url, timeout=10) as http:
            start = http.get("/console")
            page = http.get(start.headers["location"])
            health = http.get("/healthz")
            events = http.post("/slack/events", content=b"{}")

        status = sandbox.stop(signal.SIGINT)

    assert sandbox.first_line.count("http://") == 1
    assert sandbox.console_url.startswith("http://127.0.0.1:")
    assert start.status_code == 302
    assert page.status_code == 200
    assert "Practice A" in page.text and "Practice B" in page.text
    assert health.json()["status"] == "ok"
    assert events.status_code == 401  # the real, signature-checking Slack endpoint
    assert status == 0
    assert not any((tmp_path / "tmp").iterdir()), "the sandbox left its temporary database"


def test_demo_installs_both_practices_and_the_support_workspace_through_oauth(
    tmp_path: Path,
) -> None:
    with running_sandbox(tmp_path) as sandbox:
        with httpx.Client(base_url=sandbox.base_url, timeout=10) as http:
            page = http.get(http.get("/console").headers["location"])
        sandbox.stop()

    assert "event=app_installed" in sandbox.stderr.read_text()
    assert sandbox.stderr.read_text().count("event=app_installed") == 3
    assert "/slack/install" in page.text  # the install hops are in the Requests drawer


def test_console_refuses_posts_from_other_pages(tmp_path: Path) -> None:
    with running_sandbox(tmp_path) as sandbox:
        with httpx.Client(base_url=sandbox.base_url, timeout=10) as http:
            home = http.get("/console").headers["location"]
            forged = http.post(f"{home}/command", json={"text": "/billing"})
            wrong_host = http.get(home, headers={"Host": "evil.example:80"})
        sandbox.stop()

    assert forged.status_code == 403
    assert wrong_host.status_code == 403


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SLACK_BOT_TOKEN", "xoxb-secret-x"),
        ("SLACK_SIGNING_SECRET", "secret-x"),
        ("SLACK_APP_TOKEN", "xapp-secret-x"),
    ],
)
def test_demo_refuses_to_run_beside_slack_credentials(
    variable: str, value: str, tmp_path: Path
) -> None:
    result = run_cli("demo", "--port", "0", cwd=tmp_path, env=cli_env(**{variable: value}))

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"billing-bot: {variable} set: the sandbox console runs only without Slack credentials;"
        " use `billing-bot serve`"
    ]
    assert "secret-x" not in result.stderr


def test_demo_or_serve_with_slack_credentials_serves_the_app_without_console(
    tmp_path: Path,
) -> None:
    env = cli_env(DATABASE_URL=f"sqlite:///{tmp_path / 'billing.sqlite3'}", **SLACK_SETTINGS)
    assert run_cli("migrate", cwd=tmp_path, env=env).returncode == 0

    with (
        serving_or_serve(tmp_path, env) as (ready, base_url),
        httpx.Client(base_url=base_url, timeout=10) as http,
    ):
        console = http.get("/console")
        health = http.get("/healthz")

    assert "serving on" in ready
    assert health.status_code == 200
    assert console.status_code == 404


@contextmanager
def serving_or_serve(tmp_path: Path, env: dict[str, str]) -> Iterator[tuple[str, str]]:
    """``demo --or-serve`` on a free port: its "serving on" line and its URL.

    Other test runs on this machine also take ports, so a port that was free a moment ago can
    be taken before gunicorn binds it; that start is retried on another port."""
    for _attempt in range(3):
        port = free_port()
        stderr = tmp_path / "serve.err"
        with stderr.open("w") as err:
            process = subprocess.Popen(
                [billing_bot_executable(), "demo", "--or-serve", "--port", str(port)],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
            )
        try:
            try:
                ready = first_line(process, stderr)
            except AssertionError:
                if "Address already in use" in stderr.read_text():
                    continue
                raise
            yield ready, f"http://127.0.0.1:{port}"
            return
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
            if process.stdout is not None:
                process.stdout.close()
    raise AssertionError("no free port for billing-bot serve after 3 attempts")


def test_the_served_app_has_no_console(tmp_path: Path) -> None:
    settings = load_settings(env_file=None, database_url=f"sqlite:///{tmp_path / 'b.sqlite3'}")
    container = build_container(settings)
    try:
        client = create_web_app(container).test_client()

        assert client.get("/console").status_code == 404
        assert client.get("/console/static/console.js").status_code == 404
    finally:
        container.close()
