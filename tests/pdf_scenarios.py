"""Invoices built straight from the domain's records for the PDF tests, and what a reader
of the PDF gets back from it (its text per page, its images, its links)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from PIL import Image, ImageDraw
from pypdf import PdfReader

from domain.clients import Client
from domain.ids import ClientId, InvoiceId, InvoiceLineId, PaymentId, PracticeId, TaxRateId
from domain.invoices import Invoice, InvoiceLine, InvoiceState
from domain.money import Currency, Money
from domain.payments import EntryKind, LedgerEntry, PaymentMethod
from domain.practice import (
    Address,
    BillingDetails,
    InvoiceSettings,
    InvoiceTemplate,
    InvoiceTheme,
    Practice,
)

TODAY = date(2025, 3, 14)
VAT = (TaxRateId("rate-vat"), "VAT", Decimal("20.0000"))
NO_TAX: tuple[TaxRateId | None, str, Decimal] = (None, "", Decimal(0))


def a_practice(
    template: InvoiceTemplate = InvoiceTemplate.CLASSIC,
    theme: InvoiceTheme = InvoiceTheme.SLATE,
    *,
    currency: str = "USD",
    locale: str = "en_US",
    name: str = "Harbour Therapy",
    footer: str = "Thank you for choosing Harbour Therapy.",
) -> Practice:
    return Practice(
        id=PracticeId("practice-1"),
        workspace_id="T0001",
        billing=BillingDetails(
            name=name,
            currency=Currency(currency),
            address=Address("12 Quay Street", "", "Portland", "OR", "97201", "US"),
            time_zone="UTC",
            tax_number="TX-12-3456789",
            licence_number="LIC-99881",
            locale=locale,
        ),
        invoice_settings=InvoiceSettings(
            template=template,
            theme=theme,
            details="Bank transfer: IBAN DE89 3704 0044 0532 0130 00",
            footer=footer,
        ),
    )


def in_design(practice: Practice, template: InvoiceTemplate, theme: InvoiceTheme) -> Practice:
    settings = replace(practice.invoice_settings, template=template, theme=theme)
    return replace(practice, invoice_settings=settings)


def a_client(practice: Practice, name: str = "Zoë Łukasz-Müller") -> Client:
    return Client(
        id=ClientId("client-1"),
        practice_id=practice.id,
        name=name,
        email="zoe@example.com",
        address=Address("Hauptstraße 5", "", "München", "", "80331", "DE"),
    )


def a_line(
    practice: Practice,
    number: int,
    price: str | Decimal = "120.00",
    quantity: str | Decimal = "1",
    rate: tuple[TaxRateId | None, str, Decimal] = NO_TAX,
    description: str = "Individual session",
) -> InvoiceLine:
    rate_id, tax_name, percent = rate
    return InvoiceLine(
        id=InvoiceLineId(f"line-{number}"),
        service_date=TODAY - timedelta(days=number % 28),
        description=description,
        quantity=Decimal(quantity),
        unit_price=Money(Decimal(price), practice.currency),
        tax_rate_id=rate_id,
        tax_name=tax_name,
        tax_percent=percent,
    )


def a_payment(amount: Money, number: int, kind: EntryKind = EntryKind.PAYMENT) -> LedgerEntry:
    return LedgerEntry(
        id=PaymentId(f"payment-{number}"),
        kind=kind,
        method=PaymentMethod.BANK_TRANSFER,
        amount=amount,
        received_at=datetime(2025, 3, 12, 10, 0, tzinfo=UTC),
        recorded_by="U0ADMIN01",
    )


def an_invoice(
    practice: Practice,
    lines: Sequence[InvoiceLine],
    *,
    ledger: Sequence[LedgerEntry] = (),
    void: bool = False,
    due_in_days: int = 14,
) -> Invoice:
    """An issued invoice (or a void one) with these lines and payments; built as a record,
    so it may have more lines than the create-invoice use case accepts."""
    issued = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    return Invoice(
        id=InvoiceId("invoice-1"),
        practice_id=practice.id,
        number="INV-0042",
        sequence=42,
        client_id=ClientId("client-1"),
        currency=practice.currency,
        issue_date=issued.date(),
        due_date=issued.date() + timedelta(days=due_in_days),
        lines=tuple(lines),
        created_at=issued,
        created_by="U0ADMIN01",
        state=InvoiceState.VOID if void else InvoiceState.ISSUED,
        ledger=tuple(ledger),
        issued_at=issued,
        voided_at=issued if void else None,
    )


# -- logos --------------------------------------------------------------------------------


def png(width: int, height: int, *, transparent: bool) -> bytes:
    picture = Image.new("RGBA" if transparent else "RGB", (width, height), (255, 255, 255, 0))
    pen = ImageDraw.Draw(picture)
    pen.ellipse((0, 0, min(width, height) - 1, min(width, height) - 1), fill=(20, 40, 90, 255))
    pen.rectangle((width // 2, height // 3, width - 1, height * 2 // 3), fill=(200, 60, 40, 180))
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 110, 70)).save(out, format="JPEG")
    return out.getvalue()


SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="240" height="80" viewBox="0 0 240 80">'
    b'<rect x="2" y="2" width="76" height="76" rx="16" fill="#7c3aed"/>'
    b'<circle cx="40" cy="40" r="20" fill="#fff"/></svg>'
)


def readable(text: str) -> str:
    """Text as a reader compares it: the no-break spaces Babel puts in amounts ('1 234,50 €'
    in fr_FR) are drawn as spaces and come back from the PDF as such."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def page_texts(pdf: bytes) -> list[str]:
    return [readable(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


@dataclass(frozen=True, slots=True)
class Placement:
    """Where an image or form XObject is drawn on a page, in points from the lower left."""

    name: str
    x: float
    y: float
    width: float
    height: float


def placements(pdf: bytes, page_number: int = 0) -> list[Placement]:
    """Every XObject drawn on the page with the box it lands in (images fill the unit square
    they are scaled from; forms fill their bounding box)."""
    page = PdfReader(io.BytesIO(pdf)).pages[page_number]
    objects = page["/Resources"].get("/XObject", {})
    found: list[Placement] = []

    def visit(operator: bytes, operands: list[Any], cm: list[float], tm: list[float]) -> None:
        if operator != b"Do":
            return
        name = str(operands[0])
        target = objects[name].get_object()
        if target["/Subtype"] == "/Form":
            left, bottom, right, top = (float(value) for value in target["/BBox"])
            width, height = (right - left) * cm[0], (top - bottom) * cm[3]
        else:
            width, height = cm[0], cm[3]
        found.append(Placement(name, cm[4], cm[5], width, height))

    page.extract_text(visitor_operand_before=visit)
    return found


def links(pdf: bytes, page_number: int = 0) -> list[str]:
    page = PdfReader(io.BytesIO(pdf)).pages[page_number]
    return [
        str(annotation.get_object()["/A"]["/URI"])
        for annotation in page.get("/Annots", [])
        if "/A" in annotation.get_object()
    ]
