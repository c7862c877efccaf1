"""The invoice PDF shows every figure the domain computed, on as many pages as it takes,
with its state stamped on it and a way to pay while it is unpaid."""

from __future__ import annotations

import io
import os
import re
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from documents.model import invoice_document, receipt_document
from documents.pdf import invoice_pdf, receipt_pdf
from documents.pdf.fonts import printable, typefaces
from domain.ids import TaxRateId
from domain.invoices import MAX_UNIT_PRICE, Invoice, InvoiceState
from domain.money import Currency, Money
from domain.payments import EntryKind
from domain.practice import InvoiceTemplate, InvoiceTheme, Practice
from pdf_scenarios import (
    NO_TAX,
    TODAY,
    VAT,
    a_client,
    a_line,
    a_payment,
    a_practice,
    an_invoice,
    in_design,
    links,
    page_texts,
    readable,
)

PAY_URL = "https://billing.example.com/pay/tok_3f9a8c"
RATES = [
    NO_TAX,
    VAT,
    (TaxRateId("rate-reduced"), "Reduced", Decimal("7.5000")),
    (TaxRateId("rate-gst"), "GST", Decimal("5.0000")),
]


def render(practice: Practice, invoice: Invoice, *, pay_url: str = PAY_URL) -> bytes:
    doc = invoice_document(practice, invoice, a_client(practice), TODAY, pay_url=pay_url)
    return invoice_pdf(doc, None)


def figures(invoice: Invoice, locale: str) -> list[str]:
    """Every amount the invoice must show, written by the domain's own Money.format."""
    totals = invoice.totals
    amounts = [line.total for line in invoice.lines] + [line.unit_price for line in invoice.lines]
    amounts += [totals.subtotal, *(tax.tax for tax in totals.taxes)]
    amounts += [totals.total, totals.amount_paid, totals.balance]
    return [readable(amount.format(locale)) for amount in amounts]


@st.composite
def invoices(draw: st.DrawFn) -> tuple[Practice, Invoice]:
    currency = Currency(draw(st.sampled_from(["USD", "EUR", "GBP", "JPY", "KWD", "CHF"])))
    locale = draw(st.sampled_from(["en_US", "de_DE", "fr_FR"]))
    practice = a_practice(
        theme=draw(st.sampled_from(list(InvoiceTheme))), currency=currency.code, locale=locale
    )
    places = currency.exponent
    prices = st.one_of(
        st.decimals(min_value=0, max_value=2000, places=places, allow_nan=False),
        st.decimals(min_value=0, max_value=MAX_UNIT_PRICE, places=places, allow_nan=False),
    )
    quantities = st.one_of(
        st.sampled_from(["1", "2", "0.5", "1.25"]).map(Decimal),
        st.decimals(min_value=Decimal("0.001"), max_value=100, places=3, allow_nan=False),
    )
    lines = [
        a_line(practice, number, draw(prices), draw(quantities), draw(st.sampled_from(RATES)))
        for number in range(draw(st.integers(min_value=1, max_value=12)))
    ]
    due_in_days = draw(st.integers(min_value=0, max_value=30))
    invoice = an_invoice(practice, lines, due_in_days=due_in_days)
    ledger = []
    for number in range(draw(st.integers(min_value=0, max_value=3))):
        balance = invoice.totals.total.amount - sum(entry.amount.amount for entry in ledger)
        if balance <= 0:
            break
        amount = draw(st.decimals(min_value=currency.quantum, max_value=balance, places=places))
        ledger.append(a_payment(Money(amount, currency), number))
    void = not ledger and draw(st.booleans())
    return practice, an_invoice(practice, lines, ledger=ledger, void=void, due_in_days=due_in_days)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(invoices())
def test_every_figure_of_the_domain_appears_in_every_template(
    scenario: tuple[Practice, Invoice],
) -> None:
    practice, invoice = scenario
    expected = figures(invoice, practice.locale)
    tax_labels = [readable(tax.name) for tax in invoice.totals.taxes if tax.name]

    for template in InvoiceTemplate:
        designed = in_design(practice, template, practice.invoice_settings.theme)
        text = "\n".join(page_texts(render(designed, invoice)))

        missing = [figure for figure in expected if figure not in text]
        assert not missing, f"{template}: {missing} not in the PDF"
        assert all(label in text for label in tax_labels)
        assert "INV-0042" in text


