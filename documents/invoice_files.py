"""An invoice's or a receipt's PDF as a named file, rendered once per version of what it
shows and served from the cache after that.

What a PDF shows is decided by the invoice's, the practice's and the client's versions (each
bumped by any change: a payment, a new logo or address, a corrected name), the practice's
day (an unpaid invoice turns overdue), whether a pay link exists and where it points (the
QR code), and the design revision below. Those make the stamp a stored PDF is kept under,
which a download can check in one read before building anything."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from documents.model import InvoiceDocument, invoice_document, receipt_document
from documents.pdf import invoice_pdf, receipt_pdf
from domain.ids import PracticeId
from domain.payments import LedgerEntry
from domain.ports import INVOICE_PDF_OWNER, UnitOfWork
from domain.usecases.pay_links import InvoiceForMail

#: Part of every stamp: raise it when the PDF's design changes, so files rendered by the
#: old design are rendered again instead of served from the cache.
DESIGN_REVISION = "1"

PDF = "application/pdf"


@dataclass(frozen=True, slots=True)
class PdfFile:
    filename: str
    content: bytes


def pay_url_of(records: InvoiceForMail, public_base_url: str) -> str | None:
    if records.pay_link is None:
        return None
    return f"{public_base_url}/pay/{records.pay_link.token}"


def version_stamp(
    *,
    invoice_version: int,
    practice_version: int,
    client_version: int,
    today: date,
    pay_url: str | None,
) -> str:
    """What a PDF was rendered from, in at most 64 characters."""
    link = hashlib.sha256(pay_url.encode()).hexdigest()[:12] if pay_url else "none"
    return (
        f"{DESIGN_REVISION}:{invoice_version}:{practice_version}:{client_version}:"
        f"{today.isoformat()}:{link}"
    )


def stamp_of(records: InvoiceForMail, *, today: date, public_base_url: str) -> str:
    return version_stamp(
        invoice_version=records.invoice.version,
        practice_version=records.practice.version,
        client_version=records.client.version if records.client else 0,
        today=today,
        pay_url=pay_url_of(records, public_base_url),
    )


def _cached(
    practice_id: PracticeId,
    owner: str,
    key: str,
    render: Callable[[], bytes],
    files: Callable[[], UnitOfWork],
) -> bytes:
    with files() as uow:
        hit = uow.document_files.get(practice_id, owner, key)
    if hit is not None:
        return hit
    content = render()
    with files() as uow:
        uow.document_files.put(practice_id, owner, key, content)
        uow.commit()
    return content


def invoice_document_of(
    records: InvoiceForMail, *, today: date, public_base_url: str
) -> InvoiceDocument:
    return invoice_document(
        records.practice,
        records.invoice,
        records.client,
        today,
        pay_url=pay_url_of(records, public_base_url),
    )


def invoice_pdf_file(
    records: InvoiceForMail,
    *,
    today: date,
    public_base_url: str,
    files: Callable[[], UnitOfWork],
) -> PdfFile:
    """The invoice as the client sees it today; `files` opens a unit of work that may write
    (the cache is filled on a miss)."""
    doc = invoice_document_of(records, today=today, public_base_url=public_base_url)
    content = _cached(
        records.practice.id,
        f"{INVOICE_PDF_OWNER}{records.invoice.id}",
        stamp_of(records, today=today, public_base_url=public_base_url),
        lambda: invoice_pdf(doc, records.logo),
        files,
    )
    return PdfFile(invoice_filename(doc.number), content)


def invoice_filename(number: str) -> str:
    return f"{number}.pdf"


def receipt_pdf_file(
    records: InvoiceForMail,
    entry: LedgerEntry,
    *,
    today: date,
    public_base_url: str,
    files: Callable[[], UnitOfWork],
) -> PdfFile:
    """The receipt of one payment on the invoice."""
    receipt = receipt_document(
        records.practice,
        records.invoice,
        records.client,
        entry,
        today,
        pay_url=pay_url_of(records, public_base_url),
    )
    content = _cached(
        records.practice.id,
        f"receipt:{entry.id}",
        stamp_of(records, today=today, public_base_url=public_base_url),
        lambda: receipt_pdf(receipt, records.logo),
        files,
    )
    return PdfFile(f"{receipt.receipt_number}.pdf", content)
