"""Money moving: PaymentIntents and Charges made by paying a Checkout Session, Refunds, Disputes.

Cards follow Stripe's test numbers (`TEST_CARDS`): ``4242 4242 4242 4242`` succeeds,
``4000 0000 0000 0002`` is declined (``generic_decline``), ``4000 0000 0000 9995`` has
insufficient funds, and a valid number that is not a test card is declined as Stripe's test
mode declines real cards. Bank debits (``us_bank_account``, ``sepa_debit``, ``bacs_debit``)
start ``processing`` and settle later, as they take days at Stripe.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sandbox.stripe import ids
from sandbox.stripe.api_call import Call
from sandbox.stripe.currencies import display
from sandbox.stripe.errors import StripeError, invalid
from sandbox.stripe.listing import PAGING, VIRTUAL, page
from sandbox.stripe.params import Bool, Int, Metadata, Params, Str, in_range, unsupported
from sandbox.stripe.state import HostedLink, StripeState

CARD_SUCCEEDS = "4242424242424242"
CARD_DECLINED = "4000000000000002"
CARD_INSUFFICIENT_FUNDS = "4000000000009995"
#: Stripe's test cards the stand-in knows: number → (brand, decline code or None).
TEST_CARDS: dict[str, tuple[str, str | None]] = {
    "4242424242424242": ("visa", None),
    "4000056655665556": ("visa", None),
    "5555555555554444": ("mastercard", None),
    "378282246310005": ("amex", None),
    "4000000000000002": ("visa", "generic_decline"),
    "4000000000009995": ("visa", "insufficient_funds"),
    "4000000000009987": ("visa", "lost_card"),
    "4000000000000069": ("visa", "expired_card"),
    "4000000000000127": ("visa", "incorrect_cvc"),
    "4000000000000119": ("visa", "processing_error"),
}
#: decline code → (error code, what Stripe tells the customer).
DECLINES = {
    "generic_decline": ("card_declined", "Your card was declined."),
    "insufficient_funds": ("card_declined", "Your card has insufficient funds."),
    "lost_card": ("card_declined", "Your card was declined."),
    "expired_card": ("expired_card", "Your card has expired."),
    "incorrect_cvc": ("incorrect_cvc", "Your card's security code is incorrect."),
    "processing_error": (
        "processing_error",
        "An error occurred while processing your card. Try again in a little bit.",
    ),
    "test_mode_live_card": (
        "card_declined",
        "Your card was declined. Your request was in test mode, but used a non test card."
        " For a list of valid test cards, visit: https://stripe.com/docs/testing.",
    ),
}
BANK_DEBITS = {"usd": "us_bank_account", "eur": "sepa_debit", "gbp": "bacs_debit"}
DISPUTE_REASONS = (
    "bank_cannot_process",
    "credit_not_processed",
    "customer_initiated",
    "debit_not_authorized",
    "duplicate",
    "fraudulent",
    "general",
    "incorrect_account_details",
    "insufficient_funds",
    "product_not_received",
    "product_unacceptable",
    "subscription_canceled",
    "unrecognized",
)


class CardInputError(ValueError):
    """What the checkout form says under a card field that is not filled in right."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Card:
    number: str
    exp_month: int
    exp_year: int
    cvc: str

    @property
    def brand(self) -> str:
        known = TEST_CARDS.get(self.number)
        if known:
            return known[0]
        if self.number.startswith(("34", "37")):
            return "amex"
        if re.match(r"5[1-5]|2[2-7]", self.number):
            return "mastercard"
        return "visa" if self.number.startswith("4") else "unknown"

    @property
    def decline_code(self) -> str | None:
        known = TEST_CARDS.get(self.number)
        return known[1] if known else "test_mode_live_card"


