"""The v1 API's request pipeline and routes: what happens to a request before and after its
handler, in the order Stripe does it.

1. ``Authorization: Bearer sk_test_…`` must be the stand-in's secret key (else 401);
2. a fault switch may answer 429 or 500 instead (`Faults`);
3. ``Stripe-Account`` must name a connected account the platform still has access to
   (else 403); the request then acts as that account;
4. the form-encoded parameters are decoded; ``expand[]`` is set aside;
5. a POST's ``Idempotency-Key`` (per account) seen before replays the stored answer with
   ``Idempotent-Replayed: true``, or is refused with 400 ``idempotency_error`` if the
   method, path or parameters differ;
6. the handler runs under the state's lock and its answer is expanded.

Only successful answers are stored for replay, so a request refused for its parameters, its
key or a simulated fault can be retried with the same key. (Stripe also stores the errors of
requests that got as far as executing; the stand-in does not tell those apart.)
"""

from __future__ import annotations

import copy
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sandbox.stripe import accounts, checkout, events, ids, listing, payments
from sandbox.stripe.api_call import Call, Handler
from sandbox.stripe.errors import StripeError, no_access, redacted
from sandbox.stripe.faults import FaultKind, Faults
from sandbox.stripe.params import EXPAND, decode
from sandbox.stripe.state import IdempotentResult, RecordedRequest, StripeState

_log = logging.getLogger(__name__)
_ID = r"([A-Za-z0-9_]+)"
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    (method, re.compile(f"^{pattern}$"), handler)
    for method, pattern, handler in (
        ("POST", "/v1/accounts", accounts.create),
        ("GET", "/v1/account", accounts.retrieve_current),
        ("GET", f"/v1/accounts/{_ID}", accounts.retrieve),
        ("POST", f"/v1/accounts/{_ID}", accounts.update),
        ("POST", f"/v1/accounts/{_ID}/login_links", accounts.create_login_link),
        ("POST", "/v1/account_links", accounts.create_link),
        ("POST", "/v1/checkout/sessions", checkout.create),
        ("GET", "/v1/checkout/sessions", checkout.list_sessions),
        ("GET", f"/v1/checkout/sessions/{_ID}", checkout.retrieve),
        ("GET", f"/v1/checkout/sessions/{_ID}/line_items", checkout.list_line_items),
        ("POST", f"/v1/checkout/sessions/{_ID}/expire", checkout.expire_call),
        ("GET", f"/v1/payment_intents/{_ID}", payments.retrieve_intent),
        ("GET", f"/v1/charges/{_ID}", payments.retrieve_charge),
        ("POST", "/v1/refunds", payments.create_refund_call),
        ("GET", "/v1/refunds", payments.list_refunds),
        ("GET", f"/v1/refunds/{_ID}", payments.retrieve_refund),
        ("GET", "/v1/events", events.list_events),
        ("GET", f"/v1/events/{_ID}", events.retrieve),
    )
]


@dataclass(frozen=True)
class ApiRequest:
    """One request to ``/v1/``; `headers` has lower-case names."""

    method: str
    path: str
    headers: Mapping[str, str]
    pairs: Sequence[tuple[str, str]]


@dataclass(frozen=True)
class ApiAnswer:
    """The status, JSON body and headers to send, after waiting `delay` seconds."""

    status: int
    body: str
    headers: dict[str, str]
    delay: float


def answer(state: StripeState, faults: Faults, request: ApiRequest) -> ApiAnswer:
    """Everything the stand-in does with one API request; see the module docstring."""
    request_id = ids.request_id()
    key = request.headers.get("idempotency-key") if request.method == "POST" else None
    headers = {
        "Request-Id": request_id,
        "Stripe-Version": request.headers.get("stripe-version") or state.api_version,
    }
    if key:
        headers["Idempotency-Key"] = key
    fault, delay = faults.take(request.path)
    params: dict[str, Any] = {}
    account: str | None = None
    replayed = False
    with state.lock:
        try:
            _authenticate(state, request.headers.get("authorization"))
            if fault is not None:
                raise _simulated(fault)
            account = _acting_account(state, request.headers.get("stripe-account"))
            params = decode(request.pairs)
            status, body, replayed = _handle(state, request, account, params, key, request_id)
        except StripeError as error:
            status, body = error.status, error.body()
        except Exception as failure:
            # A bug of the stand-in: answered as Stripe answers its own failures, so the SDK
            # raises APIError naming it, and logged with its traceback.
            _log.exception("the Stripe stand-in failed on %s %s", request.method, request.path)
            status = 500
            body = StripeError(
                500, f"The Stripe stand-in failed: {failure!r}", type="api_error"
            ).body()
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        if account is not None:
            headers["Stripe-Account"] = account
        state.requests.append(
            RecordedRequest(
                request.method,
                request.path,
                account,
                key,
                params,
                status,
                replayed,
                request_id,
                body,
            )
        )
        state.touch()
        return ApiAnswer(status, json.dumps(body, indent=2), headers, delay)


def _handle(
    state: StripeState,
    request: ApiRequest,
    account: str | None,
    params: dict[str, Any],
    key: str | None,
    request_id: str,
) -> tuple[int, dict[str, Any], bool]:
    checkout.expire_due(state)
    handler, args = _route(request.method, request.path)
    fingerprint = json.dumps([request.method, request.path, params], sort_keys=True)
    if key:
        previous = state.idempotency.get((account, key))
        if previous is not None:
            if previous.fingerprint != fingerprint:
                raise StripeError(
                    400,
                    "Keys for idempotent requests can only be used with the same parameters they"
                    f" were first used with. Try using a key other than '{key}' if you meant to"
                    " execute a different request.",
                    type="idempotency_error",
                )
            return previous.status, copy.deepcopy(previous.body), True
    handler_params = dict(params)
    expand = EXPAND.check(handler_params.pop("expand"), "expand") if "expand" in params else []
    state.current_request = (request_id, key)
    try:
        body = handler(Call(state, account, handler_params, args))
    finally:
        state.current_request = None
    body = listing.expand(state, body, expand, account)
    if key:
        state.idempotency[(account, key)] = IdempotentResult(fingerprint, 200, copy.deepcopy(body))
    return 200, body, False


def _route(method: str, path: str) -> tuple[Handler, tuple[str, ...]]:
    for route_method, pattern, handler in ROUTES:
        match = pattern.match(path)
        if match and route_method == method:
            return handler, match.groups()
    raise StripeError(
        404,
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or"
        " we can help at https://support.stripe.com/.",
    )


def _authenticate(state: StripeState, authorization: str | None) -> None:
    kind, _, key = (authorization or "").partition(" ")
    if kind.lower() != "bearer" or not key.strip():
        raise StripeError(
            401,
            "You did not provide an API key. You need to provide your API key in the"
            " Authorization header, using Bearer auth (e.g. 'Authorization: Bearer"
            " YOUR_SECRET_KEY').",
        )
    if key.strip() != state.secret_key:
        raise StripeError(401, f"Invalid API Key provided: {redacted(key.strip())}")


def _acting_account(state: StripeState, header: str | None) -> str | None:
    if not header or header == state.platform["id"]:
        return None
    if accounts.connected(state, header) is None:
        raise no_access(header, state.secret_key)
    return header


def _simulated(fault: FaultKind) -> StripeError:
    if fault == "rate_limit":
        return StripeError(
            429,
            "Request rate limit exceeded. You can learn more about rate limits here"
            " https://stripe.com/docs/rate-limits.",
            code="rate_limit",
        )
    return StripeError(
        500,
        "An unknown error occurred (a simulated outage of the Stripe stand-in).",
        type="api_error",
    )
