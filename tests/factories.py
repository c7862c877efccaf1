"""Scenario builders for unit tests: each makes one record through the real use case, with
defaults a test only overrides when the value matters to it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from domain.appointments import Appointment
from domain.clients import Client
from domain.invoices import Invoice, LineInput
from domain.money import Money
from domain.ports import Env, UnitOfWork
from domain.practice import Practice, TaxRate
from domain.services import ServiceType
from domain.usecases.invoicing import CreateInvoice, create_invoice, issue_invoice
from domain.usecases.payments import RecordPayment, record_manual_payment
from domain.usecases.records import (
    AddClient,
    AddServiceType,
    ClientDetails,
    ScheduleAppointment,
    add_client,
    add_service_type,
    schedule_appointment,
)
from domain.usecases.settings import (
    AddTaxRate,
    ConfigureBillingDetails,
    CreatePractice,
    add_tax_rate,
    configure_billing_details,
    create_practice,
)
from fakes import FixedClock, SequentialIds

ACTOR = "U0ADMIN01"
CLINICIAN = "U0CLIN001"


def an_env(now: datetime | None = None) -> tuple[Env, FixedClock]:
    """The clock and id ports, with the clock returned too so a test can move it."""
    clock = FixedClock(now or datetime(2025, 3, 14, 15, 0, tzinfo=UTC))
    return Env(clock=clock, ids=SequentialIds()), clock


def _unique(env: Env, stem: str) -> str:
    return f"{stem} {env.ids.new_id()}"


def a_practice(
    uow: UnitOfWork,
    env: Env,
    *,
    currency: str = "USD",
    time_zone: str = "UTC",
    name: str = "Harbour Therapy",
    country: str = "",
) -> Practice:
    """A freshly installed practice of its own workspace."""
    practice = create_practice(
        CreatePractice(
            workspace_id=f"T{env.ids.new_id()}",
            name=name,
            actor=ACTOR,
            currency=currency,
            time_zone=time_zone,
        ),
        uow,
        env,
    )
    if country:
        practice = configure_billing_details(
            ConfigureBillingDetails(practice.id, ACTOR, name, currency, time_zone, country=country),
            uow,
            env,
        )
    return practice


def a_tax_rate(
    uow: UnitOfWork,
    env: Env,
    practice: Practice,
    *,
    name: str | None = None,
    percent: str = "20",
    make_default: bool = False,
) -> TaxRate:
    return add_tax_rate(
        AddTaxRate(practice.id, ACTOR, name or _unique(env, "Tax"), percent, make_default),
        uow,
        env,
    )


def a_client(
    uow: UnitOfWork,
    env: Env,
    practice: Practice,
    *,
    name: str = "Ada Lovelace",
    email: str = "ada@example.com",
    phone: str = "",
) -> Client:
    return add_client(
        AddClient(practice.id, ACTOR, ClientDetails(name=name, email=email, phone=phone)), uow, env
    )


def a_service(
    uow: UnitOfWork,
    env: Env,
    practice: Practice,
    *,
    name: str | None = None,
    price: str = "120.00",
    tax_rate: TaxRate | None = None,
) -> ServiceType:
    return add_service_type(
        AddServiceType(
            practice.id,
            ACTOR,
            name or _unique(env, "Session"),
            price,
            tax_rate.id if tax_rate else None,
        ),
        uow,
        env,
    )


def an_appointment(
    uow: UnitOfWork,
    env: Env,
    practice: Practice,
    *,
    client: Client | None = None,
    service: ServiceType | None = None,
    start: datetime | None = None,
    minutes: int = 50,
) -> Appointment:
    return schedule_appointment(
        ScheduleAppointment(
            practice.id,
            ACTOR,
            (client or a_client(uow, env, practice)).id,
            (service or a_service(uow, env, practice)).id,
            start or env.clock.now() - timedelta(days=1),
            minutes,
            CLINICIAN,
        ),
        uow,
        env,
    )


def a_line(
    practice: Practice,
    *,
    price: str = "100.00",
    quantity: str = "1",
    tax_rate: TaxRate | None = None,
    description: str = "Individual session",
    service_date: date = date(2025, 3, 10),
    currency: str | None = None,
    appointment: Appointment | None = None,
) -> LineInput:
    """A line as a person would type it, in the practice's currency unless told otherwise."""
    return LineInput(
        service_date=service_date,
        description=description,
        quantity=Decimal(quantity),
        unit_price=Money.of(price, currency or practice.currency),
        tax_rate_id=tax_rate.id if tax_rate else None,
        appointment_id=appointment.id if appointment else None,
    )


def an_invoice(
    uow: UnitOfWork,
    env: Env,
    practice: Practice,
    *,
    client: Client | None = None,
    lines: int | Sequence[LineInput] = 3,
    price: str = "100.00",
    tax_rate: TaxRate | None = None,
    issue_date: date | None = None,
    due_date: date | None = None,
) -> Invoice:
    """A draft with `lines` identical lines (or the lines given)."""
    inputs = (
        tuple(a_line(practice, price=price, tax_rate=tax_rate) for _ in range(lines))
        if isinstance(lines, int)
        else tuple(lines)
    )
    return create_invoice(
        CreateInvoice(
            practice.id,
            ACTOR,
            (client or a_client(uow, env, practice)).id,
            inputs,
            issue_date,
            due_date,
        ),
        uow,
        env,
    )


def an_issued_invoice(
    uow: UnitOfWork,
    env: Env,
    practice: Practice,
    *,
    client: Client | None = None,
    lines: int | Sequence[LineInput] = 3,
    price: str = "100.00",
    tax_rate: TaxRate | None = None,
    issue_date: date | None = None,
    due_date: date | None = None,
) -> Invoice:
    """An open invoice: created and issued, nothing paid yet."""
    draft = an_invoice(
        uow,
        env,
        practice,
        client=client,
        lines=lines,
        price=price,
        tax_rate=tax_rate,
        issue_date=issue_date,
        due_date=due_date,
    )
    return issue_invoice(practice.id, draft.id, ACTOR, uow, env)


def a_payment(
    uow: UnitOfWork,
    env: Env,
    practice: Practice,
    invoice: Invoice,
    amount: str,
    *,
    method: str = "cash",
    received_on: date | None = None,
) -> Invoice:
    """Money received by hand against an issued invoice; returns the invoice after it."""
    return record_manual_payment(
        RecordPayment(practice.id, ACTOR, invoice.id, amount, method, received_on),
        uow,
        env,
    )
