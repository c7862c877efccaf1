"""How fast the app acknowledges Slack, beside a bare Bolt app measured in the same run.

    .venv/bin/python bench/slack_ack_bench.py [--requests 3000] [--concurrency 32]
                                              [--postgres-url URL | --no-postgres]

For each database (a fresh SQLite file, a fresh PostgreSQL database) it starts the real
`billing-bot serve` (Granian, 2 workers x 4 threads) against the local Slack stand-in,
installs a workspace through the real OAuth flow, then sends signed `/invoice` slash
commands and `block_actions` (the Home tab's Settings button) at a fixed concurrency. Each
request is signed once and sent once (the app refuses replays). The real ack path includes
the replay guard's insert, authorization from the installation store, the practice and role
lookup, and (for /invoice) reading the latest invoices and totals. A Settings click also
opens the hub modal after its answer, and its round lasts until every modal opened.
Each row also gives the CPU one request cost, split between the server's processes,
PostgreSQL's and the Slack stand-in (this process): the machine's speed swings between runs
much more than that split does.

The baseline is a Bolt app that only acks, behind the same Flask adapter, under gunicorn
with 2 workers x 8 threads: the baseline the target names. The same bare app also runs
under the app's own server (Granian), so that the share the app itself costs is shown
apart from what the server choice gains. All run side by side and their rounds alternate,
so a slow spell of the machine lands on each; the verdict uses the median of the per-round
rate ratios against the gunicorn baseline.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

import httpx
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from domain.invoices import LineInput
from domain.money import Money
from domain.ports import Env
from domain.usecases import invoicing, payments, records, settings
from gateways.system import RandomIds, SystemClock
from sandbox.slack import payloads
from sandbox.slack.blocks import find_element
from sandbox.slack.signing import signature
from sandbox.slack.standin import SlackStandIn
from sandbox.slack.view_state import action_payload
from storage.engine import create_engine_for, normalize_database_url
from storage.migrate import upgrade
from storage.unit_of_work import SqlAlchemyUnitOfWork, session_factory

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cpu_meter import cpu_seconds, named, process_tree
from loadgen import Result, http_request, save

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
SECRET = secrets.token_hex(16)
CLIENT_ID, CLIENT_SECRET = "1111.2222", secrets.token_hex(8)
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
WORKERS, THREADS = 2, 4  # `billing-bot serve`'s defaults
# Bare Bolt under Granian is fastest with many threads (bench/server_choice_bench.py).
SAME_SERVER_THREADS = 16
# The baseline as the target defines it: bare Bolt under gunicorn, 2 workers x 8 threads.
BARE_WORKERS, BARE_THREADS = 2, 8
TARGET_P99_MS, TARGET_SHARE = 100.0, 0.5
PRACTICE = "Bench Practice"
# A practice a few months in: what /invoice reads is its latest invoices and its totals
# (outstanding and overdue over every unpaid invoice, paid this month).
CLIENTS, INVOICES, UNPAID_EVERY, OVERDUE_EVERY = 60, 240, 2, 6
# Every click is prepared (signed, with its trigger_id) before a round starts, so the last
# ones are sent seconds after their triggers were issued; Slack's 3 s would expire them
# whatever the app did. Each round is checked instead for how late its last modal opened.
TRIGGER_SECONDS = 600.0


def bare_under_gunicorn(port: int) -> list[str]:
    """The command serving the bare Bolt app as the target's baseline."""
    command = [str(BIN / "gunicorn"), "-w", str(BARE_WORKERS), "--threads", str(BARE_THREADS)]
    command += ["-k", "gthread", "-b", f"127.0.0.1:{port}", "--log-level", "warning"]
    return [*command, "bare_bolt_app:create()"]


def bare_under_granian(port: int) -> list[str]:
    """The command serving the bare Bolt app under the app's own server."""
    command = [str(BIN / "granian"), "--interface", "wsgi", "--workers", str(WORKERS)]
    command += ["--blocking-threads", str(SAME_SERVER_THREADS), "--port", str(port)]
    command += ["--log-level", "warning", "--no-ws", "--working-dir", str(HERE)]
    return [*command, "--factory", "bare_bolt_app:create"]


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} did not answer within {timeout}s")
        time.sleep(0.1)


