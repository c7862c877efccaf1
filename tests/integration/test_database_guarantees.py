"""The database backs the domain's rules even when code above it is bypassed or races."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError
from storage_scenario import ADMIN, a_practice_with_records, an_invoice, raw_invoice_row

from domain.errors import AppointmentAlreadyInvoiced, ValidationError
from domain.invoices import LineInput
from domain.money import Money
from domain.usecases import invoicing, settings
from storage.engine import create_engine_for
from storage.orm import AppointmentInvoiceRow, InvoiceRow, TaxRateRow


def _count(engine, table) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(table))


def test_invoice_numbers_are_unique_per_practice_in_the_database(engine, uow, env):
    setup = a_practice_with_records(uow, env)
    first = an_invoice(uow, env, setup, lines=1)

    with engine.begin() as connection, pytest.raises(IntegrityError):
        connection.execute(
            insert(InvoiceRow).values(
                raw_invoice_row(
                    first,
                    id="duplicate",
                    practice_id=setup.practice.id,
                    number=first.number,
                    sequence=77,
                    client_id=setup.client.id,
                )
            )
        )


def test_an_appointment_is_held_by_one_invoice_at_a_time_in_the_database(engine, uow, env):
    setup = a_practice_with_records(uow, env)
    invoice = invoicing.create_invoice_from_appointment(
        setup.practice.id, setup.appointment.id, ADMIN, uow, env
    )
    other = an_invoice(uow, env, setup, lines=1)

    with engine.begin() as connection, pytest.raises(IntegrityError):
        connection.execute(
            insert(AppointmentInvoiceRow).values(
                practice_id=setup.practice.id,
                appointment_id=setup.appointment.id,
                invoice_id=other.id,
            )
        )

    assert invoice.appointment_ids == {setup.appointment.id}


def test_voiding_releases_the_appointment_for_a_new_invoice(uow, env):
    setup = a_practice_with_records(uow, env)
    first = invoicing.create_invoice_from_appointment(
        setup.practice.id, setup.appointment.id, ADMIN, uow, env
    )
    with pytest.raises(AppointmentAlreadyInvoiced):
        invoicing.create_invoice_from_appointment(
            setup.practice.id, setup.appointment.id, ADMIN, uow, env
        )

    invoicing.void_invoice(setup.practice.id, first.id, "wrong price", ADMIN, uow, env)
    second = invoicing.create_invoice_from_appointment(
        setup.practice.id, setup.appointment.id, ADMIN, uow, env
    )

    with uow:
        assert uow.invoices.for_appointment(setup.practice.id, setup.appointment.id) == second
    assert second.number != first.number


def test_active_tax_rate_names_are_unique_ignoring_case_in_the_database(engine, uow, env):
    setup = a_practice_with_records(uow, env)

    with engine.begin() as connection, pytest.raises(IntegrityError):
        connection.execute(
            insert(TaxRateRow).values(
                id="dup", practice_id=setup.practice.id, name="SALES TAX", percent_e4=10
            )
        )


def test_rejected_input_stores_nothing(engine, uow, env):
    setup = a_practice_with_records(uow, env)
    invoices_before = _count(engine, InvoiceRow)
    rates_before = _count(engine, TaxRateRow)

    with pytest.raises(ValidationError) as refused:
        invoicing.create_invoice(
            invoicing.CreateInvoice(
                setup.practice.id,
                ADMIN,
                setup.client.id,
                (LineInput(date(2026, 11, 1), "Session", Decimal(1), Money.of("10", "EUR")),),
                issue_date=date(2026, 11, 10),
                due_date=date(2026, 11, 1),
            ),
            uow,
            env,
        )
    with pytest.raises(ValidationError):
        settings.add_tax_rate(
            settings.AddTaxRate(setup.practice.id, ADMIN, "Luxury", "150"), uow, env
        )

    assert set(refused.value.errors) == {"due_date", "lines.0.unit_price"}
    assert _count(engine, InvoiceRow) == invoices_before
    assert _count(engine, TaxRateRow) == rates_before
    # The invoice counter was not consumed: the next invoice is still number 1.
    assert an_invoice(uow, env, setup).number == "INV-0001"


def test_leaving_a_unit_of_work_without_commit_keeps_nothing(uow, env):
    setup = a_practice_with_records(uow, env)
    invoice = an_invoice(uow, env, setup, lines=1)

    with uow:
        uow.invoices.update(invoice.issue(env.clock.now()))

    with uow:
        assert uow.invoices.get(setup.practice.id, invoice.id).status.value == "draft"


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(tmp_path):
    engine = create_engine_for(f"sqlite:///{tmp_path / 'pragmas.sqlite3'}")

    with engine.connect() as connection:
        journal = connection.execute(text("PRAGMA journal_mode")).scalar()
        foreign_keys = connection.execute(text("PRAGMA foreign_keys")).scalar()
        busy = connection.execute(text("PRAGMA busy_timeout")).scalar()

    assert (journal, foreign_keys) == ("wal", 1)
    assert busy >= 5000
    engine.dispose()
