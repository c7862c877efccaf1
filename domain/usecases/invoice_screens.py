"""The reads behind the invoice screens in Slack (the new-invoice form, the invoice card, an
invoice looked up by number) and the bookkeeping of where each invoice's card is posted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from zoneinfo import ZoneInfo

from domain.audit import AuditEvent
from domain.clients import Client
from domain.errors import InvoiceNotEditable, NotFound
from domain.ids import AppointmentId, ClientId, InvoiceId, PracticeId, TaxRateId
from domain.invoices import CardPlace, Invoice, InvoiceState, LineInput
from domain.money import Currency
from domain.online_payments import PayLink
from domain.ports import Env, UnitOfWork
from domain.practice import Practice, TaxRate
from domain.services import ServiceType
from domain.usecases._common import load_practice
from domain.usecases.invoicing import InvoicePrefill, load_invoice, prefill_invoice

PICKER_LIMIT = 100
"""How many clients a form lists at most; past that it searches as the user types."""


@dataclass(frozen=True, slots=True)
class NewInvoiceForm:
    """What the new-invoice form offers and starts with."""

    currency: Currency
    locale: str
    """How the practice writes numbers: prices are shown and typed this way."""
    clients: tuple[Client, ...]
    """Every client by name, or none when there are more than `PICKER_LIMIT` (search)."""
    client_count: int
    services: tuple[ServiceType, ...]
    """The active services, by name."""
    tax_rates: tuple[TaxRate, ...]
    """The active tax rates, by name."""
    default_tax_rate_id: TaxRateId | None
    prefill: InvoicePrefill
    prefilled_client: Client | None


def new_invoice_form(
    practice_id: PracticeId,
    uow: UnitOfWork,
    env: Env,
    *,
    client_id: ClientId | None = None,
    client_text: str = "",
    appointment_id: AppointmentId | None = None,
    appointment_ids: Sequence[AppointmentId] = (),
) -> NewInvoiceForm:
    """The form blank, for a client (by id, or the one client matching `client_text`), or from
    one or several appointments of one client, a line each; raises AppointmentAlreadyInvoiced
    for an appointment already invoiced (see `prefill_invoice`)."""
    if client_id is None and client_text:
        with uow:
            found = uow.clients.matching(practice_id, client_text, 2)
        client_id = found[0].id if len(found) == 1 else None
    prefill = prefill_invoice(
        practice_id,
        uow,
        env,
        client_id=client_id,
        appointment_id=appointment_id,
        appointment_ids=appointment_ids,
    )
    with uow:
        practice = load_practice(uow, practice_id)
        # Past PICKER_LIMIT the form searches as the user types, so no client is read here.
        client_count = uow.clients.count(practice_id)
        clients = (
            uow.clients.page(practice_id, 0, PICKER_LIMIT) if client_count <= PICKER_LIMIT else []
        )
        services = sorted(uow.service_types.list(practice_id), key=lambda s: s.name.casefold())
        rates = sorted(uow.tax_rates.list(practice_id), key=lambda r: r.name.casefold())
        chosen = uow.clients.get(practice_id, prefill.client_id) if prefill.client_id else None
    return NewInvoiceForm(
        practice.currency,
        practice.locale,
        tuple(clients),
        client_count,
        tuple(services),
        tuple(rates),
        practice.default_tax_rate_id,
        prefill,
        chosen,
    )


@dataclass(frozen=True, slots=True)
class InvoiceCard:
    """An invoice as its card shows it, with where the card is and where a new one goes."""

    invoice: Invoice
    client_name: str
    client_initials: str
    today: date
    """The practice's today, which decides whether the invoice is overdue."""
    privacy_mode: bool
    billing_channel_id: str | None
    place: CardPlace | None
    service_names: dict[str, str]
    """Names of the services its lines came from, by id (the details modal shows them)."""
    locale: str
    """How the practice writes amounts: every amount of the card is shown this way."""
    pay_link: PayLink | None = None
    """The client's pay link, and when and to whom it was last sent."""
    client_email: str = ""
    takes_cards: bool = False
    """Whether the practice's Stripe account can take card payments now."""
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    """The practice's time zone, in which the card tells days."""
    reminders_on: bool = False
    """Whether the practice sends automatic reminders."""
    reminders_paused: bool = False

    @property
    def is_overdue(self) -> bool:
        return self.invoice.is_overdue(self.today)


