"""Stripe webhooks: signed ``checkout.session.completed`` events through the real server,
beside a bare endpoint that only verifies and stores the event id; and the client's pay page.

    .venv/bin/python bench/webhook_bench.py [--events 1000] [--rounds 3] [--concurrency 16]
        [--large 100000] [--small 100] [--duplicates 0.10] [--late 0.05]
        [--postgres-url URL | --no-postgres] [--no-sqlite]

For each database (SQLite files, then PostgreSQL databases this script creates and drops)
two practices, each in its own database and served by its own `billing-bot serve` (Granian,
2 workers x 4 threads), installed through Slack's OAuth at the Slack stand-in and connected
to Stripe (the stand-in) through the app's own setup use cases: one with `--small` invoices
of history, one with `--large`. The history is seeded in bulk SQL as a card-paying practice
leaves it: most invoices paid by card, each with its ledger entry, Checkout Session, Stripe
event, audit entries, pay link and delivered outbox rows; a few old ones unpaid. Both also
get the same number of fresh unpaid invoices, which the rounds pay.

Each round, on both practices, alternating:

- ``GET /pay/<token>`` on the round's fresh invoices (the client's pay page);
- the Pay button (``POST /pay/<token>``): a Checkout Session made at the Stripe stand-in
  through the official SDK, answered with a 303 to Stripe's page;
- the stand-in's customer pays every one of those sessions (not measured), and Stripe's
  ``checkout.session.completed`` events for them, as the stand-in made them, are signed
  with the endpoint's secret and sent to ``/stripe/webhook`` at `--concurrency`, a tenth of
  them twice (half of the copies right behind the first, so both are in flight at once)
  and one in twenty delivered late, after up to 50 newer ones;
- the floor: the same events of the large practice sent to a bare WSGI app under the same
  server with the same workers and threads (`bare_stripe_webhook_app.py`), which verifies
  each with `stripe.Webhook.construct_event` and inserts its id into a table of the same
  database.

Every row reports its rate, p50, p99 and the CPU one request cost: the server's processes,
the PostgreSQL backends of the benchmark's two databases (this shared machine's other
databases are left out) and, for Pay, the Stripe stand-in (this process). The verdicts:
the app's events/s against the floor's (median of the per-round ratios; target >= 30 % on
PostgreSQL) and the growth from `--small` to `--large` invoices (the small practice's rate
over the large one's; target <= 1.5x).

What is checked, and a FAILURE (exit status 1) rather than a figure when it does not hold:

- every distinct event is recorded as exactly one card payment (zero doubles, zero lost);
  an event answered other than 2xx is sent again afterwards, as Stripe retries, and counted;
- each payment left its effects in the same transaction: the invoice paid, an audit entry,
  and outbox rows for the receipt e-mail and the card update;
- the receipt and the card are delivered after the 2xx, never before it. During the load a
  trigger in the benchmark's own database schedules every new outbox row far in the future
  (as a retry would be), so the serving processes' delivery workers, which run as always,
  find nothing due: no e-mail reaches the SMTP server and no Slack call is made while the
  thousands of requests are answered. Afterwards some of those rows are made due again and the
  same serving processes deliver them (the receipts arrive over SMTP, the cards at Slack);
  and, the trigger gone, a few more payments are sent one at a time: when each 2xx arrives,
  neither its e-mail nor its Slack card has been delivered yet, and both arrive after.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, bindparam, create_engine, text
from sqlalchemy.engine import make_url

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from domain.ports import Env  # noqa: E402
from domain.usecases.settings import (  # noqa: E402
    ConfigureBillingDetails,
    configure_billing_details,
)
from domain.usecases.stripe_setup import (  # noqa: E402
    StartStripeSetup,
    refresh_stripe_status,
    start_stripe_setup,
)
from gateways.stripe_payments import StripeGateway  # noqa: E402
from gateways.system import RandomIds, SystemClock  # noqa: E402
from loadgen import http_request  # noqa: E402
from reminders_bench import (  # noqa: E402
    CLIENT_COLUMNS,
    INVOICE_COLUMNS,
    bulk_insert,
    postgres_url,
    sqlite_value,
)
from sandbox.slack.standin import SlackStandIn  # noqa: E402
from sandbox.stripe import StripeStandIn  # noqa: E402
from sandbox.stripe.signing import signature_header  # noqa: E402
from slack_ack_bench import (  # noqa: E402
    BIN,
    CLIENT_ID,
    CLIENT_SECRET,
    DEFAULT_POSTGRES,
    SECRET,
    THREADS,
    TRIGGER_SECONDS,
    WORKERS,
    Round,
    Server,
    free_port,
    process,
    run_round,
)
from smtp_sink import SmtpSink  # noqa: E402
from storage.engine import create_engine_for, normalize_database_url  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.unit_of_work import SqlAlchemyUnitOfWork, session_factory  # noqa: E402

SHARE_TARGET, GROWTH_TARGET = 0.30, 1.5
PRICE_MINOR = 12_000
INVOICES_PER_CLIENT = 10
HISTORY_YEARS = 3
UNPAID_HISTORY_EVERY = 20
"""One old invoice in 20 was never paid."""
WARM_UP = 50
"""Fresh invoices paid before the rounds, to warm every row up (connections, caches)."""
LIVE_CHECKS = 10
"""Payments sent one at a time at the end, each checked for nothing delivered before its 2xx."""
RELEASED = 20
"""Payments of the load whose held outbox rows are made due afterwards and delivered."""
LATE_BY = 50
"""A late event arrives after up to this many newer ones."""
HELD_UNTIL = datetime(2999, 1, 1, tzinfo=UTC)
DELIVERY_TIMEOUT = 120.0
STRIPE_ACTOR = "stripe"
FLOOR_TABLE = "bench_floor_events"
_DELIVERY_CALLS = ("chat.postMessage", "chat.update", "views.publish")


# -- seeding ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    practice_id: str
    tokens: list[str]
    """The fresh invoices' pay tokens, in the order the benchmark pays them."""


