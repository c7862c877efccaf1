"""Connect Express accounts: creating, reading and updating them, Account Links into
onboarding, login links into the Express dashboard, and what changes an account's state
(finishing onboarding, new requirements, the platform being disconnected).

A new account is in the state Stripe leaves a fresh Express account in: nothing submitted,
charges and payouts disabled, ``requirements.currently_due`` (and ``past_due``) listing what
onboarding asks for, ``disabled_reason`` ``requirements.past_due``. Finishing onboarding on
the stand-in's page clears them and sends ``account.updated``.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from babel import Locale
from babel.numbers import get_territory_currencies

from sandbox.stripe import ids
from sandbox.stripe.api_call import Call
from sandbox.stripe.errors import StripeError, invalid, no_access
from sandbox.stripe.params import Bool, Metadata, Params, Str, unsupported
from sandbox.stripe.state import HostedLink, StripeState, previous_attributes

#: Stripe's lifetime of an Account Link.
ACCOUNT_LINK_SECONDS = 300
CAPABILITIES = (
    "acss_debit_payments",
    "bacs_debit_payments",
    "card_payments",
    "link_payments",
    "sepa_debit_payments",
    "transfers",
    "us_bank_account_ach_payments",
)
#: What onboarding asks an Express account for before it may charge and be paid out.
ONBOARDING_REQUIREMENTS = (
    "business_profile.mcc",
    "business_profile.url",
    "business_type",
    "external_account",
    "individual.address.city",
    "individual.address.line1",
    "individual.address.postal_code",
    "individual.dob.day",
    "individual.dob.month",
    "individual.dob.year",
    "individual.email",
    "individual.first_name",
    "individual.last_name",
    "individual.phone",
    "tos_acceptance.date",
    "tos_acceptance.ip",
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https?://[^\s/]+(/\S*)?$")
_COUNTRIES = frozenset(
    str(code) for code in Locale("en").territories if re.fullmatch("[A-Z]{2}", str(code))
)

_BUSINESS_PROFILE = Params(
    {
        "mcc": Str(max_length=4),
        "name": Str(),
        "product_description": Str(),
        "support_email": Str(),
        "support_phone": Str(),
        "support_url": Str(),
        "url": Str(),
    }
)
_CHANGEABLE = {
    "business_profile": _BUSINESS_PROFILE,
    "business_type": Str(choices=("company", "government_entity", "individual", "non_profit")),
    "capabilities": Params({name: Params({"requested": Bool()}) for name in CAPABILITIES}),
    "default_currency": Str(),
    "email": Str(),
    "metadata": Metadata(),
    **unsupported("company", "individual", "external_account", "settings", "tos_acceptance"),
}
CREATE = Params(
    {
        "type": Str(required=True, choices=("custom", "express", "standard")),
        "country": Str(),
        **_CHANGEABLE,
        **unsupported("controller"),
    }
)
UPDATE = Params(_CHANGEABLE)
LINK = Params(
    {
        "account": Str(required=True),
        "type": Str(required=True, choices=("account_onboarding", "account_update")),
        "refresh_url": Str(required=True),
        "return_url": Str(required=True),
        "collect": Str(choices=("currently_due", "eventually_due")),
        **unsupported("collection_options"),
    }
)


# -- API handlers ----------------------------------------------------------------------------


def create(call: Call) -> dict[str, Any]:
    """``POST /v1/accounts``: a new Express account of the platform."""
    params = CREATE.validate(call.params)
    if call.account is not None:
        raise invalid("A connected account cannot create connected accounts.")
    if params["type"] != "express":
        raise invalid(
            "The Stripe stand-in creates only Express accounts (type=express).", param="type"
        )
    country = params.get("country", "US")
    if country not in _COUNTRIES:
        raise invalid(
            f"Country '{country}' is unknown. Try using a 2-character alphanumeric country"
            " code instead, such as 'US', 'EG', or 'GB'.",
            param="country",
        )
    account = _new_account(call.state, country)
    _apply(account, params)
    return copy.deepcopy(call.state.add(account, None, deauthorized=False))


def retrieve(call: Call) -> dict[str, Any]:
    """``GET /v1/accounts/{id}``: the platform may read its accounts, an account itself."""
    Params().validate(call.params)
    return copy.deepcopy(_readable(call, call.args[0]))


def retrieve_current(call: Call) -> dict[str, Any]:
    """``GET /v1/account``: the account the request acts as."""
    Params().validate(call.params)
    if call.account is None:
        return copy.deepcopy(call.state.platform)
    return copy.deepcopy(_readable(call, call.account))


def update(call: Call) -> dict[str, Any]:
    """``POST /v1/accounts/{id}``; sends ``account.updated`` when anything changed."""
    params = UPDATE.validate(call.params)
    account = _readable(call, call.args[0])
    before = copy.deepcopy(account)
    _apply(account, params)
    if account != before:
        call.state.emit(
            "account.updated", account, account["id"], previous_attributes(before, account)
        )
    return copy.deepcopy(account)


def create_link(call: Call) -> dict[str, Any]:
    """``POST /v1/account_links``: a single-use URL into the stand-in's onboarding page."""
    params = LINK.validate(call.params)
    if call.account is not None:
        raise invalid("Account Links are created by the platform, without Stripe-Account.")
    account = _readable(call, params["account"], param="account")
    if params["type"] == "account_update":
        raise invalid(
            "You cannot create `account_update` type Account Links for Express accounts.",
            param="type",
        )
    for name in ("refresh_url", "return_url"):
        check_url(params[name], name)
    state = call.state
    now = state.now()
    token = ids.link_token()
    state.links[token] = HostedLink(
        token,
        "onboarding",
        account["id"],
        now + ACCOUNT_LINK_SECONDS,
        refresh_url=params["refresh_url"],
        return_url=params["return_url"],
    )
    return {
        "object": "account_link",
        "created": now,
        "expires_at": now + ACCOUNT_LINK_SECONDS,
        "url": f"{state.base_url}/setup/e/{account['id']}/{token}",
    }


