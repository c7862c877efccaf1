"""The lines table with its totals: one platypus Table whose header repeats on every page and
whose last line stays on the page of the totals."""

from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph, Table

from documents.model import InvoiceDocument, Stamp
from documents.pdf.design import CellLook, Design, TableCommand, TableShape, TotalKind
from documents.pdf.fonts import printable

HEADERS = ("Date", "Service", "Qty", "Price", "Tax", "Amount")
_PADDING = 5.0
_MIN_DESCRIPTION = 150.0
_MAX_TAX = 96.0


def paragraph(text: str, look: CellLook, align: int = TA_LEFT, leading: float = 1.3) -> Paragraph:
    """`text` as a wrapping paragraph; the text is the user's, so it is escaped, and its line
    breaks are kept."""
    style = ParagraphStyle(
        name=f"{look.font}-{look.size}-{align}",
        fontName=look.font,
        fontSize=look.size,
        leading=look.size * leading,
        textColor=look.colour,
        alignment=align,
    )
    body = "<br/>".join(escape(printable(line, look.font)) for line in text.splitlines())
    return Paragraph(body, style)


def _totals(doc: InvoiceDocument) -> list[tuple[TotalKind, str, str]]:
    rows: list[tuple[TotalKind, str, str]] = []
    if doc.taxes:
        rows.append((TotalKind.SUBTOTAL, "Subtotal", doc.subtotal))
        rows += [(TotalKind.TAX, tax.label, tax.amount) for tax in doc.taxes]
    rows.append((TotalKind.TOTAL, "Total", doc.total))
    rows.append((TotalKind.PAID, "Amount paid", doc.paid))
    settled = doc.stamp in (Stamp.PAID, Stamp.VOID)
    rows.append((TotalKind.BALANCE, "Balance" if settled else "Balance due", doc.balance))
    return rows


def _shrunk(look: CellLook, by: float) -> CellLook:
    return CellLook(look.font, max(look.size - by, 6.5), look.colour)


def _widest(texts: list[str], font: str, size: float) -> float:
    return max((stringWidth(printable(text, font), font, size) for text in texts), default=0.0)


def lines_table(design: Design, doc: InvoiceDocument) -> Table:
    """The invoice's lines under a header row, then its totals, sized to the page."""
    totals = _totals(doc)
    shape = TableShape(line_rows=len(doc.lines), totals=tuple(kind for kind, _, _ in totals))
    body = design.body_look()
    header = design.header_look()

    size = body.size
    while True:
        look = CellLook(body.font, size, body.colour)
        widths = _column_widths(design, doc, totals, look, header)
        if widths[1] >= _MIN_DESCRIPTION or size <= 6.5:
            break
        size -= 0.5
    description_width = widths[1] - 2 * _PADDING

    rows: list[list[object]] = [
        [
            design.header_cell(name, "right" if index >= 2 else "left")
            for index, name in enumerate(HEADERS)
        ]
    ]
    for line in doc.lines:
        description: object = printable(line.description, look.font)
        if stringWidth(str(description), look.font, size) > description_width:
            description = paragraph(line.description, look)
        tax: object = printable(line.tax, look.font)
        if stringWidth(str(tax), look.font, size) > widths[4] - 2 * _PADDING:
            tax = paragraph(line.tax, look, TA_RIGHT)
        rows.append(
            [
                printable(line.service_date, look.font),
                description,
                printable(line.quantity, look.font),
                printable(line.unit_price, look.font),
                tax,
                printable(line.total, look.font),
            ]
        )
    for kind, label, amount in totals:
        total_look = _shrunk(design.total_look(kind), body.size - size)
        # The label in the amount's own size, so that the two share a baseline.
        label_look = total_look
        rows.append(
            [
                "",
                "",
                "",
                paragraph(label, label_look, TA_RIGHT),
                "",
                printable(amount, total_look.font),
            ]
        )

    commands: list[TableCommand] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
        ("LEFTPADDING", (0, 0), (-1, -1), _PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), _PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), design.row_padding),
        ("BOTTOMPADDING", (0, 0), (-1, -1), design.row_padding),
        ("FONT", (0, 0), (-1, 0), header.font, header.size),
        ("TEXTCOLOR", (0, 0), (-1, 0), header.colour),
        ("FONT", (0, 1), (-1, -1), look.font, size),
        ("TEXTCOLOR", (0, 1), (-1, -1), look.colour),
        ("LEFTPADDING", (0, 0), (0, -1), design.edge_padding),
        ("RIGHTPADDING", (-1, 0), (-1, -1), design.edge_padding),
        # The last line goes to the next page with the totals rather than leave them alone.
        ("NOSPLIT", (0, max(shape.first_total - 1, 1)), (-1, shape.last)),
    ]
    for offset, (kind, _, _) in enumerate(totals):
        row = shape.first_total + offset
        total_look = _shrunk(design.total_look(kind), body.size - size)
        commands += [
            ("SPAN", (3, row), (4, row)),
            ("FONT", (5, row), (5, row), total_look.font, total_look.size),
            ("TEXTCOLOR", (5, row), (5, row), total_look.colour),
            ("TOPPADDING", (0, row), (-1, row), 3.2),
            ("BOTTOMPADDING", (0, row), (-1, row), 3.2),
        ]
    commands += design.table_commands(shape)
    return Table(rows, colWidths=widths, repeatRows=1, style=commands, hAlign="LEFT")


def _column_widths(
    design: Design,
    doc: InvoiceDocument,
    totals: list[tuple[TotalKind, str, str]],
    look: CellLook,
    header: CellLook,
) -> list[float]:
    sheet = design.sheet
    lines = doc.lines
    pad = 2 * _PADDING
    heads = [_widest([name.upper()], header.font, header.size) + 4 for name in HEADERS]
    date = max(_widest([line.service_date for line in lines], look.font, look.size), heads[0])
    quantity = max(_widest([line.quantity for line in lines], look.font, look.size), heads[2])
    price = max(_widest([line.unit_price for line in lines], look.font, look.size), heads[3])
    tax = min(max(_widest([line.tax for line in lines], look.font, look.size), heads[4]), _MAX_TAX)
    amount = max(
        _widest([line.total for line in lines], look.font, look.size),
        heads[5],
        *(
            _widest([value], design.total_look(kind).font, design.total_look(kind).size)
            for kind, _, value in totals
        ),
    )
    # The totals' labels sit under Price and Tax: leave them room for "Balance due".
    label_room = max(
        _widest(
            [label for kind, label, _ in totals if kind is not TotalKind.TAX],
            look.font,
            look.size + 1.6,
        ),
        76.0,
    )
    if price + tax + 2 * pad < label_room + pad:
        tax = label_room + pad - price - 2 * pad
    fixed = [date + pad, 0.0, quantity + pad, price + pad, tax + pad, amount + pad]
    fixed[0] -= _PADDING - design.edge_padding
    fixed[5] -= _PADDING - design.edge_padding
    fixed[1] = sheet.content_width - sum(fixed)
    return fixed