def read_card(number: str, expiry: str, cvc: str, today: date) -> Card:
    """The card a person typed (``4242 4242 4242 4242``, ``12 / 34``, ``123``), checked as
    Stripe's card form checks it; `CardInputError` names the field and says what is wrong."""
    digits = re.sub(r"[\s-]", "", number)
    if not digits.isdigit() or len(digits) < 15:
        raise CardInputError("card_number", "Your card number is incomplete.")
    if len(digits) > 19 or not _luhn(digits):
        raise CardInputError("card_number", "Your card number is invalid.")
    match = re.fullmatch(r"\s*(\d{1,2})\s*/?\s*(\d{2}|\d{4})\s*", expiry)
    if match is None or not 1 <= int(match.group(1)) <= 12:
        raise CardInputError("expiry", "Your card's expiration date is incomplete.")
    month, year = int(match.group(1)), int(match.group(2))
    year += 2000 if year < 100 else 0
    if year < today.year:
        raise CardInputError("expiry", "Your card's expiration year is in the past.")
    if (year, month) < (today.year, today.month):
        raise CardInputError("expiry", "Your card's expiration date is in the past.")
    wanted = 4 if digits.startswith(("34", "37")) else 3
    if not re.fullmatch(rf"\d{{{wanted}}}", cvc.strip()):
        raise CardInputError("cvc", "Your card's security code is incomplete.")
    return Card(digits, month, year, cvc.strip())


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


@dataclass(frozen=True)
class Payment:
    """What one payment attempt did: `paid`, or declined with Stripe's codes and message."""

    paid: bool
    session: dict[str, Any]
    payment_intent: dict[str, Any]
    charge: dict[str, Any]
    decline_code: str | None = None
    message: str | None = None


# -- PaymentIntents and Charges --------------------------------------------------------------


def new_intent(
    state: StripeState, session: dict[str, Any], setup: dict[str, Any], account: str | None
) -> dict[str, Any]:
    """The PaymentIntent a Checkout Session makes when its customer first tries to pay."""
    intent_id = ids.object_id("pi")
    transfer = setup.get("transfer_data")
    intent = {
        "id": intent_id,
        "object": "payment_intent",
        "amount": session["amount_total"],
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": state.application["id"] if account else None,
        "application_fee_amount": setup.get("application_fee_amount"),
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic_async",
        "client_secret": f"{intent_id}_secret_{ids.link_token()}",
        "confirmation_method": "automatic",
        "created": state.now(),
        "currency": session["currency"],
        "customer": None,
        "description": setup.get("description"),
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": dict(setup.get("metadata", {})),
        "next_action": None,
        "on_behalf_of": setup.get("on_behalf_of"),
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": list(session["payment_method_types"]),
        "processing": None,
        "receipt_email": setup.get("receipt_email"),
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": setup.get("statement_descriptor"),
        "statement_descriptor_suffix": setup.get("statement_descriptor_suffix"),
        "status": "requires_payment_method",
        "transfer_data": dict(transfer) if transfer else None,
        "transfer_group": setup.get("transfer_group"),
    }
    state.add(intent, account)
    state.emit("payment_intent.created", intent, account)
    return intent


def charge_card(
    state: StripeState,
    intent: dict[str, Any],
    account: str | None,
    card: Card,
    billing: dict[str, Any],
) -> Payment:
    """Charge `card` for `intent`: a succeeded charge, or a failed one and a declined intent.
    The caller completes the Checkout Session; `Payment.session` is filled in by it."""
    decline = card.decline_code
    method = {
        "card": {
            "amount_authorized": None if decline else intent["amount"],
            "brand": card.brand,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": "fail" if decline == "incorrect_cvc" else "pass",
            },
            "country": "US",
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
            "fingerprint": ids.object_id("x")[2:18],
            "funding": "credit",
            "last4": card.number[-4:],
            "network": card.brand,
            "three_d_secure": None,
            "wallet": None,
        },
        "type": "card",
    }
    charge = _new_charge(state, intent, account, method, billing, prefix="ch")
    if decline is None:
        _succeed(state, intent, charge, account)
        return Payment(True, {}, intent, charge)
    code, message = DECLINES[decline]
    _fail(state, intent, charge, account, code, message, decline, "card_error")
    return Payment(False, {}, intent, charge, decline, message)


def start_bank_debit(
    state: StripeState, intent: dict[str, Any], account: str | None, billing: dict[str, Any]
) -> dict[str, Any]:
    """Debit the customer's bank account: the charge is ``pending`` until `settle_bank_debit`."""
    method_type = BANK_DEBITS[intent["currency"]]
    method = {method_type: _bank_details(method_type), "type": method_type}
    # Stripe's ids for bank debit charges start with py_, not ch_.
    charge = _new_charge(state, intent, account, method, billing, prefix="py")
    charge.update(status="pending", captured=True, amount_captured=intent["amount"])
    intent.update(
        status="processing", latest_charge=charge["id"], payment_method=charge["payment_method"]
    )
    state.emit("payment_intent.processing", intent, account)
    state.emit("charge.pending", charge, account)
    return charge


