"""Reads, and the lines showing them, that several Slack views share."""

from __future__ import annotations

from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

from billing_bot.bot.blocks import escape
from billing_bot.domain.invoices import InvoiceListing


def invoice_row(invoice: InvoiceListing) -> SectionBlock:
    """One invoice as a line of a list only its viewer sees (Home, an ephemeral reply)."""
    return SectionBlock(
        text=MarkdownTextObject(
            text=f"*{invoice.number}* · {escape(invoice.client_name)} · {invoice.total.format()} · "
            f"{invoice.status.label} · due {invoice.due_date.isoformat()}"
        )
    )
