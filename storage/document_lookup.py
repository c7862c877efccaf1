"""A client's PDF download in one read on the driver's connection: the versions its PDF
depends on and the PDF stored for them, found by the pay link's token.

A stored PDF is served by every download after the first, so this read is all such a
download costs; SQLAlchemy's execution path would cost more than the statement itself
(see `storage.rendered`)."""

from __future__ import annotations

from sqlalchemy import and_, bindparam, literal, select
from sqlalchemy.engine import Engine

from domain.ids import InvoiceId, PracticeId
from domain.ports import INVOICE_PDF_OWNER, StoredInvoicePdf
from storage.engine import without_transactions
from storage.orm import ClientRow, DocumentFileRow, InvoiceRow, PayLinkRow, PracticeRow
from storage.rendered import RenderedStatement

_BY_TOKEN = (
    select(
        InvoiceRow.practice_id,
        InvoiceRow.id.label("invoice_id"),
        InvoiceRow.number,
        PracticeRow.time_zone,
        InvoiceRow.version.label("invoice_version"),
        PracticeRow.version.label("practice_version"),
        ClientRow.version.label("client_version"),
        DocumentFileRow.fingerprint,
        DocumentFileRow.content,
    )
    .select_from(PayLinkRow)
    .join(
        InvoiceRow,
        and_(
            InvoiceRow.practice_id == PayLinkRow.practice_id,
            InvoiceRow.id == PayLinkRow.invoice_id,
        ),
    )
    .join(PracticeRow, PracticeRow.id == PayLinkRow.practice_id)
    .outerjoin(
        ClientRow,
        and_(ClientRow.practice_id == InvoiceRow.practice_id, ClientRow.id == InvoiceRow.client_id),
    )
    .outerjoin(
        DocumentFileRow,
        and_(
            DocumentFileRow.practice_id == InvoiceRow.practice_id,
            DocumentFileRow.owner == literal(INVOICE_PDF_OWNER) + InvoiceRow.id,
        ),
    )
    .where(PayLinkRow.token == bindparam("token"))
)


class SqlInvoicePdfLookup:
    """Implements `domain.ports.InvoicePdfLookup`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = without_transactions(engine)
        self._statement = RenderedStatement(_BY_TOKEN, engine.dialect)

    def by_token(self, token: str) -> StoredInvoicePdf | None:
        with self._engine.connect() as connection:
            rows = self._statement.rows(connection.connection, token=token)
        if not rows:
            return None
        row = rows[0]
        return StoredInvoicePdf(
            practice_id=PracticeId(row.practice_id),
            invoice_id=InvoiceId(row.invoice_id),
            number=row.number,
            time_zone=row.time_zone,
            invoice_version=row.invoice_version,
            practice_version=row.practice_version,
            client_version=row.client_version or 0,
            stored_stamp=row.fingerprint,
            content=row.content,
        )