def create_login_link(call: Call) -> dict[str, Any]:
    """``POST /v1/accounts/{id}/login_links``: into the stand-in's Express dashboard."""
    Params().validate(call.params)
    if call.account is not None:
        raise invalid("Login links are created by the platform, without Stripe-Account.")
    account = _readable(call, call.args[0], param="account")
    if not account["details_submitted"]:
        raise invalid(
            "Cannot create a login link for an account that has not completed onboarding.",
            param="account",
        )
    state = call.state
    token = ids.link_token()
    state.links[token] = HostedLink(token, "dashboard", account["id"], state.now() + 300)
    return {
        "object": "login_link",
        "created": state.now(),
        "url": f"{state.base_url}/express/{account['id']}/{token}",
    }


# -- what changes an account -------------------------------------------------------------------


def connected(state: StripeState, account_id: str) -> dict[str, Any] | None:
    """The platform's live connected account `account_id`, or None (unknown, disconnected)."""
    with state.lock:
        stored = state.objects.get(account_id)
        if stored is None or stored.obj["object"] != "account":
            return None
        if stored.private.get("deauthorized"):
            return None
        return stored.obj


def complete_onboarding(state: StripeState, account_id: str) -> dict[str, Any]:
    """What submitting every onboarding step does: details in, charges and payouts on."""
    with state.lock:
        account = _live(state, account_id)
        before = copy.deepcopy(account)
        now = state.now()
        account.update(details_submitted=True, charges_enabled=True, payouts_enabled=True)
        account["requirements"] = _requirements()
        account["capabilities"] = {name: "active" for name in account["capabilities"]}
        if account["tos_acceptance"]["date"] is None:
            account["tos_acceptance"] = {"date": now, "ip": "127.0.0.1", "user_agent": None}
        if account["business_type"] is None:
            account["business_type"] = "individual"
        if not account["external_accounts"]["data"]:
            account["external_accounts"]["data"].append(_bank_account(account))
            account["external_accounts"]["total_count"] = 1
        if account != before:
            state.emit("account.updated", account, account_id, previous_attributes(before, account))
        return copy.deepcopy(account)