@pytest.mark.parametrize("template", list(InvoiceTemplate))
def test_a_200_line_invoice_repeats_the_table_header_and_numbers_its_pages(
    template: InvoiceTemplate,
) -> None:
    practice = a_practice(template)
    lines = [a_line(practice, number, "85.00", "1", VAT) for number in range(200)]
    invoice = an_invoice(practice, lines)

    pdf = render(practice, invoice)

    pages = page_texts(pdf)
    count = len(PdfReader(io.BytesIO(pdf)).pages)
    assert count >= 4
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {count}" in text
        assert practice.invoice_settings.footer in text
    for text in pages:
        if re.search(r"Feb|Mar", text):  # a page that carries lines carries their header
            assert all(name in text.upper() for name in ("DATE", "SERVICE", "QTY", "AMOUNT"))
    total_rows = sum(text.count("$102.00") for text in pages)
    assert total_rows == 200


@pytest.mark.parametrize("template", list(InvoiceTemplate))
def test_the_totals_never_start_a_page_without_a_line_above_them(
    template: InvoiceTemplate,
) -> None:
    practice = a_practice(template)
    for count in range(20, 60):
        lines = [a_line(practice, number, "85.00", "1", VAT) for number in range(count)]
        invoice = an_invoice(practice, lines)

        pages = page_texts(render(practice, invoice))

        totals_page = next(text for text in pages if "Subtotal" in text)
        assert "$102.00" in totals_page, f"{count} lines: the totals are alone on their page"


@pytest.mark.parametrize("template", list(InvoiceTemplate))
def test_the_invoice_is_stamped_paid_void_or_overdue(template: InvoiceTemplate) -> None:
    practice = a_practice(template)
    lines = [a_line(practice, 1, "150.00")]
    open_invoice = an_invoice(practice, lines, due_in_days=30)
    paid = an_invoice(practice, lines, ledger=[a_payment(open_invoice.total, 1)])
    void = an_invoice(practice, lines, void=True)
    overdue = an_invoice(practice, lines, due_in_days=3)
    draft = replace(open_invoice, state=InvoiceState.DRAFT, issued_at=None)

    stamps = {
        name: re.findall(r"\b(PAID|VOID|OVERDUE|DRAFT)\b", page_texts(render(practice, invoice))[0])
        for name, invoice in (
            ("open", open_invoice),
            ("paid", paid),
            ("void", void),
            ("overdue", overdue),
            ("draft", draft),
        )
    }

    assert stamps == {
        "open": [],
        "paid": ["PAID"],
        "void": ["VOID"],
        "overdue": ["OVERDUE"],
        "draft": ["DRAFT"],
    }


@pytest.mark.parametrize("template", list(InvoiceTemplate))
def test_an_unpaid_invoice_gives_its_terms_and_links_its_pay_page_and_a_paid_one_does_not(
    template: InvoiceTemplate,
) -> None:
    practice = a_practice(template)
    lines = [a_line(practice, 1, "150.00")]
    unpaid = an_invoice(practice, lines)
    paid = an_invoice(practice, lines, ledger=[a_payment(unpaid.total, 1)])

    unpaid_text = page_texts(render(practice, unpaid))[0]
    paid_text = page_texts(render(practice, paid))[0]

    assert links(render(practice, unpaid)) == [PAY_URL]
    assert "Scan to pay" in unpaid_text
    assert "Payment is due within 14 days of the issue date." in unpaid_text
    assert practice.invoice_settings.details in unpaid_text
    assert links(render(practice, paid)) == []
    assert "Scan to pay" not in paid_text
    assert "Paid in full" in paid_text
    assert links(render(practice, unpaid, pay_url="")) == []


