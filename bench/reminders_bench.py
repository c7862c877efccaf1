"""Reminders: the claim of a 1,000-row batch of due reminders among many invoices, beside the
same work done by hand in bare SQL, its growth with the number of invoices, and reminders per
second end to end through the outbox to a real SMTP server with one and two serving processes.

    .venv/bin/python bench/reminders_bench.py [--invoices 100000] [--small 10000]
        [--due 30000] [--batch 1000] [--rounds 5] [--e2e 500]
        [--postgres-url URL | --no-postgres] [--no-sqlite] [--layout created|spread]

The README's figures come from `--invoices 1000000`. Each database is fresh (a SQLite file,
a PostgreSQL database the script creates and drops) and seeded in bulk SQL: `--invoices`
invoices over 100 practices (ten per client), one reminder each: `--due` of them scheduled and
due now (the schedule's first step, three days before the invoice's due date, so that each
one decided plans the invoice's next), a tenth of the rest scheduled later, the others sent
long ago (history the claim's partial index leaves out). Every invoice has its pay link, so a
batch makes none.

Rows per batch, median of `--rounds` alternating rounds, each in a transaction rolled back at
the end so every round claims the same 1,000 reminders, in wall-clock time and in this
process's CPU time (on SQLite that is all of the work, and a busy machine's other processes
do not count in it; on PostgreSQL the server's share is missing):

- *bare claim*: the claim's statement typed by hand and run on the driver's cursor: due
  reminders, each with its invoice's due date (read from the invoice only for a row stored
  without one), oldest first, LIMIT 1,000 (``FOR NO KEY UPDATE SKIP LOCKED`` on
  PostgreSQL), then the compare-and-set UPDATE marking them sent (on SQLite by rowid, read
  with them). The claim reads no invoice, client, pay link or pause: those are read when
  each e-mail is written;
- *app claim*: the same through the repository (`claim_due`, `settle`): SQLAlchemy, the rows
  turned into domain objects;
- *bare batch*: the bare claim plus what the batch writes, by hand: 1,000 outbox rows and
  1,000 next reminders, each one multi-row INSERT;
- *app batch*: the use case `send_due_reminders` (claim, the domain's decisions and next
  reminder, outbox and reminder inserts), timed until it commits; it must have planned a
  next reminder for each of the 1,000, or the round fails.

End to end (`--e2e` due reminders, 0 to skip): `billing-bot serve` processes (one, then two)
sweep a fresh database and deliver to aiosmtpd; the rate runs from the first e-mail to the
last, so start-up is left out. The count check (every due reminder sent once, no doubles)
is printed as a FAILURE, never as a figure.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from domain.ports import Env
from domain.reminders import (
    PracticePlan,
    ReminderState,
    SettledReminder,
    digest_fingerprint,
    plan_fingerprint,
)
from domain.usecases.reminders import send_due_reminders
from domain.usecases.settings import (
    ConfigureReminders,
    CreatePractice,
    configure_reminders,
    create_practice,
)
from smtp_sink import SmtpSink
from storage.engine import create_engine_for, normalize_database_url
from storage.migrate import upgrade
from storage.unit_of_work import SqlAlchemyUnitOfWork, session_factory

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PRACTICES = 100
INVOICES_PER_CLIENT = 10
ACTOR = "system"


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class Ids:
    def new_id(self) -> str:
        return uuid.uuid4().hex


class RolledBack(SqlAlchemyUnitOfWork):
    """A unit of work whose commit rolls back: every round claims the same reminders."""

    def commit(self) -> None:
        self.rollback()


# -- seeding ----------------------------------------------------------------------------------


#: The columns the benchmarks' bulk seeding writes (reminders_bench, webhook_bench), in the
#: order of their rows.
CLIENT_COLUMNS = (
    "id",
    "practice_id",
    "name",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
    "notes",
    "version",
    "name_key",
    "email_key",
)
INVOICE_COLUMNS = (
    "id",
    "practice_id",
    "number",
    "sequence",
    "client_id",
    "currency",
    "issue_date",
    "due_date",
    "state",
    "status",
    "total_minor",
    "paid_minor",
    "created_at",
    "created_by",
    "issued_at",
    "voided_at",
    "void_reason",
    "version",
)


def bulk_insert(
    engine: Engine, table: str, columns: tuple[str, ...], rows: Iterator[tuple]
) -> None:
    """Bulk rows: COPY on PostgreSQL, executemany in chunks on SQLite."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            # The engine's SQLite connections run without pysqlite's implicit transactions, so
            # without a BEGIN each row would be a transaction of its own.
            cursor.execute("BEGIN")
            marks = ", ".join("?" for _ in columns)
            statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            chunk: list[tuple] = []
            for row in rows:
                chunk.append(tuple(sqlite_value(value) for value in row))
                if len(chunk) >= 20_000:
                    cursor.executemany(statement, chunk)
                    chunk.clear()
            if chunk:
                cursor.executemany(statement, chunk)
        raw.commit()
    finally:
        raw.close()


def sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def seed(
    url: str, invoices: int, due: int, *, lines: bool = False, layout: str = "created"
) -> list[str]:
    """Practices through the domain (reminders on, planned), then clients, invoices, pay
    links and reminders in bulk. Returns the practice ids.

    `layout` "created" stores the reminders as the app would have: random ids, in the order
    they were planned, a practice's due ones sharing its send moment. "spread" is this
    benchmark's earlier data: ids in invoice order, every due reminder a second from the
    next, stored in invoice order, so that a batch's 1,000 lie one in thirty among the due
    ones, each on a page of its own."""
    engine = create_engine_for(url)
    upgrade(engine)
    sessions = session_factory(engine)
    env = Env(WallClock(), Ids())
    now = env.clock.now()
    practice_ids = []
    practices = min(PRACTICES, max(1, invoices // 100))
    for number in range(practices):
        practice = create_practice(
            CreatePractice(f"TBENCH{number:04d}{secrets.token_hex(2)}", f"Clinic {number}", ACTOR),
            SqlAlchemyUnitOfWork(sessions),
            env,
        )
        practice = configure_reminders(
            ConfigureReminders(practice.id, ACTOR, True, "-3, 0, 7", "09:00", quiet_days=()),
            SqlAlchemyUnitOfWork(sessions),
            env,
        )
        with SqlAlchemyUnitOfWork(sessions) as uow:
            fingerprint = f"{plan_fingerprint(practice)}#{digest_fingerprint(practice)}"
            uow.reminders.save_plan(practice.id, PracticePlan(practice.version, fingerprint, None))
            uow.commit()
        practice_ids.append(practice.id)
    today = now.date()
    per_practice = invoices // practices

    def owner(index: int) -> str:
        return practice_ids[min(index // per_practice, practices - 1)]

    clients = (invoices + INVOICES_PER_CLIENT - 1) // INVOICES_PER_CLIENT
    bulk_insert(
        engine,
        "clients",
        CLIENT_COLUMNS,
        (
            (
                f"c{n:031d}",
                owner(n * INVOICES_PER_CLIENT),
                f"Client {n}",
                f"client{n}@example.com",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                1,
                f"client {n}",
                f"client{n}@example.com",
            )
            for n in range(clients)
        ),
    )
    # A tenth of the invoices unpaid; the first `due` of those have a reminder due now: the
    # schedule's first step ("-3"), three days before their due date, so that deciding each
    # one plans the invoice's next reminder (its "0" step) as the bare batch writes one.
    unpaid_every = max(1, invoices // max(due * 10 // 3, 1))
    due_at = now - timedelta(minutes=1)

    def reminded_now(n: int) -> bool:
        return n % unpaid_every == 0 and n // unpaid_every < due

    def issued_on(n: int) -> date:
        return today - timedelta(days=11 if reminded_now(n) else 20 + n % 300)

    def invoice_rows() -> Iterator[tuple]:
        for n in range(invoices):
            unpaid = n % unpaid_every == 0
            issued = issued_on(n)
            yield (
                f"i{n:031d}",
                owner(n),
                f"INV-{n:07d}",
                n + 1,
                f"c{n // INVOICES_PER_CLIENT:031d}",
                "USD",
                issued,
                issued + timedelta(days=14),
                "issued",
                "open" if unpaid else "paid",
                12000,
                0 if unpaid else 12000,
                now,
                ACTOR,
                now,
                None,
                "",
                1,
            )

    bulk_insert(
        engine,
        "invoices",
        INVOICE_COLUMNS,
        invoice_rows(),
    )
    if lines:
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
                    f"l{n:031d}",
                    owner(n),
                    f"i{n:031d}",
                    0,
                    today - timedelta(days=30),
                    "Session",
                    1000,
                    12000,
                    "",
                    0,
                )
                for n in range(invoices)
            ),
        )
    bulk_insert(
        engine,
        "pay_links",
        ("practice_id", "invoice_id", "token", "created_at", "times_sent"),
        ((owner(n), f"i{n:031d}", f"t{n:031d}", now, 0) for n in range(invoices)),
    )

    def reminder_row(n: int) -> tuple:
        # Scheduled reminders carry their invoice's due date, as the app stores them.
        step, invoice_due = "0", None
        if n % unpaid_every == 0:
            invoice_due = issued_on(n) + timedelta(days=14)
        if reminded_now(n):
            step, state, decided = "-3", "scheduled", None
            if layout == "spread":
                at = due_at - timedelta(seconds=n % 600)
            else:
                # A practice's reminders of a day share its send moment; ten moments a minute
                # apart stand for the practices' time zones and send times.
                at = due_at - timedelta(minutes=practice_ids.index(owner(n)) % 10)
        elif n % unpaid_every == 0:
            state, at, decided = "scheduled", now + timedelta(days=1 + n % 20), None
        else:
            state, at, decided = "sent", now - timedelta(days=30), now - timedelta(days=30)
        return (
            f"r{n:031d}" if layout == "spread" else uuid.uuid4().hex,
            owner(n),
            f"i{n:031d}",
            step,
            0,
            at,
            invoice_due,
            state,
            "",
            ACTOR,
            now,
            decided,
        )

    def reminder_rows() -> Iterator[tuple]:
        if layout == "spread":
            yield from map(reminder_row, range(invoices))
            return
        # In the order the app would have stored them: the history, then the due ones (each
        # stored when its invoice was issued, eleven days ago), then the later ones (each
        # planned when its invoice's previous step went out).
        yield from (reminder_row(n) for n in range(invoices) if n % unpaid_every)
        yield from (reminder_row(n) for n in range(invoices) if reminded_now(n))
        yield from (
            reminder_row(n)
            for n in range(invoices)
            if n % unpaid_every == 0 and not reminded_now(n)
        )

    bulk_insert(
        engine,
        "reminders",
        (
            "id",
            "practice_id",
            "invoice_id",
            "step",
            "occurrence",
            "due_at",
            "invoice_due_date",
            "state",
            "reason",
            "actor",
            "created_at",
            "decided_at",
        ),
        reminder_rows(),
    )
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
        found = connection.execute(
            text("SELECT count(*) FROM reminders WHERE state = 'scheduled' AND due_at <= :now"),
            {"now": sqlite_value(now) if engine.dialect.name == "sqlite" else now},
        ).scalar_one()
    engine.dispose()
    assert found == due, f"seeded {found} due reminders, wanted {due}"
    return practice_ids


# -- the claim, by hand and through the app ----------------------------------------------------

_SELECT = """
SELECT r.id, r.step, r.occurrence, r.due_at, r.practice_id, r.invoice_id,
       coalesce(r.invoice_due_date, (SELECT i.due_date FROM invoices i
                                     WHERE i.practice_id = r.practice_id AND i.id = r.invoice_id))
       {rowid}
FROM reminders r
WHERE r.state = 'scheduled' AND r.due_at <= {now}
ORDER BY r.due_at, r.id
LIMIT {limit}
"""


class Timed(NamedTuple):
    """Seconds one piece of work took: on the wall clock, and on this thread's CPU (on
    SQLite all of the work; other processes on the machine do not count)."""

    wall: float
    cpu: float


def bare(engine: Engine, limit: int, *, writes: bool) -> Timed:
    """The claim (and with `writes`, the batch's inserts) by hand, rolled back."""
    postgres = engine.dialect.name == "postgresql"
    mark = "%s" if postgres else "?"
    now = datetime.now(UTC)
    when = now if postgres else sqlite_value(now)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        # The transaction's start is timed, as the app's is (psycopg starts one by itself at
        # the first statement).
        started, cpu = time.perf_counter(), time.thread_time()
        if not postgres:
            cursor.execute("BEGIN IMMEDIATE")
        # SQLite: each row's rowid too, which the UPDATE finds it by, as the app's does.
        statement = _SELECT.format(now=mark, limit=limit, rowid="" if postgres else ", r.rowid")
        if postgres:
            statement += " FOR NO KEY UPDATE SKIP LOCKED"
        cursor.execute(statement, (when,))
        rows = cursor.fetchall()
        ids = [row[0] for row in rows]
        if postgres:
            cursor.execute(
                "UPDATE reminders SET state = 'sent', decided_at = %s"
                " WHERE id = ANY(%s) AND state = 'scheduled'",
                (now, ids),
            )
        else:
            cursor.execute(
                f"UPDATE reminders SET state = 'sent', decided_at = ? WHERE rowid IN "
                f"({', '.join('?' for _ in ids)}) AND state = 'scheduled'",
                (when, *(row[7] for row in rows)),
            )
        assert cursor.rowcount == len(ids) == limit
        if writes:
            outbox = [
                (
                    uuid.uuid4().hex,
                    row[4],
                    "client_email",
                    json.dumps(
                        {"template": "reminder", "invoice_id": row[5], "reminder_id": row[0]}
                    ),
                    f"mail:reminder:{row[0]}",
                    when,
                    0,
                    when,
                    "",
                )
                for row in rows
            ]
            following = [
                (
                    uuid.uuid4().hex,
                    row[4],
                    row[5],
                    "0",
                    0,
                    when,
                    row[6],
                    "scheduled",
                    "",
                    "schedule",
                    when,
                    None,
                )
                for row in rows
            ]
            for table, columns, values in (
                (
                    "outbox",
                    "id, practice_id, kind, payload, dedupe_key, created_at, attempts, "
                    "next_attempt_at, last_error",
                    outbox,
                ),
                (
                    "reminders",
                    "id, practice_id, invoice_id, step, occurrence, due_at, invoice_due_date, "
                    "state, reason, actor, created_at, decided_at",
                    following,
                ),
            ):
                width = len(values[0])
                for start in range(0, len(values), 500):
                    chunk = values[start : start + 500]
                    row_marks = "(" + ", ".join(mark for _ in range(width)) + ")"
                    cursor.execute(
                        f"INSERT INTO {table} ({columns}) VALUES "
                        + ", ".join(row_marks for _ in chunk),
                        [value for row in chunk for value in row],
                    )
        elapsed = Timed(time.perf_counter() - started, time.thread_time() - cpu)
        raw.rollback()
        return elapsed
    finally:
        raw.close()


def app_claim(engine: Engine, limit: int) -> Timed:
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    with RolledBack(sessions) as uow:
        started, cpu = time.perf_counter(), time.thread_time()
        due = uow.reminders.claim_due(now, limit)
        changed = uow.reminders.settle(
            [SettledReminder(item.id, ReminderState.SENT, None, now) for item in due]
        )
        elapsed = Timed(time.perf_counter() - started, time.thread_time() - cpu)
    assert changed == len(due) == limit, (changed, len(due))
    return elapsed


class Counted(RolledBack):
    """Rolled back as `RolledBack`; when the use case commits, notes the moment (the batch's
    work is done) and then counts the next reminders it planned."""

    def __init__(self, sessions: Any, since: datetime) -> None:
        super().__init__(sessions)
        self.since = since
        self.done = Timed(0.0, 0.0)
        self.planned = 0

    def commit(self) -> None:
        self.done = Timed(time.perf_counter(), time.thread_time())
        assert self._session is not None
        on_sqlite = self._session.get_bind().dialect.name == "sqlite"
        when = sqlite_value(self.since) if on_sqlite else self.since
        self.planned = self._session.execute(
            text("SELECT count(*) FROM reminders WHERE state = 'scheduled' AND created_at >= :t"),
            {"t": when},
        ).scalar_one()
        super().commit()


def app_batch(engine: Engine, limit: int) -> Timed:
    sessions = session_factory(engine)
    env = Env(WallClock(), Ids())
    uow = Counted(sessions, env.clock.now())
    started, cpu = time.perf_counter(), time.thread_time()
    batch = send_due_reminders(limit, uow, env)
    elapsed = Timed(uow.done.wall - started, uow.done.cpu - cpu)
    # The floor writes a next reminder per sent one: the app must have had as much to do.
    assert batch.sent == limit and uow.planned >= limit, (batch, uow.planned)
    return elapsed


def claim_rounds(
    label: str, url: str, invoices: int, due: int, limit: int, rounds: int, layout: str
):
    started = time.monotonic()
    seed(url, invoices, due, layout=layout)
    print(f"  seeded {invoices:,} invoices ({due:,} due) in {time.monotonic() - started:.0f} s")
    engine = create_engine_for(url)
    try:
        runs: dict[str, list[Timed]] = {
            "bare claim": [],
            "app claim": [],
            "bare batch": [],
            "app batch": [],
        }
        work: dict[str, Callable[[], Timed]] = {
            "bare claim": lambda: bare(engine, limit, writes=False),
            "app claim": lambda: app_claim(engine, limit),
            "bare batch": lambda: bare(engine, limit, writes=True),
            "app batch": lambda: app_batch(engine, limit),
        }
        for name in work:  # warm-up: caches, the pool, the planner
            work[name]()
        for _ in range(rounds):
            for name, run in work.items():
                runs[name].append(run())
        medians = {name: statistics.median(t.wall for t in ts) * 1000 for name, ts in runs.items()}
        cpu = {name: statistics.median(t.cpu for t in ts) * 1000 for name, ts in runs.items()}
        for name, ms in medians.items():
            print(
                f"  {label:<10} {invoices:>9,} invoices  {name:<11} {ms:8.1f} ms per batch "
                f"(CPU of this process {cpu[name]:.1f} ms)"
            )
        print(
            f"  {label:<10} {invoices:>9,} invoices  app/bare: claim "
            f"{medians['app claim'] / medians['bare claim']:.2f}x, batch "
            f"{medians['app batch'] / medians['bare batch']:.2f}x (target <= 1.5x); "
            f"CPU of this process: claim {cpu['app claim'] / cpu['bare claim']:.2f}x, batch "
            f"{cpu['app batch'] / cpu['bare batch']:.2f}x"
        )
        return medians
    finally:
        engine.dispose()


# -- end to end -------------------------------------------------------------------------------


def _bin() -> str:
    beside = Path(sys.executable).with_name("billing-bot")
    return str(beside) if beside.exists() else shutil.which("billing-bot") or "billing-bot"


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def end_to_end_rate(label: str, url: str, count: int, servers: int, folder: Path) -> None:
    """As `end_to_end`, with the rate from the first e-mail to the last."""
    seed(url, count * 10, count, lines=True)
    sink = SmtpSink().start()
    environment = {
        key: value
        for key, value in os.environ.items()
        if key.upper() not in {"DATABASE_URL", "SMTP_URL", "MAIL_FROM", "TEST_CLOCK_FILE"}
    }
    environment |= {
        "DATABASE_URL": url,
        "SMTP_URL": f"smtp://127.0.0.1:{sink.port}",
        "MAIL_FROM": "Billing <billing@bench.example>",
        "LOG_LEVEL": "WARNING",
    }
    processes = []
    first = last = None
    try:
        for number in range(servers):
            workdir = folder / f"{label}-{servers}-{number}"
            workdir.mkdir(parents=True, exist_ok=True)
            processes.append(
                subprocess.Popen(
                    [_bin(), "serve", "--port", str(_free_port()), "--workers", "1"],
                    cwd=workdir,
                    env=environment,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            arrived = len(sink.received)
            if arrived and first is None:
                first = (time.monotonic(), arrived)
            if arrived >= count:
                last = (time.monotonic(), arrived)
                break
            time.sleep(0.05)
        time.sleep(2)  # anything sent twice would arrive by now
        received = sink.received
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
        sink.stop()
    subjects = Counter(str(r.message["Subject"]) for r in received)
    ids = Counter(str(r.message["Message-ID"]) for r in received)
    problems = []
    if len(subjects) != count:
        problems.append(f"{len(subjects)} invoices reminded, {count} due")
    doubled = (sum(subjects.values()) - len(subjects)) + (sum(ids.values()) - len(ids))
    if doubled:
        problems.append(f"{doubled} reminders doubled")
    if problems or first is None or last is None:
        print(f"  FAILURE {label}, {servers} serving process(es): {'; '.join(problems)}")
        return
    rate = (last[1] - first[1]) / max(last[0] - first[0], 1e-9)
    print(
        f"  {label:<10} {servers} serving process(es): {rate:6.1f} reminders/s "
        f"({count} sent once each, first to last e-mail)"
    )


# -- databases --------------------------------------------------------------------------------


@contextmanager
def sqlite_url(folder: Path, name: str) -> Iterator[str]:
    yield f"sqlite:///{folder / f'{name}.sqlite3'}"


@contextmanager
def postgres_url(server_url: str) -> Iterator[str | None]:
    server = make_url(normalize_database_url(server_url))
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"billing_bench_{secrets.token_hex(4)}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except OperationalError as error:
        print(f"PostgreSQL skipped: cannot reach {server.render_as_string(True)} ({error.orig})")
        yield None
        return
    try:
        yield server.set(database=name).render_as_string(False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                f" WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            )
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=30_000, help="due reminders (large set)")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--e2e", type=int, default=500, help="due reminders end to end; 0 skips")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument(
        "--layout",
        choices=("created", "spread"),
        default="created",
        help="how the reminders lie in their table (see `seed`)",
    )
    arguments = parser.parse_args()
    small_due = max(arguments.batch, arguments.small * 3 // 100)
    due = min(arguments.due, arguments.invoices // 10)

    databases: list[tuple[str, Callable[[Path, str], Any]]] = []
    if not arguments.no_sqlite:
        databases.append(("SQLite", lambda folder, name: sqlite_url(folder, name)))
    if not arguments.no_postgres:
        databases.append(("PostgreSQL", lambda folder, name: postgres_url(arguments.postgres_url)))
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for label, database in databases:
            print(f"{label}: claim of a {arguments.batch:,}-row batch")
            medians = {}
            for size, size_due in ((arguments.small, small_due), (arguments.invoices, due)):
                with database(folder, f"claim-{size}") as url:
                    if url is None:
                        break
                    medians[size] = claim_rounds(
                        label,
                        url,
                        size,
                        size_due,
                        arguments.batch,
                        arguments.rounds,
                        arguments.layout,
                    )
            if len(medians) == 2:
                small, large = medians[arguments.small], medians[arguments.invoices]
                print(
                    f"  {label:<10} growth {arguments.invoices:,} / {arguments.small:,} "
                    f"invoices: app claim {large['app claim'] / small['app claim']:.2f}x, "
                    f"app batch {large['app batch'] / small['app batch']:.2f}x "
                    "(target <= 1.5x)"
                )
            if arguments.e2e:
                print(f"{label}: end to end, {arguments.e2e} due reminders to aiosmtpd")
                for servers in (1, 2):
                    with database(folder, f"e2e-{servers}") as url:
                        if url is None:
                            break
                        end_to_end_rate(label, url, arguments.e2e, servers, folder)


if __name__ == "__main__":
    main()