@contextmanager
def process(command: list[str], env: dict[str, str], ready_url: str) -> Iterator[int]:
    """Run `command` until the block ends; yields its process id once `ready_url` answers."""
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(command, env=env, stdout=log, stderr=log, cwd=HERE)
        try:
            wait_for(ready_url)
            yield proc.pid
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def signed(body: bytes) -> bytes:
    stamp = str(int(time.time()))
    headers = {
        **FORM,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature(SECRET, stamp, body),
    }
    return body, headers  # type: ignore[return-value]


class Requests:
    """Builds unique, signed Slack requests of one workspace user, as the stand-in would."""

    def __init__(self, slack: SlackStandIn, user: object, channel: object) -> None:
        self.slack, self.user, self.channel = slack, user, channel

    def slash_commands(
        self, url: str, count: int, command: str = "/invoice", text: str = ""
    ) -> list[bytes]:
        state = self.slack.state
        prepared = []
        with state.lock:
            person = state.users[self.user.id]  # type: ignore[attr-defined]
            place = state.channels[self.channel.id]  # type: ignore[attr-defined]
            for _ in range(count):
                trigger = state.issue_trigger(person.team_id, person.id)
                issued = state.issue_response_url(person.team_id, place.id, person.id)
                form = payloads.slash_command(
                    state, person, place, command, text, trigger, issued.url
                )
                body, headers = signed(urlencode(form).encode())
                prepared.append(http_request(url, body, headers))
        return prepared

    def home_button(self, url: str, count: int) -> list[bytes]:
        slack, state = self.slack, self.slack.state
        home = slack.home_of(self.user)  # type: ignore[arg-type]
        assert home is not None, "the app did not publish the Home tab"
        prepared = []
        with state.lock:
            person = state.users[self.user.id]  # type: ignore[attr-defined]
            block, element = find_element(home.blocks, "hub_open")
            for _ in range(count):
                trigger = state.issue_trigger(home.team_id, person.id, view_id=home.id)
                action = action_payload(block, element, None, f"{time.time():.6f}")
                payload = payloads.block_actions_in_view(state, person, home, trigger, action)
                body = urlencode({"payload": json.dumps(payload)}).encode()
                body, headers = signed(body)
                prepared.append(http_request(url, body, headers))
        return prepared


def line(label: str, result: Result) -> str:
    ok = result.statuses.get(200, 0)
    return (
        f"{label:<46} {result.rate:>8,.0f} req/s   p50 {result.percentile(0.5) * 1000:6.1f} ms"
        f"   p99 {result.percentile(0.99) * 1000:6.1f} ms   200s {ok}/{len(result.latencies)}"
        + ("" if ok == len(result.latencies) else f"   statuses {result.statuses}")
    )


@dataclass(frozen=True)
class Server:
    """One server under load: where its requests go and how to build a batch of them.

    `modals`: each request also opens a modal after its answer. A round then lasts until
    every modal opened, so that answering fast while falling behind on the work cannot pass."""

    label: str
    url: str
    make: Callable[[int], list[bytes]]
    pid: int
    """The server's main process; its workers are found below it."""
    modals: SlackStandIn | None = None
    follow_up: str = "views.open"
    """The Web API method each request makes after its answer, when `modals` is set."""
    versus: str = ""
    """How the app's ratio to this server is labelled, when it is a reference."""
    database_pids: Callable[[], list[int]] | None = None
    """The PostgreSQL backends whose CPU the round counts (None: every postgres process, the
    machine's other databases included)."""


@dataclass(frozen=True)
class Round:
    result: Result
    cpu: str
    follow_up: str = ""
    spent: dict[str, float] = field(default_factory=dict)
    """CPU ms per request by who spent it (`CpuMeter.spent`)."""


def run_round(server: Server, count: int, concurrency: int) -> Round:
    requests = server.make(count)
    with stand_in_collector_paused():
        before = modal_calls(server.modals, server.follow_up)
        meter = CpuMeter(server.pid, server.database_pids)
        result = send(server.url, requests, concurrency)
        follow_up = (
            ""
            if server.modals is None
            else opened(server.modals, before, count, method=server.follow_up)
        )
        spent = meter.spent(count)
        return Round(result, CpuMeter.shown(spent), follow_up, spent)


