"""Checkout Sessions in ``mode=payment``: creating, reading, listing and expiring them, and
what paying one does (by card at once, by bank debit later).

A session is created on the account that asks: with ``Stripe-Account`` it is a direct charge
on that connected account (its PaymentIntent, Charge and events live there, and the
platform may take an ``application_fee_amount``); without, it is the platform's, optionally
a destination charge (``payment_intent_data[transfer_data][destination]``,
``on_behalf_of``). As in API versions since 2022-08-01, ``payment_intent`` stays null until
the customer first tries to pay.
"""

from __future__ import annotations

import copy
import heapq
from typing import Any

from sandbox.stripe import accounts, ids
from sandbox.stripe.api_call import Call
from sandbox.stripe.currencies import MAXIMUM_AMOUNT, SUPPORTED, display, minimum_charge
from sandbox.stripe.errors import StripeError, invalid, no_such
from sandbox.stripe.listing import PAGING, VIRTUAL, page
from sandbox.stripe.params import (
    Int,
    ListOf,
    Metadata,
    Params,
    Str,
    in_range,
    unsupported,
)
from sandbox.stripe.payments import (
    BANK_DEBITS,
    Card,
    Payment,
    charge_card,
    new_intent,
    settle_bank_debit,
    start_bank_debit,
)
from sandbox.stripe.state import StripeState

#: Stripe's bounds on ``expires_at``, from the session's creation.
MIN_LIFETIME = 30 * 60
MAX_LIFETIME = 24 * 60 * 60
PAYMENT_METHOD_TYPES = ("card", *sorted(BANK_DEBITS.values()))

_PRODUCT_DATA = Params(
    {
        "name": Str(required=True),
        "description": Str(),
        "images": ListOf(Str(), max_items=8),
        "metadata": Metadata(),
        "tax_code": Str(),
    }
)
_PRICE_DATA = Params(
    {
        "currency": Str(required=True),
        "product_data": _PRODUCT_DATA,
        "tax_behavior": Str(choices=("exclusive", "inclusive", "unspecified")),
        "unit_amount": Int(minimum=0),
        **unsupported("product", "recurring", "unit_amount_decimal"),
    }
)
_LINE_ITEM = Params(
    {
        "price_data": _PRICE_DATA,
        "quantity": Int(required=True, minimum=1),
        **unsupported("adjustable_quantity", "dynamic_tax_rates", "price", "tax_rates"),
    }
)
_PAYMENT_INTENT_DATA = Params(
    {
        "application_fee_amount": Int(minimum=0),
        "description": Str(max_length=1000),
        "metadata": Metadata(),
        "on_behalf_of": Str(),
        "receipt_email": Str(),
        "statement_descriptor": Str(max_length=22),
        "statement_descriptor_suffix": Str(max_length=22),
        "transfer_data": Params({"destination": Str(required=True), "amount": Int(minimum=0)}),
        "transfer_group": Str(),
        **unsupported("capture_method", "setup_future_usage", "shipping"),
    }
)
CREATE = Params(
    {
        "mode": Str(required=True, choices=("payment", "setup", "subscription")),
        "line_items": ListOf(_LINE_ITEM),
        "success_url": Str(),
        "cancel_url": Str(),
        "client_reference_id": Str(max_length=200),
        "customer_email": Str(),
        "expires_at": Int(),
        "locale": Str(),
        "metadata": Metadata(),
        "payment_intent_data": _PAYMENT_INTENT_DATA,
        "payment_method_types": ListOf(Str(choices=PAYMENT_METHOD_TYPES), max_items=10),
        "submit_type": Str(choices=("auto", "book", "donate", "pay")),
        **unsupported(
            "allow_promotion_codes",
            "automatic_tax",
            "billing_address_collection",
            "consent_collection",
            "currency",
            "custom_fields",
            "custom_text",
            "customer",
            "customer_creation",
            "discounts",
            "invoice_creation",
            "payment_method_options",
            "phone_number_collection",
            "return_url",
            "shipping_address_collection",
            "shipping_options",
            "tax_id_collection",
            "ui_mode",
        ),
    }
)
LIST = Params(
    {
        **PAGING,
        "payment_intent": Str(),
        "status": Str(choices=("complete", "expired", "open")),
        **unsupported("customer", "customer_details", "payment_link", "subscription"),
    }
)


