"""Invoice PDFs: milliseconds to render one-page (10-line) and 200-line invoices in each
template, first render and served from the in-memory store, beside the floor: a bare
reportlab document with the same table, measured in the same run.

    .venv/bin/python bench/documents_bench.py [--rounds 40] [--long-rounds 10]

Targets (issue 17): the first render of a one-page invoice within 10x the floor, and the
cost per line of a 200-line invoice within 1.5x that of a 10-line one.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import io
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.platypus import SimpleDocTemplate, Table, TableStyle

from documents.model import InvoiceDocument
from documents.pdf import RenderedPdfs, invoice_pdf
from documents.pdf.fonts import typefaces
from documents.preview import sample_document
from domain.ids import PracticeId, TaxRateId
from domain.money import Currency
from domain.practice import (
    Address,
    BillingDetails,
    InvoiceSettings,
    InvoiceTemplate,
    Practice,
    TaxRate,
)

TODAY = date(2025, 3, 14)
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
    short_cached: float
    long_first: float
    long_cached: float


@dataclass
class Samples:
    short_first: list[float] = field(default_factory=list)
    short_cached: list[float] = field(default_factory=list)
    long_first: list[float] = field(default_factory=list)
    long_cached: list[float] = field(default_factory=list)


def measure(rounds: int, long_rounds: int) -> tuple[list[float], dict[InvoiceTemplate, Samples]]:
    """Round by round, the floor and then each template, so that all of them meet the same
    machine; every first render is of a document the store has not seen (a new number)."""
    stores = {template: RenderedPdfs() for template in InvoiceTemplate}
    samples = {template: Samples() for template in InvoiceTemplate}
    kept: dict[InvoiceTemplate, tuple[InvoiceDocument, InvoiceDocument]] = {}
    floor_doc = invoice_of(InvoiceTemplate.CLASSIC, SHORT, 0)
    floors: list[float] = []
    serial = 0
    for round_number in range(rounds):
        floors.append(cpu_timed(lambda: bare_floor(floor_doc)))
        for template, store in stores.items():
            serial += 1
            short = invoice_of(template, SHORT, serial)
            taken = samples[template]
            taken.short_first.append(cpu_timed(lambda: store.invoice(short, None)))  # noqa: B023
            if round_number < long_rounds:
                serial += 1
                long = invoice_of(template, LONG, serial)
                taken.long_first.append(cpu_timed(lambda: store.invoice(long, None)))  # noqa: B023
                kept.setdefault(template, (short, long))
            first_short, first_long = kept[template]
            taken.short_cached.append(cpu_timed(lambda: store.invoice(first_short, None)))  # noqa: B023
            taken.long_cached.append(cpu_timed(lambda: store.invoice(first_long, None)))  # noqa: B023
    return floors, samples


def measure_served_over_http() -> None:
    """PLACEHOLDER (issue 17, second half, someone else's): the same PDFs served from the
    store through the app's HTTP server, beside a static file of the same size through the
    same server. Add its measurement and its rows here; `main` already calls this."""
    print("\nServed over HTTP (store vs static file through the same server): not measured yet.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=40, help="one-page renders per template")
    parser.add_argument("--long-rounds", type=int, default=10, help="200-line renders")
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
        Row(
            template.value,
            ms(taken.short_first),
            ms(taken.short_cached),
            ms(taken.long_first),
            ms(taken.long_cached),
        )
        for template, taken in samples.items()
    ]
    print("Milliseconds of CPU per invoice (median), µs when served from the store:\n")

    header = (
        f"{'template':<9} {'10 lines':>9} {'cached':>8} {'200 lines':>10} {'cached':>8} "
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
            f"{row.template:<9} {row.short_first:>7.2f}ms {row.short_cached * 1000:>6.1f}µs "
            f"{row.long_first:>8.2f}ms {row.long_cached * 1000:>6.1f}µs "
            f"{to_floor:>11.2f}x {per_line:>15.2f}x"
        )
    print(f"{'floor':<9} {floor:>7.2f}ms  (bare reportlab: the same 10-line table, standard fonts)")
    print()
    print(f"first one-page render within 10x the floor: {'met' if met_floor else 'NOT met'}")
    print(f"cost per line, 200 lines within 1.5x of 10:  {'met' if met_lines else 'NOT met'}")
    measure_served_over_http()


if __name__ == "__main__":
    main()
