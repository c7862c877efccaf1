"""The ``billing-bot`` command: serve, socket, demo, migrate, check-config, outbox, reconcile.

Exit codes: 0 success; 1 the command failed at run time (database unreachable, address in
use, ``check-config --strict`` found missing settings); 2 bad usage or a bad setting, reported
as one line per variable on stderr, never a traceback.
"""

from __future__ import annotations

from typing import Annotated, Any, NoReturn

import typer
from sqlalchemy.exc import SQLAlchemyError

from billing_bot.logs import configure_logging
from billing_bot.settings import Settings, SettingsError, config_report, load_settings

# Measured with the real ack path (README, Performance): each request is mostly Python work
# holding the GIL, and past 4 threads per worker they mostly queue for it, which costs CPU
# and lengthens the slowest answers (p99 86 ms with 4 threads, 154 ms with 16, on SQLite).
SERVE_THREADS = 4

app = typer.Typer(
    name="billing-bot",
    help="Billing Bot: billing for health and therapy practices, run from Slack.",
    no_args_is_help=True,
    add_completion=False,
    # A traceback with local variables could print a secret setting.
    pretty_exceptions_enable=False,
)


def _settings(*, migrations: bool = False, **overrides: Any) -> Settings:
    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:
        _fail(*exc.problems, status=2)
    configure_logging(settings.log_level, migrations=migrations)
    return settings


def _fail(*lines: str, status: int) -> NoReturn:
    for line in lines:
        typer.echo(f"billing-bot: {line}", err=True)
    raise typer.Exit(status)


def _first_line(exc: BaseException) -> str:
    # SQLAlchemy wraps the driver's error and appends a documentation link on later lines.
    original = getattr(exc, "orig", None) or exc
    return (str(original).strip().splitlines() or [type(original).__name__])[0]


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on [default: HOST or 127.0.0.1].")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Port to listen on [default: PORT or 8000]."),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 2,
    threads: Annotated[
        int, typer.Option(min=1, help="Threads per worker process (see README, Performance).")
    ] = SERVE_THREADS,
) -> None:
    """Serve Slack, Stripe and the web pages over HTTP until SIGTERM or Ctrl-C."""
    # Imported here so `--help`, `migrate` and `check-config` do not load Granian.
    from billing_bot.server import serve as run_server

    settings = _settings(host=host, port=port)
    run_server(settings, workers=workers, threads=threads)


@app.command()
def socket(
    host: Annotated[
        str | None, typer.Option(help="Address for the web routes [default: HOST].")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port for the web routes [default: PORT].")
    ] = None,
) -> None:
    """Development: Slack over Socket Mode (no public URL needed), web routes over HTTP."""
    settings = _settings(host=host, port=port)
    if settings.slack_app_token is None:
        _fail(
            "SLACK_APP_TOKEN: set the app-level token (xapp-...) from your Slack app's "
            "Basic Information page, with the connections:write scope",
            status=2,
        )
    from billing_bot.socket_mode import run_socket_mode

    try:
        run_socket_mode(settings)
    except ValueError as exc:
        _fail(str(exc), status=2)


@app.command()
def demo(
    port: Annotated[
        int | None,
        typer.Option(min=0, max=65535, help="Port [default: PORT or 8000]; 0 picks a free one."),
    ] = None,
    or_serve: Annotated[
        bool,
        typer.Option("--or-serve", help="With Slack credentials set, run `serve` instead."),
    ] = False,
) -> None:
    """Try the app without Slack: a local Slack stand-in and a console at /console.

    Runs only without Slack credentials; all state is in memory and a temporary database.
    """
    # Port 0 is for the sandbox alone (tests); settings only hold real ports.
    settings = _settings(port=port or None)
    # Imported here: production commands never load the sandbox.
    from sandbox.console.mode import run_sandbox, slack_credentials

    present = slack_credentials(settings)
    if present and or_serve:
        from billing_bot.server import serve as run_server

        run_server(settings, workers=2, threads=SERVE_THREADS)
        return
    if present:
        _fail(
            f"{', '.join(present)} set: the sandbox console runs only without Slack "
            "credentials; use `billing-bot serve`",
            status=2,
        )
    try:
        run_sandbox(settings, port=0 if port == 0 else settings.port)
    except OSError as exc:
        _fail(f"cannot start the sandbox on 127.0.0.1: {exc.strerror or exc}", status=1)


@app.command()
def migrate(
    sql: Annotated[
        bool, typer.Option("--sql", help="Print the SQL instead of running it.")
    ] = False,
) -> None:
    """Bring the database schema up to date; running it again changes nothing."""
    from storage.migrate import sql_script, upgrade

    settings = _settings(migrations=True)
    if sql:
        script = sql_script(settings.database_url)
        typer.echo(script if script.strip() else "-- no migrations to apply")
        return
    try:
        revision = upgrade(settings.database_url)
    except SQLAlchemyError as exc:
        _fail(f"cannot migrate {settings.redacted_database_url()}: {_first_line(exc)}", status=1)
    typer.echo(
        f"Database {settings.redacted_database_url()} is at revision "
        f"{revision or '(none: this version ships no migrations)'}."
    )


@app.command("check-config")
def check_config(
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit with status 1 if any area is incomplete.")
    ] = False,
) -> None:
    """Show which settings Slack, Stripe and e-mail still need (names only, never values).

    Exits 0 when every setting present is valid, even if an area is incomplete (the server
    starts and serves what is configured); 2 if a setting is invalid; with --strict, 1 if an
    area is incomplete.
    """
    settings = _settings()
    typer.echo(f"{'Database':<8}  {settings.redacted_database_url()}")
    typer.echo(
        f"{'Server':<8}  listens on {settings.host}:{settings.port}, "
        f"public URL {settings.public_base_url}"
    )
    reports = config_report(settings)
    for report in reports:
        state = "ok" if report.complete else "missing " + ", ".join(report.missing)
        notes = "".join(f"; {note}" for note in report.notes)
        typer.echo(f"{report.area:<8}  {state}{notes}")
    if strict and not all(report.complete for report in reports):
        raise typer.Exit(1)


