"""Stripe's news about a practice's money: webhook events and reconciliation, recorded once.

Every event is remembered by id in the same transaction as its effects, so a repeat does
nothing and a failure leaves it to Stripe's retry. Order does not matter: a payment is keyed
by its PaymentIntent (whichever event brings it first records it), a refund moves the
refunded total up to what Stripe reports (never down), and an older account state never
overwrites a newer one.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from domain.audit import STRIPE
from domain.errors import DomainError, StaleEdit
from domain.ids import InvoiceId, PaymentId, PracticeId
from domain.invoices import Invoice, InvoiceState
from domain.money import Currency, Money, from_stripe_amount, sum_money
from domain.online_payments import (
    CardPayment,
    CheckoutState,
    PaymentGatewayRefused,
    PaymentGatewayUnavailable,
    StripeEvent,
)
from domain.outbox import OutboxMessage
from domain.payments import EntryKind, LedgerEntry, PaymentMethod
from domain.ports import Env, PaymentGateway, UnitOfWork
from domain.stripe_connect import AccountStatus, StripeConnection
from domain.usecases import _effects, _reminder_plans
from domain.usecases._common import audit
from domain.usecases.stripe_setup import store_account_status

log = logging.getLogger(__name__)


class EventOutcome(enum.StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    # Acknowledged and logged by id: an unknown account or invoice, a type the app ignores.
    IGNORED = "ignored"


@dataclass(frozen=True, slots=True)
class _Context:
    event: StripeEvent
    connection: StripeConnection
    # A PaymentIntent fetched before the transaction, for events that name only a charge.
    payment: CardPayment | None


_Handler = Callable[[_Context, UnitOfWork, Env], EventOutcome]
_NO_AMOUNTS_SHOWN = "en_US"


def apply_stripe_event(
    event: StripeEvent, uow: UnitOfWork, env: Env, gateway: PaymentGateway
) -> EventOutcome:
    """Applies one verified event. Raises on a failure worth Stripe's retry (nothing stored)."""
    handler = _HANDLERS.get(event.type)
    if handler is None:
        with uow:
            first = uow.stripe_events.remember(event.id, event.type, env.clock.now())
            uow.commit()
        return EventOutcome.IGNORED if first else EventOutcome.DUPLICATE
    intent_id = _str(event.data.get("payment_intent"))
    if event.type.startswith("charge.") and intent_id:
        # Charges do not carry the invoice; their PaymentIntent does. Fetched outside the
        # transaction so no database lock waits on Stripe.
        with uow:
            connection = _connection(event, uow)
        if connection is None:
            return EventOutcome.IGNORED
        payment = gateway.card_payment(connection.account_id, intent_id)
        with uow:
            return _remembered_and_applied(handler, _Context(event, connection, payment), uow, env)
    # Nothing to ask Stripe first: the account is found in the event's own transaction. Its
    # writes may travel with what follows them: the event's id with the account's lookup, a
    # checkout's end with the invoice's reads, the payment's writes with the commit.
    with uow:
        with uow.writes_together():
            first_time = uow.stripe_events.remember_later(event.id, event.type, env.clock.now())
            connection = _connection(event, uow)
            if connection is None:
                return EventOutcome.IGNORED  # the id goes with the transaction, uncommitted
            if not first_time():
                return EventOutcome.DUPLICATE
            outcome = handler(_Context(event, connection, None), uow, env)
            uow.commit()  # with the writes held back: one round trip
        return outcome


def _connection(event: StripeEvent, uow: UnitOfWork) -> StripeConnection | None:
    connection = uow.stripe_connections.for_account(event.account) if event.account else None
    if connection is None:
        log.info("stripe event %s (%s) for an unknown account: ignored", event.id, event.type)
    return connection


def _remembered_and_applied(
    handler: _Handler, context: _Context, uow: UnitOfWork, env: Env
) -> EventOutcome:
    """Inside the caller's unit of work: the event applied and committed, the first time."""
    event = context.event
    if not uow.stripe_events.remember(event.id, event.type, env.clock.now()):
        return EventOutcome.DUPLICATE
    outcome = handler(context, uow, env)
    uow.commit()
    return outcome


