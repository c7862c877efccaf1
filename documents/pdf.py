"""Placeholder renderer until the designed PDF lands (branch pdf-render replaces this file)."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from documents.model import InvoiceDocument, ReceiptDocument
from domain.logos import Logo


def _pdf(lines: list[str]) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4)
    y = 800
    for line in lines:
        canvas.drawString(50, y, line)
        y -= 16
    canvas.save()
    return out.getvalue()


def invoice_pdf(doc: InvoiceDocument, logo: Logo | None) -> bytes:
    return _pdf([f"Invoice {doc.number}", doc.practice_name, f"Total {doc.total}"])


def receipt_pdf(receipt: ReceiptDocument, logo: Logo | None) -> bytes:
    return _pdf([f"Receipt {receipt.receipt_number}", f"Paid {receipt.amount}"])
