"""`SmtpMailer`: the `Mailer` port over SMTP (stdlib smtplib), with STARTTLS, implicit TLS
and login as ``SMTP_URL`` says.

A failure is reported as the domain's `TransientDeliveryError` (try again later) or
`PermanentDeliveryError` (the server refused the recipient or the message for good), with
text naming the stage and the SMTP status code only: a server's reply often quotes the
recipient's address, which must not reach the outbox row or the log.

Delivery is at least once: if the connection drops after the message was handed over but
before the server confirmed it, the retry sends it again. Both copies carry the same
Message-ID (from the outbox row id), so mail systems and people can tell it is one message.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from dataclasses import dataclass
from typing import Literal

from domain.outbox import EmailMessage, PermanentDeliveryError, TransientDeliveryError
from domain.ports import Clock
from gateways.mime import mime_message, sender_address

#: Seconds any one network step may take (connect, a command's reply, the message's data):
#: long enough for a slow provider, short enough that a hung server holds the worker briefly.
#: A delivery takes about a dozen steps, so at worst some 3 minutes, within the outbox
#: worker's `SEND_BUDGET`.
SMTP_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class SmtpEndpoint:
    """Where and how to hand mail over."""

    host: str
    port: int
    security: Literal["ssl", "starttls", "none"]
    username: str | None = None
    password: str | None = None


class SmtpMailer:
    """Implements `domain.ports.Mailer`: one SMTP connection per message."""

    def __init__(
        self,
        endpoint: SmtpEndpoint,
        mail_from: str,
        clock: Clock,
        *,
        timeout: float = SMTP_TIMEOUT_S,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._endpoint = endpoint
        self._mail_from = mail_from
        self._clock = clock
        self._timeout = timeout
        self._tls = tls

    def send(self, message: EmailMessage, message_id: str) -> None:
        mime = mime_message(
            message, message_id=message_id, mail_from=self._mail_from, date=self._clock.now()
        )
        stage = "connect to"
        try:
            smtp = self._connect()
            try:
                if self._endpoint.security == "starttls":
                    stage = "start TLS with"
                    smtp.starttls(context=self._tls_context())
                if self._endpoint.username:
                    stage = "log in to"
                    smtp.login(self._endpoint.username, self._endpoint.password or "")
                stage = "send through"
                smtp.send_message(
                    mime,
                    from_addr=sender_address(self._mail_from),
                    to_addrs=[message.to_address],
                )
            finally:
                _hang_up(smtp)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _reply in error.recipients.values()]
            raise _by_code(min(codes, default=0), "the SMTP server refused the recipient") from None
        except smtplib.SMTPSenderRefused as error:
            # MAIL_FROM is the app's own setting: fixable, so worth retrying.
            raise TransientDeliveryError(
                f"the SMTP server refused the sender address MAIL_FROM ({error.smtp_code})"
            ) from None
        except smtplib.SMTPDataError as error:
            raise _by_code(error.smtp_code, "the SMTP server refused the message") from None
        except smtplib.SMTPAuthenticationError as error:
            raise TransientDeliveryError(
                f"the SMTP server refused the login in SMTP_URL ({error.smtp_code})"
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise TransientDeliveryError(
                f"cannot {stage} the SMTP server: it does not support that"
            ) from None
        except smtplib.SMTPResponseException as error:
            raise TransientDeliveryError(
                f"cannot {stage} the SMTP server: it answered {error.smtp_code}"
            ) from None
        except ssl.SSLCertVerificationError:
            raise TransientDeliveryError(
                f"cannot {stage} the SMTP server: its TLS certificate is not trusted"
            ) from None
        except (smtplib.SMTPException, OSError) as error:
            raise TransientDeliveryError(
                f"cannot {stage} the SMTP server: {type(error).__name__}"
            ) from None

    def _connect(self) -> smtplib.SMTP:
        endpoint = self._endpoint
        if endpoint.security == "ssl":
            return smtplib.SMTP_SSL(
                endpoint.host, endpoint.port, timeout=self._timeout, context=self._tls_context()
            )
        return smtplib.SMTP(endpoint.host, endpoint.port, timeout=self._timeout)

    def _tls_context(self) -> ssl.SSLContext:
        return self._tls or ssl.create_default_context()


def _hang_up(smtp: smtplib.SMTP) -> None:
    """Say QUIT, ignoring how it goes: once the server accepted the message it is sent, and
    a failed goodbye (smtplib's context manager raises one) must not make it sent again."""
    with contextlib.suppress(smtplib.SMTPException, OSError):
        smtp.quit()
    smtp.close()


def _by_code(code: int, what: str) -> TransientDeliveryError | PermanentDeliveryError:
    """SMTP's own split: 5xx is a permanent refusal, 4xx (or none) a temporary one."""
    if 500 <= code < 600:
        return PermanentDeliveryError(f"{what} ({code})")
    return TransientDeliveryError(f"{what} ({code})")
