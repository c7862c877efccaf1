"""The console's Mail pane: every e-mail the app's file outbox filed in sandbox mode, as its
recipient's mail program would show it (newest first; the HTML part, the text part and the
attachments of the one opened).

Mail is outside Slack: the pane is the inbox of everyone the practices wrote to, the same
whichever workspace and person the console is showing. An e-mail's HTML is shown in a frame
sandboxed without scripts, from its own response that forbids everything but inline styles
and inline images; its links open in a new tab, as a mail program opens them in a browser.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import getaddresses
from pathlib import Path

from gateways.mail_folder import SUFFIX, StoredMail, read_mail_folder

#: The place of the Mail pane (its newest e-mail opened), and the prefix of one e-mail's place.
MAIL = "mail"
_OPENED = "mail-"
#: What the frame showing an e-mail's HTML may do (its ``sandbox`` attribute, and its
#: response's policy): open its links in a new, unsandboxed tab, and nothing else (no
#: scripts, forms, plugins or same-origin access).
FRAME_SANDBOX = "allow-popups allow-popups-to-escape-sandbox"
HTML_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    f"form-action 'none'; sandbox {FRAME_SANDBOX}"
)
_HEAD = re.compile(r"<head(\s[^>]*)?>", re.IGNORECASE)


def is_mail_place(place: str) -> bool:
    return place == MAIL or place.startswith(_OPENED)


def mail_place(message_id: str) -> str:
    return f"{_OPENED}{message_id}"


def opened_id(place: str) -> str | None:
    """The message id a place names, None for the pane itself (its newest e-mail)."""
    return place.removeprefix(_OPENED) if place.startswith(_OPENED) else None


@dataclass(frozen=True)
class MailItem:
    """One line of the list."""

    message_id: str
    to: str
    sender: str
    subject: str
    time: str
    url: str
    current: bool


@dataclass(frozen=True)
class AttachmentLink:
    name: str
    content_type: str
    size: str
    url: str


@dataclass(frozen=True)
class OpenedMail:
    """The e-mail shown beside the list."""

    message_id: str
    subject: str
    sender: str
    to: str
    reply_to: str
    date: str
    text: str
    html_url: str | None
    attachments: tuple[AttachmentLink, ...]


@dataclass(frozen=True)
class MailPane:
    items: tuple[MailItem, ...]
    opened: OpenedMail | None
    folder_known: bool
    """False: e-mail goes out over SMTP, so the console has none to show."""


class NoSuchMail(LookupError):
    pass


def count_mail(folder: Path | None) -> int:
    """How many e-mails are filed: cheap, for the rail's badge on every page."""
    if folder is None or not folder.is_dir():
        return 0
    return sum(1 for _ in folder.glob(f"*{SUFFIX}"))


def find_mail(folder: Path | None, message_id: str | None) -> StoredMail | None:
    """The e-mail `message_id` (None: the newest); raises `NoSuchMail` for an unknown id."""
    mails = read_mail_folder(folder) if folder is not None else []
    if message_id is None:
        return mails[0] if mails else None
    found = next((mail for mail in mails if mail.message_id == message_id), None)
    if found is None:
        raise NoSuchMail(message_id)
    return found


def mail_pane(
    folder: Path | None, place: str, base: str, tz: str, today: date | None = None
) -> MailPane:
    """The pane at `place` for a page at `base` (``/console/<team>/<user>``), times in `tz`:
    the time of an e-mail sent `today` (the app's day, which the console can move on), the
    day of any other. Raises `NoSuchMail` when the place names an e-mail that is not there."""
    mails = read_mail_folder(folder) if folder is not None else []
    wanted = opened_id(place)
    opened = next((m for m in mails if m.message_id == wanted), None) if wanted else None
    if wanted is not None and opened is None:
        raise NoSuchMail(wanted)
    if opened is None and mails:
        opened = mails[0]
    items = tuple(
        MailItem(
            message_id=mail.message_id,
            to=_names(mail.to),
            sender=_names(mail.sender),
            subject=mail.subject or "(no subject)",
            time=_listed_when(mail.date, tz, today),
            url=f"{base}/{mail_place(mail.message_id)}",
            current=opened is not None and mail.message_id == opened.message_id,
        )
        for mail in mails
    )
    shown = None
    if opened is not None:
        here = f"{base}/{mail_place(opened.message_id)}"
        shown = OpenedMail(
            message_id=opened.message_id,
            subject=opened.subject or "(no subject)",
            sender=opened.sender,
            to=opened.to,
            reply_to=opened.reply_to,
            date=_when(opened.date, tz, "%a %d %b %Y, %H:%M"),
            text=opened.text,
            html_url=f"{here}/html" if opened.html is not None else None,
            attachments=tuple(
                AttachmentLink(
                    item.filename,
                    item.content_type,
                    _size(len(item.content)),
                    f"{here}/attachments/{index}",
                )
                for index, item in enumerate(opened.attachments)
            ),
        )
    return MailPane(items, shown, folder is not None)


def framed_html(html: str) -> str:
    """The e-mail's HTML for its sandboxed frame: links open in a new tab."""
    base = '<base target="_blank">'
    head = _HEAD.search(html)
    if head is None:
        return base + html
    return html[: head.end()] + base + html[head.end() :]


def _names(header: str) -> str:
    """``Practice A <billing@…>, …`` as a person reads it: the names, else the addresses."""
    people = [name or address for name, address in getaddresses([header]) if name or address]
    return ", ".join(people) or header


def _when(moment: datetime | None, tz: str, pattern: str) -> str:
    if moment is None:
        return ""
    return moment.astimezone(_zone(tz)).strftime(pattern)


def _listed_when(moment: datetime | None, tz: str, today: date | None) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(_zone(tz))
    if local.date() == (today or datetime.now(local.tzinfo).date()):
        return f"{local:%H:%M}"
    return f"{local.day} {local:%b}"


def _zone(tz: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