class CpuMeter:
    """CPU spent from now on by the server (all its processes), PostgreSQL's backends and
    this process, where the Slack stand-in answers the modal calls."""

    def __init__(
        self, server_pid: int, database_pids: Callable[[], list[int]] | None = None
    ) -> None:
        self._server_pid = server_pid
        self._database_pids = database_pids or (lambda: named("postgres"))
        self._started = self._reading()

    def _reading(self) -> dict[str, float]:
        return {
            "server": cpu_seconds(process_tree(self._server_pid)),
            "PostgreSQL": cpu_seconds(self._database_pids()),
            "Slack stand-in": time.process_time(),
        }

    def spent(self, count: int) -> dict[str, float]:
        """CPU ms per request since the meter started, by who spent it."""
        # Processes that start mid-round (a new database backend) count from zero, as
        # they should; one that ends mid-round takes its share with it.
        ended = self._reading()
        return {who: (ended[who] - self._started[who]) * 1000 / count for who in ended}

    def per_request(self, count: int) -> str:
        return self.shown(self.spent(count))

    @staticmethod
    def shown(spent: dict[str, float]) -> str:
        shown = [f"{who} {ms:.2f}" for who, ms in spent.items() if ms >= 0.05]
        return "CPU ms per request: " + ", ".join(shown)


