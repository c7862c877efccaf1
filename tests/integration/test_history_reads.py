"""Reading one client's record, or a few invoices with their lines and payments, goes
straight to those rows by index: it never walks every invoice, line or payment the practice
ever had, so it costs the same after ten years as after ten days.

SQLite plans without statistics, so its plan is checked here: a search whose only key is
`practice_id` reads the practice's whole history. PostgreSQL plans by its statistics, which
an almost empty test database does not have, so its plans say nothing here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, event
from storage_scenario import ADMIN, a_practice_with_records, an_invoice

from domain.ports import InvoiceFilter
from domain.usecases import invoicing, payments, records
from domain.usecases.client_record import client_record
from domain.usecases.reporting import practice_summary

HISTORY_TABLES = ("invoices", "invoice_lines", "ledger_entries")


@contextmanager
def statements_run(engine: Engine) -> Iterator[list[tuple[str, object]]]:
    ran: list[tuple[str, object]] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        ran.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield ran
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def history_walks(
    engine: Engine, ran: list[tuple[str, object]], tables: tuple[str, ...] = HISTORY_TABLES
) -> list[str]:
    """The plan steps that read one of `tables` by the practice alone, or all of it."""
    walks = []
    with engine.connect() as connection:
        for statement, parameters in ran:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            for step in (str(row[3]) for row in plan):
                table = step.split()[1] if len(step.split()) > 1 else ""
                if table not in tables:
                    continue
                if step.startswith("SCAN") or step.endswith("(practice_id=?)"):
                    walks.append(step)
    return walks


@pytest.fixture
def practice_with_history(backend, uow, env):
    if backend != "sqlite":
        pytest.skip("PostgreSQL plans by statistics an almost empty database does not have")
    setup = a_practice_with_records(uow, env)
    other = records.add_client(
        records.AddClient(setup.practice.id, ADMIN, records.ClientDetails("Bo Other", "b@x.org")),
        uow,
        env,
    )
    for _ in range(5):
        invoice = an_invoice(uow, env, setup)
        issued = invoicing.issue_invoice(setup.practice.id, invoice.id, ADMIN, uow, env)
        payments.record_manual_payment(
            payments.RecordPayment(setup.practice.id, ADMIN, issued.id, "10.00", "cash"), uow, env
        )
    return setup, other


def test_a_clients_record_reads_that_clients_invoices_not_the_practices_history(
    engine, uow, env, practice_with_history
):
    setup, _ = practice_with_history

    with statements_run(engine) as ran:
        record = client_record(setup.practice.id, setup.client.id, uow, env)

    assert len(record.invoices) == 5
    assert history_walks(engine, ran) == []


def test_the_latest_invoices_are_read_with_only_their_own_lines_and_payments(
    engine, uow, env, practice_with_history
):
    setup, _ = practice_with_history

    with statements_run(engine) as ran, uow:
        latest = uow.invoices.find(setup.practice.id, InvoiceFilter(limit=5))

    assert [len(invoice.lines) for invoice in latest] == [3] * 5
    assert [len(invoice.ledger) for invoice in latest] == [1] * 5
    # SQLite changes its plan from four invoices' lines on. The invoices themselves are a
    # page of the practice's, newest first: that search stops after `limit` rows.
    assert history_walks(engine, ran, ("invoice_lines", "ledger_entries")) == []


@contextmanager
def sqlite_statements(engine: Engine) -> Iterator[list[str]]:
    """Every statement SQLite runs on new connections, values written in (some reads run on
    the driver's cursor, past SQLAlchemy's events)."""
    ran: list[str] = []

    def trace(dbapi_connection, _record) -> None:
        dbapi_connection.set_trace_callback(ran.append)

    engine.dispose()
    event.listen(engine, "connect", trace)
    try:
        yield ran
    finally:
        event.remove(engine, "connect", trace)
        engine.dispose()


def test_the_outstanding_and_overdue_totals_are_summed_from_an_index_alone(
    engine, uow, env, practice_with_history
):
    setup, _ = practice_with_history

    with sqlite_statements(engine) as ran:
        summary = practice_summary(setup.practice, 5, uow, env)

    assert summary.totals[0].unpaid_count == 5
    with engine.connect() as connection:
        steps = [
            str(row[3])
            for statement in ran
            if statement.lstrip().upper().startswith("SELECT")
            for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}")
        ]
    by_status = [step for step in steps if "status=?" in step]
    assert by_status, steps
    assert all("COVERING INDEX" in step for step in by_status), by_status
