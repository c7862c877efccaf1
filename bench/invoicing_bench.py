"""How invoicing in Slack scales: with a practice's history, and with an invoice's lines.

    .venv/bin/python bench/invoicing_bench.py [--requests 1000] [--submissions 300]
                                              [--concurrency 32] [--rounds 3]
                                              [--only ROW ...]
                                              [--postgres-url URL | --no-postgres]

For each database (SQLite files, then PostgreSQL databases this script creates and drops) it
seeds two practices, each in its own database as each would be deployed, both with 2,000
clients and invoicing 10 a day: a young one with 100 invoices and one with 10,000, a
hundred times the history. Each gets the real `billing-bot serve` (Granian, 2 workers x 4
threads) against the one Slack stand-in, and a workspace installed through the real OAuth
flow. Seeding never goes through Slack: clients through the domain's use case, invoices
made by the domain and stored by the repository, a few hundred to a transaction (see
`seed`).

Rows, each from fresh requests signed once (the app refuses replays) at a fixed concurrency:

- `/invoice` (the latest invoices and the outstanding, overdue and paid totals) and
  `/client <name>` (one client found: its record with appointments, invoices and balance)
  and `/client <part>` (a search finding many), on the small and on the large practice;
- the new-invoice modal's "Create" (`view_submission`) with 1 and with 50 lines, each a new
  modal built by the app's own builder (`bot.invoice_form.new_invoice_modal`), so each
  creates an issued invoice and posts its card;
- "Add line" (`block_actions` on that modal with the line form filled in), which the app
  answers by redrawing the modal with `views.update`: a round lasts until every update
  reached the stand-in;
- a bare Bolt app that only acks `/invoice`, under gunicorn, for scale.

Rounds alternate between the rows, so a slow spell of this shared machine lands on each,
and the growth ratios are the medians of the per-round ratios of one run: the small
practice's rate over the large one's (target <= 1.5x: indexed, paged reads whose cost does
not grow with the history), and 1 line's submission rate over 50 lines' (target <= 3x).
The CPU per request (server and PostgreSQL) is shown beside each, and its ratio, which this
machine's noise moves less than rates.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from datetime import time as day_time
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from bot import invoice_form
from bot.invoice_form import AS_ISSUED, first_draft, new_invoice_modal
from domain.ids import ClientId, InvoiceId, InvoiceLineId, PaymentId, PracticeId
from domain.invoices import Invoice, InvoiceLine, LineInput
from domain.money import Money
from domain.payments import EntryKind, LedgerEntry, PaymentMethod
from domain.ports import Env
from domain.usecases import invoicing, records, settings
from domain.usecases.invoice_screens import new_invoice_form
from gateways.system import RandomIds, SystemClock
from sandbox.slack import payloads, views
from sandbox.slack.blocks import find_element
from sandbox.slack.model import User, View
from sandbox.slack.standin import SlackStandIn
from sandbox.slack.view_state import action_payload
from storage.engine import create_engine_for, normalize_database_url
from storage.migrate import upgrade
from storage.unit_of_work import SqlAlchemyUnitOfWork, session_factory

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from loadgen import http_request
from slack_ack_bench import (
    BIN,
    CLIENT_ID,
    CLIENT_SECRET,
    DEFAULT_POSTGRES,
    SECRET,
    THREADS,
    TRIGGER_SECONDS,
    WORKERS,
    Requests,
    Round,
    Server,
    bare_under_gunicorn,
    free_port,
    line,
    process,
    run_round,
    signed,
)

HISTORY_TARGET, LINES_TARGET = 1.5, 3.0
PER_DAY = 10
"""Invoices the practices issue a day: the large one has the longer history, not more a day."""
RECENT_DAYS, OLD_UNPAID_EVERY = 30, 50
"""Half the last month's invoices are unpaid; of older ones, one in 50 (now overdue)."""
PAID_AFTER_DAYS = 7
CLIENTS = 2_000
BATCH = 500
SEARCHED = "client 00"
"""Finds clients 0001-0099: a page of matches, counted."""
ONE_CLIENT = "Client 0007"


@dataclass(frozen=True)
class Practice:
    label: str
    invoices: int

    clients: int = CLIENTS


SMALL = Practice("100 invoices", 100)


# -- seeding -------------------------------------------------------------------------------


