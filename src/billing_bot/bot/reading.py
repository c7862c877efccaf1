"""Reads that several Slack views share."""

from __future__ import annotations

from billing_bot.domain.invoices import Invoice
from billing_bot.domain.ports import InvoiceFilter, UnitOfWork
from billing_bot.domain.practice import Practice


def latest_invoices(uow: UnitOfWork, practice: Practice, limit: int) -> list[tuple[Invoice, str]]:
    """The newest invoices with their client's name, inside an open unit of work."""
    invoices = uow.invoices.find(practice.id, InvoiceFilter(limit=limit))
    named = []
    for invoice in invoices:
        client = uow.clients.get(practice.id, invoice.client_id)
        named.append((invoice, client.name if client else "?"))
    return named