def _id(kind: str, n: int) -> str:
    """Row `n`'s 32-character id in a table (`kind`, one letter, tells the tables apart)."""
    return f"{kind}{n:031d}"


def seed(engine: Engine, practice_id: str, number_prefix: str, history: int, fresh: int) -> Seeded:
    """`history` invoices over the last three years (all but one in 20 paid by card, with
    everything such a payment leaves behind) and `fresh` open ones issued three days ago,
    each with its pay link, in bulk."""
    now = datetime.now(UTC)
    today = now.date()
    total = history + fresh
    clients = max(1, (total + INVOICES_PER_CLIENT - 1) // INVOICES_PER_CLIENT)
    span = HISTORY_YEARS * 365

    def client(n: int) -> str:
        return _id("c", n // INVOICES_PER_CLIENT)

    def issued(n: int) -> date:
        if n >= history:
            return today - timedelta(days=3)
        return today - timedelta(days=30 + (history - 1 - n) * span // max(history, 1))

    def paid(n: int) -> bool:
        return n < history and n % UNPAID_HISTORY_EVERY != 0

    def paid_at(n: int) -> datetime:
        return datetime.combine(issued(n) + timedelta(days=7), datetime.min.time(), tzinfo=UTC)

    bulk_insert(
        engine,
        "clients",
        CLIENT_COLUMNS,
        (
            (
                _id("c", n),
                practice_id,
                f"Client {n:06d}",
                f"client{n:06d}@bench.example",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                1,
                f"client {n:06d}",
                f"client{n:06d}@bench.example",
            )
            for n in range(clients)
        ),
    )
    bulk_insert(
        engine,
        "invoices",
        INVOICE_COLUMNS,
        (
            (
                _id("i", n),
                practice_id,
                f"{number_prefix}{n + 1:04d}",
                n + 1,
                client(n),
                "USD",
                issued(n),
                issued(n) + timedelta(days=14),
                "issued",
                "paid" if paid(n) else "open",
                PRICE_MINOR,
                PRICE_MINOR if paid(n) else 0,
                datetime.combine(issued(n), datetime.min.time(), tzinfo=UTC),
                "U0BENCH",
                datetime.combine(issued(n), datetime.min.time(), tzinfo=UTC),
                None,
                "",
                3 if paid(n) else 2,
            )
            for n in range(total)
        ),
    )
    bulk_insert(
        engine,
        "invoice_lines",
        (
            "id",
            "practice_id",
            "invoice_id",
            "position",
            "service_date",
            "description",
            "quantity_e3",
            "unit_price_minor",
            "tax_name",
            "tax_percent_e4",
        ),
        (
            (
                _id("l", n),
                practice_id,
                _id("i", n),
                0,
                issued(n),
                "Session",
                1000,
                PRICE_MINOR,
                "",
                0,
            )
            for n in range(total)
        ),
    )
    bulk_insert(
        engine,
        "pay_links",
        ("practice_id", "invoice_id", "token", "created_at", "times_sent"),
        ((practice_id, _id("i", n), _id("t", n), now, 1) for n in range(total)),
    )
    paid_ones = [n for n in range(history) if paid(n)]
    bulk_insert(
        engine,
        "ledger_entries",
        (
            "id",
            "practice_id",
            "invoice_id",
            "position",
            "kind",
            "method",
            "amount_minor",
            "currency",
            "received_at",
            "recorded_by",
            "reference",
            "stripe_payment_intent_id",
            "stripe_charge_id",
        ),
        (
            (
                _id("p", n),
                practice_id,
                _id("i", n),
                0,
                "payment",
                "card",
                PRICE_MINOR,
                "USD",
                paid_at(n),
                STRIPE_ACTOR,
                "Paid online through Stripe",
                f"pi_history_{n}",
                None,
            )
            for n in paid_ones
        ),
    )
    bulk_insert(
        engine,
        "checkout_sessions",
        (
            "id",
            "practice_id",
            "invoice_id",
            "url",
            "amount_minor",
            "currency",
            "expires_at",
            "created_at",
            "state",
        ),
        (
            (
                f"cs_history_{n}",
                practice_id,
                _id("i", n),
                f"https://checkout.stripe.com/c/pay/cs_history_{n}",
                PRICE_MINOR,
                "USD",
                paid_at(n) + timedelta(hours=23),
                paid_at(n),
                "complete",
            )
            for n in paid_ones
        ),
    )
    bulk_insert(
        engine,
        "stripe_events",
        ("event_id", "type", "received_at"),
        ((f"evt_history_{n}", "checkout.session.completed", paid_at(n)) for n in paid_ones),
    )

    # Ids in order, unlike the app's random ones: SQLite stores 100,000 invoices' worth of
    # rows in a third of the time.
    def outbox_rows() -> Iterator[tuple[Any, ...]]:
        for n in paid_ones:
            invoice, payment = _id("i", n), _id("p", n)
            for k, (kind, key, payload) in enumerate(
                (
                    ("client_email", f"mail:{payment}", {"template": "receipt"}),
                    ("slack_card", f"card:{invoice}:v3", {}),
                    ("home_refresh", f"home:{invoice}:v3", {}),
                    ("slack_post", f"post:{payment}", {"news": "card_payment"}),
                )
            ):
                at = paid_at(n)
                yield (
                    _id("o", 4 * n + k),
                    practice_id,
                    kind,
                    json.dumps({**payload, "invoice_id": invoice, "payment_id": payment}),
                    key,
                    at,
                    1,
                    at,
                    at,
                    "",
                )

    bulk_insert(
        engine,
        "outbox",
        (
            "id",
            "practice_id",
            "kind",
            "payload",
            "dedupe_key",
            "created_at",
            "attempts",
            "next_attempt_at",
            "sent_at",
            "last_error",
        ),
        outbox_rows(),
    )

    def audit_rows() -> Iterator[tuple[Any, ...]]:
        for n in range(total):
            invoice = _id("i", n)
            at = datetime.combine(issued(n), datetime.min.time(), tzinfo=UTC)
            yield (
                _id("a", 2 * n),
                practice_id,
                "U0BENCH",
                "invoice.issued",
                "invoice",
                invoice,
                at,
                "{}",
            )
            if paid(n):
                details = {"payment_id": _id("p", n), "method": "card"}
                yield (
                    _id("a", 2 * n + 1),
                    practice_id,
                    STRIPE_ACTOR,
                    "payment.recorded",
                    "invoice",
                    invoice,
                    paid_at(n),
                    json.dumps(details),
                )

    bulk_insert(
        engine,
        "audit_events",
        ("id", "practice_id", "actor", "action", "subject_type", "subject_id", "at", "details"),
        audit_rows(),
    )
    month = (
        "date_trunc('month', issue_date)::date"
        if engine.dialect.name == "postgresql"
        else "date(issue_date, 'start of month')"
    )
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO invoice_totals (practice_id, status, issue_month, currency,"
                " invoice_count, total_minor, balance_minor)"
                f" SELECT practice_id, status, {month}, currency, count(*), sum(total_minor),"
                " sum(total_minor - paid_minor) FROM invoices WHERE practice_id = :practice"
                f" GROUP BY practice_id, status, {month}, currency"
            ),
            {"practice": practice_id},
        )
        connection.execute(
            text(
                "INSERT INTO invoice_counters (practice_id, last_sequence) VALUES (:p, :n)"
                " ON CONFLICT (practice_id) DO UPDATE SET last_sequence = excluded.last_sequence"
            ),
            {"p": practice_id, "n": total},
        )
        # A practice this old has statistics; PostgreSQL's autovacuum would have made them.
        connection.exec_driver_sql("ANALYZE")
    return Seeded(practice_id, [_id("t", n) for n in range(history, total)])


# -- holding deliveries back during the load ----------------------------------------------


def hold_deliveries(engine: Engine) -> None:
    """From now on every new outbox row is scheduled far in the future, as a retry is: the
    delivery workers of the serving processes, which look for due rows as always, find none,
    so no delivery can happen while the load's requests are answered."""
    when = HELD_UNTIL if engine.dialect.name == "postgresql" else sqlite_value(HELD_UNTIL)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql(
                "CREATE FUNCTION bench_hold() RETURNS trigger LANGUAGE plpgsql AS $$"
                f" BEGIN NEW.next_attempt_at := '{when.isoformat()}'; RETURN NEW; END $$"
            )
            connection.exec_driver_sql(
                "CREATE TRIGGER bench_hold BEFORE INSERT ON outbox"
                " FOR EACH ROW EXECUTE FUNCTION bench_hold()"
            )
        else:
            connection.exec_driver_sql(
                "CREATE TRIGGER bench_hold AFTER INSERT ON outbox BEGIN"
                f" UPDATE outbox SET next_attempt_at = '{when}' WHERE id = NEW.id; END"
            )


def stop_holding(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "DROP TRIGGER bench_hold" + (" ON outbox" if _pg(engine) else "")
        )


def release(engine: Engine, invoice_ids: Sequence[str]) -> int:
    """Make the held outbox rows of these invoices due now; returns how many."""
    now = _when(engine, datetime.now(UTC))
    made_due = 0
    with engine.begin() as connection:
        for invoice_id in invoice_ids:
            made_due += connection.execute(
                text(
                    "UPDATE outbox SET next_attempt_at = :now WHERE sent_at IS NULL"
                    " AND next_attempt_at > :now AND (dedupe_key LIKE :card"
                    " OR dedupe_key LIKE :home OR CAST(payload AS TEXT) LIKE :payload)"
                ),
                {
                    "now": now,
                    "card": f"card:{invoice_id}:%",
                    "home": f"home:{invoice_id}:%",
                    "payload": f'%"{invoice_id}"%',
                },
            ).rowcount
    return made_due


def _pg(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def _when(engine: Engine, moment: datetime) -> Any:
    return moment if _pg(engine) else sqlite_value(moment)


# -- one practice, served ---------------------------------------------------------------------


@dataclass
class Site:
    """A practice in its own database, served by its own `billing-bot serve`."""

    label: str
    history: int
    database_url: str
    app_url: str
    pid: int
    engine: Engine
    practice_id: str
    tokens: list[str]
    used: int = 0
    held_since: datetime = HELD_UNTIL
    """When new outbox rows began to be held (`hold_deliveries`)."""
    sent: list[str] = field(default_factory=list)
    """Every distinct event id the app was sent."""
    non_2xx: int = 0

    def take(self, count: int) -> list[str]:
        tokens = self.tokens[self.used : self.used + count]
        if len(tokens) < count:
            raise SystemExit(f"{self.label}: only {len(tokens)} fresh invoices left")
        self.used += count
        return tokens


@dataclass(frozen=True)
class World:
    slack: SlackStandIn
    stripe: StripeStandIn
    mail: SmtpSink
    gateway: StripeGateway


def serve(
    world: World,
    label: str,
    history: int,
    database_url: str,
    port: int,
    fresh: int,
    running: ExitStack,
) -> Site:
    upgrade(database_url)
    app_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_API_URL": world.slack.api_url,
        "PUBLIC_BASE_URL": app_url,
        "STRIPE_SECRET_KEY": world.stripe.secret_key,
        "STRIPE_WEBHOOK_SECRET": world.stripe.webhook_secret,
        "STRIPE_API_BASE": world.stripe.base_url,
        "SMTP_URL": f"smtp://127.0.0.1:{world.mail.port}",
        "MAIL_FROM": "Billing <billing@bench.example>",
        "LOG_LEVEL": "WARNING",
    }
    command = [str(BIN / "billing-bot"), "serve", "--port", str(port)]
    command += ["--workers", str(WORKERS), "--threads", str(THREADS)]
    pid = running.enter_context(process(command, env, f"{app_url}/healthz"))
    slack = world.slack
    workspace = slack.create_workspace(f"Practice with {label}")
    admin = slack.create_user(workspace, "admin", is_admin=True)
    billing = slack.create_channel(workspace, "billing", members=[admin])
    walk = slack.install_via_oauth(f"{app_url}/slack/install", workspace, admin)
    assert walk.status == 200, walk
    slack.invite_bot(billing)
    engine = create_engine_for(database_url)
    sessions = session_factory(engine)
    env_ = Env(SystemClock(), RandomIds())

    def uow() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(sessions)

    with uow() as reading:
        practice = reading.practices.for_workspace(workspace.id)
    assert practice is not None, "the install made no practice"
    configure_billing_details(
        ConfigureBillingDetails(
            practice.id,
            admin.id,
            f"Clinic with {label}",
            "USD",
            "America/New_York",
            country="US",
            billing_channel_id=billing.id,
        ),
        uow(),
        env_,
    )
    start_stripe_setup(
        StartStripeSetup(practice.id, admin.id, f"{app_url}/refresh", f"{app_url}/return"),
        uow(),
        env_,
        world.gateway,
    )
    with uow() as reading:
        connection = reading.stripe_connections.get(practice.id)
    assert connection is not None
    world.stripe.driver.complete_onboarding(connection.account_id)
    connected = refresh_stripe_status(practice.id, uow(), env_, world.gateway)
    assert connected is not None and connected.takes_cards, connected
    started = time.monotonic()
    seeded = seed(engine, practice.id, practice.invoice_settings.number_prefix, history, fresh)
    print(
        f"  seeded the practice with {label} (+ {fresh:,} to pay) in "
        f"{time.monotonic() - started:.1f} s",
        flush=True,
    )
    return Site(label, history, database_url, app_url, pid, engine, practice.id, seeded.tokens)


# -- requests ---------------------------------------------------------------------------------


def page_requests(site: Site, tokens: Sequence[str], method: str) -> list[bytes]:
    return [http_request(f"{site.app_url}/pay/{token}", b"", {}, method) for token in tokens]


def pay_sessions(world: World, site: Site, tokens: Sequence[str]) -> list[dict[str, Any]]:
    """The customer pays the Checkout Session the Pay button made for each invoice; returns
    Stripe's ``checkout.session.completed`` events for them, as the stand-in made them."""
    with site.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT cs.id FROM checkout_sessions cs JOIN pay_links pl ON"
                " pl.practice_id = cs.practice_id AND pl.invoice_id = cs.invoice_id"
                " WHERE pl.token IN :tokens AND cs.state = 'open'"
            ).bindparams(bindparam("tokens", expanding=True)),
            {"tokens": list(tokens)},
        ).all()
    sessions = {row[0] for row in rows}
    if len(sessions) != len(tokens):
        raise SystemExit(f"{site.label}: {len(sessions)} sessions for {len(tokens)} Pay presses")
    before = len(world.stripe.state.events)
    for session in sessions:
        world.stripe.driver.pay(session)
    with world.stripe.state.lock:
        made = world.stripe.state.events[before:]
        events = [
            json.loads(json.dumps(event))
            for event in made
            if event["type"] == "checkout.session.completed"
            and event["data"]["object"]["id"] in sessions
        ]
    assert len(events) == len(sessions), (len(events), len(sessions))
    return events


