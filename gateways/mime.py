"""An outbox e-mail as the MIME message that is sent or filed: text with an HTML
alternative, attachments, and the headers every copy of it carries."""

from __future__ import annotations

import re
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime, parseaddr

from domain.outbox import EmailMessage

_MESSAGE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def sender_address(mail_from: str) -> str:
    """The bare address of ``MAIL_FROM`` (which may carry a display name)."""
    return parseaddr(mail_from)[1]


def message_id_header(message_id: str, mail_from: str) -> str:
    """The Message-ID of an outbox e-mail: its row id at the sender's domain, the same on
    every retry (RFC 5322 wants it unique, and the row id is)."""
    if not _MESSAGE_ID.match(message_id):
        raise ValueError("a message id is 1 to 64 letters, digits, dots, dashes or underscores")
    domain = sender_address(mail_from).rpartition("@")[2] or "localhost"
    return f"<{message_id}@{domain}>"


def mime_message(
    message: EmailMessage, *, message_id: str, mail_from: str, date: datetime
) -> MimeMessage:
    """Build the MIME message: multipart/alternative (text, HTML) inside multipart/mixed when
    there are attachments. From is `mail_from`'s address under the practice's name when the
    message gives one; replies go to `message.reply_to`."""
    mime = MimeMessage(policy=policy.default)
    name, address = parseaddr(mail_from)
    mime["From"] = Address(display_name=message.sender_name or name, addr_spec=address)
    mime["To"] = Address(display_name=message.to_name, addr_spec=message.to_address)
    if message.reply_to:
        mime["Reply-To"] = Address(addr_spec=message.reply_to)
    mime["Subject"] = message.subject
    mime["Date"] = format_datetime(date)
    mime["Message-ID"] = message_id_header(message_id, mail_from)
    # Receipts and payment links are sent by a program: vacation replies should not answer.
    mime["Auto-Submitted"] = "auto-generated"
    mime.set_content(message.text)
    if message.html is not None:
        mime.add_alternative(message.html, subtype="html")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        mime.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return mime