@contextmanager
def stand_in_collector_paused() -> Iterator[None]:
    """The stand-in plays Slack inside this process and keeps every call it answered, so a
    full garbage collection of its heap stops it for 150-300 ms mid-round. Its modal calls
    then stall, and the app's answers queue behind them; Slack's own pauses are not the
    app's latency. The collector therefore runs between rounds, not during them."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def compare(
    app: Server, bare: Server, references: Sequence[Server], args: argparse.Namespace
) -> None:
    """Warm all up, then alternate app and bare rounds, so that a slow spell of this shared
    machine lands on each; print each side's median round and the median of the per-round
    ratios. The verdict (p99 <= 100 ms, at least 50 % of the rate) is against `bare`, the
    baseline the target names; `references` show where the rest of the gap comes from."""
    servers = (app, bare, *references)
    for server in servers:
        run_round(server, min(200, args.requests), args.concurrency)  # connections, caches
    rounds: dict[str, list[Round]] = {server.label: [] for server in servers}
    for _ in range(max(1, args.rounds)):
        for server in servers:
            rounds[server.label].append(run_round(server, args.requests, args.concurrency))
    for server in servers:
        runs = rounds[server.label]
        median = sorted(runs, key=lambda run: run.result.rate)[len(runs) // 2]
        rates = [run.result.rate for run in runs]
        spread = f"   (rounds {min(rates):,.0f}-{max(rates):,.0f}/s)" if len(runs) > 1 else ""
        print(line(server.label, median.result) + spread + median.follow_up, flush=True)
        print(f"    {median.cpu}", flush=True)
    p99s = sorted(run.result.percentile(0.99) * 1000 for run in rounds[app.label])
    p99 = p99s[len(p99s) // 2]
    ratio = _median_ratio(rounds[app.label], rounds[bare.label])
    verdict = "met" if ratio[0] >= TARGET_SHARE and p99 <= TARGET_P99_MS else "not met"
    print(
        f"    app/bare {ratio[1]}, app p99 {p99:.0f} ms (rounds {p99s[0]:.0f}-{p99s[-1]:.0f}): "
        f"target {verdict}",
        flush=True,
    )
    for reference in references:
        ratio_to_reference = _median_ratio(rounds[app.label], rounds[reference.label])[1]
        print(f"    app/{reference.versus} {ratio_to_reference}", flush=True)


def _median_ratio(mine: list[Round], theirs: list[Round]) -> tuple[float, str]:
    ratios = sorted(a.result.rate / b.result.rate for a, b in zip(mine, theirs, strict=True))
    median = ratios[len(ratios) // 2]
    return median, f"{median:.0%} (rounds {ratios[0]:.0%}-{ratios[-1]:.0%})"


def modal_calls(slack: SlackStandIn | None, method: str = "views.open") -> int:
    return len(slack.calls(method)) if slack is not None else 0


def opened(
    slack: SlackStandIn, before: int, count: int, timeout: float = 60, method: str = "views.open"
) -> str:
    """Wait for the `count` modals asked for since `before` `method` calls (views.open, or
    views.update for a modal redrawn in place); say how late the last one was after the last
    answer and how many Slack refused."""
    answered = time.time()
    deadline = time.monotonic() + timeout
    while len(calls := slack.calls(method)[before:]) < count:
        if time.monotonic() > deadline:
            return f"\n    modals: only {len(calls)}/{count} opened within {timeout:.0f} s"
        time.sleep(0.05)
    refused = sum(1 for call in calls if not call.ok)
    lag = max(0.0, max(call.at for call in calls) - answered) * 1000
    ok = count - refused
    done = "opened" if method == "views.open" else f"done ({method})"
    return f"\n    modals {done} {ok}/{count}, the last {lag:,.0f} ms after the last answer"


def send(url: str, requests: list[bytes], concurrency: int) -> Result:
    with tempfile.NamedTemporaryFile(suffix=".requests") as prepared:
        save(prepared.name, requests)
        finished = subprocess.run(
            [
                sys.executable,
                str(HERE / "loadgen.py"),
                url,
                prepared.name,
                "--concurrency",
                str(concurrency),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    data = json.loads(finished.stdout)
    statuses = {int(code): count for code, count in data["statuses"].items()}
    return Result(data["seconds"], data["latencies"], statuses)


@dataclass(frozen=True)
class Listening:
    """A server process the benchmark started: its Slack Request URL and process id."""

    url: str
    pid: int


def bench_requests(
    label: str,
    requests: Requests,
    app: Listening,
    bare: Listening,
    same: Listening,
    modal: Listening,
    args: argparse.Namespace,
) -> None:
    """Both comparisons of one database: `/invoice`, then the Settings click. `bare` is the
    baseline under gunicorn, `same` the bare app under Granian, `modal` bare Bolt opening
    the Settings modal."""

    def server(name: str, where: Listening, make: Callable[[str, int], list[bytes]]) -> Server:
        return Server(name, where.url, partial(make, where.url), where.pid)

    def under_granian(make: Callable[[str, int], list[bytes]]) -> Server:
        return replace(
            server("  same, under Granian", same, make), versus="bare under the app's server"
        )

    compare(
        server(f"app, /invoice ({label})", app, requests.slash_commands),
        server("bare Bolt, /invoice (only acks)", bare, requests.slash_commands),
        [under_granian(requests.slash_commands)],
        args,
    )
    slack = requests.slack
    compare(
        replace(server(f"app, block_actions ({label})", app, requests.home_button), modals=slack),
        server("bare Bolt, block_actions (only acks)", bare, requests.home_button),
        [
            under_granian(requests.home_button),
            replace(
                server("  bare Bolt opening the same modal", modal, requests.home_button),
                modals=slack,
                versus="bare opening the same modal",
            ),
        ],
        args,
    )


def seed_invoices(database_url: str, team_id: str, admin_id: str) -> None:
    """Clients and issued invoices through the domain's use cases: every `UNPAID_EVERY`th
    invoice stays unpaid, every `OVERDUE_EVERY`th is past due, the rest are paid."""
    engine = create_engine_for(database_url)
    sessions = session_factory(engine)
    env = Env(SystemClock(), RandomIds())

    def uow() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(sessions)

    with uow() as reading:
        practice = reading.practices.for_workspace(team_id)
    assert practice is not None, "the install created no practice"
    rate = settings.add_tax_rate(
        settings.AddTaxRate(practice.id, admin_id, "Sales tax", "8.875"), uow(), env
    )
    clients = [
        records.add_client(
            records.AddClient(
                practice.id,
                admin_id,
                records.ClientDetails(f"Client {index}", f"client{index}@example.com"),
            ),
            uow(),
            env,
        )
        for index in range(CLIENTS)
    ]
    today = env.clock.now().date()
    price = Money(Decimal("120.00"), practice.currency)
    for index in range(INVOICES):
        issued_on = today - timedelta(days=INVOICES - index)
        overdue = index % OVERDUE_EVERY == 0
        lines = tuple(
            LineInput(issued_on, f"Session {line}", Decimal(1), price, rate.id if line else None)
            for line in range(3)
        )
        invoice = invoicing.create_invoice(
            invoicing.CreateInvoice(
                practice.id,
                admin_id,
                clients[index % CLIENTS].id,
                lines,
                issue_date=issued_on,
                due_date=issued_on + timedelta(days=14 if overdue else INVOICES + 30),
            ),
            uow(),
            env,
        )
        invoicing.issue_invoice(practice.id, invoice.id, admin_id, uow(), env)
        if index % UNPAID_EVERY and not overdue:
            payments.record_manual_payment(
                payments.RecordPayment(
                    practice.id, admin_id, invoice.id, invoice.total.amount, "cash"
                ),
                uow(),
                env,
            )
    engine.dispose()


def bench_database(label: str, database_url: str, args: argparse.Namespace) -> None:
    upgrade(database_url)
    app_port = free_port()
    app_url = f"http://127.0.0.1:{app_port}"
    slack = SlackStandIn(
        signing_secret=SECRET,
        app_url=app_url,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_urls=[f"{app_url}/slack/oauth_redirect"],
        trigger_seconds=TRIGGER_SECONDS,
    ).start()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_API_URL": slack.api_url,
        "PUBLIC_BASE_URL": app_url,
        "LOG_LEVEL": "WARNING",
    }
    serve = [str(BIN / "billing-bot"), "serve", "--port", str(app_port)]
    serve += ["--workers", str(WORKERS), "--threads", str(THREADS)]
    bare_port, granian_port, modal_port = free_port(), free_port(), free_port()
    bare_env = {**os.environ, "BENCH_SIGNING_SECRET": SECRET}
    # All run throughout; an idle one takes no CPU from the others' rounds.
    try:
        with (
            process(serve, env, f"{app_url}/healthz") as app_pid,
            process(
                bare_under_gunicorn(bare_port), bare_env, f"http://127.0.0.1:{bare_port}/"
            ) as bare_pid,
            process(
                bare_under_granian(granian_port), bare_env, f"http://127.0.0.1:{granian_port}/"
            ) as granian_pid,
        ):
            workspace = slack.create_workspace(PRACTICE)
            admin = slack.create_user(workspace, "admin", is_admin=True)
            channel = slack.create_channel(workspace, "billing", members=[admin])
            walk = slack.install_via_oauth(f"{app_url}/slack/install", workspace, admin)
            assert walk.status == 200, walk
            seed_invoices(database_url, workspace.id, admin.id)
            slack.driver.app_home_opened(admin)
            slack.wait_for_calls("views.publish")
            modal_env = {
                **bare_env,
                "BENCH_SLACK_API_URL": slack.api_url,
                "BENCH_BOT_TOKEN": slack.installation(workspace).bot_token,
                "BENCH_PRACTICE_NAME": PRACTICE,
            }
            modal_bare = bare_under_gunicorn(modal_port)
            with process(modal_bare, modal_env, f"http://127.0.0.1:{modal_port}/") as modal_pid:
                bench_requests(
                    label,
                    Requests(slack, admin, channel),
                    Listening(f"{app_url}/slack/events", app_pid),
                    Listening(f"http://127.0.0.1:{bare_port}/slack/events", bare_pid),
                    Listening(f"http://127.0.0.1:{granian_port}/slack/events", granian_pid),
                    Listening(f"http://127.0.0.1:{modal_port}/slack/events", modal_pid),
                    args,
                )
    finally:
        slack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds per server, alternating; medians shown"
    )
    args = parser.parse_args()
    print(
        f"{args.requests} requests per row, concurrency {args.concurrency}, "
        f"app: billing-bot serve (Granian, {WORKERS} workers x {THREADS} threads); "
        f"bare Bolt: gunicorn {BARE_WORKERS} x {BARE_THREADS} threads",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as scratch:
        bench_database("SQLite", f"sqlite:///{scratch}/bench.sqlite3", args)
    if args.no_postgres:
        return
    server = make_url(normalize_database_url(args.postgres_url))
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"billing_bench_{secrets.token_hex(4)}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        bench_database("PostgreSQL", server.set(database=name).render_as_string(False), args)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
