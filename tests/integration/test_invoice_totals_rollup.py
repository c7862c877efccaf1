"""The invoice totals rollup that `/invoice list` reads: after any sequence of creating,
editing, issuing, voiding, paying and refunding invoices, and after concurrent payments,
it holds exactly what summing the invoices themselves gives, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial

import pytest
from alembic import command
from alembic.config import Config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, inspect, select
from storage_scenario import ADMIN

from domain.errors import DomainError, StaleEdit
from domain.ids import PracticeId
from domain.invoices import UNPAID_STATUSES, Invoice, InvoiceStatus, LineInput, ListedTotals
from domain.money import Currency, Money
from domain.ports import Env, InvoiceFilter
from domain.usecases import invoicing, payments, records
from domain.usecases import settings as practice_settings
from storage.engine import create_engine_for
from storage.migrate import MIGRATIONS_DIR, upgrade
from storage.orm import InvoiceRow, InvoiceTotalsRow
from storage.unit_of_work import SqlAlchemyUnitOfWork, session_factory

_workspaces = itertools.count(1)

MONTHS = [date(2026, month, day) for month, day in ((9, 3), (9, 30), (10, 1), (10, 17), (11, 2))]
FILTERS = [
    InvoiceFilter(limit=1),
    *(InvoiceFilter(statuses=frozenset({status}), limit=1) for status in InvoiceStatus),
    InvoiceFilter(statuses=UNPAID_STATUSES, limit=1),
    InvoiceFilter(issued_from=date(2026, 10, 1), issued_to=date(2026, 10, 31), limit=1),
    InvoiceFilter(
        statuses=frozenset({InvoiceStatus.PAID}),
        issued_from=date(2026, 9, 1),
        issued_to=date(2026, 9, 30),
        limit=1,
    ),
]


@dataclass
class Practice:
    id: PracticeId
    currency: str
    clients: list
    rate: object


def a_practice(uow, env: Env, currency: str) -> Practice:
    practice = practice_settings.create_practice(
        practice_settings.CreatePractice(
            f"T0ROLLUP{next(_workspaces):04d}", "Rollup", ADMIN, currency, "UTC"
        ),
        uow,
        env,
    )
    rate = practice_settings.add_tax_rate(
        practice_settings.AddTaxRate(practice.id, ADMIN, "VAT", "19"), uow, env
    )
    clients = [
        records.add_client(
            records.AddClient(practice.id, ADMIN, records.ClientDetails(name, f"{n}@x.org")),
            uow,
            env,
        )
        for n, name in enumerate(("Ada Lovelace", "Grace Hopper"))
    ]
    return Practice(practice.id, currency, clients, rate)


def _lines(practice: Practice, day: date, prices: list[int]) -> tuple[LineInput, ...]:
    return tuple(
        LineInput(
            day,
            f"Session {n}",
            Decimal(1 + n % 2),
            Currency(practice.currency).from_minor_units(cents),
            practice.rate.id if n % 2 else None,
        )
        for n, cents in enumerate(prices)
    )


def stored_rollup(engine: Engine, practice_id: PracticeId) -> dict[tuple, tuple[int, int, int]]:
    """The rollup's buckets that hold invoices."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                InvoiceTotalsRow.status,
                InvoiceTotalsRow.issue_month,
                InvoiceTotalsRow.currency,
                InvoiceTotalsRow.invoice_count,
                InvoiceTotalsRow.total_minor,
                InvoiceTotalsRow.balance_minor,
            ).where(InvoiceTotalsRow.practice_id == practice_id)
        ).all()
    for row in rows:
        assert row[3] >= 0, row
        if row[3] == 0:
            assert row[4:] == (0, 0), row
    return {(s, m, c): (n, t, b) for s, m, c, n, t, b in rows if n}