class CheckoutClosed(Exception):
    """The session can no longer be paid (complete or expired); says which, as Checkout does."""


# -- API handlers ----------------------------------------------------------------------------


def create(call: Call) -> dict[str, Any]:
    """``POST /v1/checkout/sessions``."""
    params = CREATE.validate(call.params)
    state = call.state
    if params["mode"] != "payment":
        raise invalid("The Stripe stand-in supports only mode=payment.", param="mode")
    if not params.get("line_items"):
        raise StripeError(
            400, "Missing required param: line_items.", param="line_items", code="parameter_missing"
        )
    for name in ("success_url", "cancel_url"):
        if name in params:
            accounts.check_url(params[name], name)
    items, currency, total = _line_items(state, params["line_items"])
    _check_total(total, currency)
    now = state.now()
    expires_at = params.get("expires_at", now + MAX_LIFETIME)
    if expires_at > now + MAX_LIFETIME:
        raise invalid(
            "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
            param="expires_at",
        )
    if expires_at < now + MIN_LIFETIME:
        raise invalid(
            "The `expires_at` timestamp must be at least 30 minutes from Checkout Session"
            " creation.",
            param="expires_at",
        )
    setup = params.get("payment_intent_data", {})
    _check_money_flow(call, setup, total)
    method_types = _method_types(params.get("payment_method_types"), currency)
    session_id = ids.checkout_session_id()
    session = {
        "id": session_id,
        "object": "checkout.session",
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": total,
        "amount_total": total,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": params.get("cancel_url"),
        "client_reference_id": params.get("client_reference_id"),
        "client_secret": None,
        "consent": None,
        "consent_collection": None,
        "created": now,
        "currency": currency,
        "custom_fields": [],
        "custom_text": dict.fromkeys(
            ("after_submit", "shipping_address", "submit", "terms_of_service_acceptance")
        ),
        "customer": None,
        "customer_creation": "if_required",
        "customer_details": None,
        "customer_email": params.get("customer_email"),
        "expires_at": expires_at,
        "invoice": None,
        "invoice_creation": {"enabled": False, "invoice_data": None},
        "livemode": False,
        "locale": params.get("locale"),
        "metadata": params.get("metadata", {}),
        "mode": "payment",
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "if_required",
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": method_types,
        "payment_status": "unpaid",
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": params.get("submit_type"),
        "subscription": None,
        "success_url": params.get("success_url"),
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
        "url": f"{state.base_url}/c/pay/{session_id}",
    }
    state.add(session, call.account, line_items=items, payment_intent_data=setup)
    heapq.heappush(state.session_expiries, (session["expires_at"], session["id"]))
    return copy.deepcopy(session)


def retrieve(call: Call) -> dict[str, Any]:
    """``GET /v1/checkout/sessions/{id}``."""
    Params().validate(call.params)
    found = call.state.find(call.args[0], "checkout.session", call.account, param="session")
    return copy.deepcopy(found)


def list_sessions(call: Call) -> dict[str, Any]:
    """``GET /v1/checkout/sessions``: newest first, filtered by status, intent, creation."""
    params = LIST.validate(call.params)
    sessions = [
        session
        for session in call.state.all_of("checkout.session", call.account)
        if in_range(session["created"], params.get("created"))
        and params.get("status", session["status"]) == session["status"]
        and params.get("payment_intent", session["payment_intent"]) == session["payment_intent"]
    ]
    return page(sessions, params, "/v1/checkout/sessions")


def list_line_items(call: Call) -> dict[str, Any]:
    """``GET /v1/checkout/sessions/{id}/line_items``."""
    params = Params(dict(PAGING)).validate(call.params)
    session = call.state.find(call.args[0], "checkout.session", call.account, param="session")
    items = call.state.stored(session["id"]).private["line_items"]
    return page(items, params, f"/v1/checkout/sessions/{session['id']}/line_items")


