"""The client's PDF downloads: their invoice and their receipts, reached by pay-link token."""

from __future__ import annotations

from flask import Flask, Response

from bot.edge.deps import BotDeps
from documents.invoice_files import PDF, PdfFile, invoice_pdf_file, receipt_pdf_file
from documents.render import not_found_html
from domain.errors import NotFound
from domain.payments import EntryKind
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


def mount_documents(app: Flask, deps: BotDeps) -> None:
    @app.get("/pay/<token>/invoice.pdf")
    def invoice_download(token: str) -> Response:
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
