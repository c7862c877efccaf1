"""The file outbox: `FileMailer` writes each e-mail as an ``.eml`` file into a folder instead
of sending it (no ``SMTP_URL``: development and the sandbox), and `read_mail_folder` lists
what was written, for people and for the console.

A message is filed under its Message-ID's local part (the outbox row id), so a retry
replaces its own file rather than adding a copy. Files are readable by their owner alone:
they hold clients' names, addresses and invoices.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage as MimeMessage
from email.message import Message
from email.utils import parsedate_to_datetime
from pathlib import Path

from domain.outbox import Attachment, EmailMessage, TransientDeliveryError
from domain.ports import Clock
from gateways.mime import mime_message

SUFFIX = ".eml"


class FileMailer:
    """Implements `domain.ports.Mailer` by writing ``<folder>/<message id>.eml``."""

    def __init__(self, folder: Path, mail_from: str, clock: Clock) -> None:
        self.folder = folder
        self._mail_from = mail_from
        self._clock = clock

    def send(self, message: EmailMessage, message_id: str) -> None:
        # Refuses a message id that is not letters, digits, dots, dashes and underscores,
        # so the id is a safe file name.
        mime = mime_message(
            message, message_id=message_id, mail_from=self._mail_from, date=self._clock.now()
        )
        path = self.folder / f"{message_id}{SUFFIX}"
        partial = self.folder / f".{message_id}{SUFFIX}.partial"
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                file.write(mime.as_bytes())
            # A reader never sees half a message: the file appears whole or not at all.
            os.replace(partial, path)
        except OSError as error:
            raise TransientDeliveryError(
                f"cannot write to the mail folder: {error.strerror or type(error).__name__}"
            ) from None


@dataclass(frozen=True)
class StoredMail:
    """One filed e-mail as a reader shows it."""

    message_id: str
    subject: str
    sender: str
    to: str
    reply_to: str
    date: datetime | None
    text: str
    html: str | None
    attachments: tuple[Attachment, ...]


def read_mail_folder(folder: Path, *, limit: int | None = None) -> list[StoredMail]:
    """The e-mails filed in `folder`, newest first (by Date, then by when the file was
    written); an absent folder holds none."""
    if not folder.is_dir():
        return []
    found: list[tuple[float, int, StoredMail]] = []
    for path in folder.glob(f"*{SUFFIX}"):
        try:
            data, written = path.read_bytes(), path.stat().st_mtime_ns
        except FileNotFoundError:  # replaced by a retry between the listing and the read
            continue
        mail = _parse(path.stem, data)
        dated = mail.date.timestamp() if mail.date else 0.0
        found.append((dated, written, mail))
    found.sort(key=lambda item: (item[0], item[1], item[2].message_id), reverse=True)
    mails = [mail for _dated, _written, mail in found]
    return mails if limit is None else mails[:limit]


def _parse(message_id: str, data: bytes) -> StoredMail:
    mime = message_from_bytes(data, policy=policy.default)
    assert isinstance(mime, MimeMessage)
    text = mime.get_body(preferencelist=("plain",))
    html = mime.get_body(preferencelist=("html",))
    attachments = tuple(
        Attachment(part.get_filename() or "attachment", part.get_content_type(), _bytes(part))
        for part in mime.iter_attachments()
    )
    try:
        date = parsedate_to_datetime(str(mime["Date"])) if mime["Date"] else None
    except (TypeError, ValueError):
        date = None
    return StoredMail(
        message_id=message_id,
        subject=str(mime["Subject"] or ""),
        sender=str(mime["From"] or ""),
        to=str(mime["To"] or ""),
        reply_to=str(mime["Reply-To"] or ""),
        date=date,
        text=str(text.get_content()) if text is not None else "",
        html=str(html.get_content()) if html is not None else None,
        attachments=attachments,
    )


def _bytes(part: Message) -> bytes:
    content = part.get_payload(decode=True)
    return content if isinstance(content, bytes) else b""
