"""The invoice settings' preview: a sample invoice in the practice's own currency, locale and
design, shown as a PNG of its first page."""

from __future__ import annotations

import io
from decimal import Decimal

from PIL import Image

from documents.pdf import invoice_pdf
from documents.preview import SAMPLE_CLIENT, preview_png, sample_document
from documents.themes import palette
from domain.ids import TaxRateId
from domain.practice import InvoiceTemplate, InvoiceTheme, TaxRate
from pdf_scenarios import TODAY, a_practice, page_texts


def test_the_sample_is_in_the_practice_currency_locale_and_design() -> None:
    practice = a_practice(
        InvoiceTemplate.MODERN, InvoiceTheme.FOREST, currency="EUR", locale="de_DE"
    )
    vat = TaxRate(TaxRateId("rate-vat"), practice.id, "MwSt", Decimal("19"))

    doc = sample_document(practice, TODAY, tax_rate=vat)

    assert doc.client_name == SAMPLE_CLIENT
    assert len(doc.lines) == 3
    assert all(line.total.endswith("€") for line in doc.lines)
    assert [tax.label for tax in doc.taxes] == ["MwSt 19 %"]
    assert doc.issue_date == "14.03.2025"
    assert (doc.design.template, doc.design.theme) == (InvoiceTemplate.MODERN, InvoiceTheme.FOREST)


def test_a_yen_sample_has_whole_yen_amounts_and_no_tax_without_a_rate() -> None:
    practice = a_practice(currency="JPY", locale="ja_JP")

    doc = sample_document(practice, TODAY)

    assert doc.taxes == ()
    assert doc.lines[1].unit_price == "￥12,000"


def test_the_preview_is_the_first_page_as_a_png_in_the_theme_colours() -> None:
    practice = a_practice(InvoiceTemplate.MODERN, InvoiceTheme.SUNSET)
    pdf = invoice_pdf(sample_document(practice, TODAY), None)

    png = preview_png(pdf, width_px=600)

    picture = Image.open(io.BytesIO(png)).convert("RGB")
    assert png.startswith(b"\x89PNG")
    assert picture.width == 600
    assert abs(picture.height - 600 * 792 / 612) <= 1  # Letter, as the practice is in the US
    accent = tuple(int(palette(InvoiceTheme.SUNSET).accent[i : i + 2], 16) for i in (1, 3, 5))
    assert picture.getpixel((5, 5)) == accent  # the Modern band, edge to edge
    assert SAMPLE_CLIENT in page_texts(pdf)[0]
