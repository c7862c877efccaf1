"""Invoice PDFs: milliseconds to render one-page (10-line) and 200-line invoices in each
template, beside the floor: a bare reportlab document with the same table, measured in the
same run; then each template's stored PDF downloaded through the real server, beside a
static file of the same bytes through the same server.

    .venv/bin/python bench/documents_bench.py [--rounds 40] [--long-rounds 10]
        [--requests 400] [--http-rounds 5] [--concurrency 4]

Targets (issue 17): the first render of a one-page invoice within 10x the floor; the cost per
line of a 200-line invoice within 1.5x that of a 10-line one; a stored PDF served within 2x
of the static file.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.platypus import SimpleDocTemplate, Table, TableStyle

from documents.model import InvoiceDocument
from documents.pdf import invoice_pdf
from documents.pdf.fonts import typefaces
from documents.preview import sample_document
from domain.ids import PracticeId, TaxRateId
from domain.invoices import LineInput
from domain.money import Currency, Money
from domain.online_payments import PayLink
from domain.ports import Env
from domain.practice import (
    Address,
    BillingDetails,
    InvoiceSettings,
    InvoiceTemplate,
    Practice,
    TaxRate,
)
from domain.usecases.invoicing import CreateInvoice, create_invoice
from domain.usecases.pay_links import PayLinkToken
from domain.usecases.records import AddClient, ClientDetails, add_client
from domain.usecases.settings import (
    ConfigureInvoiceSettings,
    CreatePractice,
    configure_invoice_settings,
    create_practice,
)
from gateways.system import RandomIds, SystemClock
from loadgen import Result
from slack_ack_bench import HERE, free_port, process, send
from storage.engine import create_engine_for
from storage.migrate import upgrade
from storage.unit_of_work import SqlAlchemyUnitOfWork, session_factory

TODAY = date(2025, 3, 14)
SERVED_TARGET = 2.0
SHORT, LONG = 10, 200


def a_practice(template: InvoiceTemplate) -> Practice:
    return Practice(
        id=PracticeId("bench"),
        workspace_id="TBENCH",
        billing=BillingDetails(
            name="Harbour Therapy",
            currency=Currency("USD"),
            address=Address("12 Quay Street", "Suite 4", "Portland", "OR", "97201", "US"),
            time_zone="America/Los_Angeles",
            tax_number="TX-12-3456789",
            licence_number="LIC-99881",
        ),
        invoice_settings=InvoiceSettings(
            template=template,
            details="Bank transfer: IBAN DE89 3704 0044 0532 0130 00",
            footer="Harbour Therapy · 12 Quay Street, Portland · Thank you for your trust.",
        ),
    )


def invoice_of(template: InvoiceTemplate, lines: int, serial: int) -> InvoiceDocument:
    """The settings preview's sample invoice, its three lines repeated to `lines`; `serial`
    goes into the number so that each document is new to the store."""
    practice = a_practice(template)
    vat = TaxRate(TaxRateId("vat"), practice.id, "VAT", Decimal(20))
    sample = sample_document(practice, TODAY, tax_rate=vat)
    repeated = tuple(sample.lines[index % 3] for index in range(lines))
    return dataclasses.replace(sample, lines=repeated, number=f"INV-{serial:06d}")


def bare_floor(doc: InvoiceDocument) -> bytes:
    """The least any reportlab invoice costs: the same table on one page, standard fonts."""
    buffer = io.BytesIO()
    rows = [["Date", "Service", "Qty", "Price", "Tax", "Amount"]]
    rows += [
        [line.service_date, line.description, line.quantity, line.unit_price, line.tax, line.total]
        for line in doc.lines
    ]
    rows += [["", "", "", "Total", "", doc.total], ["", "", "", "Balance due", "", doc.balance]]
    table = Table(rows, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
                ("FONT", (0, 1), (-1, -1), "Helvetica", 8.5),
                ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.grey),
            ]
        )
    )
    SimpleDocTemplate(buffer, pagesize=LETTER, invariant=1).build([table])
    return buffer.getvalue()


def cpu_timed(work: Callable[[], object]) -> float:
    """Seconds of this thread's CPU that `work` took: on a shared machine, the wall clock
    also counts the time other processes held the cores."""
    started = time.thread_time()
    work()
    return time.thread_time() - started


def ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


@dataclass
class Row:
    template: str
    short_first: float
    long_first: float


@dataclass
class Samples:
    short_first: list[float] = field(default_factory=list)
    long_first: list[float] = field(default_factory=list)


def measure(rounds: int, long_rounds: int) -> tuple[list[float], dict[InvoiceTemplate, Samples]]:
    """Round by round, the floor and then each template, so that all of them meet the same
    machine; every render is of a new document (a new number)."""
    samples = {template: Samples() for template in InvoiceTemplate}
    floor_doc = invoice_of(InvoiceTemplate.CLASSIC, SHORT, 0)
    floors: list[float] = []
    serial = 0
    for round_number in range(rounds):
        floors.append(cpu_timed(lambda: bare_floor(floor_doc)))
        for template, taken in samples.items():
            serial += 1
            short = invoice_of(template, SHORT, serial)
            taken.short_first.append(cpu_timed(lambda: invoice_pdf(short, None)))  # noqa: B023
            if round_number < long_rounds:
                serial += 1
                long = invoice_of(template, LONG, serial)
                taken.long_first.append(cpu_timed(lambda: invoice_pdf(long, None)))  # noqa: B023
    return floors, samples


# -- served over HTTP ---------------------------------------------------------------------------

HTTP_LINES = (10, 100)  # one page, and the most lines the app lets an invoice have


@dataclass(frozen=True)
class Download:
    label: str
    path: str
    floor_path: str
    size: int


def _seed_http(database_url: str) -> list[tuple[str, InvoiceTemplate, int, str]]:
    """One practice per template, each with a client and an issued 10-line and 100-line
    invoice with pay links, made through the domain's use cases; (label, template, lines,
    token) for each."""
    engine = create_engine_for(database_url)
    sessions = session_factory(engine)
    env = Env(SystemClock(), RandomIds())

    def uow() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(sessions)

    seeded = []
    for template in InvoiceTemplate:
        admin = "UBENCHADMIN"
        practice = create_practice(
            CreatePractice(f"TBENCH{template.value.upper()}", "Harbour Therapy", admin, "USD"),
            uow(),
            env,
        )
        configure_invoice_settings(
            ConfigureInvoiceSettings(
                practice.id,
                admin,
                template=template.value,
                theme="ocean",
                payment_terms_days=14,
                number_prefix="INV-",
                details="Bank transfer: IBAN DE89 3704 0044 0532 0130 00",
                footer="Thank you for your trust.",
            ),
            uow(),
            env,
        )
        client = add_client(
            AddClient(practice.id, admin, ClientDetails("Zoë Müller", "zoe@example.com")),
            uow(),
            env,
        )
        today = env.clock.now().date()
        for count in HTTP_LINES:
            lines = tuple(
                LineInput(
                    today - timedelta(days=index % 28),
                    f"Individual therapy session {index + 1}",
                    Decimal(1),
                    Money(Decimal("120.00"), practice.currency),
                    None,
                )
                for index in range(count)
            )
            invoice = create_invoice(
                CreateInvoice(practice.id, admin, client.id, lines, issue=True), uow(), env
            )
            token = PayLinkToken.new()
            with uow() as writing:
                writing.pay_links.add(PayLink(practice.id, invoice.id, token, env.clock.now()))
                writing.commit()
            seeded.append((f"{template.value}, {count} lines", template, count, token))
    engine.dispose()
    return seeded


def _gets(url: str, path: str, count: int) -> list[bytes]:
    host = url.removeprefix("http://")
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    return [request] * count


@dataclass
class Served:
    app: list[Result] = field(default_factory=list)
    floor: list[Result] = field(default_factory=list)


def measure_served_over_http(requests: int, rounds: int, concurrency: int) -> None:
    """Each seeded invoice's PDF downloaded through `billing-bot serve` (Granian, 2 workers x
    4 threads, SQLite) once rendered and stored, beside a static file of the same bytes
    through the same server: alternating rounds, requests per second and latency."""
    with tempfile.TemporaryDirectory(prefix="documents-bench-") as folder:
        root = Path(folder)
        database_url = f"sqlite:///{root / 'bench.sqlite3'}"
        upgrade(database_url)
        seeded = _seed_http(database_url)
        static = root / "floor"
        static.mkdir()
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "PUBLIC_BASE_URL": url,
            # The Slack side is configured, so the HTTP routes are mounted; this path never
            # calls Slack.
            "SLACK_SIGNING_SECRET": "bench-signing-secret",
            "SLACK_CLIENT_ID": "1.2",
            "SLACK_CLIENT_SECRET": "bench-client-secret",
            "SLACK_API_URL": f"{url}/no-slack/",
            "MAIL_DIR": str(root / "mail"),
            "LOG_LEVEL": "WARNING",
            "BENCH_STATIC_DIR": str(static),
        }
        server = [sys.executable, str(HERE / "documents_http_server.py")]
        with process(server, env, f"{url}/healthz"):
            downloads = []
            for label, _template, _lines, token in seeded:
                first = httpx.get(f"{url}/pay/{token}/invoice.pdf", timeout=60)
                first.raise_for_status()
                name = f"{token}.pdf"
                (static / name).write_bytes(first.content)
                downloads.append(
                    Download(
                        label, f"/pay/{token}/invoice.pdf", f"/floor/{name}", len(first.content)
                    )
                )
            served = {download.label: Served() for download in downloads}
            for download in downloads:  # warm both paths in every worker
                send(url, _gets(url, download.path, 50), concurrency)
                send(url, _gets(url, download.floor_path, 50), concurrency)
            for _ in range(rounds):
                for download in downloads:
                    served[download.label].floor.append(
                        send(url, _gets(url, download.floor_path, requests), concurrency)
                    )
                    served[download.label].app.append(
                        send(url, _gets(url, download.path, requests), concurrency)
                    )
    _report_served(downloads, served)


def _report_served(downloads: list[Download], served: dict[str, Served]) -> None:
    print(
        "\nServed over HTTP: the stored PDF (GET /pay/<token>/invoice.pdf) beside a static file of"
        " the same bytes, same server (medians of the rounds)"
    )
    print(
        "| invoice | PDF size | app req/s | static req/s | app p50 / p99 ms |"
        " static p50 / p99 ms | time per download, app / static |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for download in downloads:
        app, floor = served[download.label].app, served[download.label].floor
        app_rate = statistics.median(r.rate for r in app)
        floor_rate = statistics.median(r.rate for r in floor)
        ratio = statistics.median(f.rate / a.rate for a, f in zip(app, floor, strict=True))
        mark = "met" if ratio <= SERVED_TARGET else "NOT met"
        print(
            f"| {download.label} | {download.size / 1024:.0f} KB | {app_rate:.0f} |"
            f" {floor_rate:.0f} |"
            f" {_ms(app, 0.5):.1f} / {_ms(app, 0.99):.1f} |"
            f" {_ms(floor, 0.5):.1f} / {_ms(floor, 0.99):.1f} |"
            f" {ratio:.2f}x ({mark}: <= {SERVED_TARGET:.0f}x) |"
        )
    codes = {code for s in served.values() for r in s.app + s.floor for code in r.statuses}
    if codes != {200}:
        raise SystemExit(f"downloads answered {sorted(codes)}, not only 200")


def _ms(results: list[Result], fraction: float) -> float:
    return statistics.median(r.percentile(fraction) for r in results) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=40, help="one-page renders per template")
    parser.add_argument("--long-rounds", type=int, default=10, help="200-line renders")
    parser.add_argument("--requests", type=int, default=400, help="downloads per HTTP round")
    parser.add_argument("--http-rounds", type=int, default=5, help="alternating HTTP rounds")
    parser.add_argument("--concurrency", type=int, default=4, help="connections downloading")
    args = parser.parse_args()

    cold = cpu_timed(lambda: invoice_pdf(invoice_of(InvoiceTemplate.CLASSIC, SHORT, 0), None))
    print(f"Fonts: {typefaces().origin}")
    print(f"Process's first render (fonts read and registered): {cold * 1000:.1f} ms\n")

    # The floor's fonts and reportlab's own caches warm, as the app's are.
    bare_floor(invoice_of(InvoiceTemplate.CLASSIC, SHORT, 0))
    gc.collect()
    floors, samples = measure(args.rounds, args.long_rounds)
    floor = ms(floors)
    rows = [
        Row(template.value, ms(taken.short_first), ms(taken.long_first))
        for template, taken in samples.items()
    ]
    print("Milliseconds of CPU per first render (median):\n")

    header = (
        f"{'template':<9} {'10 lines':>9} {'200 lines':>10} "
        f"{'first/floor':>12} {'per line 200/10':>16}"
    )
    print(header)
    print("-" * len(header))
    met_floor = met_lines = True
    for row in rows:
        to_floor = row.short_first / floor
        per_line = (row.long_first / LONG) / (row.short_first / SHORT)
        met_floor &= to_floor <= 10
        met_lines &= per_line <= 1.5
        print(
            f"{row.template:<9} {row.short_first:>7.2f}ms {row.long_first:>8.2f}ms "
            f"{to_floor:>11.2f}x {per_line:>15.2f}x"
        )
    print(f"{'floor':<9} {floor:>7.2f}ms  (bare reportlab: the same 10-line table, standard fonts)")
    print()
    print(f"first one-page render within 10x the floor: {'met' if met_floor else 'NOT met'}")
    print(f"cost per line, 200 lines within 1.5x of 10:  {'met' if met_lines else 'NOT met'}")
    measure_served_over_http(args.requests, args.http_rounds, args.concurrency)


if __name__ == "__main__":
    main()