# -- account events ------------------------------------------------------------------------


def _account_updated(context: _Context, uow: UnitOfWork, env: Env) -> EventOutcome:
    data = context.event.data
    requirements: Mapping[str, Any] = data.get("requirements") or {}
    status = AccountStatus(
        details_submitted=bool(data.get("details_submitted")),
        charges_enabled=bool(data.get("charges_enabled")),
        payouts_enabled=bool(data.get("payouts_enabled")),
        currently_due=tuple(requirements.get("currently_due") or ()),
        past_due=tuple(requirements.get("past_due") or ()),
        disabled_reason=requirements.get("disabled_reason"),
    )
    connection = context.connection
    store_account_status(connection, status, context.event.created, uow, env)
    return EventOutcome.APPLIED


def _deauthorized(context: _Context, uow: UnitOfWork, env: Env) -> EventOutcome:
    connection = context.connection
    if not connection.connected:
        return EventOutcome.APPLIED
    uow.stripe_connections.update(connection.disconnect(context.event.created))
    audit(
        uow,
        env,
        connection.practice_id,
        STRIPE,
        "stripe.disconnected",
        "practice",
        connection.practice_id,
        account_id=connection.account_id,
    )
    _effects.billing_channel_news(
        uow, env, connection.practice_id, "stripe_disconnected", context.event.id
    )
    _effects.settings_changed(uow, env, connection.practice_id, context.event.id)
    return EventOutcome.APPLIED


# -- checkout events -----------------------------------------------------------------------


def _session_payment(context: _Context) -> CardPayment | None:
    data = context.event.data
    intent_id = _str(data.get("payment_intent"))
    if data.get("payment_status") != "paid" or not intent_id:
        return None
    metadata: Mapping[str, Any] = data.get("metadata") or {}
    currency = Currency(str(data.get("currency", "")).upper())
    return CardPayment(
        payment_intent_id=intent_id,
        charge_id=None,
        amount=from_stripe_amount(int(data.get("amount_total") or 0), currency),
        paid_at=context.event.created,
        invoice_id=_invoice_id(metadata),
        practice_id=_practice_id(metadata),
    )


def _session_completed(context: _Context, uow: UnitOfWork, env: Env) -> EventOutcome:
    _end_checkout(context, uow, CheckoutState.COMPLETE)
    payment = _session_payment(context)
    if payment is None:
        # Paid later (a bank debit): async_payment_succeeded or _failed follows.
        invoice = _invoice_for(context, _invoice_id(context.event.data.get("metadata") or {}), uow)
        if invoice is not None:
            audit(
                uow,
                env,
                invoice.practice_id,
                STRIPE,
                "payment.processing",
                "invoice",
                invoice.id,
                checkout_id=str(context.event.data.get("id")),
            )
        return EventOutcome.APPLIED
    return record_card_payment(context.connection, payment, uow, env)


def _async_failed(context: _Context, uow: UnitOfWork, env: Env) -> EventOutcome:
    invoice = _invoice_for(context, _invoice_id(context.event.data.get("metadata") or {}), uow)
    if invoice is None:
        return EventOutcome.IGNORED
    audit(uow, env, invoice.practice_id, STRIPE, "payment.failed", "invoice", invoice.id)
    _effects.billing_channel_news(
        uow, env, invoice.practice_id, "payment_failed", context.event.id, invoice_id=invoice.id
    )
    return EventOutcome.APPLIED


def _session_expired(context: _Context, uow: UnitOfWork, env: Env) -> EventOutcome:
    _end_checkout(context, uow, CheckoutState.EXPIRED)
    return EventOutcome.APPLIED


def _end_checkout(context: _Context, uow: UnitOfWork, state: CheckoutState) -> None:
    uow.checkouts.end(context.connection.practice_id, str(context.event.data.get("id")), state)


