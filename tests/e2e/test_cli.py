"""The ``billing-bot`` command as an operator uses it: real processes, real databases."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import inspect

from helpers import (
    RunningServer,
    cli_env,
    free_port,
    run_cli,
    running_server,
    wait_until,
)
from storage.engine import create_engine_for
from storage.migrate import current_revision, head_revision, upgrade


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = run_cli("--help", cwd=tmp_path, env=cli_env())

    assert result.returncode == 0
    for command in ("serve", "migrate", "check-config"):
        assert command in result.stdout


def test_migrate_twice_leaves_the_database_at_head(database_url: str, tmp_path: Path) -> None:
    env = cli_env(DATABASE_URL=database_url)

    first = run_cli("migrate", cwd=tmp_path, env=env)
    tables_after_first = _table_names(database_url)
    second = run_cli("migrate", cwd=tmp_path, env=env)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert "is at revision" in second.stdout
    assert _table_names(database_url) == tables_after_first
    engine = create_engine_for(database_url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_migrate_sql_prints_the_script_without_touching_the_database(tmp_path: Path) -> None:
    database = tmp_path / "never-created.sqlite3"

    result = run_cli(
        "migrate", "--sql", cwd=tmp_path, env=cli_env(DATABASE_URL=f"sqlite:///{database}")
    )

    assert result.returncode == 0, result.stderr
    if head_revision() is None:
        assert result.stdout.strip() == "-- no migrations to apply"
    else:
        assert "CREATE TABLE" in result.stdout
        assert f"'{head_revision()}'" in result.stdout  # the version row it records
    assert not database.exists()


def test_migrate_sql_for_postgresql_needs_no_server(tmp_path: Path) -> None:
    nowhere = f"postgres://postgres@127.0.0.1:{free_port()}/billing"

    result = run_cli("migrate", "--sql", cwd=tmp_path, env=cli_env(DATABASE_URL=nowhere))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_migrate_reports_an_unreachable_database_in_one_line(tmp_path: Path) -> None:
    nowhere = f"postgresql://postgres:hunter2@127.0.0.1:{free_port()}/billing"

    result = run_cli("migrate", cwd=tmp_path, env=cli_env(DATABASE_URL=nowhere))

    assert result.returncode == 1
    assert result.stderr.startswith(
        "billing-bot: cannot migrate postgresql+psycopg://postgres:***@"
    )
    assert "Traceback" not in result.stderr
    assert "hunter2" not in result.stderr


@pytest.mark.parametrize("command", ["serve", "migrate", "check-config"])
def test_a_bad_setting_stops_any_command_with_one_line(command: str, tmp_path: Path) -> None:
    result = run_cli(command, cwd=tmp_path, env=cli_env(PORT="abc"))

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "billing-bot: PORT: must be a whole number from 1 to 65535, got 'abc'"
    ]
    assert result.stdout == ""


def test_an_unknown_key_in_env_file_stops_start_up(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PROT=9000\n")

    result = run_cli("serve", cwd=tmp_path, env=cli_env())

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "billing-bot: PROT: is not a setting of billing-bot; remove it from .env;"
        " did you mean PORT?"
    ]


def test_check_config_names_missing_settings_but_never_prints_secrets(tmp_path: Path) -> None:
    secrets = {
        "SLACK_SIGNING_SECRET": "hunter-signing",
        "SLACK_BOT_TOKEN": "xoxb-hunter-token",
        "STRIPE_SECRET_KEY": "sk_test_hunter",
        "SMTP_URL": "smtp://mailer:hunter-mail@127.0.0.1:2525",
        "DATABASE_URL": "postgresql://billing:hunter-db@127.0.0.1/billing",
    }

    result = run_cli("check-config", cwd=tmp_path, env=cli_env(**secrets))
    strict = run_cli("check-config", "--strict", cwd=tmp_path, env=cli_env(**secrets))

    assert result.returncode == 0, result.stderr
    assert "hunter" not in result.stdout + result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert lines["Slack"].split(maxsplit=1)[1].startswith("ok")
    assert "missing STRIPE_WEBHOOK_SECRET" in lines["Stripe"]
    assert "missing MAIL_FROM" in lines["E-mail"]
    assert strict.returncode == 1


def _healthz(server: RunningServer) -> httpx.Response:
    if server.process.poll() is not None:
        raise AssertionError(f"serve exited with {server.process.returncode}:\n{server.output()}")
    return httpx.get(f"{server.base_url}/healthz", timeout=5)


def test_serve_answers_healthz_then_stops_cleanly_on_sigterm(
    database_url: str, backend: str, tmp_path: Path
) -> None:
    upgrade(database_url)

    with running_server(tmp_path, DATABASE_URL=database_url) as server:
        response = wait_until(
            lambda: _healthz(server), timeout=30, ignore=(httpx.TransportError,), what="/healthz"
        )
        not_found = httpx.get(f"{server.base_url}/no-such-page", timeout=5)
        wrong_method = httpx.post(f"{server.base_url}/healthz", timeout=5)
        server.process.send_signal(signal.SIGTERM)
        exit_status = server.process.wait(timeout=30)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == {
        "status": "ok",
        "dialect": backend,
        "revision": head_revision(),
        "head": head_revision(),
    }
    assert body["version"]
    assert (not_found.status_code, not_found.json()["error"]) == (404, "Not Found")
    assert (wrong_method.status_code, wrong_method.json()["error"]) == (405, "Method Not Allowed")
    assert exit_status == 0, server.output()
    assert f"serving on {server.base_url}" in server.output()
    assert "Traceback" not in server.output()


def _refuses_connections(url: str) -> bool:
    try:
        httpx.get(url, timeout=2)
    except httpx.ConnectError:
        return True
    return False


def test_a_second_serve_on_a_busy_port_exits_1_and_the_first_keeps_the_port(
    tmp_path: Path,
) -> None:
    database = f"sqlite:///{tmp_path / 'billing.sqlite3'}"
    upgrade(database)
    port = free_port()
    with running_server(tmp_path, port=port, DATABASE_URL=database) as first:
        wait_until(lambda: _healthz(first), timeout=30, ignore=(httpx.TransportError,))
        second = run_cli(
            "serve", "--port", str(port), cwd=tmp_path, env=cli_env(DATABASE_URL=database)
        )
        # Every request still reaches the first server: none was taken by a second one.
        statuses = {
            httpx.get(f"{first.base_url}/healthz", timeout=5).status_code for _ in range(20)
        }
        first.process.send_signal(signal.SIGTERM)
        first.process.wait(timeout=30)

    assert second.returncode == 1
    assert f"cannot serve on 127.0.0.1:{port}: Address already in use" in second.stderr
    assert "Traceback" not in second.stderr
    assert statuses == {200}


def test_workers_stop_when_the_main_process_is_killed(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'billing.sqlite3'}"
    upgrade(database)
    with running_server(tmp_path, DATABASE_URL=database) as server:
        wait_until(lambda: _healthz(server), timeout=30, ignore=(httpx.TransportError,))
        server.process.kill()  # SIGKILL: the main process gets no chance to stop its workers
        server.process.wait(timeout=10)

        wait_until(
            lambda: _refuses_connections(f"{server.base_url}/healthz"),
            timeout=30,
            what="orphaned workers to stop answering",
        )


def test_healthz_says_unavailable_when_the_database_does_not_answer(tmp_path: Path) -> None:
    nowhere = f"postgresql://postgres@127.0.0.1:{free_port()}/billing"

    with running_server(tmp_path, DATABASE_URL=nowhere) as server:
        response = wait_until(
            lambda: _healthz(server), timeout=30, ignore=(httpx.TransportError,), what="/healthz"
        )
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=30)

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["database"]["status"] == "unavailable"


def _table_names(database_url: str) -> set[str]:
    engine = create_engine_for(database_url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