def summed_from_invoices(engine: Engine, practice_id: PracticeId) -> dict:
    """The same buckets, summed over the invoices' own rows."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                InvoiceRow.status,
                InvoiceRow.issue_date,
                InvoiceRow.currency,
                InvoiceRow.total_minor,
                InvoiceRow.paid_minor,
            ).where(InvoiceRow.practice_id == practice_id)
        ).all()
    sums: dict = {}
    for status, issued, currency, total, paid in rows:
        key = (status, issued.replace(day=1), currency)
        count, total_sum, balance_sum = sums.get(key, (0, 0, 0))
        sums[key] = (count + 1, total_sum + total, balance_sum + total - paid)
    return sums


def assert_lists_agree_with_their_invoices(uow, practice_id: PracticeId) -> None:
    """Every rollup-answered list's totals are those of the invoices it holds."""
    with uow:
        everything = uow.invoices.find(practice_id, InvoiceFilter(limit=10_000))
        for criteria in FILTERS:
            held = [
                invoice
                for invoice in everything
                if (not criteria.statuses or invoice.status in criteria.statuses)
                and (criteria.issued_from is None or invoice.issue_date >= criteria.issued_from)
                and (criteria.issued_to is None or invoice.issue_date <= criteria.issued_to)
            ]
            page = uow.invoices.page(practice_id, criteria)
            assert list(page.totals) == ListedTotals.of(held), criteria


# -- random sequences -------------------------------------------------------------------------

prices = st.lists(st.integers(min_value=0, max_value=250_000), min_size=1, max_size=4)
steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("create"),
            st.integers(0, 1),
            st.sampled_from(MONTHS),
            prices,
            st.booleans(),
        ),
        st.tuples(st.just("edit"), st.integers(0, 30), st.sampled_from(MONTHS), prices),
        st.tuples(st.just("issue"), st.integers(0, 30)),
        st.tuples(st.just("void"), st.integers(0, 30)),
        st.tuples(st.just("pay"), st.integers(0, 30), st.integers(1, 100)),
        st.tuples(st.just("refund"), st.integers(0, 30), st.integers(1, 100)),
    ),
    min_size=1,
    max_size=14,
)


def _part(invoice: Invoice, percent: int, of: Money) -> Decimal:
    amount = (of.amount * percent / 100).quantize(invoice.currency.quantum)
    return max(amount, invoice.currency.quantum)


def apply(step: tuple, practice: Practice, made: list[Invoice], uow, env: Env) -> None:
    """Do one step through the use cases, as Slack would; a step the invoice's state refuses
    (paying a draft, editing an issued invoice) changes nothing, as in the app."""
    kind, *args = step
    if kind == "create":
        client, day, amounts, issue = args
        made.append(
            invoicing.create_invoice(
                invoicing.CreateInvoice(
                    practice.id,
                    ADMIN,
                    practice.clients[client].id,
                    _lines(practice, day, amounts),
                    day,
                    day,
                    issue=issue,
                ),
                uow,
                env,
            )
        )
        return
    if not made:
        return
    at = args[0] % len(made)
    invoice = made[at]
    try:
        if kind == "edit":
            day, amounts = args[1:]
            changed = invoicing.edit_draft(
                invoicing.EditDraft(
                    practice.id,
                    ADMIN,
                    invoice.id,
                    invoice.version,
                    invoice.client_id,
                    day,
                    day,
                    _lines(practice, day, amounts),
                ),
                uow,
                env,
            )
        elif kind == "issue":
            changed = invoicing.issue_invoice(practice.id, invoice.id, ADMIN, uow, env)
        elif kind == "void":
            changed = invoicing.void_invoice(practice.id, invoice.id, "test", ADMIN, uow, env)
        elif kind == "pay":
            amount = _part(invoice, args[1], invoice.balance)
            changed = payments.record_manual_payment(
                payments.RecordPayment(practice.id, ADMIN, invoice.id, amount, "cash"), uow, env
            )
        else:
            amount = _part(invoice, args[1], invoice.amount_paid)
            changed = payments.record_manual_refund(
                payments.RecordPayment(practice.id, ADMIN, invoice.id, amount, "cash"), uow, env
            )
    except DomainError:
        return
    made[at] = changed


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps, currency=st.sampled_from(["USD", "EUR", "JPY"]))
def test_the_rollup_equals_the_sum_of_the_invoices_after_any_changes(
    engine, new_uow, env, steps, currency
):
    # Each example its own practice: the database is shared by the examples of one test.
    practice = a_practice(new_uow(), env, currency)
    made: list[Invoice] = []

    for step in steps:
        apply(step, practice, made, new_uow(), env)

    assert stored_rollup(engine, practice.id) == summed_from_invoices(engine, practice.id)
    assert_lists_agree_with_their_invoices(new_uow(), practice.id)


