"""One practice can never read or change another practice's rows."""

from __future__ import annotations

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from storage_scenario import ADMIN, a_practice_with_records, an_invoice, raw_invoice_row

from domain.errors import NotFound, StaleEdit
from domain.ports import InvoiceFilter
from domain.usecases import invoicing, records, reporting
from storage.orm import InvoiceRow


def test_repositories_never_return_another_practices_rows(uow, env):
    a = a_practice_with_records(uow, env, "T0PRACTICEA", "Practice A")
    b = a_practice_with_records(uow, env, "T0PRACTICEB", "Practice B")
    invoice_a = an_invoice(uow, env, a)

    with uow:
        assert uow.clients.get(b.practice.id, a.client.id) is None
        assert uow.tax_rates.get(b.practice.id, a.rate.id) is None
        assert uow.service_types.get(b.practice.id, a.service.id) is None
        assert uow.appointments.get(b.practice.id, a.appointment.id) is None
        assert uow.invoices.get(b.practice.id, invoice_a.id) is None
        assert [client.id for client in uow.clients.list(b.practice.id)] == [b.client.id]
        assert uow.clients.names(b.practice.id, [a.client.id, b.client.id]) == {
            b.client.id: b.client.name
        }
        assert uow.invoices.find(b.practice.id, InvoiceFilter()) == []
        assert uow.invoices.count(b.practice.id) == 0
        assert uow.audit.for_subject(b.practice.id, invoice_a.id) == []


def test_use_cases_of_practice_b_cannot_touch_practice_a(uow, env):
    a = a_practice_with_records(uow, env, "T0PRACTICEA", "Practice A")
    b = a_practice_with_records(uow, env, "T0PRACTICEB", "Practice B")
    invoice_a = an_invoice(uow, env, a)

    with pytest.raises(NotFound):
        invoicing.issue_invoice(b.practice.id, invoice_a.id, ADMIN, uow, env)
    with pytest.raises(NotFound):
        invoicing.void_invoice(b.practice.id, invoice_a.id, "", ADMIN, uow, env)
    with pytest.raises(NotFound):
        records.edit_client(
            records.EditClient(
                b.practice.id,
                ADMIN,
                a.client.id,
                1,
                records.ClientDetails("Mallory", "m@example.com"),
            ),
            uow,
            env,
        )

    assert reporting.list_invoices(b.practice.id, InvoiceFilter(), uow) == []
    with uow:
        assert uow.clients.get(a.practice.id, a.client.id).name == "Ada Lovelace"
        assert uow.invoices.get(a.practice.id, invoice_a.id).status.value == "draft"


def test_an_update_under_the_wrong_practice_changes_nothing(uow, env):
    a = a_practice_with_records(uow, env, "T0PRACTICEA", "Practice A")
    b = a_practice_with_records(uow, env, "T0PRACTICEB", "Practice B")
    forged = a.client.__class__(
        a.client.id, b.practice.id, "Mallory", "m@example.com", version=a.client.version + 1
    )

    with uow, pytest.raises(StaleEdit):
        uow.clients.update(forged)

    with uow:
        assert uow.clients.get(a.practice.id, a.client.id) == a.client


def test_the_database_refuses_an_invoice_pointing_at_another_practices_client(engine, uow, env):
    a = a_practice_with_records(uow, env, "T0PRACTICEA", "Practice A")
    b = a_practice_with_records(uow, env, "T0PRACTICEB", "Practice B")
    invoice_b = an_invoice(uow, env, b, lines=1)

    with engine.begin() as connection, pytest.raises(IntegrityError):
        connection.execute(  # bypassing the repository is the point
            insert(InvoiceRow).values(
                raw_invoice_row(
                    invoice_b,
                    id="forged",
                    practice_id=b.practice.id,
                    number="INV-9999",
                    sequence=9999,
                    client_id=a.client.id,
                )
            )
        )
