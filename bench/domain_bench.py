"""Domain and storage throughput: invoice totals in memory, invoice creation through the
unit of work on SQLite and PostgreSQL.

    .venv/bin/python bench/domain_bench.py [--count 500] [--postgres-url URL | --no-postgres]

Prints invoices per second and per-invoice latency percentiles. Each run uses a fresh
SQLite file and a fresh PostgreSQL database that it drops afterwards.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from domain.ids import ClientId, InvoiceId, InvoiceLineId, PracticeId, TaxRateId
from domain.invoices import Invoice, InvoiceLine, LineInput, compute_totals
from domain.money import Currency, Money
from domain.ports import Env
from domain.usecases import invoicing, records, settings
from storage.engine import create_engine_for, normalize_database_url
from storage.migrate import upgrade
from storage.unit_of_work import SqlAlchemyUnitOfWork, session_factory

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
USD = Currency("USD")


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class RandomIds:
    def new_id(self) -> str:
        return uuid.uuid4().hex


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(label: str, seconds: list[float]) -> None:
    total = sum(seconds)
    print(
        f"{label:<44} {len(seconds) / total:>10,.0f} invoices/s   "
        f"mean {statistics.mean(seconds) * 1000:7.3f} ms   "
        f"p50 {percentile(seconds, 0.50) * 1000:7.3f} ms   "
        f"p99 {percentile(seconds, 0.99) * 1000:7.3f} ms"
    )


def timed(count: int, work: Callable[[int], object]) -> list[float]:
    samples = []
    for index in range(count):
        started = time.perf_counter()
        work(index)
        samples.append(time.perf_counter() - started)
    return samples


def twenty_line_invoice() -> Invoice:
    rates = [Decimal("0"), Decimal("8.875"), Decimal("20"), Decimal("5.5")]
    lines = tuple(
        InvoiceLine(
            id=InvoiceLineId(f"line{index}"),
            service_date=date(2026, 11, 1 + index),
            description=f"Session {index}",
            quantity=Decimal("1.5") if index % 3 else Decimal(1),
            unit_price=Money(Decimal("87.35") + index, USD),
            tax_rate_id=TaxRateId(f"rate{index % 4}"),
            tax_name=f"Rate {index % 4}",
            tax_percent=rates[index % 4],
        )
        for index in range(20)
    )
    return Invoice(
        InvoiceId("bench"),
        PracticeId("p"),
        "INV-0001",
        ClientId("c"),
        USD,
        date(2026, 11, 1),
        date(2026, 11, 15),
        lines,
        datetime.now(UTC),
        "system",
        sequence=1,
    )


def bench_totals(count: int) -> None:
    invoice = twenty_line_invoice()
    samples = timed(count, lambda _: compute_totals(invoice.currency, invoice.lines, ()))
    report("totals of a 20-line invoice (in memory)", samples)


def bench_create(label: str, url: str, count: int) -> None:
    engine = create_engine_for(url)
    upgrade(engine)
    sessions = session_factory(engine)
    env = Env(WallClock(), RandomIds())

    def uow() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(sessions)

    practice = settings.create_practice(
        settings.CreatePractice(f"TBENCH{secrets.token_hex(3)}", "Bench", "system", "USD"),
        uow(),
        env,
    )
    rate = settings.add_tax_rate(
        settings.AddTaxRate(practice.id, "system", "Tax", "8.875"), uow(), env
    )
    client = records.add_client(
        records.AddClient(
            practice.id, "system", records.ClientDetails("Bench Client", "c@example.com")
        ),
        uow(),
        env,
    )
    lines = tuple(
        LineInput(
            date(2026, 11, 1 + index),
            f"Session {index}",
            Decimal(1),
            Money(Decimal("120.00"), USD),
            rate.id if index % 2 else None,
        )
        for index in range(5)
    )
    command = invoicing.CreateInvoice(practice.id, "system", client.id, lines)
    timed(min(20, count), lambda _: invoicing.create_invoice(command, uow(), env))  # warm-up
    samples = timed(count, lambda _: invoicing.create_invoice(command, uow(), env))
    report(f"create + commit a 5-line invoice ({label})", samples)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="invoices per storage run")
    parser.add_argument("--totals-count", type=int, default=20_000)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--no-postgres", action="store_true")
    arguments = parser.parse_args()

    bench_totals(arguments.totals_count)
    with tempfile.TemporaryDirectory() as scratch:
        bench_create("SQLite", f"sqlite:///{Path(scratch) / 'bench.sqlite3'}", arguments.count)
    if arguments.no_postgres:
        return
    server = make_url(normalize_database_url(arguments.postgres_url))
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"billing_bench_{secrets.token_hex(4)}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except OperationalError as error:
        print(f"PostgreSQL skipped: cannot reach {server.render_as_string(True)} ({error.orig})")
        return
    try:
        bench_create(
            "PostgreSQL", server.set(database=name).render_as_string(False), arguments.count
        )
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
