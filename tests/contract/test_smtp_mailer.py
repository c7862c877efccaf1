"""`SmtpMailer` against a real SMTP server (aiosmtpd on 127.0.0.1): plain, AUTH PLAIN and
LOGIN, STARTTLS, implicit TLS; what arrives; and how each way of failing is reported."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import trustme

from domain.outbox import (
    Attachment,
    EmailMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from fakes import FixedClock
from gateways.mail import SmtpEndpoint, SmtpMailer
from helpers import free_port
from smtp_sink import SmtpSink, smtp_sink

MAIL_FROM = "Billing Bot <billing@practice-mail.example>"
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def a_receipt(**changes: object) -> EmailMessage:
    fields: dict[str, object] = {
        "to_address": "ada@example.com",
        "to_name": "Ada Lovelace",
        "subject": "Receipt for invoice INV-0007",
        "text": "Thank you. We received $150.00 for INV-0007.\n",
        "html": "<p>Thank you. We received <b>$150.00</b> for INV-0007.</p>",
        "reply_to": "front-desk@calm-minds.example",
        "sender_name": "Calm Minds Therapy",
        "attachments": (Attachment("INV-0007.pdf", "application/pdf", PDF),),
    }
    fields.update(changes)
    return EmailMessage(**fields)  # type: ignore[arg-type]


def mailer_for(
    sink: SmtpSink, *, tls: ssl.SSLContext | None = None, **endpoint: object
) -> SmtpMailer:
    settings: dict[str, object] = {"host": "127.0.0.1", "port": sink.port, "security": "none"}
    settings.update(endpoint)
    return SmtpMailer(
        SmtpEndpoint(**settings),  # type: ignore[arg-type]
        MAIL_FROM,
        FixedClock(datetime(2026, 12, 5, 9, 30, tzinfo=UTC)),
        timeout=10,
        tls=tls,
    )


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_tls(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    return context


@pytest.fixture(scope="module")
def client_tls(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    authority.configure_trust(context)
    return context


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with smtp_sink() as running:
        yield running


def test_text_html_and_an_attachment_arrive_intact(sink: SmtpSink) -> None:
    mailer_for(sink).send(a_receipt(), "0f3a9c")

    [received] = sink.received
    message = received.message
    assert received.mail_from == "billing@practice-mail.example"
    assert received.rcpt_tos == ("ada@example.com",)
    assert message.get_content_type() == "multipart/mixed"
    assert message.get_body(("plain",)).get_content() == a_receipt().text
    html = message.get_body(("html",))
    assert html.get_content().strip() == a_receipt().html
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "INV-0007.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_payload(decode=True) == PDF


def test_headers_name_the_practice_and_route_replies_to_it(sink: SmtpSink) -> None:
    mailer_for(sink).send(a_receipt(), "0f3a9c")

    message = sink.received[0].message
    assert message["From"].addresses[0].display_name == "Calm Minds Therapy"
    assert message["From"].addresses[0].addr_spec == "billing@practice-mail.example"
    assert str(message["To"]) == "Ada Lovelace <ada@example.com>"
    assert str(message["Reply-To"]) == "front-desk@calm-minds.example"
    assert message["Subject"] == "Receipt for invoice INV-0007"
    assert message["Date"].datetime == datetime(2026, 12, 5, 9, 30, tzinfo=UTC)
    assert message["Auto-Submitted"] == "auto-generated"


def test_a_message_sent_again_carries_the_same_message_id(sink: SmtpSink) -> None:
    mailer = mailer_for(sink)

    mailer.send(a_receipt(), "0f3a9c")
    mailer.send(a_receipt(), "0f3a9c")
    mailer.send(a_receipt(), "77b1e2")

    ids = [received.message["Message-ID"] for received in sink.received]
    assert ids == [
        "<0f3a9c@practice-mail.example>",
        "<0f3a9c@practice-mail.example>",
        "<77b1e2@practice-mail.example>",
    ]


def test_text_alone_is_a_plain_message(sink: SmtpSink) -> None:
    mailer_for(sink).send(a_receipt(html=None, attachments=()), "0f3a9c")

    message = sink.received[0].message
    assert message.get_content_type() == "text/plain"
    assert message.get_content() == a_receipt().text


def test_non_ascii_names_and_subjects_arrive_as_written(sink: SmtpSink) -> None:
    mailer_for(sink).send(
        a_receipt(to_name="Zoë Müller", subject="Quittung für Rechnung RE-0007 – danke"),
        "0f3a9c",
    )

    message = sink.received[0].message
    assert message["To"].addresses[0].display_name == "Zoë Müller"
    assert message["Subject"] == "Quittung für Rechnung RE-0007 – danke"


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_logs_in_with_the_mechanism_the_server_offers(mechanism: str) -> None:
    with smtp_sink(login=("billing", "s3cret pass"), mechanisms=(mechanism,)) as sink:
        mailer_for(sink, username="billing", password="s3cret pass").send(a_receipt(), "a1")

        [received] = sink.received
    assert received.auth_mechanism == mechanism


def test_a_server_that_wants_a_login_refuses_mail_without_one() -> None:
    with smtp_sink(login=("billing", "s3cret")) as sink:
        with pytest.raises(TransientDeliveryError) as refused:
            mailer_for(sink).send(a_receipt(), "a1")

        assert sink.received == []
    assert "ada@example.com" not in str(refused.value)


def test_a_wrong_password_is_worth_retrying_once_fixed_and_is_not_quoted() -> None:
    with (
        smtp_sink(login=("billing", "s3cret")) as sink,
        pytest.raises(TransientDeliveryError) as refused,
    ):
        mailer_for(sink, username="billing", password="wrong-one").send(a_receipt(), "a1")

    assert "login" in str(refused.value)
    assert "wrong-one" not in str(refused.value)


def test_starttls_then_login(server_tls: ssl.SSLContext, client_tls: ssl.SSLContext) -> None:
    with smtp_sink(login=("billing", "s3cret"), starttls=server_tls) as sink:
        mailer_for(
            sink, security="starttls", username="billing", password="s3cret", tls=client_tls
        ).send(a_receipt(), "a1")

        [received] = sink.received
    assert received.tls
    assert received.auth_mechanism in ("PLAIN", "LOGIN")
    assert received.message.get_body(("plain",)).get_content() == a_receipt().text


def test_implicit_tls(server_tls: ssl.SSLContext, client_tls: ssl.SSLContext) -> None:
    with smtp_sink(login=("billing", "s3cret"), implicit_tls=server_tls) as sink:
        mailer_for(
            sink, security="ssl", username="billing", password="s3cret", tls=client_tls
        ).send(a_receipt(), "a1")

        assert len(sink.received) == 1


def test_a_certificate_nobody_vouches_for_is_refused(server_tls: ssl.SSLContext) -> None:
    with smtp_sink(starttls=server_tls) as sink:
        # The system's trust store, which does not know the test's authority.
        with pytest.raises(TransientDeliveryError, match="certificate is not trusted"):
            mailer_for(sink, security="starttls").send(a_receipt(), "a1")

        assert sink.received == []


def test_a_recipient_refused_for_good_is_permanent_and_not_quoted(sink: SmtpSink) -> None:
    sink.refuse("ada@example.com", "550 5.1.1 <ada@example.com>: Recipient address rejected")

    with pytest.raises(PermanentDeliveryError) as refused:
        mailer_for(sink).send(a_receipt(), "a1")

    assert "550" in str(refused.value)
    assert "ada" not in str(refused.value)
    assert refused.value.__cause__ is None and refused.value.__suppress_context__


def test_a_recipient_refused_for_now_is_transient(sink: SmtpSink) -> None:
    sink.refuse("ada@example.com", "450 4.2.1 <ada@example.com>: mailbox busy, try later")

    with pytest.raises(TransientDeliveryError, match="450") as refused:
        mailer_for(sink).send(a_receipt(), "a1")

    assert "ada" not in str(refused.value)


def test_a_message_the_server_took_counts_as_sent_however_the_goodbye_goes(
    sink: SmtpSink,
) -> None:
    sink.handler.quit_reply = "451 4.3.0 something went wrong after your message"

    mailer_for(sink).send(a_receipt(), "a1")

    assert len(sink.received) == 1


def test_no_server_listening_is_transient() -> None:
    mailer = SmtpMailer(
        SmtpEndpoint("127.0.0.1", free_port(), "none"),
        MAIL_FROM,
        FixedClock(),
        timeout=5,
    )

    with pytest.raises(TransientDeliveryError, match="cannot connect to the SMTP server"):
        mailer.send(a_receipt(), "a1")
