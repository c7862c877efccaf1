"""Reads, and the lines showing them, that several Slack views share."""

from __future__ import annotations

from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

from billing_bot.bot.blocks import escape
from billing_bot.domain.invoices import Invoice
from billing_bot.domain.ports import InvoiceFilter, UnitOfWork
from billing_bot.domain.practice import Practice


def latest_invoices(uow: UnitOfWork, practice: Practice, limit: int) -> list[tuple[Invoice, str]]:
    """The newest invoices with their client's name, inside an open unit of work."""
    invoices = uow.invoices.find(practice.id, InvoiceFilter(limit=limit))
    names = uow.clients.names(practice.id, (invoice.client_id for invoice in invoices))
    return [(invoice, names.get(invoice.client_id, "?")) for invoice in invoices]


def invoice_row(invoice: Invoice, client_name: str) -> SectionBlock:
    """One invoice as a line of a list only its viewer sees (Home, an ephemeral reply)."""
    return SectionBlock(
        text=MarkdownTextObject(
            text=f"*{invoice.number}* · {escape(client_name)} · {invoice.total.format()} · "
            f"{invoice.status.label} · due {invoice.due_date.isoformat()}"
        )
    )
