"""`StripeDriver`: what happens at Stripe without the app asking, done from a test.

A customer paying on Checkout, a bank debit clearing days later, the practice finishing
onboarding or refunding from its Express dashboard, a cardholder's dispute, an account
disconnecting the platform, Stripe asking for more documents. Each changes the state as the
hosted page or Stripe itself would and makes the same events (delivered as webhooks when
an endpoint is set).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any

from sandbox.stripe import accounts, checkout, payments
from sandbox.stripe.payments import CARD_SUCCEEDS, Payment, read_card
from sandbox.stripe.state import StripeState
from sandbox.stripe.webhooks import DeliveryAttempt, WebhookSender


class StripeDriver:
    """Acts on the stand-in in-process; every method returns copies of the objects it changed."""

    def __init__(self, state: StripeState, webhooks: WebhookSender) -> None:
        self.state = state
        self.webhooks = webhooks

    # -- connected accounts --------------------------------------------------------------

    def complete_onboarding(self, account_id: str) -> dict[str, Any]:
        """Submit every onboarding step, as the Account Link page's button does."""
        return accounts.complete_onboarding(self.state, account_id)

    def set_requirements(
        self,
        account_id: str,
        *,
        currently_due: list[str] | None = None,
        past_due: list[str] | None = None,
        eventually_due: list[str] | None = None,
        pending_verification: list[str] | None = None,
        disabled_reason: str | None = None,
        current_deadline: int | None = None,
        charges_enabled: bool | None = None,
        payouts_enabled: bool | None = None,
    ) -> dict[str, Any]:
        """Set what Stripe asks of the account (lists not given are kept; `disabled_reason`
        and `current_deadline` are set as given) and send ``account.updated``."""
        return accounts.set_requirements(
            self.state,
            account_id,
            currently_due=currently_due,
            past_due=past_due,
            eventually_due=eventually_due,
            pending_verification=pending_verification,
            disabled_reason=disabled_reason,
            current_deadline=current_deadline,
            charges_enabled=charges_enabled,
            payouts_enabled=payouts_enabled,
        )

    def deauthorize(self, account_id: str) -> dict[str, Any]:
        """The account disconnects the platform; returns the
        ``account.application.deauthorized`` event. Its objects become unreachable."""
        return accounts.deauthorize(self.state, account_id)

    # -- Checkout --------------------------------------------------------------------------

    def pay(
        self,
        session_id: str,
        card: str = CARD_SUCCEEDS,
        *,
        expiry: str | None = None,
        cvc: str = "123",
        email: str | None = None,
        name: str | None = "Jenny Rosen",
    ) -> Payment:
        """The customer pays the session by card, as on its Checkout page (a session without
        ``customer_email`` takes `email`). Declines are returned (``paid`` false), not raised;
        `payments.CardInputError` for a mistyped card, `checkout.CheckoutClosed` for a session
        that is no longer open."""
        today = datetime.fromtimestamp(self.state.now(), UTC).date()
        typed = read_card(card, expiry or f"12/{today.year + 5}", cvc, today)
        return checkout.pay_by_card(self.state, session_id, typed, email=email, name=name)

    def start_async_payment(self, session_id: str, *, email: str | None = None) -> dict[str, Any]:
        """The customer pays by bank debit: the session is ``complete`` but ``unpaid``, and
        ``checkout.session.completed`` is sent; returns the session."""
        return checkout.start_async_payment(self.state, session_id, email=email)

    def succeed_async(self, session_id: str) -> dict[str, Any]:
        """The bank debit clears: ``checkout.session.async_payment_succeeded``."""
        return checkout.settle_async_payment(self.state, session_id, succeeded=True)

    def fail_async(self, session_id: str) -> dict[str, Any]:
        """The bank debit fails: ``checkout.session.async_payment_failed``."""
        return checkout.settle_async_payment(self.state, session_id, succeeded=False)

    def expire(self, session_id: str) -> dict[str, Any]:
        """Expire an open session now (as at its ``expires_at``): ``checkout.session.expired``."""
        return checkout.expire(self.state, session_id)

    # -- after payment ---------------------------------------------------------------------

    def refund(
        self, charge_id: str, amount: int | None = None, *, reason: str = "requested_by_customer"
    ) -> dict[str, Any]:
        """Refund from the dashboard `amount` minor units (None: what is left):
        ``charge.refunded``. Raises `errors.StripeError` where Stripe refuses."""
        with self.state.lock:
            stored = self.state.stored(charge_id)
            refund = payments.refund_charge(
                self.state, stored.obj, stored.account, amount, reason=reason
            )
            return copy.deepcopy(refund)

    def dispute(
        self, charge_id: str, *, reason: str = "fraudulent", amount: int | None = None
    ) -> dict[str, Any]:
        """The cardholder disputes the charge: ``charge.dispute.created``; returns the dispute."""
        with self.state.lock:
            stored = self.state.stored(charge_id)
            dispute = payments.open_dispute(self.state, stored.obj, stored.account, reason, amount)
            return copy.deepcopy(dispute)

    def close_dispute(self, dispute_id: str, *, won: bool) -> dict[str, Any]:
        """The bank decides the dispute: ``charge.dispute.closed``."""
        with self.state.lock:
            stored = self.state.stored(dispute_id)
            closed = payments.close_dispute(self.state, stored.obj, stored.account, won=won)
            return copy.deepcopy(closed)

    # -- looking inside --------------------------------------------------------------------

    def object(self, object_id: str) -> dict[str, Any]:
        """Any object by id, whichever account it lives on (`LookupError` if none)."""
        with self.state.lock:
            return copy.deepcopy(self.state.stored(object_id).obj)

    def events(self, type: str | None = None) -> list[dict[str, Any]]:
        """Every event so far, oldest first, of every account; `type` may use ``*``."""
        with self.state.lock:
            return [
                copy.deepcopy(event)
                for event in self.state.events
                if type is None or fnmatchcase(event["type"], type)
            ]

    def wait_for_deliveries(
        self,
        count: int,
        timeout: float = 5.0,
        *,
        succeeded: bool = True,
        event_type: str | None = None,
    ) -> list[DeliveryAttempt]:
        """At least `count` webhook deliveries (answered 2xx if `succeeded`), waiting up to
        `timeout` seconds; `TimeoutError` otherwise."""
        return self.webhooks.wait_for(
            count, timeout=timeout, succeeded=succeeded, event_type=event_type
        )
