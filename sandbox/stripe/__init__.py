"""A local stand-in for Stripe: the v1 API subset the app uses (Connect Express accounts,
Account Links, login links, Checkout Sessions, PaymentIntents, Charges, Refunds, Events)
over HTTP on 127.0.0.1, hosted Checkout and onboarding pages, signed webhooks, and a
driver that does what customers, banks and practices do at Stripe.

Used by the contract tests (against the official `stripe` SDK), the app's end-to-end tests
and the offline demo; production code never imports it (an import-linter contract says
so). Start with `StripeStandIn`.
"""

from sandbox.slack.clock import ManualClock
from sandbox.stripe.checkout import CheckoutClosed
from sandbox.stripe.driver import StripeDriver
from sandbox.stripe.errors import StripeError
from sandbox.stripe.payments import (
    CARD_DECLINED,
    CARD_INSUFFICIENT_FUNDS,
    CARD_SUCCEEDS,
    TEST_CARDS,
    CardInputError,
    Payment,
)
from sandbox.stripe.standin import StripeStandIn
from sandbox.stripe.state import API_VERSION, RecordedRequest
from sandbox.stripe.webhooks import DeliveryAttempt

__all__ = [
    "API_VERSION",
    "CARD_DECLINED",
    "CARD_INSUFFICIENT_FUNDS",
    "CARD_SUCCEEDS",
    "TEST_CARDS",
    "CardInputError",
    "CheckoutClosed",
    "DeliveryAttempt",
    "ManualClock",
    "Payment",
    "RecordedRequest",
    "StripeDriver",
    "StripeError",
    "StripeStandIn",
]