outbox_app = typer.Typer(
    help="The outbox: e-mail and Slack updates waiting to be delivered.",
    no_args_is_help=True,
)
app.add_typer(outbox_app, name="outbox")

#: How many days back `reconcile` looks: a daily run sees each session three times, so a
#: payment missed while the job itself could not run (an outage) is still found.
RECONCILE_DAYS = 3

#: Failed messages `outbox status` lists.
FAILED_SHOWN = 20


def _by_kind(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(counts.items()))
    return f"{total}" + (f" ({kinds})" if kinds else "")


@outbox_app.command("status")
def outbox_status() -> None:
    """How many messages wait, failed or went out, per kind; the failed ones by id."""
    from billing_bot.bootstrap import build_container

    settings = _settings()
    container = build_container(settings)
    try:
        counts = container.outbox.counts()
        failed = container.outbox.failed(FAILED_SHOWN)
    except SQLAlchemyError as exc:
        _fail(_database_problem(settings, exc), status=1)
    finally:
        container.close()
    oldest = ""
    if counts.oldest_due is not None:
        oldest = f"; the oldest due since {counts.oldest_due:%Y-%m-%d %H:%M:%S} UTC"
    typer.echo(f"{'pending':<8}  {_by_kind(counts.pending)}{oldest}")
    typer.echo(f"{'failed':<8}  {_by_kind(counts.failed)}")
    typer.echo(f"{'sent':<8}  {_by_kind(counts.sent)}")
    for message in failed:
        typer.echo(
            f"failed {message.id} kind={message.kind} practice_id={message.practice_id} "
            f"attempts={message.attempts} error={message.last_error!r}"
        )
    if sum(counts.failed.values()) > len(failed):
        typer.echo(f"(the latest {len(failed)} failed messages are listed)")


@outbox_app.command("retry-failed")
def outbox_retry_failed() -> None:
    """Put every failed message back in line, due now with a fresh set of attempts.

    Run it once what made them fail is fixed (SMTP_URL, MAIL_FROM, the mail provider).
    """
    from billing_bot.bootstrap import build_container

    settings = _settings()
    container = build_container(settings)
    try:
        count = container.outbox.retry_failed(container.env.clock.now())
    except SQLAlchemyError as exc:
        _fail(_database_problem(settings, exc), status=1)
    finally:
        container.close()
    typer.echo(
        f"{count} failed message{'s' if count != 1 else ''} put back in line; "
        "a running server delivers them within seconds, or run `billing-bot outbox deliver`."
    )


@outbox_app.command("deliver")
def outbox_deliver() -> None:
    """Deliver every message due now, then exit.

    A running server does this by itself every few seconds; this is for when none runs.
    """
    from billing_bot.bootstrap import build_container

    settings = _settings()
    container = build_container(settings)
    try:
        attempted = 0
        while done := container.jobs.outbox.drain():
            attempted += done
        counts = container.outbox.counts()
    except SQLAlchemyError as exc:
        _fail(_database_problem(settings, exc), status=1)
    finally:
        container.close()
    typer.echo(
        f"{attempted} attempted; now pending {_by_kind(counts.pending)}, "
        f"failed {_by_kind(counts.failed)}"
    )


@app.command()
def reconcile(
    days: Annotated[
        int, typer.Option(min=1, max=30, help="How far back to look at Checkout Sessions.")
    ] = RECONCILE_DAYS,
) -> None:
    """Record card payments whose Stripe webhook never arrived (an outage, a lost delivery).

    Asks Stripe for each connected practice's recent Checkout Sessions and records every paid
    one the app has not, as the webhook would have: the invoice, its card, the billing
    channel, the receipt. Running it again records nothing twice. Exits 1 if Stripe could not
    be asked about some practice (what was recorded stays recorded; run it again later).
    """
    from billing_bot.bootstrap import build_container, stripe_gateway
    from domain.usecases.card_payments import reconcile_card_payments

    settings = _settings()
    gateway = stripe_gateway(settings)
    if gateway is None:
        _fail("STRIPE_SECRET_KEY: set the platform's Stripe secret key to reconcile", status=2)
    container = build_container(settings)
    try:
        results = reconcile_card_payments(
            container.uow_factory(), container.env, gateway, days=days
        )
    except SQLAlchemyError as exc:
        _fail(_database_problem(settings, exc, "the payments"), status=1)
    finally:
        container.close()
    for result in results:
        checked = (
            "Stripe could not be reached"
            if result.unavailable
            else (f"{result.checked} checked, {result.recorded} recorded")
        )
        typer.echo(f"practice {result.practice_id}: {checked}")
    recorded = sum(result.recorded for result in results)
    typer.echo(
        f"{len(results)} practice{'s' if len(results) != 1 else ''} with Stripe, "
        f"{recorded} missed payment{'s' if recorded != 1 else ''} recorded"
        + ("; a running server sends their cards and receipts within seconds." if recorded else ".")
    )
    if any(result.unavailable for result in results):
        _fail("Stripe could not be reached for every practice; run it again later", status=1)


def _database_problem(settings: Settings, exc: SQLAlchemyError, what: str = "the outbox") -> str:
    return (
        f"cannot read {what} in {settings.redacted_database_url()}: {_first_line(exc)} "
        "(is the database migrated? `billing-bot migrate`)"
    )


def main() -> None:
    """Console-script entry point (``billing-bot``)."""
    app(prog_name="billing-bot")