# -- charge events -------------------------------------------------------------------------


def _charge_refunded(context: _Context, uow: UnitOfWork, env: Env) -> EventOutcome:
    payment = context.payment
    if payment is None:
        return EventOutcome.IGNORED
    invoice = _invoice_for(context, payment.invoice_id, uow)
    if invoice is None:
        return EventOutcome.IGNORED
    # A refund may arrive before the payment's own event: record the payment first.
    if _payment_entry(invoice, payment.payment_intent_id) is None:
        record_card_payment(context.connection, payment, uow, env)
        invoice = _invoice_for(context, payment.invoice_id, uow)
        assert invoice is not None
    entry = _payment_entry(invoice, payment.payment_intent_id)
    if entry is None:
        return EventOutcome.IGNORED
    data = context.event.data
    reported = from_stripe_amount(int(data.get("amount_refunded") or 0), invoice.currency)
    refunded = _refunded_of(invoice, entry.id)
    if reported <= refunded:
        return EventOutcome.APPLIED
    charge_id = _str(data.get("id")) or entry.stripe_charge_id or payment.payment_intent_id
    refund = LedgerEntry(
        id=PaymentId(env.ids.new_id()),
        kind=EntryKind.REFUND,
        method=PaymentMethod.CARD,
        amount=reported - refunded,
        received_at=context.event.created,
        recorded_by=STRIPE,
        reference="Refund through Stripe",
        stripe_payment_intent_id=payment.payment_intent_id,
        stripe_charge_id=charge_id,
        # One key per refunded total: the same total reported twice is one refund.
        stripe_refund_id=f"{charge_id}:{reported.minor_units}",
        refund_of=entry.id,
    )
    try:
        updated = invoice.record(refund, locale=_locale(uow, invoice))
    except DomainError:
        log.warning(
            "stripe refund on %s could not be recorded: event %s", invoice.id, context.event.id
        )
        _effects.billing_channel_news(
            uow,
            env,
            invoice.practice_id,
            "refund_unrecorded",
            context.event.id,
            invoice_id=invoice.id,
        )
        return EventOutcome.APPLIED
    _stored(updated, refund, uow, env, replacing=invoice, news="refund", news_key=context.event.id)
    # A refund may make a paid invoice unpaid again: its reminders start anew.
    _reminder_plans.invoice_changed(uow, env, invoice, updated)
    return EventOutcome.APPLIED


def _dispute_created(context: _Context, uow: UnitOfWork, env: Env) -> EventOutcome:
    payment = context.payment
    invoice = _invoice_for(context, payment.invoice_id if payment else None, uow)
    if invoice is None:
        return EventOutcome.IGNORED
    data = context.event.data
    audit(
        uow,
        env,
        invoice.practice_id,
        STRIPE,
        "payment.disputed",
        "invoice",
        invoice.id,
        dispute_id=str(data.get("id")),
        reason=str(data.get("reason") or ""),
        amount_minor=str(data.get("amount") or 0),
    )
    _effects.billing_channel_news(
        uow,
        env,
        invoice.practice_id,
        "dispute",
        context.event.id,
        invoice_id=invoice.id,
        reason=str(data.get("reason") or "general"),
        amount_minor=str(data.get("amount") or 0),
        currency=str(data.get("currency") or ""),
    )
    return EventOutcome.APPLIED


_HANDLERS: dict[str, _Handler] = {
    "account.updated": _account_updated,
    "account.application.deauthorized": _deauthorized,
    "checkout.session.completed": _session_completed,
    "checkout.session.async_payment_succeeded": _session_completed,
    "checkout.session.async_payment_failed": _async_failed,
    "checkout.session.expired": _session_expired,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _dispute_created,
}


# -- recording -----------------------------------------------------------------------------


