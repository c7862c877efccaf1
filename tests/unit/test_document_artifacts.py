"""PNG pictures of the invoice PDFs for a person to look at: every template in every theme
(each theme with another state and logo), a 200-line invoice's first and last pages, and a
receipt, in artifacts/documents/.

pdftoppm draws them, as a person's PDF viewer would (pypdfium2 where pdftoppm is missing)."""

from __future__ import annotations

import io
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pypdfium2
import pytest
from PIL import Image, ImageChops
from pypdf import PdfReader

from documents.model import invoice_document, receipt_document
from documents.pdf import invoice_pdf, receipt_pdf
from documents.themes import palette
from domain.ids import TaxRateId
from domain.invoices import Invoice
from domain.logos import Logo, check_logo
from domain.money import Money
from domain.practice import InvoiceTemplate, InvoiceTheme, Practice
from pdf_scenarios import (
    SVG,
    TODAY,
    VAT,
    a_client,
    a_line,
    a_payment,
    a_practice,
    an_invoice,
    png,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "documents"
PAY_URL = "https://billing.example.com/pay/tok_3f9a8c2d7e"
REDUCED = (TaxRateId("rate-reduced"), "Reduced", Decimal("7.5000"))
# Each theme shows another state and another logo, so the pictures cover them all.
SHOWCASE: dict[InvoiceTheme, tuple[str, Logo | None]] = {
    InvoiceTheme.SLATE: ("open", None),
    InvoiceTheme.OCEAN: ("overdue", check_logo("logo.png", png(600, 300, transparent=True))),
    InvoiceTheme.FOREST: ("paid", check_logo("wide.png", png(1600, 200, transparent=False))),
    InvoiceTheme.PLUM: ("void", check_logo("logo.svg", SVG)),
    InvoiceTheme.SUNSET: ("partly-paid", check_logo("tall.png", png(200, 800, transparent=True))),
}


def to_pngs(pdf: bytes, stem: str, pages: list[int]) -> list[Path]:
    """Pages (1-based) of `pdf` as PNGs named `stem`-pN.png, 110 dpi."""
    written = []
    source = ARTIFACTS / f"{stem}.pdf"
    source.write_bytes(pdf)
    binary = shutil.which("pdftoppm")
    for page in pages:
        target = ARTIFACTS / f"{stem}-p{page}.png"
        if binary:
            subprocess.run(
                [
                    binary,
                    "-png",
                    "-r",
                    "110",
                    "-f",
                    str(page),
                    "-l",
                    str(page),
                    "-singlefile",
                    str(source),
                    str(target.with_suffix("")),
                ],
                check=True,
                timeout=60,
            )
        else:
            document = pypdfium2.PdfDocument(pdf)
            document[page - 1].render(scale=110 / 72).to_pil().save(target)
            document.close()
        written.append(target)
    return written


def showcase_invoice(practice: Practice, state: str) -> Invoice:
    lines = [
        a_line(practice, 21, "150.00", "1", VAT, "Initial assessment (60 min)"),
        a_line(practice, 14, "120.00", "2", VAT, "Individual therapy session (50 min)"),
        a_line(practice, 10, "95.00", "1.5", REDUCED, "Couples session, extended"),
        a_line(practice, 7, "60.00", "1", VAT, "Progress report for the referring physician"),
    ]
    unpaid = an_invoice(practice, lines, due_in_days=30)
    if state == "overdue":
        return an_invoice(practice, lines, due_in_days=5)
    if state == "paid":
        return an_invoice(practice, lines, ledger=[a_payment(unpaid.total, 1)])
    if state == "void":
        return an_invoice(practice, lines, void=True)
    if state == "partly-paid":
        part = Money(Decimal("300.00"), practice.currency)
        return an_invoice(practice, lines, ledger=[a_payment(part, 1)], due_in_days=30)
    return unpaid


def accent_pixels(path: Path, theme: InvoiceTheme) -> int:
    """How many pixels of the picture are (nearly) the theme's accent colour."""
    picture = Image.open(path).convert("RGB")
    accent = Image.new("RGB", picture.size, palette(theme).accent)
    distance = ImageChops.difference(picture, accent).convert("L")
    return sum(distance.histogram()[:8])


@pytest.fixture(scope="module")
def folder() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*"):
        old.unlink()
    return ARTIFACTS


@pytest.mark.parametrize("template", list(InvoiceTemplate))
def test_every_template_in_every_theme_is_drawn_for_review(
    folder: Path, template: InvoiceTemplate
) -> None:
    for theme, (state, logo) in SHOWCASE.items():
        practice = a_practice(
            template,
            theme,
            name="Harbour Therapy Łódź",
            footer="Harbour Therapy · 12 Quay Street, Portland · Thank you for your trust.",
        )
        invoice = showcase_invoice(practice, state)
        doc = invoice_document(practice, invoice, a_client(practice), TODAY, pay_url=PAY_URL)

        [picture] = to_pngs(invoice_pdf(doc, logo), f"{template}-{theme}-{state}", [1])

        assert accent_pixels(picture, theme) > 50, f"{picture.name} does not show its theme"


@pytest.mark.parametrize("template", list(InvoiceTemplate))
def test_a_long_invoice_and_a_receipt_are_drawn_for_review(
    folder: Path, template: InvoiceTemplate
) -> None:
    practice = a_practice(template, InvoiceTheme.OCEAN, currency="EUR", locale="de_DE")
    lines = [
        a_line(practice, number, "85.00", "1", VAT, f"Group session {number + 1}")
        for number in range(200)
    ]
    invoice = an_invoice(practice, lines)
    pdf = invoice_pdf(
        invoice_document(practice, invoice, a_client(practice), TODAY, pay_url=PAY_URL), None
    )
    count = len(PdfReader(io.BytesIO(pdf)).pages)
    paid = an_invoice(
        practice, lines[:3], ledger=[a_payment(an_invoice(practice, lines[:3]).total, 1)]
    )
    receipt = receipt_document(practice, paid, a_client(practice), paid.ledger[0], TODAY)

    long_pictures = to_pngs(pdf, f"{template}-200-lines", [1, 2, count])
    [receipt_picture] = to_pngs(receipt_pdf(receipt, None), f"{template}-receipt", [1])

    assert count >= 4
    assert all(picture.stat().st_size > 10_000 for picture in [*long_pictures, receipt_picture])
