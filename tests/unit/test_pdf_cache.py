"""The PDF store serves an unchanged invoice's PDF again, never a stale one, within its
memory budget."""

from __future__ import annotations

import re

from documents.model import invoice_document
from documents.pdf import RenderedPdfs
from pdf_scenarios import TODAY, a_client, a_line, a_payment, a_practice, an_invoice, page_texts


def test_an_unchanged_invoice_is_served_from_the_store_and_a_paid_one_is_drawn_anew() -> None:
    practice = a_practice()
    client = a_client(practice)
    lines = [a_line(practice, 1, "150.00")]
    unpaid = an_invoice(practice, lines)
    paid = an_invoice(practice, lines, ledger=[a_payment(unpaid.total, 1)])
    store = RenderedPdfs()

    first = store.invoice(invoice_document(practice, unpaid, client, TODAY), None)
    again = store.invoice(invoice_document(practice, unpaid, client, TODAY), None)
    after_payment = store.invoice(invoice_document(practice, paid, client, TODAY), None)

    assert again is first
    assert not re.search(r"\bPAID\b", page_texts(first)[0])
    assert re.search(r"\bPAID\b", page_texts(after_payment)[0])
    assert len(store) == 2


def test_the_store_forgets_the_least_recently_used_pdfs_beyond_its_budget() -> None:
    practice = a_practice()
    client = a_client(practice)
    docs = [
        invoice_document(
            practice, an_invoice(practice, [a_line(practice, 1, price)]), client, TODAY
        )
        for price in ("100.00", "200.00", "300.00")
    ]
    one_pdf = len(RenderedPdfs().invoice(docs[0], None))
    store = RenderedPdfs(budget_bytes=int(one_pdf * 2.5))

    first = store.invoice(docs[0], None)
    store.invoice(docs[1], None)
    store.invoice(docs[0], None)  # used again: the second is now the oldest
    store.invoice(docs[2], None)

    assert len(store) == 2
    assert store.invoice(docs[0], None) is first