def record_card_payment(
    connection: StripeConnection, payment: CardPayment, uow: UnitOfWork, env: Env
) -> EventOutcome:
    """Records a succeeded card payment on its invoice once, inside the caller's transaction;
    the webhook and reconciliation both come here."""
    if payment.practice_id is not None and payment.practice_id != connection.practice_id:
        log.warning(
            "stripe payment %s names practice %s on account %s: ignored",
            payment.payment_intent_id,
            payment.practice_id,
            connection.account_id,
        )
        return EventOutcome.IGNORED
    invoice = (
        uow.invoices.get(connection.practice_id, payment.invoice_id) if payment.invoice_id else None
    )
    if invoice is None:
        log.info("stripe payment %s for an unknown invoice: ignored", payment.payment_intent_id)
        return EventOutcome.IGNORED
    if _payment_entry(invoice, payment.payment_intent_id) is not None:
        return EventOutcome.DUPLICATE
    if invoice.state is not InvoiceState.ISSUED:
        # The money was taken, but a void (or draft) invoice never takes a payment: a person
        # must refund it, so the billing channel is told, once: the refund they make, a
        # second event and reconciliation all bring the same payment here again.
        if _effects.billing_channel_told(uow, invoice.practice_id, payment.payment_intent_id):
            return EventOutcome.DUPLICATE
        audit(
            uow,
            env,
            invoice.practice_id,
            STRIPE,
            "payment.unrecorded",
            "invoice",
            invoice.id,
            payment_intent_id=payment.payment_intent_id,
            amount_minor=str(payment.amount.minor_units),
            currency=payment.amount.currency.code,
        )
        _effects.billing_channel_news(
            uow,
            env,
            invoice.practice_id,
            "paid_void_invoice",
            payment.payment_intent_id,
            invoice_id=invoice.id,
            amount_minor=str(payment.amount.minor_units),
            currency=payment.amount.currency.code,
        )
        return EventOutcome.APPLIED
    entry = LedgerEntry(
        id=PaymentId(env.ids.new_id()),
        kind=EntryKind.PAYMENT,
        method=PaymentMethod.CARD,
        amount=payment.amount,
        received_at=payment.paid_at,
        recorded_by=STRIPE,
        reference="Paid online through Stripe",
        stripe_payment_intent_id=payment.payment_intent_id,
        stripe_charge_id=payment.charge_id,
    )
    # The practice is not read for its locale: only a refund's refusal names an amount, and
    # a refusal here reaches no one but the log.
    updated = invoice.record(entry, locale=_NO_AMOUNTS_SHOWN)
    receipt = _effects.client_email_message(
        env, invoice.practice_id, "receipt", entry.id, invoice_id=invoice.id, payment_id=entry.id
    )
    _stored(
        updated,
        entry,
        uow,
        env,
        replacing=invoice,
        news="card_payment",
        news_key=entry.id,
        also=[receipt],
    )
    return EventOutcome.APPLIED


@dataclass(frozen=True, slots=True)
class Reconciled:
    practice_id: PracticeId
    checked: int
    recorded: int
    # Stripe could not be asked about this practice's account (down, or access lost).
    unavailable: bool = False


def reconcile_card_payments(
    uow: UnitOfWork, env: Env, gateway: PaymentGateway, *, days: int = 3
) -> list[Reconciled]:
    """Asks Stripe for each connected practice's recent Checkout Sessions and records any paid
    one the app missed (a webhook lost in an outage), through the webhook's own path. One
    account Stripe cannot answer for does not stop the others."""
    since = env.clock.now() - timedelta(days=days)
    with uow:
        connections = uow.stripe_connections.all_connected()
    results: list[Reconciled] = []
    for connection in connections:
        try:
            checkouts = gateway.recent_checkouts(connection.account_id, since)
        except (PaymentGatewayUnavailable, PaymentGatewayRefused):
            log.warning("reconcile: stripe did not answer for practice %s", connection.practice_id)
            results.append(Reconciled(connection.practice_id, 0, 0, unavailable=True))
            continue
        recorded = 0
        for checkout in checkouts:
            if not checkout.paid or not checkout.payment_intent_id:
                continue
            payment = CardPayment(
                payment_intent_id=checkout.payment_intent_id,
                charge_id=None,
                amount=checkout.amount,
                paid_at=checkout.created_at,
                invoice_id=checkout.invoice_id,
                practice_id=checkout.practice_id,
            )
            if _record_reconciled(connection, payment, uow, env) is EventOutcome.APPLIED:
                recorded += 1
        results.append(Reconciled(connection.practice_id, len(checkouts), recorded))
    return results