def delivery_order(
    events: Sequence[dict[str, Any]], duplicates: float, late: float, rng: random.Random
) -> list[bytes]:
    """The events' bodies in the order Stripe delivers them here: a share sent twice (half
    of the copies right behind the first, the others later) and a share late."""
    placed: list[tuple[float, bytes]] = []
    count = len(events)
    doubled = set(rng.sample(range(count), round(count * duplicates)))
    delayed = set(rng.sample(range(count), round(count * late)))
    for index, event in enumerate(events):
        body = json.dumps(event).encode()
        at = index + (rng.uniform(1, LATE_BY) if index in delayed else 0)
        placed.append((at, body))
        if index in doubled:
            again = rng.uniform(0, 2) if rng.random() < 0.5 else rng.uniform(2, 4 * LATE_BY)
            placed.append((at + again, body))
    return [body for _, body in sorted(placed, key=lambda item: item[0])]


def signed_webhooks(url: str, bodies: Sequence[bytes], secret: str) -> list[bytes]:
    stamp = int(time.time())
    return [
        http_request(
            url,
            body,
            {
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": signature_header(secret, stamp, body),
            },
        )
        for body in bodies
    ]


# -- rounds -----------------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    kind: str  # page, pay, webhook or floor
    site: Site | None
    rounds: list[Round] = field(default_factory=list)


