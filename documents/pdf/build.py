"""An invoice or a receipt as PDF bytes, from the document model every client-facing copy
shares."""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib.enums import TA_CENTER
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Spacer, Table
from reportlab.platypus.doctemplate import BaseDocTemplate, PageTemplate
from reportlab.platypus.flowables import Flowable
from reportlab.platypus.frames import Frame

from documents.model import InvoiceDocument, ReceiptDocument, Stamp
from documents.pdf.classic import Classic
from documents.pdf.design import CellLook, Design, TableCommand
from documents.pdf.logo import PreparedLogo, prepare_logo
from documents.pdf.minimal import Minimal
from documents.pdf.modern import Modern
from documents.pdf.parts import Heading, Party, QrCode
from documents.pdf.sheet import Sheet
from documents.pdf.table import lines_table, paragraph
from domain.invoices import UNPAID_STATUSES
from domain.logos import Logo
from domain.practice import InvoiceTemplate

DESIGNS: dict[InvoiceTemplate, type[Design]] = {
    InvoiceTemplate.CLASSIC: Classic,
    InvoiceTemplate.MODERN: Modern,
    InvoiceTemplate.MINIMAL: Minimal,
}
QR_SIZE = 80.0


def _practice(doc: InvoiceDocument) -> Party:
    numbers = []
    if doc.tax_number:
        numbers.append(f"Tax no. {doc.tax_number}")
    if doc.licence_number:
        numbers.append(f"Licence no. {doc.licence_number}")
    return Party(doc.practice_name, doc.practice_address, tuple(numbers))


def _client(doc: InvoiceDocument) -> Party:
    quiet = (doc.client_email,) if doc.client_email else ()
    return Party(doc.client_name or "—", doc.client_address, quiet)


def _invoice_heading(doc: InvoiceDocument, logo: PreparedLogo | None) -> Heading:
    settled = doc.stamp in (Stamp.PAID, Stamp.VOID)
    return Heading(
        title="Invoice",
        number=("Invoice no.", doc.number),
        dates=(("Issue date", doc.issue_date), ("Due date", doc.due_date)),
        highlight=("Balance" if settled else "Balance due", doc.balance),
        practice=_practice(doc),
        client_label="Bill to",
        client=_client(doc),
        stamp=doc.stamp,
        text_mark=doc.text_mark,
        logo=logo,
    )


def _receipt_heading(receipt: ReceiptDocument, logo: PreparedLogo | None) -> Heading:
    doc = receipt.invoice
    return Heading(
        title="Receipt",
        number=("Receipt no.", receipt.receipt_number),
        dates=(("Paid on", receipt.paid_on), ("Method", receipt.method)),
        highlight=("Amount received", receipt.amount),
        practice=_practice(doc),
        client_label="Received from",
        client=_client(doc),
        stamp=Stamp.PAID if doc.stamp is Stamp.PAID else Stamp.NONE,
        text_mark=doc.text_mark,
        logo=logo,
    )


def _shows_qr(doc: InvoiceDocument) -> bool:
    return bool(doc.pay_url) and doc.status in UNPAID_STATUSES


def _payment_panel(design: Design, doc: InvoiceDocument) -> list[Flowable]:
    sheet = design.sheet
    text = design.body_look()
    muted = CellLook(text.font, text.size, design.inks.muted)
    left: list[Flowable] = [design.section_label("Payment"), Spacer(1, 4)]
    if doc.stamp is Stamp.PAID:
        left.append(paragraph("Paid in full. Thank you.", text))
    elif doc.stamp is Stamp.VOID:
        left.append(paragraph("This invoice is void: nothing is owed on it.", text))
    else:
        left.append(paragraph(doc.payment_terms, text))
        if doc.details:
            left += [Spacer(1, 5), paragraph(doc.details, muted)]
    columns: list[list[Flowable]] = [left]
    widths = [sheet.content_width]
    if _shows_qr(doc):
        caption = CellLook(text.font, 7.2, design.inks.muted)
        qr_column: list[Flowable] = [
            QrCode(doc.pay_url, QR_SIZE, design.inks.ink, design.inks.paper),
            Spacer(1, 3),
            paragraph("Scan to pay online", caption, TA_CENTER),
        ]
        columns.append(qr_column)
        widths = [sheet.content_width - QR_SIZE - 40, QR_SIZE + 40]
    commands: list[TableCommand] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (1, 0), (1, 0), "CENTER"),
        *design.panel_commands(len(columns)),
    ]
    panel = Table([columns], colWidths=widths, style=commands, hAlign="LEFT")
    return [KeepTogether([Spacer(1, 22), panel])]


