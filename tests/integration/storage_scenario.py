"""A small practice set up through the real use cases, for the storage tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from domain.appointments import Appointment
from domain.clients import Client
from domain.invoices import Invoice, LineInput
from domain.money import Money
from domain.ports import Env, UnitOfWork
from domain.practice import Practice, TaxRate
from domain.services import ServiceType
from domain.usecases import invoicing, records, settings

ADMIN = "U0ADMIN01"


@dataclass(frozen=True)
class Setup:
    practice: Practice
    rate: TaxRate
    client: Client
    service: ServiceType
    appointment: Appointment


def a_practice_with_records(
    uow: UnitOfWork, env: Env, workspace: str = "T0PRACTICEA", name: str = "Calm Minds"
) -> Setup:
    practice = settings.create_practice(
        settings.CreatePractice(workspace, name, ADMIN, "USD", "America/New_York"), uow, env
    )
    rate = settings.add_tax_rate(
        settings.AddTaxRate(practice.id, ADMIN, "Sales tax", "8.875"), uow, env
    )
    client = records.add_client(
        records.AddClient(
            practice.id,
            ADMIN,
            records.ClientDetails("Ada Lovelace", "ada@example.com", "+14155550100"),
        ),
        uow,
        env,
    )
    service = records.add_service_type(
        records.AddServiceType(practice.id, ADMIN, "Therapy session", "150.00", rate.id), uow, env
    )
    appointment = records.schedule_appointment(
        records.ScheduleAppointment(
            practice.id,
            ADMIN,
            client.id,
            service.id,
            datetime(2026, 11, 20, 15, tzinfo=UTC),
            50,
            "U0CLINIC1",
        ),
        uow,
        env,
    )
    with uow:
        practice = uow.practices.get(practice.id) or practice
    return Setup(practice, rate, client, service, appointment)


def an_invoice(uow: UnitOfWork, env: Env, setup: Setup, lines: int = 3) -> Invoice:
    return invoicing.create_invoice(
        invoicing.CreateInvoice(
            setup.practice.id,
            ADMIN,
            setup.client.id,
            tuple(
                LineInput(
                    date(2026, 11, 1 + index),
                    f"Session {index + 1}",
                    Decimal("1.5") if index % 2 else Decimal(1),
                    Money.of(Decimal("99.99") + index, "USD"),
                    setup.rate.id if index % 2 == 0 else None,
                )
                for index in range(lines)
            ),
        ),
        uow,
        env,
    )


def raw_invoice_row(like: Invoice, **columns: object) -> dict[str, object]:
    """The columns of an invoice row written past the repository (to show what the database
    itself refuses), copied from `like` except where `columns` says otherwise."""
    return {
        "currency": "USD",
        "issue_date": like.issue_date,
        "due_date": like.due_date,
        "state": "draft",
        "status": "draft",
        "total_minor": 0,
        "paid_minor": 0,
        "created_at": like.created_at,
        "created_by": ADMIN,
        "void_reason": "",
        "version": 1,
        **columns,
    }
