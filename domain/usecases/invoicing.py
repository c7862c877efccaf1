"""Create, edit, issue and void invoices: blank, for a client, or from an appointment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from domain.appointments import Appointment
from domain.errors import (
    AppointmentAlreadyInvoiced,
    AppointmentNotBillable,
    FieldErrors,
    InvalidValue,
    NotFound,
    StaleEdit,
)
from domain.ids import (
    AppointmentId,
    ClientId,
    InvoiceId,
    InvoiceLineId,
    PracticeId,
    ServiceTypeId,
    TaxRateId,
)
from domain.invoices import (
    Invoice,
    InvoiceLine,
    InvoiceTotals,
    LineInput,
    check_dates,
    compute_totals,
    validate_lines,
)
from domain.ports import Env, UnitOfWork
from domain.practice import Practice, TaxRate
from domain.services import ServiceType
from domain.text import optional_text
from domain.usecases import _reminder_plans
from domain.usecases._common import audit, load_practice

_CANCELLED = "That appointment was cancelled, and a cancelled appointment is not billed."


@dataclass(frozen=True, slots=True)
class InvoicePrefill:
    """What the new-invoice form starts with."""

    client_id: ClientId | None
    issue_date: date
    due_date: date
    lines: tuple[LineInput, ...]


def load_invoice(uow: UnitOfWork, practice_id: PracticeId, invoice_id: InvoiceId) -> Invoice:
    invoice = uow.invoices.get(practice_id, invoice_id)
    if invoice is None:
        raise NotFound("invoice", invoice_id)
    return invoice


def _line_for_appointment(
    practice: Practice, appointment: Appointment, uow: UnitOfWork
) -> LineInput:
    service = uow.service_types.get(practice.id, appointment.service_type_id)
    if service is None:
        raise NotFound("service type", appointment.service_type_id)
    return LineInput(
        service_date=appointment.start.astimezone(practice.zone).date(),
        description=service.name,
        quantity=Decimal(1),
        unit_price=service.default_price,
        tax_rate_id=service.default_tax_rate_id or practice.default_tax_rate_id,
        service_type_id=service.id,
        appointment_id=appointment.id,
    )


def _ensure_not_invoiced(
    uow: UnitOfWork, practice_id: PracticeId, appointment_id: AppointmentId
) -> None:
    existing = uow.invoices.for_appointment(practice_id, appointment_id)
    if existing is not None:
        raise AppointmentAlreadyInvoiced(appointment_id, existing.number)


def _billable(
    uow: UnitOfWork, practice_id: PracticeId, appointment_id: AppointmentId
) -> Appointment:
    appointment = uow.appointments.get(practice_id, appointment_id)
    if appointment is None:
        raise NotFound("appointment", appointment_id)
    if not appointment.is_billable:
        raise AppointmentNotBillable(_CANCELLED)
    _ensure_not_invoiced(uow, practice_id, appointment_id)
    return appointment


def prefill_invoice(
    practice_id: PracticeId,
    uow: UnitOfWork,
    env: Env,
    *,
    client_id: ClientId | None = None,
    appointment_id: AppointmentId | None = None,
    appointment_ids: Sequence[AppointmentId] = (),
) -> InvoicePrefill:
    """The new-invoice form: blank, for a client, or from one or several appointments of one
    client, a line each (each appointment on at most one invoice that is not void). Raises
    NotFound, AppointmentAlreadyInvoiced, AppointmentNotBillable for a cancelled one, or
    InvalidValue for appointments of different clients."""
    wanted = tuple(dict.fromkeys((appointment_id,) if appointment_id else appointment_ids))
    with uow:
        practice = load_practice(uow, practice_id)
        today = env.today_at(practice)
        due = today + timedelta(days=practice.invoice_settings.payment_terms_days)
        if wanted:
            appointments = [_billable(uow, practice_id, each) for each in wanted]
            if len({a.client_id for a in appointments}) > 1:
                raise InvalidValue("One invoice bills one client's appointments.")
            appointments.sort(key=lambda a: (a.start, a.id))
            lines = tuple(_line_for_appointment(practice, a, uow) for a in appointments)
            return InvoicePrefill(appointments[0].client_id, today, due, lines)
        if client_id is not None and uow.clients.get(practice_id, client_id) is None:
            raise NotFound("client", client_id)
        return InvoicePrefill(client_id, today, due, ())


@dataclass(frozen=True, slots=True)
class CreateInvoice:
    practice_id: PracticeId
    actor: str
    client_id: ClientId | None
    lines: tuple[LineInput, ...]
    issue_date: date | None = None
    due_date: date | None = None
    issue: bool = False
    """Issue it at once (open, to be sent and paid) rather than keep it a draft."""


@dataclass(frozen=True, slots=True)
class EditDraft:
    practice_id: PracticeId
    actor: str
    invoice_id: InvoiceId
    expected_version: int
    client_id: ClientId | None
    issue_date: date
    due_date: date
    lines: tuple[LineInput, ...]


def _build_lines(
    practice: Practice,
    client_id: ClientId | None,
    inputs: tuple[LineInput, ...],
    uow: UnitOfWork,
    env: Env,
    errors: FieldErrors,
    own_invoice: InvoiceId | None = None,
) -> tuple[InvoiceLine, ...]:
    """Check each line against the practice's records and turn it into an invoice line.

    Each service and tax rate is read once, however many lines name it: an invoice of 50
    sessions names the same one or two."""
    lines: list[InvoiceLine] = []
    seen_appointments: set[AppointmentId] = set()
    services: dict[ServiceTypeId, ServiceType | None] = {}
    rates: dict[TaxRateId, TaxRate | None] = {}
    for index, line in validate_lines(inputs, practice.currency, practice.locale, errors):
        field = f"lines.{index}."
        description = line.description.strip()
        service_type_id: ServiceTypeId | None = None
        if line.service_type_id is not None:
            if line.service_type_id not in services:
                services[line.service_type_id] = uow.service_types.get(
                    practice.id, line.service_type_id
                )
            service = services[line.service_type_id]
            if service is None:
                errors.add(field + "service_type", "Pick one of the practice's services.")
                continue
            service_type_id = service.id
            description = description or service.name
        tax_rate_id: TaxRateId | None = None
        tax_name, tax_percent = "", Decimal(0)
        if line.tax_rate_id is not None:
            if line.tax_rate_id not in rates:
                rates[line.tax_rate_id] = uow.tax_rates.get(practice.id, line.tax_rate_id)
            rate = rates[line.tax_rate_id]
            if rate is None or rate.is_archived:
                errors.add(field + "tax_rate", "Pick one of the practice's active tax rates.")
                continue
            tax_rate_id, tax_name, tax_percent = rate.id, rate.name, rate.percent
        if line.appointment_id is not None:
            appointment = uow.appointments.get(practice.id, line.appointment_id)
            if appointment is None:
                errors.add(field + "appointment", "That appointment is not in this practice.")
                continue
            if client_id is not None and appointment.client_id != client_id:
                errors.add(field + "appointment", "That appointment is another client's.")
                continue
            if not appointment.is_billable:
                errors.add(field + "appointment", _CANCELLED)
                continue
            if appointment.id in seen_appointments:
                errors.add(field + "appointment", "This appointment is already on another line.")
                continue
            seen_appointments.add(appointment.id)
            existing = uow.invoices.for_appointment(practice.id, appointment.id)
            if existing is not None and existing.id != own_invoice:
                raise AppointmentAlreadyInvoiced(appointment.id, existing.number)
        lines.append(
            InvoiceLine(
                id=InvoiceLineId(env.ids.new_id()),
                service_date=line.service_date,
                description=description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                tax_rate_id=tax_rate_id,
                tax_name=tax_name,
                tax_percent=tax_percent,
                service_type_id=service_type_id,
                appointment_id=line.appointment_id,
            )
        )
    return tuple(lines)


@dataclass(frozen=True, slots=True)
class LinesPreview:
    """Lines as the invoice would hold them, with the totals it would show."""

    lines: tuple[InvoiceLine, ...]
    totals: InvoiceTotals


def preview_lines(
    practice_id: PracticeId,
    client_id: ClientId | None,
    inputs: tuple[LineInput, ...],
    uow: UnitOfWork,
    env: Env,
    *,
    own_invoice: InvoiceId | None = None,
) -> LinesPreview:
    """What `create_invoice` (or `edit_draft` of `own_invoice`) would make of `inputs`, priced
    and taxed by the same code, without storing anything: the invoice form's running totals.
    Raises ValidationError (fields `lines.N.*`) for a line the invoice would refuse; no lines
    is a zero total, not an error."""
    with uow:
        practice = load_practice(uow, practice_id)
        errors = FieldErrors()
        lines = (
            _build_lines(practice, client_id, inputs, uow, env, errors, own_invoice)
            if inputs
            else ()
        )
        errors.raise_if_any()
    return LinesPreview(lines, compute_totals(practice.currency, lines))


def _check_client(
    uow: UnitOfWork, practice_id: PracticeId, client_id: ClientId | None, errors: FieldErrors
) -> None:
    if client_id is None:
        errors.add("client", "Pick the client this invoice is for.")
    elif uow.clients.get(practice_id, client_id) is None:
        errors.add("client", "Pick one of the practice's clients.")


def _check_dates(issue_date: date, due_date: date, errors: FieldErrors) -> None:
    errors.check("due_date", lambda: check_dates(issue_date, due_date))


def create_invoice(cmd: CreateInvoice, uow: UnitOfWork, env: Env) -> Invoice:
    """Create a draft invoice with the practice's next number; an appointment goes on at
    most one invoice that is not void."""
    with uow:
        practice = load_practice(uow, cmd.practice_id)
        today = env.today_at(practice)
        issue_date = cmd.issue_date or today
        due_date = cmd.due_date or issue_date + timedelta(
            days=practice.invoice_settings.payment_terms_days
        )
        errors = FieldErrors()
        _check_client(uow, practice.id, cmd.client_id, errors)
        _check_dates(issue_date, due_date, errors)
        lines = _build_lines(practice, cmd.client_id, cmd.lines, uow, env, errors)
        errors.raise_if_any()
        assert cmd.client_id is not None
        sequence = uow.invoices.next_sequence(practice.id)
        invoice = Invoice(
            id=InvoiceId(env.ids.new_id()),
            practice_id=practice.id,
            number=practice.invoice_settings.format_number(sequence),
            sequence=sequence,
            client_id=cmd.client_id,
            currency=practice.currency,
            issue_date=issue_date,
            due_date=due_date,
            lines=lines,
            created_at=env.clock.now(),
            created_by=cmd.actor,
        )
        if cmd.issue:
            invoice = replace(invoice.issue(env.clock.now()), version=1)
        uow.invoices.add(invoice)
        audit(
            uow,
            env,
            practice.id,
            cmd.actor,
            "invoice.created",
            "invoice",
            invoice.id,
            number=invoice.number,
        )
        if cmd.issue:
            _audit_issued(uow, env, cmd.actor, invoice)
            _reminder_plans.invoice_changed(uow, env, None, invoice)
        uow.commit()
        return invoice


def create_invoice_from_appointment(
    practice_id: PracticeId, appointment_id: AppointmentId, actor: str, uow: UnitOfWork, env: Env
) -> Invoice:
    """A draft for one appointment, priced from its service; refused if already invoiced."""
    prefill = prefill_invoice(practice_id, uow, env, appointment_id=appointment_id)
    return create_invoice(
        CreateInvoice(
            practice_id,
            actor,
            prefill.client_id,
            prefill.lines,
            prefill.issue_date,
            prefill.due_date,
        ),
        uow,
        env,
    )


def edit_draft(cmd: EditDraft, uow: UnitOfWork, env: Env) -> Invoice:
    """Replace a draft's client, dates and lines; refused for anything but a current draft."""
    with uow:
        practice = load_practice(uow, cmd.practice_id)
        invoice = load_invoice(uow, practice.id, cmd.invoice_id)
        if invoice.version != cmd.expected_version:
            raise StaleEdit(
                f"{invoice.number} was changed by someone else meanwhile. Reopen it and try again."
            )
        errors = FieldErrors()
        _check_client(uow, practice.id, cmd.client_id, errors)
        _check_dates(cmd.issue_date, cmd.due_date, errors)
        lines = _build_lines(
            practice, cmd.client_id, cmd.lines, uow, env, errors, own_invoice=invoice.id
        )
        errors.raise_if_any()
        assert cmd.client_id is not None
        revised = invoice.revise(
            client_id=cmd.client_id, issue_date=cmd.issue_date, due_date=cmd.due_date, lines=lines
        )
        uow.invoices.update(revised)
        audit(uow, env, practice.id, cmd.actor, "invoice.edited", "invoice", invoice.id)
        uow.commit()
        return revised