def expire_call(call: Call) -> dict[str, Any]:
    """``POST /v1/checkout/sessions/{id}/expire``: only an open session can be expired."""
    Params().validate(call.params)
    session = call.state.find(call.args[0], "checkout.session", call.account, param="session")
    if session["status"] != "open":
        raise invalid(
            f"This Checkout Session is {session['status']}; only a Checkout Session whose"
            " status is open can be expired.",
            param="session",
        )
    return copy.deepcopy(expire(call.state, session["id"]))


# -- what happens to a session -------------------------------------------------------------


def session_for_page(state: StripeState, session_id: str) -> dict[str, Any]:
    """The session behind a checkout URL, whoever's it is (the URL is the key to it)."""
    with state.lock:
        expire_due(state)
        try:
            stored = state.stored(session_id)
        except LookupError:
            raise no_such("checkout.session", session_id) from None
        if stored.obj["object"] != "checkout.session":
            raise no_such("checkout.session", session_id)
        return stored.obj


def merchant_name(state: StripeState, session_id: str) -> str:
    """Whom the customer pays, as Checkout names it: the connected account on a direct
    charge or with ``on_behalf_of``, otherwise the platform."""
    with state.lock:
        stored = state.stored(session_id)
        on_behalf_of = stored.private["payment_intent_data"].get("on_behalf_of")
        return business_name(state, stored.account or on_behalf_of)


def business_name(state: StripeState, account_id: str | None) -> str:
    """The name an account shows customers; the platform's for None."""
    with state.lock:
        account = state.objects.get(account_id or "")
        if account is None:
            return str(state.platform["business_profile"]["name"])
        profile = account.obj["business_profile"]
        return str(profile["name"] or account.obj["email"] or account.obj["id"])


def pay_by_card(
    state: StripeState, session_id: str, card: Card, *, email: str | None, name: str | None
) -> Payment:
    """The customer pays by card: paid and complete, or declined and still open."""
    with state.lock:
        session, account, intent = _attempt(state, session_id)
        billing = {"email": email or session["customer_email"], "name": name}
        payment = charge_card(state, intent, account, card, billing)
        if payment.paid:
            _complete(state, session, account, intent, billing, paid=True)
        return Payment(
            payment.paid,
            copy.deepcopy(session),
            copy.deepcopy(payment.payment_intent),
            copy.deepcopy(payment.charge),
            payment.decline_code,
            payment.message,
        )


def start_async_payment(
    state: StripeState, session_id: str, *, email: str | None = None, name: str | None = None
) -> dict[str, Any]:
    """The customer pays by bank debit: the session completes unpaid until the bank answers."""
    with state.lock:
        session, account, intent = _attempt(state, session_id)
        if not set(session["payment_method_types"]) & set(BANK_DEBITS.values()):
            raise ValueError(f"session {session_id} offers no bank debit")
        billing = {"email": email or session["customer_email"], "name": name}
        start_bank_debit(state, intent, account, billing)
        _complete(state, session, account, intent, billing, paid=False)
        return copy.deepcopy(session)


def settle_async_payment(state: StripeState, session_id: str, *, succeeded: bool) -> dict[str, Any]:
    """The bank debit of a completed session clears or fails, days later at Stripe."""
    with state.lock:
        stored = state.stored(session_id)
        session, account = stored.obj, stored.account
        if session["status"] != "complete" or session["payment_status"] != "unpaid":
            raise ValueError(f"session {session_id} has no bank debit waiting to settle")
        intent = state.find(session["payment_intent"], "payment_intent", account)
        settle_bank_debit(state, intent, account, succeeded=succeeded)
        previous = {"payment_status": session["payment_status"]}
        if succeeded:
            session["payment_status"] = "paid"
            state.emit("checkout.session.async_payment_succeeded", session, account, previous)
        else:
            state.emit("checkout.session.async_payment_failed", session, account)
        return copy.deepcopy(session)


