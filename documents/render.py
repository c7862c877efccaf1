"""The client-facing pay page and e-mails, rendered with Jinja2 from one document model."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from documents.model import (
    InvoiceDocument,
    formatted_date,
    invoice_document,
    receipt_document,
)
from documents.qr import qr_svg
from documents.themes import palette
from domain.clients import Client
from domain.invoices import UNPAID_STATUSES, Invoice
from domain.money import Money
from domain.outbox import EmailMessage
from domain.payments import LedgerEntry
from domain.practice import Practice
from domain.reminder_wording import Segment, Tone, fill, fill_text, first_name, subject_for


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("documents", "templates"),
        # Only .html is escaped: the text parts of e-mails are plain text.
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _lang(practice: Practice) -> str:
    return practice.locale.split("_")[0] or "en"


def _design(doc: InvoiceDocument) -> dict[str, object]:
    """What every template needs to wear the practice's design: its palette and the
    document's own fields (`doc.design` names the template)."""
    return {"doc": doc, "palette": palette(doc.design.theme)}


def _qr_caption(state: str) -> str:
    if state == "payable":
        return "Scan to pay on your phone"
    return "Scan to open this invoice on your phone"


def pay_page_html(
    practice: Practice,
    invoice: Invoice,
    client: Client | None,
    *,
    state: str,
    today: date,
    pay_action: str,
    pay_url: str | None = None,
    pdf_url: str | None = None,
    logo_url: str | None = None,
    problem: str | None = None,
) -> str:
    """The client's invoice page. `pay_url` (the page's own absolute address) becomes the QR
    code while a balance is due; `pdf_url`, when given, a Download PDF link."""
    doc = invoice_document(practice, invoice, client, today, pay_url=pay_url)
    balance_due = doc.status in UNPAID_STATUSES
    qr_caption = _qr_caption(state)
    qr = (
        qr_svg(doc.pay_url, colour=palette(doc.design.theme).ink, label=f"QR code: {qr_caption}")
        if doc.pay_url and balance_due
        else None
    )
    return (
        _environment()
        .get_template("pay_page.html")
        .render(
            _design(doc),
            state=state,
            pay_action=pay_action,
            problem=problem,
            logo_url=logo_url,
            pdf_url=pdf_url,
            balance_due=balance_due,
            qr=qr,
            qr_caption=qr_caption,
            lang=_lang(practice),
        )
    )


def pay_done_html(
    practice: Practice,
    invoice: Invoice,
    client: Client | None,
    *,
    today: date,
    confirmed: bool,
    page_url: str,
    logo_url: str | None = None,
) -> str:
    doc = invoice_document(practice, invoice, client, today)
    return (
        _environment()
        .get_template("pay_done.html")
        .render(
            _design(doc),
            confirmed=confirmed,
            page_url=page_url,
            logo_url=logo_url,
            qr=None,
            qr_caption="",
            lang=_lang(practice),
        )
    )


def not_found_html() -> str:
    return _environment().get_template("not_found.html").render()


def message_html(title: str, text: str = "") -> str:
    """A short page that tells a person what happened and what to do next."""
    return _environment().get_template("message.html").render(title=title, text=text)


def _greeting_name(to_name: str) -> str:
    parts = to_name.split()
    return parts[0] if parts else ""


def _email(
    practice: Practice,
    doc: InvoiceDocument,
    template: str,
    subject: str,
    *,
    to: str,
    to_name: str,
    reply_to: str | None,
    logo_url: str | None = None,
    **context: object,
) -> EmailMessage:
    environment = _environment()
    values = {
        **_design(doc),
        "logo_url": logo_url,
        "subject": subject,
        "greeting_name": _greeting_name(to_name),
        "lang": _lang(practice),
        **context,
    }
    return EmailMessage(
        to_address=to,
        to_name=to_name,
        subject=subject,
        text=environment.get_template(f"{template}.txt").render(values),
        html=environment.get_template(f"{template}.html").render(values),
        reply_to=reply_to,
        sender_name=practice.billing.name,
    )


