"""An invoice's or a receipt's PDF as a named file, rendered once per version of what it
shows and served from the cache after that."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from documents.model import InvoiceDocument, invoice_document, receipt_document
from documents.pdf import invoice_pdf, receipt_pdf
from domain.ids import PracticeId
from domain.logos import Logo
from domain.payments import LedgerEntry
from domain.ports import UnitOfWork
from domain.usecases.pay_links import InvoiceForMail

#: Part of every fingerprint: raise it when the PDF's design changes, so files rendered by
#: the old design are rendered again instead of served from the cache.
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


def fingerprint(document: object, logo: Logo | None) -> str:
    """What a PDF was rendered from, as a digest: the formatted document (every number,
    date, name and the design), the logo's bytes and the design revision."""
    digest = hashlib.sha256(DESIGN_REVISION.encode())
    digest.update(repr(document).encode())
    digest.update(hashlib.sha256(logo.content).digest() if logo else b"no logo")
    return digest.hexdigest()


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
        f"invoice:{records.invoice.id}",
        fingerprint(doc, records.logo),
        lambda: invoice_pdf(doc, records.logo),
        files,
    )
    return PdfFile(f"{doc.number}.pdf", content)


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
        fingerprint(receipt, records.logo),
        lambda: receipt_pdf(receipt, records.logo),
        files,
    )
    return PdfFile(f"{receipt.receipt_number}.pdf", content)