def test_accented_names_and_currency_signs_are_drawn_in_the_pdf_font() -> None:
    practice = a_practice(currency="GBP", locale="en_GB", name="Ørsted & Zoë Therapie")
    invoice = an_invoice(practice, [a_line(practice, 1, "1234.50", description="Séance Müller")])
    faces = typefaces()
    written = "Zoë Łukasz-Müller Ørsted Séance € £"

    text = page_texts(render(practice, invoice))[0]

    assert "Zoë Łukasz-Müller" in text
    assert "Ørsted & Zoë Therapie" in text
    assert "Séance Müller" in text
    assert "£1,234.50" in text
    for font in (faces.sans, faces.sans_bold, faces.serif, faces.serif_bold):
        # A character the font cannot draw would be replaced here: none may be.
        assert printable(written, font) == written


def test_pdfs_are_set_in_dejavu_where_the_system_has_it() -> None:
    """DejaVu also draws ₹, ₩ and the narrow space of French amounts, which the fallback (the
    reportlab wheel's Vera) lacks; CI installs it (fonts-dejavu-core)."""
    faces = typefaces()
    if "DejaVu" not in faces.origin:
        reason = f"PDFs fall back to {faces.origin}: apt-get install fonts-dejavu-core"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    practice = a_practice(currency="EUR", locale="fr_FR")
    invoice = an_invoice(practice, [a_line(practice, 1, "1234.50")])

    page = PdfReader(io.BytesIO(render(practice, invoice))).pages[0]
    fonts: set[str] = set()

    def visit(
        text: str, cm: object, tm: object, font: dict[str, object] | None, size: float
    ) -> None:
        if text.strip() and font is not None:
            fonts.add(str(font["/BaseFont"]))

    page.extract_text(visitor_text=visit)
    assert fonts and all("DejaVu" in font for font in fonts), fonts
    assert printable("1\u202f234,50\u00a0€ ₹ ₩", faces.sans) == "1\u202f234,50\u00a0€ ₹ ₩"


def test_letter_paper_in_the_united_states_and_a4_in_germany() -> None:
    american = a_practice(locale="en_US")
    german = a_practice(currency="EUR", locale="de_DE")

    letter = PdfReader(io.BytesIO(render(american, an_invoice(american, [a_line(american, 1)]))))
    a4 = PdfReader(io.BytesIO(render(german, an_invoice(german, [a_line(german, 1)]))))

    assert (letter.pages[0].mediabox.width, letter.pages[0].mediabox.height) == (612, 792)
    assert (round(a4.pages[0].mediabox.width), round(a4.pages[0].mediabox.height)) == (595, 842)


@pytest.mark.parametrize("template", list(InvoiceTemplate))
def test_a_receipt_shows_the_payment_and_where_the_invoice_stands(
    template: InvoiceTemplate,
) -> None:
    practice = a_practice(template, currency="EUR", locale="de_DE")
    lines = [a_line(practice, 1, "200.00", "1", VAT)]
    first = a_payment(Money(Decimal("100.00"), practice.currency), 1)
    second = a_payment(Money(Decimal("140.00"), practice.currency), 2)
    client = a_client(practice)
    partly = an_invoice(practice, lines, ledger=[first])
    fully = an_invoice(practice, lines, ledger=[first, second])

    partial_text = page_texts(
        receipt_pdf(receipt_document(practice, partly, client, first, TODAY), None)
    )[0]
    full_text = page_texts(
        receipt_pdf(receipt_document(practice, fully, client, second, TODAY), None)
    )[0]

    assert "INV-0042-R1" in partial_text
    assert "100,00 €" in partial_text
    assert "Bank transfer" in partial_text
    assert "12.03.2025" in partial_text
    assert "240,00 €" in partial_text  # the invoice's total
    assert "Balance due" in partial_text and "140,00 €" in partial_text
    assert not re.search(r"\bPAID\b(?! ON)", partial_text)
    assert "INV-0042-R2" in full_text
    assert re.search(r"\bPAID\b(?! ON)", full_text)
    assert "Paid in full" in full_text


def test_a_refund_leaves_the_amount_paid_net_of_it() -> None:
    practice = a_practice()
    lines = [a_line(practice, 1, "100.00")]
    paid = a_payment(Money(Decimal("100.00"), practice.currency), 1)
    refund = a_payment(Money(Decimal("30.00"), practice.currency), 2, EntryKind.REFUND)
    invoice = an_invoice(practice, lines, ledger=[paid, refund])

    text = page_texts(render(practice, invoice))[0]

    assert "$70.00" in text  # paid, net
    assert "$30.00" in text  # balance due again