def _record_reconciled(
    connection: StripeConnection, payment: CardPayment, uow: UnitOfWork, env: Env
) -> EventOutcome:
    def once() -> EventOutcome:
        with uow:
            outcome = record_card_payment(connection, payment, uow, env)
            uow.commit()
        return outcome

    try:
        return once()
    except StaleEdit:
        # The webhook recorded the same payment at this very moment: a second look finds it.
        return once()


# -- helpers -------------------------------------------------------------------------------


def _invoice_for(
    context: _Context, invoice_id: InvoiceId | None, uow: UnitOfWork
) -> Invoice | None:
    """The invoice an event names, looked up within the account's own practice only: an
    event from practice A's account can never reach practice B's invoices."""
    if invoice_id is None:
        return None
    return uow.invoices.get(context.connection.practice_id, invoice_id)


def _stored(
    invoice: Invoice,
    entry: LedgerEntry,
    uow: UnitOfWork,
    env: Env,
    *,
    replacing: Invoice,
    news: str,
    news_key: str,
    also: Sequence[OutboxMessage] = (),
) -> None:
    """An invoice with a new card payment or refund (made from `replacing`, as read in this
    transaction): stored, audited, its card redrawn and the billing channel told, with the
    `also` messages, all in the caller's transaction."""
    news_message = _effects.billing_channel_message(
        env, invoice.practice_id, news, news_key, invoice_id=invoice.id, payment_id=entry.id
    )
    # Nothing is read between these writes, so they may travel to the database together.
    with uow.writes_together():
        audit(
            uow,
            env,
            invoice.practice_id,
            STRIPE,
            f"{entry.kind.value}.recorded",
            "invoice",
            invoice.id,
            payment_id=entry.id,
            method="card",
            amount_minor=str(entry.amount.minor_units),
            currency=entry.amount.currency.code,
        )
        # One statement for every message of the change.
        uow.outbox.add_all([*_effects.invoice_changed_messages(env, invoice), news_message, *also])
        # Last: storing the invoice moves the practice's totals rollup, whose few rows every
        # payment of the month writes, so concurrent payments queue on them until this
        # commits.
        uow.invoices.update(invoice, replacing=replacing)


def _locale(uow: UnitOfWork, invoice: Invoice) -> str:
    """How the practice writes amounts, for the wording of a refusal."""
    practice = uow.practices.get(invoice.practice_id)
    return practice.locale if practice is not None else "en_US"


def _payment_entry(invoice: Invoice, payment_intent_id: str) -> LedgerEntry | None:
    for entry in invoice.ledger:
        if entry.kind is EntryKind.PAYMENT and entry.stripe_payment_intent_id == payment_intent_id:
            return entry
    return None


def _refunded_of(invoice: Invoice, payment_id: PaymentId) -> Money:
    refunds = [
        entry.amount
        for entry in invoice.ledger
        if entry.kind is EntryKind.REFUND and entry.refund_of == payment_id
    ]
    return sum_money(refunds, invoice.currency)


def _str(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        inner = value.get("id")
        return inner if isinstance(inner, str) else None
    return None


def _invoice_id(metadata: Mapping[str, Any]) -> InvoiceId | None:
    value = metadata.get("invoice_id")
    return InvoiceId(value) if isinstance(value, str) and value else None


def _practice_id(metadata: Mapping[str, Any]) -> PracticeId | None:
    value = metadata.get("practice_id")
    return PracticeId(value) if isinstance(value, str) and value else None