def test_another_practices_invoices_never_count(engine, new_uow, env):
    a, b = a_practice(new_uow(), env, "USD"), a_practice(new_uow(), env, "USD")
    for practice, amounts in ((a, [10_000]), (b, [99_999, 1])):
        made: list[Invoice] = []
        apply(("create", 0, MONTHS[2], amounts, True), practice, made, new_uow(), env)

    uow = new_uow()
    with uow:
        totals = uow.invoices.page(a.id, InvoiceFilter(limit=1)).totals

    assert totals == (ListedTotals(1, Money.of("100.00", "USD"), Money.of("100.00", "USD")),)


# -- the migration ------------------------------------------------------------------------------


def test_the_migration_fills_the_rollup_from_the_invoices_already_stored(database_url, env):
    engine = create_engine_for(database_url)
    try:
        upgrade(engine)
        new_uow = partial(SqlAlchemyUnitOfWork, session_factory(engine))
        practice = a_practice(new_uow(), env, "EUR")
        made: list[Invoice] = []
        for step in (
            ("create", 0, MONTHS[0], [10_000, 2_550], True),
            ("create", 1, MONTHS[1], [7_000], True),
            ("create", 1, MONTHS[3], [99], False),
            ("create", 0, MONTHS[4], [12_345], True),
            ("pay", 0, 40),
            ("pay", 1, 100),
            ("void", 3),
            ("create", 1, MONTHS[2], [5_000], True),
        ):
            apply(step, practice, made, new_uow(), env)
        # Back to the schema before the rollup, and forward: the rollup is built from scratch.
        with engine.connect() as connection, connection.begin():
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS_DIR))
            config.attributes["connection"] = connection
            command.downgrade(config, "0009")
        with engine.connect() as connection:
            assert "invoice_totals" not in inspect(connection).get_table_names()
        upgrade(engine)

        rolled_up = stored_rollup(engine, practice.id)
        summed = summed_from_invoices(engine, practice.id)
        assert_lists_agree_with_their_invoices(new_uow(), practice.id)
    finally:
        engine.dispose()

    assert rolled_up == summed
    assert {status for status, _, _ in rolled_up} == {
        "open",
        "partially_paid",
        "paid",
        "draft",
        "void",
    }


# -- concurrent payments ------------------------------------------------------------------------

PAYERS = 8


def _all_at_once(count, work):
    start = threading.Barrier(count)

    def run(index):
        start.wait(timeout=30)
        try:
            return work(index)
        except Exception as error:  # the test inspects what each thread met
            return error

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_concurrent_payments_leave_the_rollup_equal_to_the_invoices(backend, engine, new_uow, env):
    if backend != "postgresql":
        pytest.skip("SQLite lets one writer in at a time; PostgreSQL's writers overlap")
    practice = a_practice(new_uow(), env, "USD")
    made: list[Invoice] = []
    # Every invoice in one bucket (issued the same month): all the payers write its row.
    for n in range(PAYERS):
        apply(("create", n % 2, MONTHS[2], [10_000 + n], True), practice, made, new_uow(), env)
    # Two payers per invoice for the first two: one of each pair meets a stale edit.
    targets = [made[0], made[0], made[1], made[1], *made[2 : PAYERS - 2]]

    results = _all_at_once(
        len(targets),
        lambda n: payments.record_manual_payment(
            payments.RecordPayment(practice.id, ADMIN, targets[n].id, Decimal(n % 3 + 1), "cash"),
            new_uow(),
            env,
        ),
    )

    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, StaleEdit)]
    assert unexpected == []
    assert sum(isinstance(r, Invoice) for r in results) >= len(targets) - 2
    assert stored_rollup(engine, practice.id) == summed_from_invoices(engine, practice.id)
    assert_lists_agree_with_their_invoices(new_uow(), practice.id)
    with engine.connect() as connection:
        paid = connection.scalar(
            select(func.sum(InvoiceRow.paid_minor)).where(InvoiceRow.practice_id == practice.id)
        )
    assert paid == sum((n % 3 + 1) * 100 for n, r in enumerate(results) if isinstance(r, Invoice))