def expire(state: StripeState, session_id: str) -> dict[str, Any]:
    """Expire an open session (its time ran out, or the API asked): ``checkout.session.expired``;
    a PaymentIntent left by declined attempts is canceled."""
    with state.lock:
        stored = state.stored(session_id)
        session, account = stored.obj, stored.account
        if session["status"] != "open":
            raise CheckoutClosed(f"This Checkout Session is already {session['status']}.")
        session.update(status="expired", url=None)
        if session["payment_intent"]:
            intent = state.find(session["payment_intent"], "payment_intent", account)
            intent.update(
                status="canceled", canceled_at=state.now(), cancellation_reason="abandoned"
            )
            state.emit("payment_intent.canceled", intent, account)
        state.emit("checkout.session.expired", session, account)
        return copy.deepcopy(session)


def expire_due(state: StripeState) -> None:
    """Expire every open session whose ``expires_at`` has passed (Stripe's sweep)."""
    with state.lock:
        now = state.now()
        expiries = state.session_expiries
        while expiries and expiries[0][0] <= now:
            _, session_id = heapq.heappop(expiries)
            if state.objects[session_id].obj["status"] == "open":
                expire(state, session_id)


def success_url(session: dict[str, Any]) -> str | None:
    """Where Checkout sends the customer after paying, with the session id filled in."""
    url: str | None = session["success_url"]
    return url.replace("{CHECKOUT_SESSION_ID}", session["id"]) if url else None


# -- helpers ---------------------------------------------------------------------------------


def _attempt(
    state: StripeState, session_id: str
) -> tuple[dict[str, Any], str | None, dict[str, Any]]:
    expire_due(state)
    stored = state.stored(session_id)
    session, account = stored.obj, stored.account
    if session["status"] != "open":
        raise CheckoutClosed(
            "This payment is already complete."
            if session["status"] == "complete"
            else "This checkout session has expired."
        )
    if session["payment_intent"] is None:
        intent = new_intent(state, session, stored.private["payment_intent_data"], account)
        session["payment_intent"] = intent["id"]
    return session, account, state.find(session["payment_intent"], "payment_intent", account)


def _complete(
    state: StripeState,
    session: dict[str, Any],
    account: str | None,
    intent: dict[str, Any],
    billing: dict[str, Any],
    *,
    paid: bool,
) -> None:
    session.update(
        customer_details={
            "address": dict.fromkeys(("city", "country", "line1", "line2", "postal_code", "state")),
            "email": billing["email"],
            "name": billing["name"],
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
        },
        payment_intent=intent["id"],
        payment_status="paid" if paid else "unpaid",
        status="complete",
        url=None,
    )
    state.emit("checkout.session.completed", session, account)


def _line_items(
    state: StripeState, line_items: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], str, int]:
    items: list[dict[str, Any]] = []
    currencies: set[str] = set()
    total = 0
    for index, line in enumerate(line_items):
        where = f"line_items[{index}]"
        price = line.get("price_data")
        if price is None:
            raise StripeError(
                400,
                f"Missing required param: {where}[price_data].",
                param=f"{where}[price_data]",
                code="parameter_missing",
            )
        if "product_data" not in price:
            raise StripeError(
                400,
                f"Missing required param: {where}[price_data][product_data].",
                param=f"{where}[price_data][product_data]",
                code="parameter_missing",
            )
        if "unit_amount" not in price:
            raise StripeError(
                400,
                f"Missing required param: {where}[price_data][unit_amount].",
                param=f"{where}[price_data][unit_amount]",
                code="parameter_missing",
            )
        currency = price["currency"].lower()
        if currency not in SUPPORTED:
            raise invalid(
                f"Invalid currency: {price['currency']}. Use a three-letter ISO currency code"
                " in lower case, such as usd, eur or gbp.",
                param=f"{where}[price_data][currency]",
            )
        currencies.add(currency)
        amount = price["unit_amount"] * line["quantity"]
        total += amount
        items.append(_item(state, price, currency, line["quantity"], amount))
    if len(currencies) > 1:
        raise invalid(
            "Checkout does not support multiple currencies; every line item must use the same"
            " currency.",
            param="line_items",
        )
    return items, currencies.pop(), total