def _summary_table(design: Design, rows: list[tuple[str, str]], strong: int) -> Table:
    """Labels and amounts in two columns, the last `strong` rows in the totals' emphasis."""
    body = design.body_look()
    label_look = CellLook(body.font, body.size, design.inks.muted)
    cells = [[paragraph(label, label_look), value] for label, value in rows]
    commands: list[TableCommand] = [
        ("FONT", (1, 0), (1, -1), body.font, body.size),
        ("TEXTCOLOR", (1, 0), (1, -1), body.colour),
        ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("LINEBELOW", (0, 0), (-1, -1), 0.35, design.inks.rule),
    ]
    for row in range(len(rows) - strong, len(rows)):
        commands.append(("FONT", (1, row), (1, row), design.sheet.faces.sans_bold, body.size + 1))
    width = min(design.sheet.content_width, 330)
    return Table(cells, colWidths=[width * 0.55, width * 0.45], style=commands, hAlign="LEFT")


def _numbered_canvas(design: Design) -> type[Canvas]:
    """A canvas that holds its pages until the end, to write "Page n of m" on each."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab has no type hints
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._held_pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # reportlab's name
            self._held_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            count = len(self._held_pages)
            for page in self._held_pages:
                self.__dict__.update(page)
                design.draw_page_number(self, self._pageNumber, count)
                super().showPage()
            super().save()

    return NumberedCanvas


def _render(design: Design, story: list[Flowable], title: str, running: tuple[str, str]) -> bytes:
    sheet = design.sheet
    buffer = io.BytesIO()
    bottom = design.footer_height
    first = Frame(
        sheet.margin,
        bottom,
        sheet.content_width,
        sheet.page_height - bottom,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="first",
    )
    later = Frame(
        sheet.margin,
        bottom,
        sheet.content_width,
        sheet.page_height - bottom - design.running_header_height,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="later",
    )

    def first_page(canvas: Any, _doc: Any) -> None:
        design.draw_footer(canvas)

    def later_page(canvas: Any, _doc: Any) -> None:
        design.draw_running_header(canvas, *running)
        design.draw_footer(canvas)

    template = BaseDocTemplate(
        buffer,
        pagesize=(sheet.page_width, sheet.page_height),
        title=title,
        author=running[0],
        creator="Billing Bot",
        invariant=1,
        pageTemplates=[
            PageTemplate("first", [first], onPage=first_page, autoNextPageTemplate="later"),
            PageTemplate("later", [later], onPage=later_page),
        ],
    )
    template.build(story, canvasmaker=_numbered_canvas(design))
    return buffer.getvalue()


def invoice_pdf(doc: InvoiceDocument, logo: Logo | None) -> bytes:
    """The invoice as the client gets it on paper: the practice's template and theme, every
    figure as the document model formatted it."""
    sheet = Sheet.of(doc.design.template, doc.design.theme, doc.locale)
    design = DESIGNS[doc.design.template](sheet, doc.footer)
    story: list[Flowable] = [
        design.masthead(_invoice_heading(doc, prepare_logo(logo))),
        lines_table(design, doc),
        *_payment_panel(design, doc),
    ]
    return _render(
        design,
        story,
        f"Invoice {doc.number}",
        (doc.practice_name, f"Invoice {doc.number} · continued"),
    )


def receipt_pdf(receipt: ReceiptDocument, logo: Logo | None) -> bytes:
    """The receipt for one payment: what was received, how and when, and where the invoice
    stands after it."""
    doc = receipt.invoice
    sheet = Sheet.of(doc.design.template, doc.design.theme, doc.locale)
    design = DESIGNS[doc.design.template](sheet, doc.footer)
    invoice = [
        ("Invoice no.", doc.number),
        ("Issue date", doc.issue_date),
        ("Invoice total", doc.total),
        ("Paid to date", doc.paid),
        ("Balance" if doc.stamp is Stamp.PAID else "Balance due", doc.balance),
    ]
    thanks = (
        "Paid in full. Thank you." if doc.stamp is Stamp.PAID else "Thank you for your payment."
    )
    story: list[Flowable] = [
        design.masthead(_receipt_heading(receipt, prepare_logo(logo))),
        design.section_label(f"Invoice {doc.number}"),
        Spacer(1, 4),
        _summary_table(design, invoice, 1),
        Spacer(1, 18),
        paragraph(thanks, design.body_look()),
    ]
    return _render(
        design,
        story,
        f"Receipt {receipt.receipt_number}",
        (doc.practice_name, f"Receipt {receipt.receipt_number} · continued"),
    )
