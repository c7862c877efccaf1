"""A client's way to pay: the payment-link e-mail, the pay page, and the Checkout behind Pay."""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial

from domain.clients import Client, parse_email
from domain.errors import Conflict, FieldErrors, NotFound
from domain.ids import InvoiceId, PracticeId
from domain.invoices import Invoice, InvoiceState, InvoiceStatus
from domain.logos import Logo
from domain.money import AmountNotChargeable, to_stripe_amount
from domain.online_payments import (
    CheckoutRequest,
    PayLink,
    StoredCheckout,
    below_card_minimum,
)
from domain.ports import Env, PaymentGateway, UnitOfWork
from domain.practice import Practice
from domain.stripe_connect import StripeConnection
from domain.text import optional_text, required_text
from domain.usecases import _effects
from domain.usecases._common import audit, load_practice
from domain.usecases.invoicing import load_invoice

# Stripe lets a Checkout Session live up to 24 hours; the pay page makes a new one after.
# (Rounded down to the hour when used, so a session lives 22 to 23 hours.)
CHECKOUT_LIFETIME = timedelta(hours=23)


class PayLinkToken:
    """Random, unguessable, URL-safe: 192 bits, as `secrets` recommends for tokens."""

    @staticmethod
    def new() -> str:
        return secrets.token_urlsafe(24)


@dataclass(frozen=True, slots=True)
class SendPaymentLink:
    practice_id: PracticeId
    actor: str
    invoice_id: InvoiceId
    client_name: str
    email: str
    message: str = ""
    save_to_client: bool = False


@dataclass(frozen=True, slots=True)
class PaymentLinkSent:
    invoice: Invoice
    link: PayLink
    resent: bool


def send_payment_link(cmd: SendPaymentLink, uow: UnitOfWork, env: Env) -> PaymentLinkSent:
    """E-mails the client the invoice's stable pay link (sending again is allowed)."""
    with uow:
        practice = load_practice(uow, cmd.practice_id)
        invoice = load_invoice(uow, practice.id, cmd.invoice_id)
        if invoice.state is InvoiceState.DRAFT:
            raise Conflict(f"{invoice.number} is a draft. Issue it before sending a payment link.")
        if invoice.state is InvoiceState.VOID:
            raise Conflict(f"{invoice.number} is void; there is nothing to pay.")
        if invoice.status is InvoiceStatus.PAID:
            raise Conflict(f"{invoice.number} is paid in full; there is nothing left to pay.")
        errors = FieldErrors()
        name = errors.check(
            "client_name", partial(required_text, cmd.client_name, label="name", max_length=120)
        )
        email = errors.check("email", partial(parse_email, cmd.email))
        message = errors.check(
            "message", partial(optional_text, cmd.message, label="message", max_length=1000)
        )
        errors.raise_if_any()
        assert name is not None and email is not None
        if cmd.save_to_client:
            _save_contact(uow, practice, invoice, name, email)
        now = env.clock.now()
        link = uow.pay_links.for_invoice(practice.id, invoice.id)
        resent = link is not None and link.times_sent > 0
        if link is None:
            link = PayLink(practice.id, invoice.id, PayLinkToken.new(), created_at=now)
            uow.pay_links.add(link)
        link = link.sent(email, now)
        uow.pay_links.update(link)
        audit(
            uow,
            env,
            practice.id,
            cmd.actor,
            "payment_link.sent",
            "invoice",
            invoice.id,
            times_sent=str(link.times_sent),
        )
        _effects.client_email(
            uow,
            env,
            practice.id,
            "payment_link",
            f"{invoice.id}:{link.times_sent}",
            invoice_id=invoice.id,
            to=email,
            to_name=name,
            message=message or "",
        )
        uow.commit()
        return PaymentLinkSent(invoice, link, resent)


def _save_contact(
    uow: UnitOfWork, practice: Practice, invoice: Invoice, name: str, email: str
) -> None:
    client = uow.clients.get(practice.id, invoice.client_id)
    if client is None or (client.name == name and client.email == email):
        return
    uow.clients.update(replace(client, name=name, email=email, version=client.version + 1))


def pay_link_for(practice_id: PracticeId, invoice_id: InvoiceId, uow: UnitOfWork) -> PayLink | None:
    with uow:
        return uow.pay_links.for_invoice(practice_id, invoice_id)


# -- the pay page --------------------------------------------------------------------------


class PayPageState(enum.StrEnum):
    PAYABLE = "payable"
    PAID = "paid"
    VOID = "void"
    NO_CARDS = "no_cards"  # the practice takes no card payments (yet, or any more)
    TOO_SMALL = "too_small"  # the balance is below Stripe's minimum charge


@dataclass(frozen=True, slots=True)
class PayPage:
    """What the client's page shows; the token is all it needs, the practice comes from it."""

    token: str
    practice: Practice
    invoice: Invoice
    client: Client | None
    state: PayPageState


def pay_page(token: str, uow: UnitOfWork) -> PayPage:
    """Reads only: a GET (mail scanners prefetch links) never creates anything."""
    with uow:
        link = uow.pay_links.with_token(token)
        if link is None:
            raise NotFound("pay link", "?")
        practice = load_practice(uow, link.practice_id)
        invoice = load_invoice(uow, practice.id, link.invoice_id)
        client = uow.clients.get(practice.id, invoice.client_id)
        connection = uow.stripe_connections.get(practice.id)
    return PayPage(token, practice, invoice, client, _state(invoice, connection))


