"""One practice can neither see nor change another's records through any use case."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest

from domain.appointments import Appointment, AppointmentStatus
from domain.clients import Client
from domain.errors import NotFound, ValidationError
from domain.invoices import Invoice
from domain.ports import Env, InvoiceFilter
from domain.practice import Practice, TaxRate
from domain.services import ServiceType
from domain.usecases.invoicing import (
    CreateInvoice,
    EditDraft,
    create_invoice,
    create_invoice_from_appointment,
    edit_draft,
    issue_invoice,
    prefill_invoice,
    void_invoice,
)
from domain.usecases.payments import (
    RecordPayment,
    record_manual_payment,
    record_manual_refund,
)
from domain.usecases.records import (
    AddServiceType,
    ClientDetails,
    EditClient,
    ScheduleAppointment,
    add_service_type,
    edit_client,
    schedule_appointment,
    set_appointment_status,
    set_service_type_active,
)
from domain.usecases.reporting import billing_totals, list_invoices
from domain.usecases.settings import (
    UpdateTaxRate,
    archive_tax_rate,
    set_default_tax_rate,
    update_tax_rate,
)
from factories import (
    ACTOR,
    CLINICIAN,
    a_client,
    a_line,
    a_payment,
    a_practice,
    a_service,
    a_tax_rate,
    an_appointment,
    an_invoice,
    an_issued_invoice,
)
from fakes import FakeUnitOfWork


@dataclass
class Harbour:
    """Practice A and its records, which practice B must not reach."""

    practice: Practice
    rate: TaxRate
    client: Client
    service: ServiceType
    appointment: Appointment
    draft: Invoice
    issued: Invoice


@pytest.fixture
def harbour(uow: FakeUnitOfWork, env: Env) -> Harbour:
    practice = a_practice(uow, env, name="Harbour")
    a_tax_rate(uow, env, practice, name="Standard")
    rate = a_tax_rate(uow, env, practice, name="Reduced", percent="5")
    client = a_client(uow, env, practice)
    service = a_service(uow, env, practice, tax_rate=rate)
    appointment = an_appointment(uow, env, practice, client=client, service=service)
    draft = an_invoice(uow, env, practice, client=client)
    issued = an_issued_invoice(uow, env, practice, client=client)
    issued = a_payment(uow, env, practice, issued, "10.00")
    return Harbour(practice, rate, client, service, appointment, draft, issued)


@pytest.fixture
def hillside(uow: FakeUnitOfWork, env: Env) -> Practice:
    return a_practice(uow, env, name="Hillside")


REACHES_INTO_HARBOUR: dict[str, Callable[[Harbour, Practice, FakeUnitOfWork, Env], object]] = {
    "edit client": lambda a, b, uow, env: edit_client(
        EditClient(b.id, ACTOR, a.client.id, a.client.version, ClientDetails("X", "x@y.org")),
        uow,
        env,
    ),
    "retire service": lambda a, b, uow, env: set_service_type_active(
        b.id, a.service.id, False, ACTOR, uow, env
    ),
    "cancel appointment": lambda a, b, uow, env: set_appointment_status(
        b.id, a.appointment.id, AppointmentStatus.CANCELLED, ACTOR, uow, env
    ),
    "rename tax rate": lambda a, b, uow, env: update_tax_rate(
        UpdateTaxRate(b.id, ACTOR, a.rate.id, "Mine", "5"), uow, env
    ),
    "archive tax rate": lambda a, b, uow, env: archive_tax_rate(b.id, a.rate.id, ACTOR, uow, env),
    "default tax rate": lambda a, b, uow, env: set_default_tax_rate(
        b.id, a.rate.id, ACTOR, uow, env
    ),
    "prefill for client": lambda a, b, uow, env: prefill_invoice(
        b.id, uow, env, client_id=a.client.id
    ),
    "prefill for appointment": lambda a, b, uow, env: prefill_invoice(
        b.id, uow, env, appointment_id=a.appointment.id
    ),
    "invoice appointment": lambda a, b, uow, env: create_invoice_from_appointment(
        b.id, a.appointment.id, ACTOR, uow, env
    ),
    "edit draft": lambda a, b, uow, env: edit_draft(
        EditDraft(
            b.id,
            ACTOR,
            a.draft.id,
            a.draft.version,
            a.draft.client_id,
            a.draft.issue_date,
            a.draft.due_date,
            (a_line(b),),
        ),
        uow,
        env,
    ),
    "issue": lambda a, b, uow, env: issue_invoice(b.id, a.draft.id, ACTOR, uow, env),
    "void": lambda a, b, uow, env: void_invoice(b.id, a.draft.id, "", ACTOR, uow, env),
    "record payment": lambda a, b, uow, env: record_manual_payment(
        RecordPayment(b.id, ACTOR, a.issued.id, "1.00", "cash"), uow, env
    ),
    "record refund": lambda a, b, uow, env: record_manual_refund(
        RecordPayment(b.id, ACTOR, a.issued.id, "1.00", "cash"), uow, env
    ),
}


@pytest.mark.parametrize("reach", REACHES_INTO_HARBOUR.values(), ids=REACHES_INTO_HARBOUR.keys())
def test_another_practices_record_is_not_found_and_stays_as_it_was(
    uow: FakeUnitOfWork,
    env: Env,
    harbour: Harbour,
    hillside: Practice,
    reach: Callable[[Harbour, Practice, FakeUnitOfWork, Env], object],
) -> None:
    before = uow.committed

    with pytest.raises(NotFound):
        reach(harbour, hillside, uow, env)

    assert uow.committed == before


def test_another_practices_client_cannot_be_invoiced(
    uow: FakeUnitOfWork, env: Env, harbour: Harbour, hillside: Practice
) -> None:
    before = uow.committed

    with pytest.raises(ValidationError) as refused:
        create_invoice(
            CreateInvoice(hillside.id, ACTOR, harbour.client.id, (a_line(hillside),)), uow, env
        )

    assert refused.value.errors == {"client": "Pick one of the practice's clients."}
    assert uow.committed == before


def test_another_practices_rate_service_and_appointment_cannot_go_on_a_line(
    uow: FakeUnitOfWork, env: Env, harbour: Harbour, hillside: Practice
) -> None:
    own_client = a_client(uow, env, hillside)
    with_rate = a_line(hillside, tax_rate=harbour.rate)
    with_appointment = a_line(hillside, appointment=harbour.appointment)
    with_service = replace(a_line(hillside), service_type_id=harbour.service.id)
    before = uow.committed

    with pytest.raises(ValidationError) as refused:
        create_invoice(
            CreateInvoice(
                hillside.id, ACTOR, own_client.id, (with_rate, with_appointment, with_service)
            ),
            uow,
            env,
        )

    assert set(refused.value.errors) == {
        "lines.0.tax_rate",
        "lines.1.appointment",
        "lines.2.service_type",
    }
    assert uow.committed == before


def test_another_practices_client_and_service_cannot_be_booked(
    uow: FakeUnitOfWork, env: Env, harbour: Harbour, hillside: Practice
) -> None:
    before = uow.committed

    with pytest.raises(ValidationError) as refused:
        schedule_appointment(
            ScheduleAppointment(
                hillside.id,
                ACTOR,
                harbour.client.id,
                harbour.service.id,
                datetime(2025, 3, 17, 14, 0, tzinfo=UTC),
                50,
                CLINICIAN,
            ),
            uow,
            env,
        )

    assert set(refused.value.errors) == {"client", "service_type"}
    assert uow.committed == before


def test_another_practices_tax_rate_cannot_be_a_service_default(
    uow: FakeUnitOfWork, env: Env, harbour: Harbour, hillside: Practice
) -> None:
    before = uow.committed

    with pytest.raises(ValidationError) as refused:
        add_service_type(
            AddServiceType(hillside.id, ACTOR, "Session", "90", harbour.rate.id), uow, env
        )

    assert set(refused.value.errors) == {"default_tax_rate"}
    assert uow.committed == before


def test_lists_and_totals_show_only_the_practices_own_invoices(
    uow: FakeUnitOfWork, env: Env, harbour: Harbour, hillside: Practice
) -> None:
    own = an_issued_invoice(uow, env, hillside, lines=1)

    listed = list_invoices(hillside.id, InvoiceFilter(), uow)
    (totals,) = billing_totals(hillside.id, uow, env)

    assert listed == [own]
    assert totals.outstanding == own.balance
    assert totals.paid_this_month.is_zero
    assert totals.unpaid_count == 1
