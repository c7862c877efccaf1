"""Indexes that find one client's invoices, some invoices' lines and payments, and the
unpaid totals without walking the practice's history

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04

Reads ask for `practice_id = ? AND invoice_id IN (...)` (an invoice's lines and ledger
entries) and `practice_id = ? AND client_id = ? ORDER BY sequence DESC` (a client's record).
The only indexes leading with practice_id on those tables were for other questions, so
SQLite, which plans without statistics, walked every line, payment or invoice the practice
ever had: a client's record took 2 ms with 100 invoices and 18 ms with 10,000
(bench/invoicing_bench.py). The outstanding and overdue totals read every unpaid invoice's
row, one page each, since old unpaid invoices lie among years of paid ones; with the amounts
in the status index they read the index alone. Existing rows need nothing but the index
builds.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_invoices_practice_status_due_amounts",
        "invoices",
        ["practice_id", "status", "due_date", "currency", "total_minor", "paid_minor"],
    )
    # Its leading columns, now redundant.
    op.drop_index("ix_invoices_practice_status_due", table_name="invoices")
    op.create_index(
        "ix_invoices_practice_client", "invoices", ["practice_id", "client_id", "sequence"]
    )
    op.create_index(
        "ix_invoice_lines_invoice", "invoice_lines", ["practice_id", "invoice_id", "position"]
    )
    op.create_index(
        "ix_ledger_entries_invoice", "ledger_entries", ["practice_id", "invoice_id", "position"]
    )


def downgrade() -> None:
    op.drop_index("ix_ledger_entries_invoice", table_name="ledger_entries")
    op.drop_index("ix_invoice_lines_invoice", table_name="invoice_lines")
    op.drop_index("ix_invoices_practice_client", table_name="invoices")
    op.create_index(
        "ix_invoices_practice_status_due", "invoices", ["practice_id", "status", "due_date"]
    )
    op.drop_index("ix_invoices_practice_status_due_amounts", table_name="invoices")