class Batch:
    """One unit of work shared by many use cases: each one's `with` and `commit()` join the
    batch's transaction, committed once by whoever opened it. Only for seeding a benchmark."""

    def __init__(self, uow: SqlAlchemyUnitOfWork) -> None:
        self._uow = uow

    def __getattr__(self, name: str) -> Any:
        return getattr(self._uow, name)

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def commit(self) -> None:
        return None


@contextmanager
def batches(sessions: Any) -> Iterator[Callable[[], Batch]]:
    """Yields `next_batch()`: a Batch whose transaction commits every `BATCH` calls."""
    current: list[SqlAlchemyUnitOfWork] = []
    used = [0]

    def next_batch() -> Batch:
        if used[0] % BATCH == 0:
            if current:
                current[0].commit()
                current.pop().__exit__(None, None, None)
            current.append(SqlAlchemyUnitOfWork(sessions).__enter__())
        used[0] += 1
        return Batch(current[0])

    yield next_batch
    if current:
        current[0].commit()
        current.pop().__exit__(None, None, None)


def seed(database_url: str, team_id: str, admin_id: str, practice: Practice) -> PracticeId:
    """The practice's clients, and invoices issued `PER_DAY` a day up to today; paid a week
    after issue but for the recent unpaid and a few old overdue ones.

    Clients go through the domain's use case; invoices are made by the domain (`Invoice`,
    `issue`, `record`) and stored by the repository, `BATCH` to a transaction: the use cases
    would check each against the database and audit it, ten times the statements, which
    for 10,000 invoices took over a minute on SQLite."""
    engine = create_engine_for(database_url)
    sessions = session_factory(engine)
    env = Env(SystemClock(), RandomIds())
    with SqlAlchemyUnitOfWork(sessions) as reading:
        found = reading.practices.for_workspace(team_id)
    assert found is not None, "the install created no practice"
    rate = settings.add_tax_rate(
        settings.AddTaxRate(found.id, admin_id, "Sales tax", "8.875"),
        SqlAlchemyUnitOfWork(sessions),
        env,
    )
    now = env.clock.now()
    today = now.date()
    price = Money(Decimal("120.00"), found.currency)
    with batches(sessions) as uow:
        clients = [
            records.add_client(
                records.AddClient(
                    found.id,
                    admin_id,
                    records.ClientDetails(f"Client {index:04}", f"client{index:04}@example.com"),
                ),
                uow(),
                env,
            ).id
            for index in range(1, practice.clients + 1)
        ]
        for index in range(practice.invoices):
            age = (practice.invoices - 1 - index) // PER_DAY
            issued_on = today - timedelta(days=age)
            unpaid = index % 2 == 0 if age < RECENT_DAYS else index % OLD_UNPAID_EVERY == 0
            batch = uow()
            sequence = batch.invoices.next_sequence(found.id)
            invoice = Invoice(
                id=InvoiceId(env.ids.new_id()),
                practice_id=found.id,
                number=found.invoice_settings.format_number(sequence),
                sequence=sequence,
                client_id=clients[index % len(clients)],
                currency=found.currency,
                issue_date=issued_on,
                due_date=issued_on + timedelta(days=14),
                lines=tuple(
                    InvoiceLine(
                        InvoiceLineId(env.ids.new_id()),
                        issued_on,
                        f"Session {n}",
                        Decimal(1),
                        price,
                        *((rate.id, rate.name, rate.percent) if n else ()),
                    )
                    for n in range(3)
                ),
                created_at=now,
                created_by=admin_id,
            ).issue(now)
            if not unpaid:
                paid_on = min(today, issued_on + timedelta(days=PAID_AFTER_DAYS))
                invoice = invoice.record(
                    LedgerEntry(
                        PaymentId(env.ids.new_id()),
                        EntryKind.PAYMENT,
                        PaymentMethod.CASH,
                        invoice.total,
                        datetime.combine(paid_on, day_time(12), tzinfo=UTC),
                        admin_id,
                    ),
                    locale=found.locale,
                )
            batch.invoices.add(invoice)
    engine.dispose()
    return found.id


# -- the new-invoice modal -----------------------------------------------------------------


@dataclass(frozen=True)
class Modal:
    """The new-invoice modal as the app builds it, checked by the stand-in as views.open is."""

    definition: dict[str, Any]