def settle_bank_debit(
    state: StripeState, intent: dict[str, Any], account: str | None, *, succeeded: bool
) -> dict[str, Any]:
    """The bank's answer, days later in reality: the pending charge succeeds or fails."""
    charge = state.find(intent["latest_charge"], "charge", account)
    if charge["status"] != "pending":
        raise LookupError(f"charge {charge['id']} is {charge['status']}, not pending")
    if succeeded:
        _succeed(state, intent, charge, account)
    else:
        message = "The customer's account has insufficient funds to cover this payment."
        _fail(state, intent, charge, account, "insufficient_funds", message, None, "api_error")
    return charge


def _new_charge(
    state: StripeState,
    intent: dict[str, Any],
    account: str | None,
    method: dict[str, Any],
    billing: dict[str, Any],
    *,
    prefix: str,
) -> dict[str, Any]:
    charge_id = ids.object_id(prefix)
    transfer = intent["transfer_data"]
    token = ids.link_token()
    state.links[token] = HostedLink(token, "receipt", charge_id, expires_at=0)
    charge = {
        "id": charge_id,
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": 0,
        "amount_refunded": 0,
        "application": intent["application"],
        "application_fee": None,
        "application_fee_amount": intent["application_fee_amount"],
        "balance_transaction": None,
        "billing_details": {
            "address": {
                "city": None,
                "country": billing.get("country"),
                "line1": None,
                "line2": None,
                "postal_code": billing.get("postal_code"),
                "state": None,
            },
            "email": billing.get("email"),
            "name": billing.get("name"),
            "phone": None,
            "tax_id": None,
        },
        "calculated_statement_descriptor": "BILLING BOT",
        "captured": False,
        "created": state.now(),
        "currency": intent["currency"],
        "customer": None,
        "description": intent["description"],
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "fraud_details": {},
        "livemode": False,
        "metadata": {},
        "on_behalf_of": intent["on_behalf_of"],
        "outcome": None,
        "paid": False,
        "payment_intent": intent["id"],
        "payment_method": ids.object_id("pm"),
        "payment_method_details": method,
        "receipt_email": intent["receipt_email"],
        "receipt_number": None,
        "receipt_url": f"{state.base_url}/receipts/payment/{token}",
        "refunded": False,
        "review": None,
        "shipping": None,
        "source_transfer": None,
        "statement_descriptor": intent["statement_descriptor"],
        "statement_descriptor_suffix": intent["statement_descriptor_suffix"],
        "status": "failed",
        "transfer": None,
        "transfer_data": (
            {"amount": transfer.get("amount"), "destination": transfer["destination"]}
            if transfer
            else None
        ),
        "transfer_group": intent["transfer_group"],
    }
    return state.add(charge, account)


def _succeed(
    state: StripeState, intent: dict[str, Any], charge: dict[str, Any], account: str | None
) -> None:
    charge.update(
        amount_captured=charge["amount"],
        balance_transaction=ids.object_id("txn"),
        captured=True,
        outcome={
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "risk_score": 32,
            "seller_message": "Payment complete.",
            "type": "authorized",
        },
        paid=True,
        status="succeeded",
    )
    if charge["application_fee_amount"]:
        charge["application_fee"] = ids.object_id("fee")
    if charge["transfer_data"]:
        charge["transfer"] = ids.object_id("tr")
    intent.update(
        amount_received=intent["amount"],
        last_payment_error=None,
        latest_charge=charge["id"],
        payment_method=charge["payment_method"],
        status="succeeded",
    )
    state.emit("charge.succeeded", charge, account)
    state.emit("payment_intent.succeeded", intent, account)


