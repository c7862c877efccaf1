"""Placeholder until branch pdf-render lands its sample invoice and PNG preview."""

from __future__ import annotations

from datetime import date

from documents.model import InvoiceDocument
from domain.practice import Practice


def sample_document(practice: Practice, today: date) -> InvoiceDocument:
    raise NotImplementedError


def preview_png(pdf: bytes, width_px: int = 800) -> bytes:
    raise NotImplementedError
