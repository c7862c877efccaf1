"""Handlers of the outbox's kinds that need no Slack: e-mail goes to the `Mailer`."""

from __future__ import annotations

from billing_bot.outbox_worker import OutboxHandler
from domain.outbox import EmailMessage, OutboxMessage, PermanentDeliveryError
from domain.ports import Mailer


def email_handler(mailer: Mailer) -> OutboxHandler:
    """Sends an `OutboxKind.EMAIL` message, its row id as the Message-ID."""

    def deliver(message: OutboxMessage) -> None:
        try:
            email = EmailMessage.from_payload(message.payload)
        except ValueError:
            # No later attempt can read it better (a payload written by a broken version).
            raise PermanentDeliveryError("the stored e-mail payload cannot be read") from None
        mailer.send(email, message.id)

    return deliver
