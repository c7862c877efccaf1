"""The invoice settings' preview: a made-up invoice in the practice's design, and the first
page of a PDF as a PNG image."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pypdfium2

from documents.model import InvoiceDocument, invoice_document
from domain.clients import Client
from domain.ids import ClientId, InvoiceId, InvoiceLineId
from domain.invoices import Invoice, InvoiceLine, InvoiceState
from domain.money import Currency, Money
from domain.practice import Address, Practice, TaxRate

SAMPLE_CLIENT = "Alex Sample"
SAMPLE_PAY_URL = "https://example.com/pay/sample-invoice"
# What one session costs in currencies far from the dollar's size, so the sample's amounts
# look like a real bill (120.00 elsewhere).
_SESSION_FEE = {
    "JPY": 12000,
    "KRW": 120000,
    "INR": 3000,
    "HUF": 30000,
    "ISK": 16000,
    "CZK": 2000,
    "SEK": 1100,
    "NOK": 1100,
    "DKK": 800,
    "PLN": 300,
    "MXN": 1500,
    "ZAR": 1200,
    "BRL": 350,
    "CNY": 600,
    "HKD": 800,
    "KWD": 30,
    "BHD": 40,
    "OMR": 40,
    "JOD": 70,
}


def _fee(currency: Currency, share: str) -> Money:
    return currency.round(Decimal(_SESSION_FEE.get(currency.code, 120)) * Decimal(share))


def sample_document(
    practice: Practice,
    today: date,
    *,
    tax_rate: TaxRate | None = None,
    pay_url: str = SAMPLE_PAY_URL,
) -> InvoiceDocument:
    """An open invoice to a made-up client ("Alex Sample") with three therapy lines, in the
    practice's currency, locale, template and theme; taxed at `tax_rate` when given (the
    practice's default rate). Formatted by the same code as a real invoice's document."""
    currency = practice.currency
    tax_id = tax_rate.id if tax_rate else None
    tax_name = tax_rate.name if tax_rate else ""
    tax_percent = tax_rate.percent if tax_rate else Decimal(0)
    lines = tuple(
        InvoiceLine(
            id=InvoiceLineId(f"sample-{index}"),
            service_date=today - timedelta(days=days_ago),
            description=description,
            quantity=Decimal(quantity),
            unit_price=_fee(currency, share),
            tax_rate_id=tax_id,
            tax_name=tax_name,
            tax_percent=tax_percent,
        )
        for index, (days_ago, description, quantity, share) in enumerate(
            (
                (21, "Initial assessment (60 min)", "1", "1.25"),
                (14, "Individual therapy session (50 min)", "2", "1"),
                (7, "Progress report", "1", "0.5"),
            ),
            start=1,
        )
    )
    client = Client(
        id=ClientId("sample"),
        practice_id=practice.id,
        name=SAMPLE_CLIENT,
        email="alex.sample@example.com",
        address=Address(
            line1="27 Sample Street",
            city="Springfield",
            postal_code="12345",
            country=practice.billing.address.country,
        ),
    )
    opened = datetime.combine(today, time(9), tzinfo=practice.zone)
    invoice = Invoice(
        id=InvoiceId("sample"),
        practice_id=practice.id,
        number=practice.invoice_settings.format_number(42),
        sequence=42,
        client_id=client.id,
        currency=currency,
        issue_date=today,
        due_date=today + timedelta(days=practice.invoice_settings.payment_terms_days),
        lines=lines,
        created_at=opened,
        created_by="sample",
        state=InvoiceState.ISSUED,
        issued_at=opened,
    )
    return invoice_document(practice, invoice, client, today, pay_url=pay_url)


def preview_png(pdf: bytes, width_px: int = 800) -> bytes:
    """The first page of `pdf` as a PNG `width_px` pixels wide."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        scale = width_px / page.get_width()
        image = page.render(scale=scale, may_draw_forms=False).to_pil()
        page.close()
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