def measured(
    row: Row,
    url: str,
    requests: list[bytes],
    pid: int,
    args: argparse.Namespace,
) -> Round:
    server = Server(row.label, url, lambda _count: requests, pid, database_pids=args.backends)
    result = run_round(server, len(requests), args.concurrency)
    row.rounds.append(result)
    return result


def one_round(
    world: World,
    sites: Sequence[Site],
    floor: tuple[str, int],
    rows: dict[str, Row],
    events: int,
    args: argparse.Namespace,
    rng: random.Random,
    *,
    keep: bool = True,
) -> None:
    """GET and POST of the pay page, then the webhooks of what was paid, on every site;
    the floor gets the large practice's events."""
    chosen = {site.label: site.take(events) for site in sites}
    scratch = {label: Row(label, row.kind, row.site) for label, row in rows.items()}
    target = rows if keep else scratch
    for site in sites:
        row = target[f"GET /pay, {site.label}"]
        measured(
            row,
            site.app_url,
            page_requests(site, chosen[site.label], "GET"),
            site.pid,
            args,
        )
    for site in sites:
        row = target[f"Pay POST, {site.label}"]
        measured(
            row,
            site.app_url,
            page_requests(site, chosen[site.label], "POST"),
            site.pid,
            args,
        )
    bodies: dict[str, list[bytes]] = {}
    for site in sites:
        paid = pay_sessions(world, site, chosen[site.label])
        site.sent += [event["id"] for event in paid]
        bodies[site.label] = delivery_order(paid, args.duplicates, args.late, rng)
    secret = world.stripe.webhook_secret
    floor_url, floor_pid = floor
    requests = signed_webhooks(f"{floor_url}/", bodies[sites[-1].label], secret)
    measured(target["floor"], floor_url, requests, floor_pid, args)
    for site in sites:
        url = f"{site.app_url}/stripe/webhook"
        row = target[f"webhook, {site.label}"]
        result = measured(
            row, url, signed_webhooks(url, bodies[site.label], secret), site.pid, args
        )
        site.non_2xx += sum(n for status, n in result.result.statuses.items() if status >= 300)


