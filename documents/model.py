"""An invoice's formatted fields, computed once so the pay page, the e-mails and the PDF
cannot disagree on a number, a date or a name.

Amounts, dates and percentages are formatted with Babel in the practice's locale.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_decimal

from domain.clients import Client
from domain.invoices import Invoice, InvoiceStatus
from domain.money import Money
from domain.payments import EntryKind, LedgerEntry
from domain.practice import InvoiceTemplate, InvoiceTheme, Practice, format_percent


@dataclass(frozen=True, slots=True)
class DocumentLine:
    service_date: str
    description: str
    quantity: str
    unit_price: str
    tax: str
    total: str


@dataclass(frozen=True, slots=True)
class DocumentTax:
    label: str
    amount: str


class Stamp(enum.StrEnum):
    """What a document says across its face, besides its numbers."""

    NONE = ""
    DRAFT = "DRAFT"
    PAID = "PAID"
    VOID = "VOID"
    OVERDUE = "OVERDUE"


@dataclass(frozen=True, slots=True)
class Design:
    """The practice's choice of layout and colours, the same on the page and the PDF."""

    template: InvoiceTemplate
    theme: InvoiceTheme


@dataclass(frozen=True, slots=True)
class InvoiceDocument:
    practice_name: str
    practice_address: tuple[str, ...]
    tax_number: str
    licence_number: str
    client_name: str
    client_first_name: str
    client_address: tuple[str, ...]
    client_email: str
    number: str
    issue_date: str
    due_date: str
    lines: tuple[DocumentLine, ...]
    subtotal: str
    taxes: tuple[DocumentTax, ...]
    total: str
    paid: str
    balance: str
    has_payments: bool
    status: InvoiceStatus
    status_label: str
    overdue: bool
    footer: str
    details: str
    payment_terms: str
    stamp: Stamp
    locale: str
    design: Design
    pay_url: str
    """The client's pay page, for the QR code; empty when the invoice has no pay link."""

    @property
    def text_mark(self) -> str:
        """What stands in for a logo: the practice's initials (at most three letters)."""
        letters = [word[0] for word in self.practice_name.split() if word[:1].isalnum()]
        return "".join(letters[:3]).upper() or "·"


@dataclass(frozen=True, slots=True)
class ReceiptDocument:
    invoice: InvoiceDocument
    receipt_number: str
    amount: str
    method: str
    paid_on: str


def _money(amount: Money, practice: Practice) -> str:
    return amount.format(practice.locale)


def _date(day: date | datetime, practice: Practice) -> str:
    if isinstance(day, datetime):
        day = day.astimezone(practice.zone).date()
    return str(format_date(day, format="medium", locale=practice.locale))


def formatted_date(day: date, practice: Practice) -> str:
    """A day as the practice's documents write it (medium form, in its locale)."""
    return _date(day, practice)


def _quantity(line_quantity: Decimal, practice: Practice) -> str:
    return str(format_decimal(line_quantity, format="#,##0.###", locale=practice.locale))


def payment_terms_text(days: int) -> str:
    if days == 0:
        return "Payment is due on receipt."
    return f"Payment is due within {days} day{'s' if days != 1 else ''} of the issue date."


def _stamp(invoice: Invoice, today: date) -> Stamp:
    if invoice.status is InvoiceStatus.DRAFT:
        return Stamp.DRAFT
    if invoice.status is InvoiceStatus.PAID:
        return Stamp.PAID
    if invoice.status is InvoiceStatus.VOID:
        return Stamp.VOID
    if invoice.is_overdue(today):
        return Stamp.OVERDUE
    return Stamp.NONE


def invoice_document(
    practice: Practice,
    invoice: Invoice,
    client: Client | None,
    today: date,
    *,
    pay_url: str | None = None,
) -> InvoiceDocument:
    totals = invoice.totals
    name = client.name if client else ""
    settings = practice.invoice_settings
    return InvoiceDocument(
        practice_name=practice.billing.name,
        practice_address=tuple(practice.billing.address.lines()),
        tax_number=practice.billing.tax_number,
        licence_number=practice.billing.licence_number,
        client_name=name,
        client_first_name=name.split()[0] if name.split() else "",
        client_address=tuple(client.address.lines()) if client else (),
        client_email=client.email if client else "",
        number=invoice.number,
        issue_date=_date(invoice.issue_date, practice),
        due_date=_date(invoice.due_date, practice),
        lines=tuple(
            DocumentLine(
                service_date=_date(line.service_date, practice),
                description=line.description,
                quantity=_quantity(line.quantity, practice),
                unit_price=_money(line.unit_price, practice),
                tax=(
                    f"{line.tax_name} {format_percent(line.tax_percent, practice.locale)}"
                    if line.tax_name or line.tax_percent
                    else ""
                ),
                total=_money(line.total, practice),
            )
            for line in invoice.lines
        ),
        subtotal=_money(totals.subtotal, practice),
        taxes=tuple(
            DocumentTax(
                f"{tax.name} {format_percent(tax.percent, practice.locale)}"
                if tax.name
                else format_percent(tax.percent, practice.locale),
                _money(tax.tax, practice),
            )
            for tax in totals.taxes
        ),
        total=_money(totals.total, practice),
        paid=_money(totals.amount_paid, practice),
        balance=_money(totals.balance, practice),
        has_payments=bool(invoice.ledger),
        status=invoice.status,
        status_label=invoice.status.label,
        overdue=invoice.is_overdue(today),
        footer=settings.footer,
        details=settings.details,
        payment_terms=payment_terms_text(settings.payment_terms_days),
        stamp=_stamp(invoice, today),
        locale=practice.locale,
        design=Design(settings.template, settings.theme),
        pay_url=pay_url or "",
    )


def receipt_document(
    practice: Practice,
    invoice: Invoice,
    client: Client | None,
    entry: LedgerEntry,
    today: date,
    *,
    pay_url: str | None = None,
) -> ReceiptDocument:
    payments = [item for item in invoice.ledger if item.kind is EntryKind.PAYMENT]
    position = next((i for i, item in enumerate(payments, 1) if item.id == entry.id), 1)
    return ReceiptDocument(
        invoice=invoice_document(practice, invoice, client, today, pay_url=pay_url),
        # Stable and readable: the invoice's number and the payment's place on it.
        receipt_number=f"{invoice.number}-R{position}",
        amount=_money(entry.amount, practice),
        method=entry.method.label,
        paid_on=_date(entry.received_at, practice),
    )
