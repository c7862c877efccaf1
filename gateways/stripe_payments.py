"""The domain's PaymentGateway on Stripe Connect, through the official SDK's StripeClient.

Charges are *direct charges* on the practice's Express account (every payment request carries
`stripe_account`): the practice is the merchant, so its name is on the client's card statement
and refunds and disputes come out of its own balance, as Stripe describes for direct charges.
The README's Stripe section gives the whole reasoning.

Params are literal dicts typed by the SDK's `...Params` TypedDicts, so `mypy --strict` rejects a
misspelled field; every create carries an idempotency key.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import stripe
from stripe import StripeObject
from stripe.params import (
    AccountCreateParams,
    AccountLinkCreateParams,
)
from stripe.params.checkout import SessionCreateParams, SessionListParams

from domain.ids import InvoiceId, PracticeId
from domain.money import Currency, from_stripe_amount, to_stripe_amount
from domain.online_payments import (
    CardPayment,
    Checkout,
    CheckoutRequest,
    CheckoutState,
    InvalidWebhook,
    NewAccount,
    PaymentGatewayRefused,
    PaymentGatewayUnavailable,
    StripeEvent,
)
from domain.stripe_connect import AccountStatus

log = logging.getLogger(__name__)

# A webhook older than this is refused: Stripe's own default tolerance against replays.
WEBHOOK_TOLERANCE_SECONDS = 300
#: Pauses before sending a rate-limited request again (then it counts as unavailable):
#: Stripe's limits are per second, so a few seconds in all clear a burst.
RATE_LIMIT_PAUSES_S = (0.5, 1.0, 2.0)

_Result = TypeVar("_Result")


#: Tries after the first for a Checkout Session, which a client waits for (the other requests
#: keep the client's default, three).
CHECKOUT_RETRIES = 1


class StripeGateway:
    def __init__(
        self,
        secret_key: str,
        *,
        api_base: str = "https://api.stripe.com",
        webhook_secret: str | None = None,
        timeout_seconds: float = 20.0,
        max_network_retries: int = 3,
    ) -> None:
        # The SDK retries connection errors, timeouts, 409s and 5xx answers with exponential
        # backoff, reusing the request's idempotency key; a 429 only when Stripe marks it
        # retryable (`_call` waits out the others).
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base, "connect": api_base},
            max_network_retries=max_network_retries,
            http_client=stripe.RequestsClient(timeout=(5.0, timeout_seconds)),
        )
        self._webhook_secret = webhook_secret

    # -- accounts ------------------------------------------------------------------------

    def create_express_account(self, request: NewAccount) -> str:
        params: AccountCreateParams = {
            "type": "express",
            "country": request.country,
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
            "business_profile": {"name": request.business_name},
            "metadata": {"practice_id": request.practice_id},
        }
        if request.email:
            params["email"] = request.email
        account = _call(
            lambda: self._client.v1.accounts.create(
                params, {"idempotency_key": request.idempotency_key}
            )
        )
        return str(account.id)

    def account_status(self, account_id: str) -> AccountStatus:
        account = _call(lambda: self._client.v1.accounts.retrieve(account_id))
        return account_status_of(account)

    def onboarding_link(self, account_id: str, *, refresh_url: str, return_url: str) -> str:
        params: AccountLinkCreateParams = {
            "account": account_id,
            "type": "account_onboarding",
            "refresh_url": refresh_url,
            "return_url": return_url,
        }
        link = _call(lambda: self._client.v1.account_links.create(params))
        return str(link.url)

    def dashboard_link(self, account_id: str) -> str:
        link = _call(lambda: self._client.v1.accounts.login_links.create(account_id))
        return str(link.url)

    # -- checkout ------------------------------------------------------------------------

    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        metadata = {"invoice_id": request.invoice_id, "practice_id": request.practice_id}
        params: SessionCreateParams = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.amount.currency.code.lower(),
                        "unit_amount": to_stripe_amount(request.amount),
                        # Health data stays out of Stripe: the number, never the services.
                        "product_data": {
                            "name": f"Invoice {request.invoice_number}",
                            "description": request.practice_name,
                        },
                    },
                }
            ],
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "expires_at": int(request.expires_at.timestamp()),
            "metadata": metadata,
            "payment_intent_data": {
                "metadata": metadata,
                "description": f"Invoice {request.invoice_number}",
            },
            "client_reference_id": request.invoice_id,
        }
        session = _call(
            lambda: self._client.v1.checkout.sessions.create(
                params,
                {
                    "idempotency_key": request.idempotency_key,
                    "stripe_account": request.account_id,
                    # A client is waiting on the Pay button: one more try, not three, so a
                    # hung Stripe keeps them about two timeouts before "try again", not four.
                    "max_network_retries": CHECKOUT_RETRIES,
                },
            )
        )
        return checkout_of(session, request.account_id)

    def recent_checkouts(self, account_id: str, since: datetime) -> list[Checkout]:
        params: SessionListParams = {"limit": 100, "created": {"gte": int(since.timestamp())}}
        page = _call(
            lambda: self._client.v1.checkout.sessions.list(params, {"stripe_account": account_id})
        )
        return [checkout_of(session, account_id) for session in page.auto_paging_iter()]

    def card_payment(self, account_id: str, payment_intent_id: str) -> CardPayment:
        intent = _call(
            lambda: self._client.v1.payment_intents.retrieve(
                payment_intent_id, options={"stripe_account": account_id}
            )
        )
        return card_payment_of(intent)

    # -- webhooks ------------------------------------------------------------------------

    def verified_event(self, payload: bytes, signature: str | None) -> StripeEvent:
        """The event in a webhook body, after checking its signature and age; raises
        InvalidWebhook for anything else."""
        if not self._webhook_secret:
            raise InvalidWebhook("no Stripe webhook secret is configured (STRIPE_WEBHOOK_SECRET)")
        try:
            # The SDK's own check (what `construct_event` runs first), then the body read as
            # the plain JSON the domain wants: building the SDK's objects for every field of
            # the event and turning them back into dicts cost a fifth of a payment's CPU.
            stripe.WebhookSignature.verify_header(
                payload, signature, self._webhook_secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError:
            raise InvalidWebhook("the Stripe-Signature header does not match") from None
        except ValueError:  # not UTF-8
            raise InvalidWebhook("the body is not a Stripe event") from None
        try:
            event = json.loads(payload)
            if event.get("object") != "event":  # a thin event, or no event at all
                raise ValueError(event.get("object"))
            return StripeEvent(
                id=str(event["id"]),
                type=str(event["type"]),
                account=event.get("account"),
                created=datetime.fromtimestamp(int(event["created"]), UTC),
                data=dict(event["data"]["object"]),
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            raise InvalidWebhook("the body is not a Stripe event") from None


def _call(request: Callable[[], _Result]) -> _Result:
    """Runs one SDK request and turns Stripe's errors into the domain's two kinds. A rate
    limit is waited out with growing pauses, as Stripe asks, and the same request (the same
    idempotency key) sent again."""
    pauses = iter(RATE_LIMIT_PAUSES_S)
    while True:
        try:
            return _call_once(request)
        except _RateLimited:
            pause = next(pauses, None)
            if pause is None:
                log.warning("stripe unavailable: still rate-limited")
                raise PaymentGatewayUnavailable("Stripe could not be reached.") from None
            # Jitter, so that requests limited together do not come back together.
            time.sleep(pause * random.uniform(1.0, 1.5))  # noqa: S311 - not a secret


class _RateLimited(Exception):
    pass


def _call_once(request: Callable[[], _Result]) -> _Result:
    try:
        result = request()
    except stripe.RateLimitError:
        raise _RateLimited from None
    except stripe.CardError as error:
        raise PaymentGatewayRefused(
            error.user_message or "The card was declined.", error.code
        ) from None
    except stripe.InvalidRequestError as error:
        log.warning("stripe refused a request: code=%s param=%s", error.code, error.param)
        raise PaymentGatewayRefused(error.user_message or str(error), error.code) from None
    except stripe.AuthenticationError as error:
        log.error("stripe rejected the API key: %s", error.code)
        raise PaymentGatewayUnavailable("Stripe rejected the app's API key.") from None
    except (stripe.APIConnectionError, stripe.APIError) as error:
        log.warning("stripe unavailable: %s", type(error).__name__)
        raise PaymentGatewayUnavailable("Stripe could not be reached.") from None
    except stripe.StripeError as error:
        log.warning("stripe error: %s %s", type(error).__name__, error.code)
        raise PaymentGatewayUnavailable("Stripe answered with an error.") from None
    return result


def _metadata(metadata: StripeObject | None) -> dict[str, str]:
    if metadata is None:
        return {}
    return {str(key): str(value) for key, value in metadata.to_dict().items()}


def account_status_of(account: stripe.Account) -> AccountStatus:
    requirements = account.requirements
    return AccountStatus(
        details_submitted=bool(account.details_submitted),
        charges_enabled=bool(account.charges_enabled),
        payouts_enabled=bool(account.payouts_enabled),
        currently_due=tuple(requirements.currently_due or ()) if requirements else (),
        past_due=tuple(requirements.past_due or ()) if requirements else (),
        disabled_reason=requirements.disabled_reason if requirements else None,
    )


def checkout_of(session: stripe.checkout.Session, account_id: str) -> Checkout:
    currency = Currency((session.currency or "").upper())
    metadata = _metadata(session.metadata)
    intent = session.payment_intent
    intent_id = intent if isinstance(intent, str) or intent is None else intent.id
    return Checkout(
        id=session.id,
        account_id=account_id,
        url=session.url,
        state=CheckoutState(session.status or "open"),
        paid=session.payment_status == "paid",
        amount=from_stripe_amount(session.amount_total or 0, currency),
        expires_at=datetime.fromtimestamp(session.expires_at, UTC),
        created_at=datetime.fromtimestamp(session.created, UTC),
        payment_intent_id=intent_id,
        invoice_id=InvoiceId(metadata["invoice_id"]) if "invoice_id" in metadata else None,
        practice_id=PracticeId(metadata["practice_id"]) if "practice_id" in metadata else None,
    )


def card_payment_of(intent: stripe.PaymentIntent) -> CardPayment:
    currency = Currency(intent.currency.upper())
    metadata = _metadata(intent.metadata)
    charge = intent.latest_charge
    charge_id = charge if isinstance(charge, str) or charge is None else charge.id
    return CardPayment(
        payment_intent_id=intent.id,
        charge_id=charge_id,
        amount=from_stripe_amount(intent.amount_received, currency),
        paid_at=datetime.fromtimestamp(intent.created, UTC),
        invoice_id=InvoiceId(metadata["invoice_id"]) if "invoice_id" in metadata else None,
        practice_id=PracticeId(metadata["practice_id"]) if "practice_id" in metadata else None,
    )
