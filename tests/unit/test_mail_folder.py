"""The file outbox: e-mail filed as .eml files instead of sent, and read back newest first."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from domain.outbox import Attachment, EmailMessage, TransientDeliveryError
from fakes import FixedClock
from gateways.mail_folder import FileMailer, read_mail_folder

PDF = b"%PDF-1.7\n" + bytes(range(256)) + b"\n%%EOF\n"


def an_email(subject: str = "Your invoice INV-0007", **changes: object) -> EmailMessage:
    fields: dict[str, object] = {
        "to_address": "ada@example.com",
        "to_name": "Ada Lovelace",
        "subject": subject,
        "text": "Please find your invoice attached.\n",
        "html": "<p>Please find your invoice attached.</p>\n",
        "reply_to": "desk@calm.example",
        "sender_name": "Calm Minds",
        "attachments": (Attachment("INV-0007.pdf", "application/pdf", PDF),),
    }
    fields.update(changes)
    return EmailMessage(**fields)  # type: ignore[arg-type]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 12, 5, 9, 0, tzinfo=UTC))


def test_a_filed_message_reads_back_with_everything_it_was_sent_with(
    tmp_path: Path, clock: FixedClock
) -> None:
    mailer = FileMailer(tmp_path / "mail", "billing@practice-mail.example", clock)

    mailer.send(an_email(), "0f3a9c")

    [mail] = read_mail_folder(tmp_path / "mail")
    assert mail.message_id == "0f3a9c"
    assert mail.subject == "Your invoice INV-0007"
    assert mail.to == "Ada Lovelace <ada@example.com>"
    assert mail.sender == "Calm Minds <billing@practice-mail.example>"
    assert mail.reply_to == "desk@calm.example"
    assert mail.date == clock.now()
    assert mail.text == "Please find your invoice attached.\n"
    assert mail.html == "<p>Please find your invoice attached.</p>\n"
    assert mail.attachments == (Attachment("INV-0007.pdf", "application/pdf", PDF),)


def test_the_file_is_a_standard_eml_any_mail_program_opens(
    tmp_path: Path, clock: FixedClock
) -> None:
    FileMailer(tmp_path, "billing@practice-mail.example", clock).send(an_email(), "0f3a9c")

    parsed = message_from_bytes((tmp_path / "0f3a9c.eml").read_bytes(), policy=policy.default)

    assert parsed["Message-ID"] == "<0f3a9c@practice-mail.example>"
    assert parsed.get_content_type() == "multipart/mixed"


def test_messages_are_listed_newest_first(tmp_path: Path, clock: FixedClock) -> None:
    mailer = FileMailer(tmp_path, "billing@practice-mail.example", clock)
    for number in range(1, 4):
        mailer.send(an_email(f"Invoice INV-000{number}"), f"m{number}")
        clock.advance(minutes=1)

    subjects = [mail.subject for mail in read_mail_folder(tmp_path)]

    assert subjects == ["Invoice INV-0003", "Invoice INV-0002", "Invoice INV-0001"]
    assert [mail.subject for mail in read_mail_folder(tmp_path, limit=1)] == ["Invoice INV-0003"]


def test_a_message_filed_again_replaces_its_earlier_copy(tmp_path: Path, clock: FixedClock) -> None:
    mailer = FileMailer(tmp_path, "billing@practice-mail.example", clock)

    mailer.send(an_email(), "0f3a9c")
    mailer.send(an_email(), "0f3a9c")

    assert len(read_mail_folder(tmp_path)) == 1
    assert sorted(path.name for path in tmp_path.iterdir()) == ["0f3a9c.eml"]


def test_only_the_owner_may_read_the_filed_mail(tmp_path: Path, clock: FixedClock) -> None:
    FileMailer(tmp_path / "mail", "billing@practice-mail.example", clock).send(an_email(), "m1")

    mode = stat.S_IMODE((tmp_path / "mail" / "m1.eml").stat().st_mode)

    assert mode == 0o600


def test_a_folder_that_does_not_exist_yet_holds_no_mail(tmp_path: Path) -> None:
    assert read_mail_folder(tmp_path / "never-written") == []


def test_a_folder_that_cannot_be_written_is_a_failure_worth_retrying(
    tmp_path: Path, clock: FixedClock
) -> None:
    blocked = tmp_path / "mail"
    blocked.write_text("a file where the folder should be")

    with pytest.raises(TransientDeliveryError, match="cannot write to the mail folder"):
        FileMailer(blocked, "billing@practice-mail.example", clock).send(an_email(), "m1")


def test_a_message_id_that_is_not_a_plain_name_is_refused(
    tmp_path: Path, clock: FixedClock
) -> None:
    with pytest.raises(ValueError, match="message id"):
        FileMailer(tmp_path, "billing@practice-mail.example", clock).send(an_email(), "../x")
