"""Side effects the use cases enqueue in the outbox, in the same transaction as their change.

Payloads carry ids and the kind of news, never client details: the worker's handlers read
the records when they deliver and apply the practice's privacy mode then. Dedupe keys make
a use case that runs twice (a webhook delivered again) enqueue each effect once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.ids import PracticeId
from domain.invoices import Invoice
from domain.outbox import OutboxKind, OutboxMessage
from domain.ports import Env, UnitOfWork


def _message(
    env: Env,
    practice_id: PracticeId,
    kind: OutboxKind,
    dedupe_key: str,
    payload: Mapping[str, Any],
) -> OutboxMessage:
    return OutboxMessage.new(
        id=env.ids.new_id(),
        practice_id=practice_id,
        kind=kind,
        payload=payload,
        dedupe_key=dedupe_key,
        now=env.clock.now(),
    )


def _enqueue(
    uow: UnitOfWork,
    env: Env,
    practice_id: PracticeId,
    kind: OutboxKind,
    dedupe_key: str,
    payload: Mapping[str, Any],
) -> None:
    uow.outbox.add(_message(env, practice_id, kind, dedupe_key, payload))


def invoice_changed_messages(env: Env, invoice: Invoice) -> list[OutboxMessage]:
    """`invoice_changed`'s messages, for a caller that enqueues them with its change's other
    effects in one statement (`Outbox.add_all`)."""
    key = f"{invoice.id}:v{invoice.version}"
    payload = {"invoice_id": invoice.id}
    return [
        _message(env, invoice.practice_id, OutboxKind.SLACK_CARD, f"card:{key}", payload),
        _message(env, invoice.practice_id, OutboxKind.HOME_REFRESH, f"home:{key}", payload),
    ]


def invoice_changed(uow: UnitOfWork, env: Env, invoice: Invoice) -> None:
    """The invoice's card is redrawn in place and App Home's totals refreshed."""
    uow.outbox.add_all(invoice_changed_messages(env, invoice))


def billing_channel_message(
    env: Env, practice_id: PracticeId, news: str, dedupe_key: str, **ids: str
) -> OutboxMessage:
    """See `billing_channel_news`."""
    payload = {"news": news, **ids}
    return _message(env, practice_id, OutboxKind.SLACK_POST, f"post:{dedupe_key}", payload)


def billing_channel_news(
    uow: UnitOfWork,
    env: Env,
    practice_id: PracticeId,
    news: str,
    dedupe_key: str,
    **ids: str,
) -> None:
    """A post in the billing channel; `news` names the bot's template (card_payment,
    payment_failed, refund, dispute, paid_void_invoice, stripe_disconnected, …)."""
    uow.outbox.add(billing_channel_message(env, practice_id, news, dedupe_key, **ids))


def billing_channel_told(uow: UnitOfWork, practice_id: PracticeId, dedupe_key: str) -> bool:
    """Whether `billing_channel_news` was enqueued under `dedupe_key` already."""
    return uow.outbox.get(practice_id, f"post:{dedupe_key}") is not None


def client_email_message(
    env: Env, practice_id: PracticeId, template: str, dedupe_key: str, **fields: str
) -> OutboxMessage:
    """See `client_email`."""
    payload = {"template": template, **fields}
    return _message(env, practice_id, OutboxKind.CLIENT_EMAIL, f"mail:{dedupe_key}", payload)


def client_email(
    uow: UnitOfWork,
    env: Env,
    practice_id: PracticeId,
    template: str,
    dedupe_key: str,
    **fields: str,
) -> None:
    """An e-mail to a client, rendered from the invoice when it is delivered (payment_link,
    receipt)."""
    uow.outbox.add(client_email_message(env, practice_id, template, dedupe_key, **fields))


def settings_changed(uow: UnitOfWork, env: Env, practice_id: PracticeId, cause: str) -> None:
    """App Home's Stripe status is redrawn for the practice's members."""
    payload = {"practice_id": practice_id}
    _enqueue(uow, env, practice_id, OutboxKind.HOME_REFRESH, f"home:{cause}", payload)