# -- checks -----------------------------------------------------------------------------------


def resend_missing(world: World, site: Site) -> int:
    """Events the app has no record of (answered other than 2xx) sent again, one at a time,
    as Stripe retries them; returns how many."""
    with site.engine.connect() as connection:
        known = {row[0] for row in connection.execute(text("SELECT event_id FROM stripe_events"))}
    missing = [event_id for event_id in site.sent if event_id not in known]
    if not missing:
        return 0
    by_id = {
        event["id"]: event for event in world.stripe.driver.events("checkout.session.completed")
    }
    url = f"{site.app_url}/stripe/webhook"
    for event_id in missing:
        body = json.dumps(by_id[event_id]).encode()
        header = signature_header(world.stripe.webhook_secret, int(time.time()), body)
        for _ in range(5):
            answer = httpx.post(url, content=body, headers={"Stripe-Signature": header}, timeout=30)
            if answer.status_code < 300:
                break
    return len(missing)


@dataclass
class Checked:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def check_payments(site: Site, checked: Checked) -> None:
    """One card payment per distinct event, each with its effects; nothing delivered yet."""
    with site.engine.connect() as connection:
        intents = connection.execute(
            text(
                "SELECT stripe_payment_intent_id, count(*) FROM ledger_entries"
                " WHERE recorded_by = 'stripe' AND kind = 'payment'"
                " AND stripe_payment_intent_id NOT LIKE 'pi_history_%'"
                " GROUP BY stripe_payment_intent_id"
            )
        ).all()
        recorded = sum(count for _, count in intents)
        doubles = sum(count - 1 for _, count in intents if count > 1)
        events = connection.execute(
            text("SELECT count(*) FROM stripe_events WHERE event_id NOT LIKE 'evt_history_%'")
        ).scalar_one()
        effects = connection.execute(
            text(
                "SELECT"
                " (SELECT count(*) FROM invoices WHERE status = 'paid' AND sequence > :history),"
                " (SELECT count(*) FROM audit_events WHERE action = 'payment.recorded'"
                "   AND actor = 'stripe' AND at > :since),"
                " (SELECT count(*) FROM outbox WHERE kind = 'client_email'"
                "   AND CAST(payload AS TEXT) LIKE '%receipt%' AND created_at > :since),"
                " (SELECT count(*) FROM outbox WHERE kind = 'slack_card' AND created_at > :since),"
                " (SELECT count(*) FROM outbox WHERE created_at > :since AND"
                "   (sent_at IS NOT NULL OR next_attempt_at < :held))"
            ),
            {
                "history": site.history,
                "since": _when(site.engine, site.held_since),
                "held": _when(site.engine, HELD_UNTIL),
            },
        ).one()
    distinct = len(set(site.sent))
    lost = distinct - len(intents)
    paid, audited, receipts, cards, delivered_or_due = effects
    label = site.label
    if doubles:
        checked.problems.append(f"{label}: {doubles} payments recorded twice")
    if lost:
        checked.problems.append(f"{label}: {lost} of {distinct} payments lost")
    if events < distinct:
        checked.problems.append(f"{label}: {events} events remembered, {distinct} sent")
    for what, count in (
        ("invoices paid", paid),
        ("payment audits", audited),
        ("receipt e-mails in the outbox", receipts),
        ("card updates in the outbox", cards),
    ):
        if count != distinct:
            checked.problems.append(f"{label}: {count} {what}, {distinct} payments")
    if delivered_or_due:
        checked.problems.append(f"{label}: {delivered_or_due} outbox rows of the load not held")
    checked.notes.append(
        f"{label}: {distinct:,} distinct events ({site.non_2xx} answered non-2xx, sent again)"
        f" -> {recorded:,} payments recorded, {doubles} doubles, {lost} lost;"
        f" {paid:,} invoices paid, {audited:,} audited, {receipts:,} receipts and {cards:,}"
        " card updates in the outbox, none delivered or due"
    )