def _fail(
    state: StripeState,
    intent: dict[str, Any],
    charge: dict[str, Any],
    account: str | None,
    code: str,
    message: str,
    decline_code: str | None,
    error_type: str,
) -> None:
    charge.update(
        failure_code=code,
        failure_message=message,
        outcome={
            "network_status": "declined_by_network",
            "reason": decline_code,
            "risk_level": "normal",
            "risk_score": 32,
            "seller_message": "The bank did not return any further details with this decline.",
            "type": "issuer_declined",
        },
        paid=False,
        status="failed",
    )
    error: dict[str, Any] = {
        "charge": charge["id"],
        "code": code,
        "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
        "message": message,
        "payment_method": {"id": charge["payment_method"], "object": "payment_method"},
        "type": error_type,
    }
    if decline_code is not None:
        error["decline_code"] = decline_code
    intent.update(
        last_payment_error=error,
        latest_charge=charge["id"],
        payment_method=None,
        status="requires_payment_method",
    )
    state.emit("charge.failed", charge, account)
    state.emit("payment_intent.payment_failed", intent, account)


def _bank_details(method_type: str) -> dict[str, Any]:
    fingerprint = ids.object_id("x")[2:18]
    if method_type == "us_bank_account":
        return {
            "account_holder_type": "individual",
            "account_type": "checking",
            "bank_name": "STRIPE TEST BANK",
            "fingerprint": fingerprint,
            "last4": "6789",
            "routing_number": "110000000",
        }
    if method_type == "sepa_debit":
        return {
            "bank_code": "37040044",
            "branch_code": None,
            "country": "DE",
            "fingerprint": fingerprint,
            "last4": "3000",
            "mandate": ids.object_id("mandate"),
        }
    return {
        "fingerprint": fingerprint,
        "last4": "2345",
        "mandate": ids.object_id("mandate"),
        "sort_code": "108800",
    }


# -- refunds ---------------------------------------------------------------------------------

REFUND = Params(
    {
        "amount": Int(minimum=1),
        "charge": Str(),
        "metadata": Metadata(),
        "payment_intent": Str(),
        "reason": Str(choices=("duplicate", "fraudulent", "requested_by_customer")),
        "refund_application_fee": Bool(),
        "reverse_transfer": Bool(),
        **unsupported("customer", "instructions_email", "origin"),
    }
)


def create_refund_call(call: Call) -> dict[str, Any]:
    """``POST /v1/refunds`` with ``charge`` or ``payment_intent``; no ``amount``: all of it."""
    params = REFUND.validate(call.params)
    if "charge" in params and "payment_intent" in params:
        raise invalid("You may only specify one of these parameters: charge, payment_intent.")
    if "payment_intent" in params:
        intent = call.state.find(
            params["payment_intent"], "payment_intent", call.account, param="payment_intent"
        )
        if intent["status"] != "succeeded":
            raise invalid(
                "This PaymentIntent does not have a successful charge to refund.",
                param="payment_intent",
            )
        charge = call.state.find(intent["latest_charge"], "charge", call.account)
    elif "charge" in params:
        charge = call.state.find(params["charge"], "charge", call.account, param="charge")
    else:
        raise StripeError(
            400,
            "One of the following params should be provided for this request: payment_intent"
            " or charge.",
            code="parameter_missing",
        )
    refund = refund_charge(
        call.state,
        charge,
        call.account,
        params.get("amount"),
        reason=params.get("reason"),
        metadata=params.get("metadata", {}),
        reverse_transfer=params.get("reverse_transfer", False),
    )
    return copy.deepcopy(refund)