def new_invoice_definition(database_url: str, practice_id: PracticeId, lines: int) -> Modal:
    """The app's new-invoice modal for client 0001 with `lines` lines, to be issued."""
    engine = create_engine_for(database_url)
    sessions = session_factory(engine)
    env = Env(SystemClock(), RandomIds())
    try:
        with SqlAlchemyUnitOfWork(sessions) as reading:
            (client,) = reading.clients.matching(practice_id, "client0001@", 1)
            (rate,) = reading.tax_rates.list(practice_id)
        form = new_invoice_form(
            practice_id, SqlAlchemyUnitOfWork(sessions), env, client_id=ClientId(client.id)
        )
        today = env.clock.now().date()
        price = Money(Decimal("95.00"), form.currency)
        added = tuple(
            LineInput(today, f"Session {n + 1}", Decimal(1), price, rate.id) for n in range(lines)
        )
        draft = replace(first_draft(form), lines=added, create_as=AS_ISSUED)
        preview = invoicing.preview_lines(
            practice_id, client.id, added, SqlAlchemyUnitOfWork(sessions), env
        )
        modal = new_invoice_modal(form, draft, preview).to_dict()
    finally:
        engine.dispose()
    return Modal(views.checked_definition(modal, "modal"))


class ModalRequests:
    """Signed requests from modals of one user, each modal new (its own view id and hash),
    as if the user had opened the form once per request. The modals of a batch are forgotten
    when the next batch is made (its round is over by then), as Slack forgets closed views:
    the stand-in looks views up one by one."""

    def __init__(self, slack: SlackStandIn, user: User) -> None:
        self.slack, self.user = slack, user
        self._open: list[str] = []

    def _new_views(self, modal: Modal, count: int) -> list[View]:
        state = self.slack.state
        with state.lock:
            for view_id in self._open:
                state.views.pop(view_id, None)
            # What views.open does, without closing the user's other modals: every request
            # of a round needs its own open modal.
            made = [
                views._new_view(state, self.user.team_id, self.user.id, "modal", modal.definition)
                for _ in range(count)
            ]
        self._open = [view.id for view in made]
        return made

    def submissions(self, modal: Modal, url: str, count: int) -> list[bytes]:
        """Presses "Create" on `count` new modals."""
        state, prepared = self.slack.state, []
        made = self._new_views(modal, count)
        with state.lock:
            for view in made:
                trigger = state.issue_trigger(view.team_id, self.user.id, view_id=view.id)
                payload = payloads.view_submission(state, self.user, view, trigger, [])
                prepared.append(_signed_payload(url, payload))
        return prepared

    def add_line(self, modal: Modal, url: str, count: int) -> list[bytes]:
        """Fills in the line form of `count` new modals and presses "Add line"."""
        state, prepared = self.slack.state, []
        made = self._new_views(modal, count)
        driver = self.slack.driver
        for view in made:
            driver.fill(
                view,
                {invoice_form.LINE_DESCRIPTION: "Follow-up", invoice_form.LINE_PRICE: "80.00"},
            )
        with state.lock:
            for view in made:
                block, element = find_element(view.blocks, invoice_form.ADD_LINE)
                trigger = state.issue_trigger(view.team_id, self.user.id, view_id=view.id)
                action = action_payload(block, element, None, f"{time.time():.6f}")
                payload = payloads.block_actions_in_view(state, self.user, view, trigger, action)
                prepared.append(_signed_payload(url, payload))
        return prepared


def _signed_payload(url: str, payload: dict[str, Any]) -> bytes:
    body, headers = signed(urlencode({"payload": json.dumps(payload)}).encode())
    return http_request(url, body, headers)  # type: ignore[arg-type]


# -- running -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Growth:
    """A ratio the issue sets a target for: `base`'s rate over `grown`'s."""

    what: str
    base: str
    grown: str
    target: float


def alternate(servers: Sequence[Server], args: argparse.Namespace) -> dict[str, list[Round]]:
    """Warm every row up, then run `args.rounds` rounds of each, alternating."""
    for server in servers:
        run_round(server, min(100, args.requests), args.concurrency)
    rounds: dict[str, list[Round]] = {server.label: [] for server in servers}
    for _ in range(max(1, args.rounds)):
        for server in servers:
            count = args.submissions if server.label.startswith("Create") else args.requests
            rounds[server.label].append(run_round(server, count, args.concurrency))
    return rounds


def _cpu(run: Round, postgres: bool) -> float:
    """The app's CPU per request: its server's, and PostgreSQL's when it runs on it (other
    databases on this machine's PostgreSQL would only add noise to a SQLite row)."""
    return run.spent.get("server", 0.0) + (run.spent.get("PostgreSQL", 0.0) if postgres else 0)