def set_requirements(
    state: StripeState,
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
    """Change what Stripe asks of the account (e.g. a document after a payout), as its risk
    and verification reviews do, and send ``account.updated``. Lists not given are kept."""
    with state.lock:
        account = _live(state, account_id)
        before = copy.deepcopy(account)
        requirements = account["requirements"]
        for name, value in (
            ("currently_due", currently_due),
            ("past_due", past_due),
            ("eventually_due", eventually_due),
            ("pending_verification", pending_verification),
        ):
            if value is not None:
                requirements[name] = list(value)
        requirements["disabled_reason"] = disabled_reason
        requirements["current_deadline"] = current_deadline
        if charges_enabled is not None:
            account["charges_enabled"] = charges_enabled
        if payouts_enabled is not None:
            account["payouts_enabled"] = payouts_enabled
        if account != before:
            state.emit("account.updated", account, account_id, previous_attributes(before, account))
        return copy.deepcopy(account)


def deauthorize(state: StripeState, account_id: str) -> dict[str, Any]:
    """The account disconnects the platform: its key loses access and the platform hears
    ``account.application.deauthorized`` (the last event it gets from that account)."""
    with state.lock:
        _live(state, account_id)
        event = state.emit("account.application.deauthorized", state.application, account_id)
        state.stored(account_id).private["deauthorized"] = True
        return copy.deepcopy(event)


# -- helpers ---------------------------------------------------------------------------------


def _readable(call: Call, account_id: str, *, param: str = "account") -> dict[str, Any]:
    # An account reads itself; the platform reads its accounts. Anything else (unknown,
    # another platform's, disconnected) is answered as Stripe does: this key has no access.
    account = connected(call.state, account_id)
    if account is None or call.account not in (None, account_id):
        raise no_access(account_id, call.state.secret_key)
    return account


def _live(state: StripeState, account_id: str) -> dict[str, Any]:
    account = connected(state, account_id)
    if account is None:
        raise LookupError(f"no connected account {account_id} (or it was disconnected)")
    return account


def check_url(url: str, param: str) -> None:
    if not _URL.match(url):
        raise invalid("Not a valid URL", param=param)


def _apply(account: dict[str, Any], params: dict[str, Any]) -> None:
    if "email" in params:
        if params["email"] and not _EMAIL.match(params["email"]):
            raise invalid(f"Invalid email address: {params['email']}", param="email")
        account["email"] = params["email"] or None
    for name, value in params.get("business_profile", {}).items():
        if name in ("url", "support_url") and value:
            check_url(value, f"business_profile[{name}]")
        account["business_profile"][name] = value or None
    if "business_type" in params:
        account["business_type"] = params["business_type"]
    if "default_currency" in params:
        account["default_currency"] = params["default_currency"].lower()
    for name, wanted in params.get("capabilities", {}).items():
        if wanted.get("requested"):
            account["capabilities"].setdefault(name, "inactive")
        else:
            account["capabilities"].pop(name, None)
    if "metadata" in params:
        metadata = params["metadata"]
        account["metadata"] = {} if not metadata else {**account["metadata"], **metadata}
        account["metadata"] = {k: v for k, v in account["metadata"].items() if v != ""}
    _drop_provided(account)


def _drop_provided(account: dict[str, Any]) -> None:
    provided = {
        "business_profile.mcc": account["business_profile"]["mcc"],
        "business_profile.url": account["business_profile"]["url"],
        "business_type": account["business_type"],
    }
    requirements = account["requirements"]
    for name in ("currently_due", "eventually_due", "past_due"):
        requirements[name] = [item for item in requirements[name] if not provided.get(item)]


def _requirements(due: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": list(due),
        "disabled_reason": "requirements.past_due" if due else None,
        "errors": [],
        "eventually_due": list(due),
        "past_due": list(due),
        "pending_verification": [],
    }


def _new_account(state: StripeState, country: str) -> dict[str, Any]:
    account_id = ids.account_id()
    currencies = get_territory_currencies(country, tender=True)
    return {
        "id": account_id,
        "object": "account",
        "business_profile": {
            "annual_revenue": None,
            "estimated_worker_count": None,
            "mcc": None,
            "name": None,
            "product_description": None,
            "support_address": None,
            "support_email": None,
            "support_phone": None,
            "support_url": None,
            "url": None,
        },
        "business_type": None,
        "capabilities": {},
        "charges_enabled": False,
        "controller": {
            "fees": {"payer": "application"},
            "is_controller": True,
            "losses": {"payments": "application"},
            "requirement_collection": "stripe",
            "stripe_dashboard": {"type": "express"},
            "type": "application",
        },
        "country": country,
        "created": state.now(),
        "default_currency": (currencies[0] if currencies else "USD").lower(),
        "details_submitted": False,
        "email": None,
        "external_accounts": {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/accounts/{account_id}/external_accounts",
        },
        "future_requirements": _requirements(),
        "metadata": {},
        "payouts_enabled": False,
        "requirements": _requirements(ONBOARDING_REQUIREMENTS),
        "settings": {
            "dashboard": {"display_name": None, "timezone": "Etc/UTC"},
            "payments": {"statement_descriptor": None},
            "payouts": {
                "debit_negative_balances": True,
                "schedule": {"delay_days": 2, "interval": "daily"},
                "statement_descriptor": None,
            },
        },
        "tos_acceptance": {"date": None, "ip": None, "user_agent": None},
        "type": "express",
    }


def _bank_account(account: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": ids.object_id("ba"),
        "object": "bank_account",
        "account": account["id"],
        "account_holder_name": None,
        "account_holder_type": None,
        "bank_name": "STRIPE TEST BANK",
        "country": account["country"],
        "currency": account["default_currency"],
        "default_for_currency": True,
        "fingerprint": ids.object_id("x")[2:18],
        "last4": "6789",
        "metadata": {},
        "status": "new",
    }


def require_charges_enabled(state: StripeState, account_id: str) -> None:
    """Refuse to take payments for an account that may not charge yet."""
    account = connected(state, account_id)
    if account is not None and not account["charges_enabled"]:
        raise StripeError(
            400,
            "Your account cannot currently make charges. To find out why charge creation is"
            " currently disabled, look at the `requirements.disabled_reason` property on this"
            f" account (/v1/accounts/{account_id}).",
        )
