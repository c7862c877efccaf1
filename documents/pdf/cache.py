"""Rendered PDFs kept in memory by what they show, so that the second download of an
unchanged invoice costs a lookup instead of a render."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from documents.model import InvoiceDocument, ReceiptDocument
from documents.pdf.build import invoice_pdf, receipt_pdf
from domain.logos import Logo

DEFAULT_BUDGET_BYTES = 32 * 1024 * 1024


class RenderedPdfs:
    """A least-recently-used store of PDFs, at most `budget_bytes` of them.

    The key is the document itself (every formatted field, the design and the pay link)
    and the logo, so any change to what the PDF would show is a different entry: nothing is
    ever invalidated, old entries just age out. Safe to share between threads; two threads
    asking for the same new PDF at once may both render it."""

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self._budget = budget_bytes
        self._used = 0
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def invoice(self, doc: InvoiceDocument, logo: Logo | None) -> bytes:
        return self._get(("invoice", doc, logo), lambda: invoice_pdf(doc, logo))

    def receipt(self, receipt: ReceiptDocument, logo: Logo | None) -> bytes:
        return self._get(("receipt", receipt, logo), lambda: receipt_pdf(receipt, logo))

    def __len__(self) -> int:
        return len(self._entries)

    def _get(self, key: Hashable, render: Callable[[], bytes]) -> bytes:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        pdf = render()
        if len(pdf) > self._budget:
            return pdf
        with self._lock:
            if key not in self._entries:
                self._entries[key] = pdf
                self._used += len(pdf)
            while self._used > self._budget:
                _, dropped = self._entries.popitem(last=False)
                self._used -= len(dropped)
        return pdf