def delivery_counts(world: World) -> tuple[int, int]:
    calls = sum(len(world.slack.calls(method)) for method in _DELIVERY_CALLS)
    return len(world.mail.received), calls


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def outbox_idle(site: Site) -> bool:
    with site.engine.connect() as connection:
        return not connection.execute(
            text(
                "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"
                " AND next_attempt_at <= :now"
            ),
            {"now": _when(site.engine, datetime.now(UTC))},
        ).scalar_one()


def deliver_released(world: World, site: Site, count: int, checked: Checked) -> None:
    """Make the held rows of `count` payments of the load due; the serving processes deliver
    them: a receipt each over SMTP, their cards and news at Slack."""
    with site.engine.connect() as connection:
        invoices = [
            row[0]
            for row in connection.execute(
                text(
                    "SELECT invoice_id FROM ledger_entries WHERE recorded_by = 'stripe'"
                    " AND stripe_payment_intent_id NOT LIKE 'pi_history_%'"
                    " ORDER BY received_at DESC LIMIT :count"
                ),
                {"count": count},
            )
        ]
    mails, calls = delivery_counts(world)
    made_due = release(site.engine, invoices)
    done = wait_for(lambda: outbox_idle(site), DELIVERY_TIMEOUT)
    arrived = wait_for(lambda: len(world.mail.received) >= mails + len(invoices), 10)
    now_mails, now_calls = delivery_counts(world)
    new_mails, cards = now_mails - mails, now_calls - calls
    if not (done and arrived) or new_mails != len(invoices):
        checked.problems.append(
            f"{site.label}: released {made_due} held rows of {len(invoices)} payments;"
            f" {new_mails} receipts arrived"
        )
    checked.notes.append(
        f"{site.label}: after the load, {made_due} held outbox rows of {len(invoices)} payments"
        f" made due: {new_mails} receipts arrived over SMTP, {cards} Slack calls (cards, news,"
        " Home)"
    )


def live_order(world: World, site: Site, count: int, checked: Checked) -> None:
    """Payments sent one at a time with nothing held: at each 2xx, its receipt and card have
    not been delivered; both arrive after it."""
    stop_holding(site.engine)
    after = 0
    for token in site.take(count):
        pressed = httpx.post(f"{site.app_url}/pay/{token}", timeout=30)
        assert pressed.status_code in (200, 303), pressed.status_code
        (event,) = pay_sessions(world, site, [token])
        site.sent.append(event["id"])
        wait_for(lambda: outbox_idle(site), DELIVERY_TIMEOUT)
        mails, calls = delivery_counts(world)
        body = json.dumps(event).encode()
        header = signature_header(world.stripe.webhook_secret, int(time.time()), body)
        answer = httpx.post(
            f"{site.app_url}/stripe/webhook",
            content=body,
            headers={"Stripe-Signature": header, "Content-Type": "application/json"},
            timeout=30,
        )
        at_answer = delivery_counts(world)
        if answer.status_code != 200:
            checked.problems.append(f"{site.label}: a live event was answered {answer.status_code}")
            continue
        nothing_yet = at_answer == (mails, calls)
        delivered = wait_for(
            lambda m=mails, c=calls: (
                delivery_counts(world)[0] > m and delivery_counts(world)[1] > c
            ),
            DELIVERY_TIMEOUT,
        )
        if nothing_yet and delivered:
            after += 1
        else:
            checked.problems.append(
                f"{site.label}: at a 2xx {at_answer[0] - mails} e-mails and"
                f" {at_answer[1] - calls} Slack calls were already made; delivered: {delivered}"
            )
    checked.notes.append(
        f"{site.label}: {after}/{count} payments sent one at a time with nothing held: at"
        " the 2xx no e-mail and no Slack call yet, the receipt and the card after it"
    )


