"""The outbox as an operator meets it: `billing-bot serve` and the sandbox deliver what is
enqueued, into the file outbox when no SMTP_URL is set; `billing-bot outbox` reports and
retries."""

from __future__ import annotations

import signal
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from billing_bot.settings import load_settings
from domain.outbox import OutboxMessage, PermanentDeliveryError
from domain.ports import Env
from factories import a_practice
from fakes import FixedClock
from gateways.mail_folder import read_mail_folder
from gateways.system import SystemClock
from helpers import cli_env, run_cli, running_server, wait_until
from outbox_scenario import CLIENT_ADDRESS, SUBJECT, an_email, enqueue
from sandbox.console.mode import start_sandbox
from storage.engine import create_engine_for
from storage.outbox_queue import SqlOutboxQueue
from storage.unit_of_work import SqlAlchemyUnitOfWork, session_factory


class _Ids:
    def new_id(self) -> str:
        return uuid.uuid4().hex[:24]


def _migrated(database_url: str, tmp_path: Path) -> None:
    result = run_cli("migrate", cwd=tmp_path, env=cli_env(DATABASE_URL=database_url))
    assert result.returncode == 0, result.stderr


def test_serve_files_waiting_mail_in_var_mail_by_default(database_url: str, tmp_path: Path) -> None:
    _migrated(database_url, tmp_path)
    engine = create_engine_for(database_url)
    env = Env(clock=SystemClock(), ids=_Ids())
    try:
        uow = SqlAlchemyUnitOfWork(session_factory(engine))
        practice = a_practice(uow, env)
        [message] = enqueue(uow, env, practice.id, ["receipt:pay-1"])
    finally:
        engine.dispose()

    with running_server(tmp_path, DATABASE_URL=database_url) as server:
        [filed] = wait_until(
            lambda: read_mail_folder(tmp_path / "var" / "mail"), 60, what="the filed e-mail"
        )
        server.process.send_signal(signal.SIGTERM)
        status = server.process.wait(timeout=30)

    assert filed.message_id == message.id
    assert filed.subject == SUBJECT and CLIENT_ADDRESS in filed.to
    assert status == 0
    assert CLIENT_ADDRESS not in server.output()
    assert f"event=outbox_delivered id={message.id}" in server.output()


def test_outbox_status_retry_failed_and_deliver(database_url: str, tmp_path: Path) -> None:
    _migrated(database_url, tmp_path)
    engine = create_engine_for(database_url)
    env = Env(clock=FixedClock(datetime.now(UTC)), ids=_Ids())
    try:
        uow = SqlAlchemyUnitOfWork(session_factory(engine))
        practice = a_practice(uow, env)
        [refused, waiting] = enqueue(uow, env, practice.id, ["receipt:1", "receipt:2"])
        queue = SqlOutboxQueue(engine)
        now = env.clock.now()
        claim = queue.claim("test", ["email"], now, limit=10, lease=timedelta(minutes=1))
        queue.mark_attempt_failed(
            claim,
            refused.id,
            env.clock.now(),
            error=str(PermanentDeliveryError("the SMTP server refused the recipient (550)")),
            retry_at=None,
        )
        queue.release(claim, [waiting.id])
    finally:
        engine.dispose()
    settings = cli_env(DATABASE_URL=database_url)

    before = run_cli("outbox", "status", cwd=tmp_path, env=settings)
    retried = run_cli("outbox", "retry-failed", cwd=tmp_path, env=settings)
    delivered = run_cli("outbox", "deliver", cwd=tmp_path, env=settings)
    after = run_cli("outbox", "status", cwd=tmp_path, env=settings)

    assert before.returncode == 0, before.stderr
    lines = before.stdout.splitlines()
    assert lines[0].startswith("pending   1 (email 1); the oldest due since ")
    assert lines[1] == "failed    1 (email 1)"
    assert lines[2] == "sent      0"
    assert lines[3] == (
        f"failed {refused.id} kind=email practice_id={practice.id} attempts=1 "
        "error='the SMTP server refused the recipient (550)'"
    )
    assert retried.stdout.startswith("1 failed message put back in line")
    assert delivered.returncode == 0, delivered.stderr
    assert delivered.stdout.strip() == "2 attempted; now pending 0, failed 0"
    assert after.stdout.splitlines()[2] == "sent      2 (email 2)"
    filed = {mail.message_id for mail in read_mail_folder(tmp_path / "var" / "mail")}
    assert filed == {refused.id, waiting.id}
    assert CLIENT_ADDRESS not in before.stdout + after.stdout + delivered.stderr


def test_outbox_status_on_a_database_never_migrated_says_what_to_do(tmp_path: Path) -> None:
    settings = cli_env(DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}")

    result = run_cli("outbox", "status", cwd=tmp_path, env=settings)

    assert result.returncode == 1
    assert "billing-bot migrate" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_sandbox_files_mail_beside_its_database_and_removes_it_at_exit() -> None:
    with start_sandbox(load_settings(env_file=None), port=0) as sandbox:
        container = sandbox.container
        env = Env(clock=container.env.clock, ids=_Ids())
        team = sandbox.console.world.workspaces[0].team_id
        uow = container.uow_factory()
        with uow:
            practice = uow.practices.for_workspace(team)
        assert practice is not None
        uow = container.uow_factory()
        with uow:
            uow.outbox.add(
                OutboxMessage.email(
                    id=env.ids.new_id(),
                    practice_id=practice.id,
                    dedupe_key="receipt:pay-1",
                    message=an_email(),
                    now=env.clock.now(),
                )
            )
            uow.commit()
        container.jobs.kick()
        mail_dir = Path(container.settings.mail_dir)

        [filed] = wait_until(lambda: read_mail_folder(mail_dir), 20, what="the filed e-mail")

    assert filed.subject == SUBJECT
    assert not mail_dir.exists(), "the sandbox left its mail behind"
