"""Invoice and receipt PDFs (reportlab), in the practice's template and theme."""

from documents.pdf.build import invoice_pdf, receipt_pdf

__all__ = ["invoice_pdf", "receipt_pdf"]