def _item(
    state: StripeState, price: dict[str, Any], currency: str, quantity: int, amount: int
) -> dict[str, Any]:
    product = price["product_data"]
    return {
        "id": ids.object_id("li"),
        "object": "item",
        "amount_discount": 0,
        "amount_subtotal": amount,
        "amount_tax": 0,
        "amount_total": amount,
        "currency": currency,
        "description": product["name"],
        "price": {
            "id": ids.object_id("price"),
            "object": "price",
            "active": False,
            "billing_scheme": "per_unit",
            "created": state.now(),
            "currency": currency,
            "livemode": False,
            "lookup_key": None,
            "metadata": {},
            "nickname": None,
            "product": ids.object_id("prod"),
            "recurring": None,
            "tax_behavior": price.get("tax_behavior", "unspecified"),
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "one_time",
            "unit_amount": price["unit_amount"],
            "unit_amount_decimal": str(price["unit_amount"]),
        },
        "quantity": quantity,
    }


def _check_total(total: int, currency: str) -> None:
    minimum = minimum_charge(currency)
    if minimum is not None and total < minimum:
        raise StripeError(
            400,
            "The Checkout Session's total amount due must add up to at least"
            f" {display(minimum, currency)} {currency}",
            code="amount_too_small",
        )
    if total > MAXIMUM_AMOUNT:
        raise StripeError(
            400,
            "The Checkout Session's total amount due must be no more than"
            f" {display(MAXIMUM_AMOUNT, currency)} {currency}",
            code="amount_too_large",
        )


def _check_money_flow(call: Call, setup: dict[str, Any], total: int) -> None:
    state = call.state
    if call.account is not None:
        accounts.require_charges_enabled(state, call.account)
    transfer = setup.get("transfer_data")
    where = "payment_intent_data"
    if transfer is not None:
        if call.account is not None:
            raise invalid(
                "transfer_data makes a destination charge on the platform; a Checkout Session"
                " created with Stripe-Account is a direct charge and cannot have it.",
                param=f"{where}[transfer_data]",
            )
        destination = accounts.connected(state, transfer["destination"])
        if destination is None:
            raise no_such("destination", transfer["destination"], param=f"{where}[transfer_data]")
        if destination["capabilities"].get("transfers") != "active":
            raise invalid(
                "Your destination account needs to have at least one of the following"
                " capabilities enabled: transfers, crypto_transfers, legacy_payments",
                code="insufficient_capabilities_for_transfer",
                param=f"{where}[transfer_data][destination]",
            )
        if transfer.get("amount", 0) > total:
            raise invalid(
                "The transfer amount cannot be greater than the total amount.",
                param=f"{where}[transfer_data][amount]",
            )
    if "on_behalf_of" in setup and accounts.connected(state, setup["on_behalf_of"]) is None:
        raise no_such("account", setup["on_behalf_of"], param=f"{where}[on_behalf_of]")
    fee = setup.get("application_fee_amount")
    if fee is not None:
        if call.account is None and transfer is None:
            raise invalid(
                "Can only apply an application_fee_amount when the PaymentIntent is attempting"
                " a direct payment (using an OAuth key or Stripe-Account header) or destination"
                " payment (using `transfer_data[destination]`).",
                param=f"{where}[application_fee_amount]",
            )
        if fee > total:
            raise invalid(
                "The application fee amount cannot be greater than the total amount.",
                param=f"{where}[application_fee_amount]",
            )


def _method_types(requested: list[str] | None, currency: str) -> list[str]:
    # Without payment_method_types, Checkout offers what the dashboard enables for the
    # currency; the stand-in's dashboard enables cards and the currency's bank debit.
    if not requested:
        debit = BANK_DEBITS.get(currency)
        return ["card", debit] if debit else ["card"]
    for index, method in enumerate(requested):
        if method != "card" and BANK_DEBITS.get(currency) != method:
            raise invalid(
                f"The payment method type {method} is invalid for the currency {currency}.",
                param=f"payment_method_types[{index}]",
            )
    return list(dict.fromkeys(requested))


def _line_items_list(state: StripeState, session: dict[str, Any]) -> dict[str, Any]:
    items = state.stored(session["id"]).private["line_items"]
    return page(items, {"limit": 100}, f"/v1/checkout/sessions/{session['id']}/line_items")


VIRTUAL[("checkout.session", "line_items")] = _line_items_list