def report(rounds: dict[str, list[Round]], growths: Sequence[Growth], *, postgres: bool) -> None:
    for label, runs in rounds.items():
        median = sorted(runs, key=lambda run: run.result.rate)[len(runs) // 2]
        rates = [run.result.rate for run in runs]
        spread = f"   (rounds {min(rates):,.0f}-{max(rates):,.0f}/s)" if len(runs) > 1 else ""
        print(line(label, median.result) + spread + median.follow_up, flush=True)
        print(f"    {median.cpu}", flush=True)
    for growth in growths:
        base, grown = rounds[growth.base], rounds[growth.grown]
        rate = _median([a.result.rate / b.result.rate for a, b in zip(base, grown, strict=True)])
        p50 = _median(
            [
                b.result.percentile(0.5) / a.result.percentile(0.5)
                for a, b in zip(base, grown, strict=True)
            ]
        )
        cpu = _median(
            [_cpu(b, postgres) / _cpu(a, postgres) for a, b in zip(base, grown, strict=True)]
        )
        verdict = "met" if rate <= growth.target else "NOT met"
        print(
            f"  growth, {growth.what}: rate {rate:.2f}x, p50 {p50:.2f}x, CPU/request {cpu:.2f}x"
            f"   (target <= {growth.target}x: {verdict})",
            flush=True,
        )


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else float("nan")


def bench_database(label: str, urls: dict[Practice, str], args: argparse.Namespace) -> None:
    """`urls`: the small practice's database, then the large one's."""
    large = list(urls)[-1]
    ports = {practice: free_port() for practice in urls}
    app_urls = {practice: f"http://127.0.0.1:{port}" for practice, port in ports.items()}
    slack = SlackStandIn(
        signing_secret=SECRET,
        app_url=app_urls[large],
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_urls=[f"{url}/slack/oauth_redirect" for url in app_urls.values()],
        trigger_seconds=TRIGGER_SECONDS,
    ).start()
    bare_port = free_port()
    try:
        with ExitStack() as running:
            pids: dict[Practice, int] = {}
            users: dict[Practice, Any] = {}
            practice_ids: dict[Practice, PracticeId] = {}
            for practice, database_url in urls.items():
                upgrade(database_url)
                env = {
                    **os.environ,
                    "DATABASE_URL": database_url,
                    "SLACK_SIGNING_SECRET": SECRET,
                    "SLACK_CLIENT_ID": CLIENT_ID,
                    "SLACK_CLIENT_SECRET": CLIENT_SECRET,
                    "SLACK_API_URL": slack.api_url,
                    "PUBLIC_BASE_URL": app_urls[practice],
                    "LOG_LEVEL": "WARNING",
                }
                serve = [str(BIN / "billing-bot"), "serve", "--port", str(ports[practice])]
                serve += ["--workers", str(WORKERS), "--threads", str(THREADS)]
                pids[practice] = running.enter_context(
                    process(serve, env, f"{app_urls[practice]}/healthz")
                )
                workspace = slack.create_workspace(f"Practice with {practice.label}")
                admin = slack.create_user(workspace, "admin", is_admin=True)
                channel = slack.create_channel(workspace, "billing", members=[admin])
                walk = slack.install_via_oauth(
                    f"{app_urls[practice]}/slack/install", workspace, admin
                )
                assert walk.status == 200, walk
                started = time.monotonic()
                practice_ids[practice] = seed(database_url, workspace.id, admin.id, practice)
                print(
                    f"{label}: seeded the practice with {practice.label} and "
                    f"{practice.clients:,} clients in {time.monotonic() - started:.1f} s",
                    flush=True,
                )
                users[practice] = (admin, channel)
            bare_env = {**os.environ, "BENCH_SIGNING_SECRET": SECRET}
            bare_pid = running.enter_context(
                process(bare_under_gunicorn(bare_port), bare_env, f"http://127.0.0.1:{bare_port}/")
            )
            servers, growths = rows(label, slack, urls, app_urls, pids, users, practice_ids)
            bare_url = f"http://127.0.0.1:{bare_port}/slack/events"
            large_user = Requests(slack, *users[large])
            servers.append(
                Server(
                    "bare Bolt, /invoice (only acks)",
                    bare_url,
                    lambda count: large_user.slash_commands(bare_url, count),
                    bare_pid,
                )
            )
            servers, growths = chosen(servers, growths, args.only)
            print(f"{label}:", flush=True)
            report(alternate(servers, args), growths, postgres=label == "PostgreSQL")
    finally:
        slack.stop()


def rows(
    label: str,
    slack: SlackStandIn,
    urls: dict[Practice, str],
    app_urls: dict[Practice, str],
    pids: dict[Practice, int],
    users: dict[Practice, Any],
    practice_ids: dict[Practice, PracticeId],
) -> tuple[list[Server], list[Growth]]:
    """The rows of one database, and the growth ratios between them."""
    large = list(urls)[-1]
    commands = [
        ("/invoice", "/invoice", ""),
        ("/invoice list unpaid", "/invoice", "list unpaid"),
        ("/invoice list", "/invoice", "list"),
        (f"/client {ONE_CLIENT}", "/client", ONE_CLIENT),
        (f"/client {SEARCHED}", "/client", SEARCHED),
    ]
    servers: list[Server] = []
    growths: list[Growth] = []
    for shown, command, text in commands:
        for practice in (SMALL, large):
            requests = Requests(slack, *users[practice])
            url = f"{app_urls[practice]}/slack/events"

            def make(
                count: int, r: Requests = requests, u: str = url, c: str = command, t: str = text
            ) -> list[bytes]:
                return r.slash_commands(u, count, c, t)

            servers.append(
                Server(f"{shown}, {practice.label} ({label})", url, make, pids[practice])
            )
        growths.append(
            Growth(
                f"{shown} at {large.label} / {SMALL.label}",
                servers[-2].label,
                servers[-1].label,
                HISTORY_TARGET,
            )
        )
    modals = ModalRequests(slack, users[large][0])
    large_url = f"{app_urls[large]}/slack/events"
    for lines in (1, 50):
        modal = new_invoice_definition(urls[large], practice_ids[large], lines)

        def submit(count: int, m: Modal = modal) -> list[bytes]:
            return modals.submissions(m, large_url, count)

        servers.append(
            Server(
                f"Create, {lines} line{'s' * (lines > 1)} ({label})", large_url, submit, pids[large]
            )
        )
    growths.append(
        Growth("Create with 50 lines / 1 line", servers[-2].label, servers[-1].label, LINES_TARGET)
    )
    one_line = new_invoice_definition(urls[large], practice_ids[large], 1)
    servers.append(
        Server(
            f"Add line, views.update ({label})",
            large_url,
            lambda count: modals.add_line(one_line, large_url, count),
            pids[large],
            modals=slack,
            follow_up="views.update",
        )
    )
    return servers, growths


def chosen(
    servers: list[Server], growths: list[Growth], only: Sequence[str]
) -> tuple[list[Server], list[Growth]]:
    """The rows whose label starts with one of `only` (every row when empty), and the growth
    ratios between rows both kept."""
    if not only:
        return servers, growths
    kept = [server for server in servers if server.label.startswith(tuple(only))]
    labels = {server.label for server in kept}
    return kept, [g for g in growths if g.base in labels and g.grown in labels]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="per round of a read row")
    parser.add_argument("--submissions", type=int, default=300, help="per round of a Create row")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--large", type=int, default=10_000, help="invoices of the large practice")
    parser.add_argument(
        "--only",
        nargs="+",
        default=[],
        metavar="ROW",
        help="run only the rows whose label starts with one of these, e.g. '/invoice list'",
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds per row, alternating; medians shown"
    )
    args = parser.parse_args()
    print(
        f"{args.requests} requests per round of a read, {args.submissions} of a Create, "
        f"concurrency {args.concurrency}, {args.rounds} rounds; app: billing-bot serve "
        f"(Granian, {WORKERS} workers x {THREADS} threads)",
        flush=True,
    )
    large = Practice(f"{args.large:,} invoices", args.large)
    with tempfile.TemporaryDirectory() as scratch:
        sqlite = {p: f"sqlite:///{scratch}/{p.invoices}.sqlite3" for p in (SMALL, large)}
        bench_database("SQLite", sqlite, args)
    if args.no_postgres:
        return
    server = make_url(normalize_database_url(args.postgres_url))
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    names = {p: f"billing_bench_{secrets.token_hex(4)}" for p in (SMALL, large)}
    with admin.connect() as connection:
        for name in names.values():
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        bench_database(
            "PostgreSQL",
            {p: server.set(database=name).render_as_string(False) for p, name in names.items()},
            args,
        )
    finally:
        with admin.connect() as connection:
            for name in names.values():
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
