"""Card payments through Stripe in the domain's terms: pay links, checkouts, Stripe's events.

Stripe's own objects never reach the use cases; the gateway turns them into these.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.errors import DomainError
from domain.ids import InvoiceId, PracticeId
from domain.money import Money

# Stripe's minimum charge per settlement currency (docs.stripe.com/currencies#minimum-and-
# maximum-charge-amounts); a smaller balance cannot be paid by card. Currencies not listed
# are left to Stripe, which refuses with `amount_too_small`.
STRIPE_MINIMUM_CHARGE: dict[str, Decimal] = {
    "USD": Decimal("0.50"),
    "AED": Decimal("2.00"),
    "AUD": Decimal("0.50"),
    "BGN": Decimal("1.00"),
    "BRL": Decimal("0.50"),
    "CAD": Decimal("0.50"),
    "CHF": Decimal("0.50"),
    "CZK": Decimal("15.00"),
    "DKK": Decimal("2.50"),
    "EUR": Decimal("0.50"),
    "GBP": Decimal("0.30"),
    "HKD": Decimal("4.00"),
    "HUF": Decimal("175.00"),
    "INR": Decimal("0.50"),
    "JPY": Decimal("50"),
    "MXN": Decimal("10"),
    "MYR": Decimal("2"),
    "NOK": Decimal("3.00"),
    "NZD": Decimal("0.50"),
    "PLN": Decimal("2.00"),
    "RON": Decimal("2.00"),
    "SEK": Decimal("3.00"),
    "SGD": Decimal("0.50"),
    "THB": Decimal("10"),
}


def below_card_minimum(amount: Money) -> bool:
    minimum = STRIPE_MINIMUM_CHARGE.get(amount.currency.code)
    return minimum is not None and amount.amount < minimum


class PaymentGatewayUnavailable(DomainError):
    """Stripe did not answer, timed out, rate-limited past our retries or failed on its side:
    nothing is known to have happened, and the same request may be tried again."""


class InvalidWebhook(ValueError):
    """A webhook body that is not a well-formed event signed with the endpoint's secret within
    the tolerance: refused with 400, nothing stored."""


class PaymentGatewayRefused(DomainError):
    """Stripe answered and refused the request; `code` is Stripe's error code."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class NewAccount:
    practice_id: PracticeId
    country: str
    email: str | None
    business_name: str
    idempotency_key: str


class CheckoutState(enum.StrEnum):
    OPEN = "open"
    COMPLETE = "complete"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    """A Checkout Session for an invoice's balance. The line reads "Invoice INV-0042" and the
    statement the practice's name: never a service (health data stays out of Stripe)."""

    account_id: str
    practice_id: PracticeId
    invoice_id: InvoiceId
    invoice_number: str
    practice_name: str
    amount: Money
    success_url: str
    cancel_url: str
    idempotency_key: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Checkout:
    id: str
    account_id: str
    url: str | None
    state: CheckoutState
    paid: bool
    amount: Money
    expires_at: datetime
    created_at: datetime
    payment_intent_id: str | None = None
    invoice_id: InvoiceId | None = None
    practice_id: PracticeId | None = None


@dataclass(frozen=True, slots=True)
class StoredCheckout:
    """A session the app created, kept so a second click on Pay reuses it."""

    id: str
    practice_id: PracticeId
    invoice_id: InvoiceId
    url: str
    amount: Money
    expires_at: datetime
    created_at: datetime
    state: CheckoutState = CheckoutState.OPEN

    def reusable_for(self, amount: Money, now: datetime) -> bool:
        # A session about to expire would send the client into a page that dies under them.
        margin_seconds = 600
        return (
            self.state is CheckoutState.OPEN
            and self.amount == amount
            and (self.expires_at - now).total_seconds() > margin_seconds
        )


@dataclass(frozen=True, slots=True)
class CardPayment:
    """A succeeded payment (a PaymentIntent) as the ledger needs it."""

    payment_intent_id: str
    charge_id: str | None
    amount: Money
    paid_at: datetime
    invoice_id: InvoiceId | None
    practice_id: PracticeId | None


@dataclass(frozen=True, slots=True)
class StripeEvent:
    """A verified webhook event. `account` is the connected account it happened on (Connect
    endpoints set it); `data` is the event's object as Stripe sent it."""

    id: str
    type: str
    account: str | None
    created: datetime
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class PayLink:
    """The stable link a client pays through: `PUBLIC_BASE_URL/pay/<token>`."""

    practice_id: PracticeId
    invoice_id: InvoiceId
    token: str
    created_at: datetime
    last_sent_at: datetime | None = None
    last_sent_to: str | None = None
    times_sent: int = 0

    def sent(self, to: str, at: datetime) -> PayLink:
        return replace(self, last_sent_at=at, last_sent_to=to, times_sent=self.times_sent + 1)