# -- report -----------------------------------------------------------------------------------


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _cpu(run: Round, postgres: bool) -> float:
    return run.spent.get("server", 0.0) + (run.spent.get("PostgreSQL", 0.0) if postgres else 0)


def report(label: str, rows: dict[str, Row], sites: Sequence[Site], postgres: bool) -> bool:
    """Prints the table and the verdicts; True if the targets are met."""
    print(
        f"\n{label}: the median round of each row; CPU ms per request of the server's"
        " processes"
        + (", of our databases' PostgreSQL backends" if postgres else "")
        + " and, for Pay, of the Stripe stand-in"
    )
    print(
        f"  {'row':<36} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'server':>7}"
        f" {'PG':>6} {'Stripe':>6}  {'rounds req/s':<13} answers"
    )
    for row in rows.values():
        runs = row.rounds
        median = sorted(runs, key=lambda run: run.result.rate)[len(runs) // 2]
        result = median.result
        rates = [run.result.rate for run in runs]
        statuses: dict[int, int] = {}
        for run in runs:
            for status, n in run.result.statuses.items():
                statuses[status] = statuses.get(status, 0) + n
        spent = median.spent
        database = f"{spent.get('PostgreSQL', 0):6.2f}" if postgres else f"{'':6}"
        stand_in = f"{spent.get('Slack stand-in', 0):6.2f}" if row.kind == "pay" else f"{'':6}"
        answers = ", ".join(f"{n:,} x {status}" for status, n in sorted(statuses.items()))
        print(
            f"  {row.label:<36} {result.rate:>7,.0f} {result.percentile(0.5) * 1000:>7.1f}"
            f" {result.percentile(0.99) * 1000:>7.1f} {spent.get('server', 0):7.2f}"
            f" {database} {stand_in}  {f'{min(rates):,.0f}-{max(rates):,.0f}':<13} {answers}"
        )
    met = True
    floor = rows["floor"].rounds
    for site in sites:
        app = rows[f"webhook, {site.label}"].rounds
        ratios = [a.result.rate / f.result.rate for a, f in zip(app, floor, strict=True)]
        share = _median(ratios)
        judged = postgres
        verdict = (
            ("met" if share >= SHARE_TARGET else "NOT met") if judged else "PostgreSQL's target"
        )
        met &= share >= SHARE_TARGET or not judged
        print(
            f"  app/floor, {site.label}: {share:.0%} of the floor's events/s "
            f"(rounds {min(ratios):.0%}-{max(ratios):.0%}; target >= {SHARE_TARGET:.0%}: {verdict})"
        )
    small, large = sites
    for kind in ("webhook", "GET /pay", "Pay POST"):
        base = rows[f"{kind}, {small.label}"].rounds
        grown = rows[f"{kind}, {large.label}"].rounds
        rate = _median([a.result.rate / b.result.rate for a, b in zip(base, grown, strict=True)])
        cpu = _median(
            [_cpu(b, postgres) / _cpu(a, postgres) for a, b in zip(base, grown, strict=True)]
        )
        verdict = ""
        if kind == "webhook":
            verdict = (
                f"   (target <= {GROWTH_TARGET}x: {'met' if rate <= GROWTH_TARGET else 'NOT met'})"
            )
            met &= rate <= GROWTH_TARGET
        print(
            f"  growth, {kind} at {large.label} / {small.label}: cost {rate:.2f}x by rate,"
            f" {cpu:.2f}x by CPU per request{verdict}"
        )
    return met


# -- main -------------------------------------------------------------------------------------


def bench_database(label: str, urls: tuple[str, str], args: argparse.Namespace) -> bool:
    """Returns False if a check failed (a double or lost payment, a delivery before a 2xx)."""
    rng = random.Random(16)
    sizes = ((f"{args.small:,} invoices", args.small), (f"{args.large:,} invoices", args.large))
    fresh = WARM_UP + args.rounds * args.events + LIVE_CHECKS
    ports = [free_port() for _ in sizes]
    slack = SlackStandIn(
        signing_secret=SECRET,
        app_url=f"http://127.0.0.1:{ports[-1]}",
        redirect_urls=[f"http://127.0.0.1:{port}/slack/oauth_redirect" for port in ports],
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        trigger_seconds=TRIGGER_SECONDS,
    ).start()
    stripe = StripeStandIn().start()
    mail = SmtpSink().start()
    gateway = StripeGateway(
        stripe.secret_key, api_base=stripe.base_url, webhook_secret=stripe.webhook_secret
    )
    world = World(slack, stripe, mail, gateway)
    print(f"{label}:", flush=True)
    try:
        with ExitStack() as running:
            sites = [
                serve(world, name, history, url, port, fresh, running)
                for (name, history), url, port in zip(sizes, urls, ports, strict=True)
            ]
            large = sites[-1]
            with large.engine.begin() as connection:
                connection.exec_driver_sql(
                    f"CREATE TABLE {FLOOR_TABLE} (event_id VARCHAR(255) PRIMARY KEY)"
                )
            floor_port = free_port()
            floor_url = f"http://127.0.0.1:{floor_port}"
            floor_command = [str(BIN / "granian"), "--interface", "wsgi"]
            floor_command += ["--workers", str(WORKERS), "--blocking-threads", str(THREADS)]
            floor_command += ["--port", str(floor_port), "--log-level", "warning", "--no-ws"]
            floor_command += ["--working-dir", str(HERE)]
            floor_command += ["--factory", "bare_stripe_webhook_app:create"]
            floor_env = {
                **os.environ,
                "BENCH_DATABASE_URL": large.database_url,
                "BENCH_WEBHOOK_SECRET": stripe.webhook_secret,
            }
            floor_pid = running.enter_context(process(floor_command, floor_env, f"{floor_url}/"))
            for site in sites:
                wait_for(lambda s=site: outbox_idle(s), DELIVERY_TIMEOUT)
                site.held_since = datetime.now(UTC)
                hold_deliveries(site.engine)
            quiet = delivery_counts(world)
            rows: dict[str, Row] = {}
            for kind, name, shown in (
                ("page", "GET /pay", "GET /pay"),
                ("pay", "Pay POST", "Pay POST"),
                ("webhook", "webhook", "webhook app"),
            ):
                for site in sites:
                    rows[f"{name}, {site.label}"] = Row(f"{shown}, {site.label}", kind, site)
            rows["floor"] = Row(f"webhook floor, {large.label}' db", "floor", None)
            one_round(world, sites, (floor_url, floor_pid), rows, WARM_UP, args, rng, keep=False)
            for number in range(args.rounds):
                started = time.monotonic()
                one_round(world, sites, (floor_url, floor_pid), rows, args.events, args, rng)
                print(
                    f"  round {number + 1}/{args.rounds} in {time.monotonic() - started:.0f} s",
                    flush=True,
                )
            checked = Checked()
            for site in sites:
                resent = resend_missing(world, site)
                if resent:
                    checked.notes.append(f"{site.label}: {resent} events sent again (non-2xx)")
            during = delivery_counts(world)
            for site in sites:
                check_payments(site, checked)
            if during != quiet:
                checked.problems.append(
                    f"{during[0] - quiet[0]} e-mails and {during[1] - quiet[1]} Slack calls"
                    " were made while deliveries were held"
                )
            else:
                checked.notes.append(
                    "while the load ran: 0 e-mails reached the SMTP server, 0 Slack calls"
                )
            met = report(label, rows, sites, postgres=label == "PostgreSQL")
            for site in sites:
                deliver_released(world, site, RELEASED, checked)
                live_order(world, site, LIVE_CHECKS, checked)
                check_no_doubles_after(site, checked)
            print(f"  checks ({label}):")
            for note in checked.notes:
                print(f"    {note}")
            for problem in checked.problems:
                print(f"    FAILURE: {problem}")
            if not met:
                print(f"  {label}: a target is not met (a figure, not a failure)")
            return not checked.problems
    finally:
        slack.stop()
        stripe.stop()
        mail.stop()


def check_no_doubles_after(site: Site, checked: Checked) -> None:
    with site.engine.connect() as connection:
        recorded, distinct = connection.execute(
            text(
                "SELECT count(*), count(DISTINCT stripe_payment_intent_id) FROM ledger_entries"
                " WHERE recorded_by = 'stripe' AND stripe_payment_intent_id NOT LIKE 'pi_history_%'"
            )
        ).one()
    sent = len(set(site.sent))
    if recorded != distinct or distinct != sent:
        checked.problems.append(
            f"{site.label}: in the end {recorded} payments for {distinct} intents, {sent} sent"
        )


def backends_of(server_url: str, urls: Sequence[str]) -> Callable[[], list[int]]:
    """The process ids of the PostgreSQL backends connected to these databases: this shared
    machine's other databases are busy with other work, which is not the app's CPU."""
    admin = create_engine(normalize_database_url(server_url), isolation_level="AUTOCOMMIT")
    names = [make_url(url).database for url in urls]

    def pids() -> list[int]:
        with admin.connect() as connection:
            return list(
                connection.execute(
                    text("SELECT pid FROM pg_stat_activity WHERE datname IN :names").bindparams(
                        bindparam("names", expanding=True)
                    ),
                    {"names": names},
                ).scalars()
            )

    return pids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000, help="distinct events a round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--small", type=int, default=100, help="invoices of the young practice")
    parser.add_argument("--large", type=int, default=100_000, help="invoices of the old one")
    parser.add_argument("--duplicates", type=float, default=0.10)
    parser.add_argument("--late", type=float, default=0.05)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    print(
        f"{args.events:,} distinct events a round (+{args.duplicates:.0%} sent twice,"
        f" {args.late:.0%} late), concurrency {args.concurrency}, {args.rounds} rounds;"
        f" app: billing-bot serve (Granian, {WORKERS} workers x {THREADS} threads)",
        flush=True,
    )
    ok = True
    args.backends = None
    with tempfile.TemporaryDirectory() as scratch:
        if not args.no_sqlite:
            urls = tuple(f"sqlite:///{scratch}/{n}.sqlite3" for n in (args.small, args.large))
            ok &= bench_database("SQLite", urls, args)  # type: ignore[arg-type]
        if not args.no_postgres:
            with postgres_url(args.postgres_url) as small, postgres_url(args.postgres_url) as large:
                if small is not None and large is not None:
                    args.backends = backends_of(args.postgres_url, (small, large))
                    ok &= bench_database("PostgreSQL", (small, large), args)
    if not ok:
        print("FAILURE: see the checks above", flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
