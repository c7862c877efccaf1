"""The transactional outbox: side effects (an e-mail, a Slack message) stored in the same
transaction as the change that causes them, and delivered after commit by a worker.

A use case enqueues with `uow.outbox.add(OutboxMessage.new(...))`; if the transaction rolls
back, nothing is sent, and once it commits the message is delivered at least once, retried
with growing pauses while the receiving end fails (`retry_delay`), and given up after
`MAX_ATTEMPTS` (kept, marked failed, never deleted). The dedupe key makes enqueueing
idempotent: a use case run twice (a Stripe webhook delivered again) enqueues nothing new.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from domain.ids import PracticeId

#: Longest dedupe key; keys are built from ids ("receipt:<payment id>"), never client data.
DEDUPE_KEY_LENGTH = 200
#: A failure's text as stored; it names what failed, never an address or a name.
ERROR_TEXT_LENGTH = 200
#: Retry pauses double from the first to the longest.
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
#: Attempts before a message is given up: with the pauses above, about a day of trying
#: (30 s, 1, 2, 4, 8, 16, 32 min, then hourly), long enough to ride out a mail provider's
#: outage or a weekend's Slack incident, short enough that a stale receipt is not sent days
#: late.
MAX_ATTEMPTS = 30

_ADDRESS = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")
_CONTENT_TYPE = re.compile(r"^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+$")


class OutboxKind(StrEnum):
    """What a message asks for; each kind has its own handler in the worker. New kinds may be
    added: a worker that has no handler for a kind leaves its messages for one that has."""

    EMAIL = "email"
    SLACK_CARD = "slack_card"  # update an invoice's card in place (chat.update)
    SLACK_POST = "slack_post"  # post in the practice's billing channel
    HOME_REFRESH = "home_refresh"  # republish App Home tabs
    CLIENT_EMAIL = "client_email"  # an e-mail to a client, written from the records on delivery
    SUPPORT = "support"  # a support conversation's Slack posts, in either workspace


class DeliveryError(Exception):
    """A handler could not deliver a message. Its text is stored on the row and logged, so it
    names what failed (a status code, "connection refused"), never an address or a name."""


class TransientDeliveryError(DeliveryError):
    """Worth trying again later: the receiving end is down, slow or busy."""


class PermanentDeliveryError(DeliveryError):
    """Trying again cannot help (the mail server refuses the recipient for good): the message
    is marked failed at once."""


def _single_line(value: str, what: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError(f"{what} must be a single line")
    return value


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes

    def __post_init__(self) -> None:
        _single_line(self.filename, "an attachment's file name")
        if not self.filename.strip() or any(c in self.filename for c in '/\\"'):
            raise ValueError("an attachment's file name must be a plain name such as invoice.pdf")
        if not _CONTENT_TYPE.match(self.content_type):
            raise ValueError("an attachment's content type must look like application/pdf")


@dataclass(frozen=True, slots=True)
class EmailMessage:
    """An e-mail to one recipient: plain text, optionally an HTML alternative, attachments.

    `sender_name` is shown beside the app's own sender address (the practice's name);
    `reply_to` is where the recipient's answer goes (the practice's own address)."""

    to_address: str
    subject: str
    text: str
    to_name: str = ""
    html: str | None = None
    reply_to: str | None = None
    sender_name: str = ""
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        for address, what in ((self.to_address, "recipient"), (self.reply_to, "reply-to")):
            if address is not None and not _ADDRESS.match(address):
                raise ValueError(f"the {what} address is not an e-mail address")
        _single_line(self.subject, "the subject")
        _single_line(self.to_name, "the recipient's name")
        _single_line(self.sender_name, "the sender's name")
        if not self.subject.strip():
            raise ValueError("an e-mail needs a subject")

    def to_payload(self) -> dict[str, Any]:
        """The message as JSON-able data for the outbox (attachments base64-encoded)."""
        return {
            "to": {"address": self.to_address, "name": self.to_name},
            "subject": self.subject,
            "text": self.text,
            "html": self.html,
            "reply_to": self.reply_to,
            "sender_name": self.sender_name,
            "attachments": [
                {
                    "filename": item.filename,
                    "content_type": item.content_type,
                    "content_base64": base64.b64encode(item.content).decode("ascii"),
                }
                for item in self.attachments
            ],
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> EmailMessage:
        """The message `to_payload` stored; raises ValueError if `payload` is not one."""
        try:
            to = payload["to"]
            attachments = tuple(
                Attachment(
                    item["filename"],
                    item["content_type"],
                    base64.b64decode(item["content_base64"], validate=True),
                )
                for item in payload.get("attachments", ())
            )
            return cls(
                to_address=to["address"],
                to_name=to.get("name", ""),
                subject=payload["subject"],
                text=payload["text"],
                html=payload.get("html"),
                reply_to=payload.get("reply_to"),
                sender_name=payload.get("sender_name", ""),
                attachments=attachments,
            )
        except (KeyError, TypeError, binascii.Error) as error:
            raise ValueError(f"not an e-mail payload: {type(error).__name__} {error}") from None


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One side effect waiting for, or done with, delivery.

    `payload` is what the kind's handler needs, as JSON-able data holding ids rather than
    copies of records where it can (a handler reads the invoice as it is when it runs)."""

    id: str
    practice_id: PracticeId
    kind: OutboxKind
    payload: Mapping[str, Any]
    dedupe_key: str
    created_at: datetime
    next_attempt_at: datetime
    attempts: int = 0
    sent_at: datetime | None = None
    failed_at: datetime | None = None
    last_error: str = ""

    def __post_init__(self) -> None:
        check_dedupe_key(self.dedupe_key)
        if self.created_at.tzinfo is None or self.next_attempt_at.tzinfo is None:
            raise ValueError("outbox times are timezone-aware")

    @classmethod
    def new(
        cls,
        *,
        id: str,
        practice_id: PracticeId,
        kind: OutboxKind,
        payload: Mapping[str, Any],
        dedupe_key: str,
        now: datetime,
        not_before: datetime | None = None,
    ) -> OutboxMessage:
        """A message to deliver from `not_before` (default: at once). Raises ValueError if
        `payload` is not JSON-able or the dedupe key is empty or too long."""
        try:
            # A copy, so a caller's later change to its dict cannot alter what is stored.
            plain = json.loads(json.dumps(payload, allow_nan=False))
        except (TypeError, ValueError) as error:
            raise ValueError(f"an outbox payload must be JSON-able: {error}") from None
        return cls(
            id=id,
            practice_id=practice_id,
            kind=kind,
            payload=plain,
            dedupe_key=dedupe_key,
            created_at=now,
            next_attempt_at=max(now, not_before) if not_before else now,
        )

    @classmethod
    def email(
        cls,
        *,
        id: str,
        practice_id: PracticeId,
        dedupe_key: str,
        message: EmailMessage,
        now: datetime,
    ) -> OutboxMessage:
        """An e-mail to send."""
        return cls.new(
            id=id,
            practice_id=practice_id,
            kind=OutboxKind.EMAIL,
            payload=message.to_payload(),
            dedupe_key=dedupe_key,
            now=now,
        )

    @property
    def state(self) -> str:
        """ "sent", "failed" or "pending"."""
        if self.sent_at is not None:
            return "sent"
        return "failed" if self.failed_at is not None else "pending"


def check_dedupe_key(key: str) -> str:
    if not key or len(key) > DEDUPE_KEY_LENGTH or not key.isprintable():
        raise ValueError(
            f"a dedupe key is 1 to {DEDUPE_KEY_LENGTH} printable characters, such as "
            "'receipt:<payment id>'"
        )
    return key


def retry_delay(attempts: int, first: timedelta = FIRST_RETRY) -> timedelta | None:
    """How long to wait after the `attempts`-th failed attempt (1 for the first): `first`
    (30 s), then doubling up to an hour; None once `MAX_ATTEMPTS` are used up (give up)."""
    if attempts >= MAX_ATTEMPTS:
        return None
    doublings = min(attempts - 1, 16)  # 2**16 * 30 s is far past the cap already
    return min(first * (1 << doublings), LONGEST_RETRY)


def error_text(error: BaseException) -> str:
    """What a failure stores and logs: a `DeliveryError`'s own text (written to hold no
    client data), or only the type of any other exception, whose text might quote anything."""
    text = str(error) if isinstance(error, DeliveryError) else type(error).__name__
    text = " ".join(text.split()) or type(error).__name__
    return text[:ERROR_TEXT_LENGTH]
