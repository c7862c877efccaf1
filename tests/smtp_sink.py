"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives, for the mailer's
and the outbox's tests.

It can require a login (AUTH PLAIN and LOGIN), offer STARTTLS, speak implicit TLS (SMTPS),
refuse chosen recipients with a chosen reply, and be stopped and started again on the same
port, as a mail provider's outage looks to the app.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage as MimeMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from helpers import free_port

# The test server's own log quotes every command, addresses included; the app's log is
# what the tests read.
logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass(frozen=True)
class Received:
    """One message as the server took it: the envelope and the parsed content."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    auth_mechanism: str | None
    tls: bool

    @property
    def message(self) -> MimeMessage:
        # As a mail client stores it: lines end in LF, not in SMTP's CRLF.
        parsed = message_from_bytes(self.data.replace(b"\r\n", b"\n"), policy=policy.default)
        assert isinstance(parsed, MimeMessage)
        return parsed


@dataclass
class _Handler:
    refuse: dict[str, str] = field(default_factory=dict)
    quit_reply: str = "221 Bye"
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.arrived = threading.Condition(self.lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        return self.quit_reply

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mechanism = getattr(session, "auth_mechanism", None)
        received = Received(
            envelope.mail_from,
            tuple(envelope.rcpt_tos),
            bytes(envelope.original_content or envelope.content),
            mechanism,
            session.ssl is not None,
        )
        with self.arrived:
            self.received.append(received)
            self.arrived.notify_all()
        return "250 Message accepted for delivery"


class SmtpSink:
    """An SMTP server on 127.0.0.1:`port`; `start`, `stop` and `start` again at will."""

    def __init__(
        self,
        *,
        login: tuple[str, str] | None = None,
        mechanisms: tuple[str, ...] = ("PLAIN", "LOGIN"),
        starttls: ssl.SSLContext | None = None,
        implicit_tls: ssl.SSLContext | None = None,
    ) -> None:
        self.port = free_port()
        self.handler = _Handler()
        self._login = login
        self._mechanisms = mechanisms
        self._starttls = starttls
        self._implicit_tls = implicit_tls
        self._controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def refuse(self, address: str, reply: str) -> None:
        """Answer RCPT TO:`address` with `reply` (e.g. "550 5.1.1 No such user")."""
        self.handler.refuse[address] = reply

    def start(self) -> SmtpSink:
        kwargs: dict[str, Any] = {"auth_require_tls": False}
        if self._login is not None:
            kwargs["authenticator"] = self._authenticate
            kwargs["auth_required"] = True
            kwargs["auth_exclude_mechanism"] = [
                name for name in ("PLAIN", "LOGIN") if name not in self._mechanisms
            ]
        if self._starttls is not None:
            kwargs["tls_context"] = self._starttls
            kwargs["require_starttls"] = True
        if self._implicit_tls is not None:
            kwargs["ssl_context"] = self._implicit_tls
        controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert self._login is not None
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        given = (auth_data.login.decode(), auth_data.password.decode())
        if given != self._login:
            return AuthResult(success=False, handled=False)
        session.auth_mechanism = mechanism
        return AuthResult(success=True)


@contextmanager
def smtp_sink(**options: Any) -> Iterator[SmtpSink]:
    sink = SmtpSink(**options).start()
    try:
        yield sink
    finally:
        sink.stop()