def _card(practice: Practice, invoice: Invoice, uow: UnitOfWork, env: Env) -> InvoiceCard:
    client = uow.clients.get(practice.id, invoice.client_id)
    services = {
        line.service_type_id: uow.service_types.get(practice.id, line.service_type_id)
        for line in invoice.lines
        if line.service_type_id
    }
    connection = uow.stripe_connections.get(practice.id)
    return InvoiceCard(
        invoice,
        client.name if client else "?",
        client.initials if client else "?",
        env.today_at(practice),
        practice.privacy_mode,
        practice.billing_channel_id,
        uow.invoices.card_place(practice.id, invoice.id),
        {key: service.name for key, service in services.items() if service is not None},
        practice.locale,
        pay_link=uow.pay_links.for_invoice(practice.id, invoice.id),
        client_email=client.email if client else "",
        takes_cards=bool(connection and connection.takes_cards),
        zone=practice.zone,
        reminders_on=practice.reminder_policy.enabled,
        reminders_paused=uow.reminders.is_paused(practice.id, invoice.id),
    )


def invoice_card(
    practice_id: PracticeId, invoice_id: InvoiceId, uow: UnitOfWork, env: Env
) -> InvoiceCard:
    """The invoice as its card shows it; NotFound unless it is the practice's."""
    with uow:
        practice = load_practice(uow, practice_id)
        return _card(practice, load_invoice(uow, practice_id, invoice_id), uow, env)


def invoice_numbered(
    practice_id: PracticeId, number: str, uow: UnitOfWork, env: Env
) -> InvoiceCard:
    """The practice's invoice printed as `number` (any letter case); NotFound otherwise."""
    with uow:
        practice = load_practice(uow, practice_id)
        invoice = uow.invoices.with_number(practice_id, number)
        if invoice is None:
            raise NotFound("invoice numbered", number)
        return _card(practice, invoice, uow, env)


def invoice_history(
    practice_id: PracticeId, invoice_id: InvoiceId, uow: UnitOfWork, env: Env
) -> tuple[Invoice, tuple[AuditEvent, ...]]:
    """The invoice and what was done to it, oldest first; NotFound unless it is the
    practice's."""
    with uow:
        invoice = load_invoice(uow, practice_id, invoice_id)
        events = uow.audit.for_subject(practice_id, invoice_id)
    return invoice, tuple(sorted(events, key=lambda event: event.at))


def edit_form(
    practice_id: PracticeId, invoice_id: InvoiceId, uow: UnitOfWork, env: Env
) -> tuple[Invoice, NewInvoiceForm]:
    """The new-invoice form filled in with a draft, to edit it; InvoiceNotEditable unless it
    is a draft, NotFound unless it is the practice's."""
    with uow:
        invoice = load_invoice(uow, practice_id, invoice_id)
    if invoice.state is not InvoiceState.DRAFT:
        raise InvoiceNotEditable(
            f"{invoice.number} is {invoice.status.label.lower()}; only drafts can be edited."
        )
    blank = new_invoice_form(practice_id, uow, env, client_id=invoice.client_id)
    lines = tuple(
        LineInput(
            service_date=line.service_date,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            tax_rate_id=line.tax_rate_id,
            service_type_id=line.service_type_id,
            appointment_id=line.appointment_id,
        )
        for line in invoice.lines
    )
    prefill = InvoicePrefill(invoice.client_id, invoice.issue_date, invoice.due_date, lines)
    return invoice, replace(blank, prefill=prefill)


def place_card(
    practice_id: PracticeId, invoice_id: InvoiceId, place: CardPlace, uow: UnitOfWork, env: Env
) -> None:
    """Remember where the invoice's card was just posted, so later changes update it there."""
    with uow:
        load_invoice(uow, practice_id, invoice_id)
        uow.invoices.place_card(practice_id, invoice_id, place, env.clock.now())
        uow.commit()
