"""Invoice and receipt PDFs (reportlab), in the practice's template and theme."""

from documents.pdf.build import invoice_pdf, receipt_pdf
from documents.pdf.cache import RenderedPdfs

__all__ = ["RenderedPdfs", "invoice_pdf", "receipt_pdf"]