def issue_invoice(
    practice_id: PracticeId, invoice_id: InvoiceId, actor: str, uow: UnitOfWork, env: Env
) -> Invoice:
    """Draft -> open: from now on it can be sent, paid and reminded about."""
    with uow:
        invoice = load_invoice(uow, practice_id, invoice_id)
        issued = invoice.issue(env.clock.now())
        uow.invoices.update(issued)
        _audit_issued(uow, env, actor, issued)
        _reminder_plans.invoice_changed(uow, env, invoice, issued)
        uow.commit()
        return issued


def _audit_issued(uow: UnitOfWork, env: Env, actor: str, issued: Invoice) -> None:
    audit(
        uow,
        env,
        issued.practice_id,
        actor,
        "invoice.issued",
        "invoice",
        issued.id,
        total_minor=str(issued.total.minor_units),
        currency=issued.currency.code,
    )


def void_invoice(
    practice_id: PracticeId,
    invoice_id: InvoiceId,
    reason: str,
    actor: str,
    uow: UnitOfWork,
    env: Env,
) -> Invoice:
    """Cancel an invoice for good; its appointments can then be invoiced again."""
    with uow:
        practice = load_practice(uow, practice_id)
        invoice = load_invoice(uow, practice_id, invoice_id)
        errors = FieldErrors()
        why = errors.check("reason", lambda: optional_text(reason, label="reason", max_length=500))
        errors.raise_if_any()
        voided = invoice.void(env.clock.now(), why or "", locale=practice.locale)
        uow.invoices.update(voided)
        audit(uow, env, practice_id, actor, "invoice.voided", "invoice", invoice.id)
        uow.commit()
        return voided
