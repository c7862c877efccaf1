"""The e-mails a client receives (payment link, receipt, reminder), written from the records
when the outbox delivers them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from documents.invoice_files import PDF, PdfFile, invoice_pdf_file, receipt_pdf_file
from documents.render import payment_link_email, receipt_email, reminder_email
from domain.ids import InvoiceId, PracticeId
from domain.outbox import Attachment, EmailMessage, PermanentDeliveryError
from domain.ports import Env, UnitOfWork
from domain.reminders import SkipReason
from domain.usecases.pay_links import invoice_for_mail
from domain.usecases.reminders import (
    reminder_mail,
    reminder_pay_link,
    skip_undelivered_reminder,
)

log = logging.getLogger(__name__)


def _with_pdf(
    email: EmailMessage, practice_id: PracticeId, render: Callable[[], PdfFile]
) -> EmailMessage:
    """The e-mail with its PDF attached; without it if the PDF cannot be made, since the
    message still carries every figure and the pay link, and holding it back for a
    rendering fault would leave the client without their invoice or receipt."""
    try:
        pdf = render()
    except Exception:
        log.exception("event=email_pdf_failed practice_id=%s", practice_id)
        return email
    return replace(email, attachments=(Attachment(pdf.filename, PDF, pdf.content),))


def compose_client_email(
    practice_id: PracticeId,
    payload: Mapping[str, Any],
    uow: UnitOfWork,
    env: Env,
    public_base_url: str,
    writer: Callable[[], UnitOfWork] | None = None,
) -> EmailMessage | None:
    """The e-mail a `client_email` outbox message asks for; None when there is nobody to send
    it to (a receipt for a client without an e-mail address), or nothing to remind of any
    more (the invoice was paid or voided since its reminder was claimed: that is recorded on
    the reminder through a unit of work from `writer`)."""
    template = payload.get("template")
    if template == "reminder":
        return _reminder(practice_id, payload, uow, env, public_base_url, writer)
    records = invoice_for_mail(practice_id, InvoiceId(str(payload["invoice_id"])), uow)
    today = env.today_at(records.practice)
    # The PDF cache is filled on a miss, which needs a unit of work that may write.
    files = writer or (lambda: uow)
    pay_url = (
        f"{public_base_url}/pay/{records.pay_link.token}" if records.pay_link is not None else None
    )
    # A link, not an attachment: most mail clients show a linked logo once the reader allows
    # images, and the message stays small.
    logo_url = (
        f"{pay_url}/logo"
        if pay_url is not None and records.practice.invoice_settings.logo_ref
        else None
    )
    if template == "payment_link":
        if pay_url is None:
            raise PermanentDeliveryError("the invoice has no pay link")
        email = payment_link_email(
            records.practice,
            records.invoice,
            records.client,
            to=str(payload["to"]),
            to_name=str(payload.get("to_name") or ""),
            message=str(payload.get("message") or ""),
            pay_url=pay_url,
            today=today,
            logo_url=logo_url,
        )
        return _with_pdf(
            email,
            practice_id,
            lambda: invoice_pdf_file(
                records, today=today, public_base_url=public_base_url, files=files
            ),
        )
    if template == "receipt":
        entry = next((e for e in records.invoice.ledger if e.id == payload.get("payment_id")), None)
        if entry is None:
            raise PermanentDeliveryError("the receipt's payment is not on the invoice")
        to = records.pay_link.last_sent_to if records.pay_link else None
        to = to or (records.client.email if records.client else None)
        if not to:
            return None
        email = receipt_email(
            records.practice,
            records.invoice,
            records.client,
            entry,
            to=to,
            to_name=records.client.name if records.client else "",
            pay_url=pay_url,
            today=today,
            logo_url=logo_url,
        )
        return _with_pdf(
            email,
            practice_id,
            lambda: receipt_pdf_file(
                records, entry, today=today, public_base_url=public_base_url, files=files
            ),
        )
    raise PermanentDeliveryError(f"unknown client e-mail template {template!r}")


def _reminder(
    practice_id: PracticeId,
    payload: Mapping[str, Any],
    uow: UnitOfWork,
    env: Env,
    public_base_url: str,
    writer: Callable[[], UnitOfWork] | None,
) -> EmailMessage | None:
    reminder_id = str(payload["reminder_id"])
    invoice_id = InvoiceId(str(payload["invoice_id"]))
    found = reminder_mail(practice_id, invoice_id, reminder_id, uow, env)
    if isinstance(found, SkipReason):
        if writer is not None:
            skip_undelivered_reminder(practice_id, invoice_id, reminder_id, found, writer(), env)
        return None
    link = found.pay_link or reminder_pay_link(
        practice_id, invoice_id, (writer or (lambda: uow))(), env
    )
    pay_url = f"{public_base_url}/pay/{link.token}"
    return reminder_email(
        found.practice,
        found.invoice,
        found.client,
        to=found.to,
        tone=found.tone,
        wording=found.wording,
        pay_url=pay_url,
        today=found.today,
        logo_url=f"{pay_url}/logo" if found.practice.invoice_settings.logo_ref else None,
    )