def refund_charge(
    state: StripeState,
    charge: dict[str, Any],
    account: str | None,
    amount: int | None,
    *,
    reason: str | None = None,
    metadata: dict[str, str] | None = None,
    reverse_transfer: bool = False,
) -> dict[str, Any]:
    """Refund `amount` (all that is left if None) of `charge`; sends ``refund.created`` and
    ``charge.refunded``. Raises `StripeError` as Stripe refuses refunds."""
    if charge["status"] != "succeeded":
        raise invalid(
            f"Charge {charge['id']} has not succeeded, so it cannot be refunded.", param="charge"
        )
    if charge["disputed"]:
        raise invalid(
            f"Charge {charge['id']} has been charged back; cannot issue a refund.",
            code="charge_disputed",
            param="charge",
        )
    remaining = charge["amount"] - charge["amount_refunded"]
    if remaining == 0:
        raise invalid(
            f"Charge {charge['id']} has already been refunded.",
            code="charge_already_refunded",
            param="charge",
        )
    amount = remaining if amount is None else amount
    if amount > remaining:
        raise invalid(
            f"Refund amount ({display(amount, charge['currency'])}) is greater than unrefunded"
            f" amount on charge ({display(remaining, charge['currency'])})",
            param="amount",
        )
    method_type = charge["payment_method_details"]["type"]
    refund = {
        "id": ids.object_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": ids.object_id("txn"),
        "charge": charge["id"],
        "created": state.now(),
        "currency": charge["currency"],
        "destination_details": {
            method_type: {"reference": None, "reference_status": "pending", "type": "refund"}
            if method_type == "card"
            else {},
            "type": method_type,
        },
        "metadata": dict(metadata or {}),
        "payment_intent": charge["payment_intent"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": ids.object_id("trr") if reverse_transfer else None,
    }
    state.add(refund, account)
    previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charge["amount"]
    state.emit("refund.created", refund, account)
    state.emit("charge.refunded", charge, account, previous)
    return refund


def _refunds_of(state: StripeState, charge: dict[str, Any]) -> dict[str, Any]:
    account = state.stored(charge["id"]).account
    refunds = [r for r in state.all_of("refund", account) if r["charge"] == charge["id"]]
    return page(refunds, {"limit": 100}, f"/v1/charges/{charge['id']}/refunds")


VIRTUAL[("charge", "refunds")] = _refunds_of


# -- disputes --------------------------------------------------------------------------------


def open_dispute(
    state: StripeState, charge: dict[str, Any], account: str | None, reason: str, amount: int | None
) -> dict[str, Any]:
    """The cardholder's bank disputes `charge`: ``charge.dispute.created``."""
    if reason not in DISPUTE_REASONS:
        raise ValueError(f"{reason!r} is not one of Stripe's dispute reasons {DISPUTE_REASONS}")
    if charge["status"] != "succeeded" or charge["disputed"]:
        raise LookupError(f"charge {charge['id']} cannot be disputed (status, or disputed)")
    now = state.now()
    dispute = {
        "id": ids.object_id("dp"),
        "object": "dispute",
        "amount": charge["amount"] if amount is None else amount,
        "balance_transactions": [],
        "charge": charge["id"],
        "created": now,
        "currency": charge["currency"],
        "evidence": dict.fromkeys(
            (
                "customer_communication",
                "customer_email_address",
                "customer_name",
                "product_description",
                "receipt",
                "refund_policy",
                "service_date",
                "service_documentation",
                "uncategorized_text",
            )
        ),
        "evidence_details": {
            "due_by": now + 7 * 86400,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": charge["payment_intent"],
        "payment_method_details": {
            "card": {"brand": "visa", "case_type": "chargeback", "network_reason_code": "10.4"},
            "type": "card",
        },
        "reason": reason,
        "status": "needs_response",
    }
    state.add(dispute, account)
    charge["disputed"] = True
    state.emit("charge.dispute.created", dispute, account)
    return dispute


def close_dispute(
    state: StripeState, dispute: dict[str, Any], account: str | None, *, won: bool
) -> dict[str, Any]:
    """The bank decides: ``charge.dispute.closed`` with status ``won`` or ``lost``."""
    previous = {"status": dispute["status"]}
    dispute["status"] = "won" if won else "lost"
    state.emit("charge.dispute.closed", dispute, account, previous)
    return dispute


# -- reading ---------------------------------------------------------------------------------


def retrieve_intent(call: Call) -> dict[str, Any]:
    Params().validate(call.params)
    found = call.state.find(call.args[0], "payment_intent", call.account, param="intent")
    return copy.deepcopy(found)


def retrieve_charge(call: Call) -> dict[str, Any]:
    Params().validate(call.params)
    return copy.deepcopy(call.state.find(call.args[0], "charge", call.account, param="charge"))


def retrieve_refund(call: Call) -> dict[str, Any]:
    Params().validate(call.params)
    return copy.deepcopy(call.state.find(call.args[0], "refund", call.account, param="refund"))


def list_refunds(call: Call) -> dict[str, Any]:
    params = Params({**PAGING, "charge": Str(), "payment_intent": Str()}).validate(call.params)
    refunds = [
        refund
        for refund in call.state.all_of("refund", call.account)
        if in_range(refund["created"], params.get("created"))
        and params.get("charge", refund["charge"]) == refund["charge"]
        and params.get("payment_intent", refund["payment_intent"]) == refund["payment_intent"]
    ]
    return page(refunds, params, "/v1/refunds")