def payment_link_email(
    practice: Practice,
    invoice: Invoice,
    client: Client | None,
    *,
    to: str,
    to_name: str,
    message: str,
    pay_url: str,
    today: date,
    reply_to: str | None = None,
    logo_url: str | None = None,
) -> EmailMessage:
    doc = invoice_document(practice, invoice, client, today)
    subject = f"Invoice {doc.number} from {doc.practice_name}: {doc.balance} due {doc.due_date}"
    return _email(
        practice,
        doc,
        "email_payment_link",
        subject,
        to=to,
        to_name=to_name,
        reply_to=reply_to,
        logo_url=logo_url,
        message=message,
        pay_url=pay_url,
    )


def receipt_email(
    practice: Practice,
    invoice: Invoice,
    client: Client | None,
    entry: LedgerEntry,
    *,
    to: str,
    to_name: str,
    pay_url: str | None,
    today: date,
    reply_to: str | None = None,
    logo_url: str | None = None,
) -> EmailMessage:
    receipt = receipt_document(practice, invoice, client, entry, today)
    subject = f"Receipt {receipt.receipt_number} from {receipt.invoice.practice_name}"
    return _email(
        practice,
        receipt.invoice,
        "email_receipt",
        subject,
        to=to,
        to_name=to_name,
        reply_to=reply_to,
        logo_url=logo_url,
        receipt=receipt,
        pay_url=pay_url,
    )


def _paragraphs(segments: list[Segment]) -> list[list[Segment]]:
    """The filled-in wording split at its blank lines, so each paragraph is its own <p>."""
    paragraphs: list[list[Segment]] = [[]]
    for segment in segments:
        if segment.placeholder is not None:
            paragraphs[-1].append(segment)
            continue
        pieces = segment.text.split("\n\n")
        for index, piece in enumerate(pieces):
            if index:
                paragraphs.append([])
            if piece.strip("\n"):
                paragraphs[-1].append(Segment(piece.strip("\n")))
    return [paragraph for paragraph in paragraphs if paragraph]


def reminder_values(doc: InvoiceDocument, greeting: str, pay_url: str) -> dict[str, str]:
    """What the placeholders of a reminder's wording stand for."""
    return {
        "first_name": first_name(greeting),
        "invoice_number": doc.number,
        "balance": doc.balance,
        "due_date": doc.due_date,
        "pay_link": pay_url,
    }


def reminder_email(
    practice: Practice,
    invoice: Invoice,
    client: Client | None,
    *,
    to: str,
    tone: Tone,
    wording: str,
    pay_url: str,
    today: date,
    reply_to: str | None = None,
    logo_url: str | None = None,
) -> EmailMessage:
    """A payment reminder: the step's wording with its placeholders filled in (the pay link a
    link in the HTML part), the invoice's summary and a Pay button for the balance."""
    doc = invoice_document(practice, invoice, client, today)
    to_name = client.name if client else ""
    values = reminder_values(doc, to_name, pay_url)
    segments = fill(wording, values)
    return _email(
        practice,
        doc,
        "email_reminder",
        subject_for(tone, values),
        to=to,
        to_name=to_name,
        reply_to=reply_to,
        logo_url=logo_url,
        wording_text="".join(segment.text for segment in segments),
        paragraphs=_paragraphs(segments),
        pay_url=pay_url,
    )


#: The made-up client and amount a wording is previewed with in the settings.
PREVIEW_FIRST_NAME = "Alex"
PREVIEW_BALANCE = Decimal(120)
PREVIEW_SEQUENCE = 42


def reminder_preview(
    practice: Practice, tone: Tone, wording: str, *, due_date: date, pay_url: str
) -> tuple[str, str]:
    """The subject and text a wording makes for a made-up client (Alex, 120.00 in the
    practice's currency, an invoice due on `due_date`), as the e-mail would write them."""
    values = {
        "first_name": PREVIEW_FIRST_NAME,
        "invoice_number": practice.invoice_settings.format_number(PREVIEW_SEQUENCE),
        "balance": Money(PREVIEW_BALANCE, practice.currency).format(practice.locale),
        "due_date": formatted_date(due_date, practice),
        "pay_link": pay_url,
    }
    return subject_for(tone, values), fill_text(wording, values)
