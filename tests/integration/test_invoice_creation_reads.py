"""Creating an invoice of many lines reads each service and tax rate it names once, not once
per line, on SQLite and PostgreSQL: an invoice of 50 sessions names the same one or two."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from storage_scenario import ADMIN, a_practice_with_records
from test_history_reads import statements_run

from domain.invoices import LineInput
from domain.money import Money
from domain.usecases import invoicing, settings

LINES = 50


def _reading(ran: list[tuple[str, object]], table: str) -> list[str]:
    return [
        statement
        for statement, _ in ran
        if statement.lstrip().upper().startswith("SELECT") and f"FROM {table}" in statement
    ]


def test_fifty_lines_read_each_tax_rate_and_service_once(engine, uow, env):
    setup = a_practice_with_records(uow, env)
    reduced = settings.add_tax_rate(
        settings.AddTaxRate(setup.practice.id, ADMIN, "Reduced", "7"), uow, env
    )
    lines = tuple(
        LineInput(
            date(2026, 11, 1 + index % 28),
            "",
            Decimal(1),
            Money.of("120.00", "USD"),
            setup.rate.id if index % 2 else reduced.id,
            setup.service.id,
        )
        for index in range(LINES)
    )

    with statements_run(engine) as ran:
        invoice = invoicing.create_invoice(
            invoicing.CreateInvoice(setup.practice.id, ADMIN, setup.client.id, lines), uow, env
        )

    assert len(invoice.lines) == LINES
    assert {line.tax_name for line in invoice.lines} == {"Sales tax", "Reduced"}
    assert {line.description for line in invoice.lines} == {"Therapy session"}
    assert len(_reading(ran, "tax_rates")) == 2
    assert len(_reading(ran, "service_types")) == 1