def _state(invoice: Invoice, connection: StripeConnection | None) -> PayPageState:
    if invoice.state is InvoiceState.VOID:
        return PayPageState.VOID
    if invoice.status is InvoiceStatus.PAID:
        return PayPageState.PAID
    if connection is None or not connection.takes_cards:
        return PayPageState.NO_CARDS
    try:
        to_stripe_amount(invoice.balance)
    except AmountNotChargeable:
        return PayPageState.TOO_SMALL
    if below_card_minimum(invoice.balance):
        return PayPageState.TOO_SMALL
    return PayPageState.PAYABLE


class NotPayable(Conflict):
    """The Pay button was pressed on a page that has nothing to pay by card; `state` says why."""

    def __init__(self, state: PayPageState) -> None:
        super().__init__(f"This invoice cannot be paid by card now ({state.value}).")
        self.state = state


@dataclass(frozen=True, slots=True)
class PayUrls:
    success_url: str
    cancel_url: str


def start_checkout(
    token: str, urls: PayUrls, uow: UnitOfWork, env: Env, gateway: PaymentGateway
) -> str:
    """The Stripe Checkout URL for the invoice's current balance: an open session for the
    same amount is reused, otherwise one is made (the same idempotency key for clicks within
    the hour, so two at once, or one after a timeout at which Stripe did make the session,
    get that session back)."""
    page = pay_page(token, uow)
    if page.state is not PayPageState.PAYABLE:
        raise NotPayable(page.state)
    invoice = page.invoice
    now = env.clock.now()
    with uow:
        latest = uow.checkouts.latest(invoice.practice_id, invoice.id)
        made = uow.checkouts.count(invoice.practice_id, invoice.id)
        connection = uow.stripe_connections.get(invoice.practice_id)
    if latest is not None and latest.reusable_for(invoice.balance, now):
        return latest.url
    assert connection is not None
    # Stripe refuses a key sent again with other parameters, so everything in the request
    # must follow from the key: the expiry is rounded down to the hour and named in it.
    expires_at = (now + CHECKOUT_LIFETIME).replace(minute=0, second=0, microsecond=0)
    checkout = gateway.create_checkout(
        CheckoutRequest(
            account_id=connection.account_id,
            practice_id=invoice.practice_id,
            invoice_id=invoice.id,
            invoice_number=invoice.number,
            practice_name=page.practice.billing.name,
            amount=invoice.balance,
            success_url=urls.success_url,
            cancel_url=urls.cancel_url,
            idempotency_key=(
                f"checkout-{invoice.id}-{made + 1}-{invoice.balance.minor_units}"
                f"-{int(expires_at.timestamp())}"
            ),
            expires_at=expires_at,
        )
    )
    if checkout.url is None:
        raise Conflict("Stripe made a checkout without a page to open.")
    with uow:
        uow.checkouts.add(
            StoredCheckout(
                id=checkout.id,
                practice_id=invoice.practice_id,
                invoice_id=invoice.id,
                url=checkout.url,
                amount=checkout.amount,
                expires_at=checkout.expires_at,
                created_at=now,
            )
        )
        uow.commit()
    return checkout.url


@dataclass(frozen=True, slots=True)
class InvoiceForMail:
    """What an e-mail or a PDF of an invoice is written from, read when it is made."""

    practice: Practice
    invoice: Invoice
    client: Client | None
    pay_link: PayLink | None
    logo: Logo | None


def invoice_for_mail(
    practice_id: PracticeId, invoice_id: InvoiceId, uow: UnitOfWork
) -> InvoiceForMail:
    with uow:
        practice = load_practice(uow, practice_id)
        invoice = load_invoice(uow, practice_id, invoice_id)
        logo_ref = practice.invoice_settings.logo_ref
        return InvoiceForMail(
            practice,
            invoice,
            uow.clients.get(practice_id, invoice.client_id),
            uow.pay_links.for_invoice(practice_id, invoice_id),
            uow.logos.get(practice_id, logo_ref) if logo_ref else None,
        )


def invoice_for_token(token: str, uow: UnitOfWork) -> InvoiceForMail:
    """What a client's document download is made from, found by their pay link's token.

    Raises NotFound for a token that does not exist, without a hint whether it ever did."""
    with uow:
        link = uow.pay_links.with_token(token)
    if link is None:
        raise NotFound("pay link", "?")
    return invoice_for_mail(link.practice_id, link.invoice_id, uow)


def pay_page_logo(token: str, uow: UnitOfWork) -> Logo | None:
    """The practice's invoice logo, for its clients' pay page and e-mails (by pay token, so
    a logo is reachable only by someone holding one of the practice's links)."""
    with uow:
        link = uow.pay_links.with_token(token)
        if link is None:
            return None
        practice = uow.practices.get(link.practice_id)
        logo_ref = practice.invoice_settings.logo_ref if practice else None
        return uow.logos.get(link.practice_id, logo_ref) if logo_ref else None
