"""The client's PDF downloads: their invoice and their receipts, reached by pay-link token."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Flask, Response

from bot.edge.deps import BotDeps
from documents.invoice_files import (
    PDF,
    PdfFile,
    invoice_filename,
    invoice_pdf_file,
    receipt_pdf_file,
    version_stamp,
)
from documents.render import not_found_html
from domain.errors import NotFound
from domain.payments import EntryKind
from domain.ports import InvoicePdfLookup
from domain.usecases.pay_links import invoice_for_token


def _pdf_response(pdf: PdfFile, *, download: bool) -> Response:
    response = Response(pdf.content, content_type=PDF)
    disposition = "attachment" if download else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{pdf.filename}"'
    # The file names the client and what they were treated for: never kept by a shared
    # cache, and kept by the browser only as long as a page would be.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _not_found() -> Response:
    return Response(not_found_html(), status=404, content_type="text/html; charset=utf-8")


def _stored(lookup: InvoicePdfLookup, deps: BotDeps, token: str) -> PdfFile | None:
    """The stored PDF when it is still what the invoice shows today: one read, no render."""
    stored = lookup.by_token(token)
    if stored is None or stored.content is None:
        return None
    today = deps.env.clock.now().astimezone(ZoneInfo(stored.time_zone)).date()
    stamp = version_stamp(
        invoice_version=stored.invoice_version,
        practice_version=stored.practice_version,
        client_version=stored.client_version,
        today=today,
        pay_url=f"{deps.public_base_url}/pay/{token}",
    )
    if stored.stored_stamp != stamp:
        return None
    return PdfFile(invoice_filename(stored.number), stored.content)


def mount_documents(app: Flask, deps: BotDeps, lookup: InvoicePdfLookup | None = None) -> None:
    @app.get("/pay/<token>/invoice.pdf")
    def invoice_download(token: str) -> Response:
        if lookup is not None and (ready := _stored(lookup, deps, token)) is not None:
            return _pdf_response(ready, download=True)
        try:
            records = invoice_for_token(token, deps.read())
        except NotFound:
            return _not_found()
        pdf = invoice_pdf_file(
            records,
            today=deps.env.today_at(records.practice),
            public_base_url=deps.public_base_url,
            files=deps.uow,
        )
        return _pdf_response(pdf, download=True)

    @app.get("/pay/<token>/receipts/<payment_id>.pdf")
    def receipt_download(token: str, payment_id: str) -> Response:
        try:
            records = invoice_for_token(token, deps.read())
        except NotFound:
            return _not_found()
        entry = next(
            (
                item
                for item in records.invoice.ledger
                if item.id == payment_id and item.kind is EntryKind.PAYMENT
            ),
            None,
        )
        if entry is None:
            return _not_found()
        pdf = receipt_pdf_file(
            records,
            entry,
            today=deps.env.today_at(records.practice),
            public_base_url=deps.public_base_url,
            files=deps.uow,
        )
        return _pdf_response(pdf, download=True)
