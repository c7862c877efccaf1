"""What the hosted pages do when a person opens or submits them.

- ``/c/pay/{session}``: Checkout. GET shows the form; POST pays by card (paid → 303 to
  ``success_url``; declined → the form again, 402, saying why, the session still open) or
  starts a bank debit (→ 303 to ``success_url``, payment pending).
- ``/setup/e/{account}/{token}``: an Account Link. GET shows onboarding once; opening it
  again, or after it expired, redirects to ``refresh_url`` as Stripe does. POST finishes
  onboarding (or saves for later) and redirects 303 to ``return_url``.
- ``/express/{account}/{token}``: a login link into the Express dashboard, single use.
- ``/receipts/payment/{token}``: a charge's ``receipt_url``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sandbox.stripe import accounts, checkout, pages
from sandbox.stripe.errors import StripeError
from sandbox.stripe.payments import CardInputError, read_card
from sandbox.stripe.state import HostedLink, StripeState

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class PageAnswer:
    status: int
    html: str = ""
    location: str | None = None


def _redirect(url: str) -> PageAnswer:
    return PageAnswer(303, location=url)


def _not_found(what: str) -> PageAnswer:
    return PageAnswer(404, pages.notice("Page not found", f"There is no {what} at this address."))


def checkout_page(
    state: StripeState, session_id: str, method: str, form: Mapping[str, str]
) -> PageAnswer:
    try:
        session = checkout.session_for_page(state, session_id)
    except StripeError:
        return _not_found("checkout session")
    merchant = checkout.merchant_name(state, session_id)
    if session["status"] != "open":
        return _closed(session)
    items = state.stored(session_id).private["line_items"]
    if method != "POST":
        return PageAnswer(200, pages.checkout(session, merchant, items))
    values = {
        name: form.get(name, "").strip()
        for name in ("email", "card_number", "expiry", "cvc", "name")
    }
    email = values["email"] or None
    try:
        if form.get("method", "card") != "card":
            if form["method"] not in session["payment_method_types"]:
                page = pages.checkout(session, merchant, items, notice="Pay by card instead.")
                return PageAnswer(400, page)
            done = checkout.start_async_payment(state, session_id, email=email)
            return _after_payment(done, merchant)
        errors = _check_email(session["customer_email"], values["email"])
        today = datetime.fromtimestamp(state.now(), UTC).date()
        try:
            card = read_card(values["card_number"], values["expiry"], values["cvc"], today)
        except CardInputError as wrong:
            errors[wrong.field] = wrong.message
        if errors:
            page = pages.checkout(session, merchant, items, values=values, errors=errors)
            return PageAnswer(400, page)
        payment = checkout.pay_by_card(
            state, session_id, card, email=email, name=values["name"] or None
        )
    except checkout.CheckoutClosed:
        return _closed(checkout.session_for_page(state, session_id))
    if payment.paid:
        return _after_payment(payment.session, merchant)
    page = pages.checkout(payment.session, merchant, items, values=values, notice=payment.message)
    return PageAnswer(402, page)


def _check_email(customer_email: str | None, typed: str) -> dict[str, str]:
    if customer_email:
        return {}
    if not typed:
        return {"email": "Your email is incomplete."}
    if not _EMAIL.match(typed):
        return {"email": "Your email address is invalid."}
    return {}


def _after_payment(session: Mapping[str, object], merchant: str) -> PageAnswer:
    url = checkout.success_url(dict(session))
    if url:
        return _redirect(url)
    return PageAnswer(200, pages.notice("Thanks for your payment", f"{merchant} has received it."))


def _closed(session: Mapping[str, object]) -> PageAnswer:
    if session["status"] == "complete":
        url = checkout.success_url(dict(session))
        link = (url, "Return to the merchant's site") if url else None
        return PageAnswer(
            200, pages.notice("This payment is complete", "Nothing more to pay here.", link=link)
        )
    cancel = session["cancel_url"]
    link = (str(cancel), "Return to the merchant's site") if cancel else None
    return PageAnswer(
        410,
        pages.notice(
            "This checkout session has expired",
            "Ask for a new payment link to pay.",
            link=link,
        ),
    )


def onboarding_page(
    state: StripeState, account_id: str, token: str, method: str, form: Mapping[str, str]
) -> PageAnswer:
    with state.lock:
        link = _link(state, token, "onboarding", account_id)
        account = accounts.connected(state, account_id)
        if link is None or account is None:
            return _not_found("onboarding link")
        assert link.refresh_url is not None and link.return_url is not None
        if method != "POST":
            if link.opened or state.now() >= link.expires_at:
                return _redirect(link.refresh_url)
            link.opened = True
            platform = str(state.platform["business_profile"]["name"])
            return PageAnswer(200, pages.onboarding(account, platform))
        if link.finished or not link.opened:
            return _redirect(link.refresh_url)
        link.finished = True
        if form.get("action") == "finish":
            accounts.complete_onboarding(state, account_id)
        return _redirect(link.return_url)


def dashboard_page(state: StripeState, account_id: str, token: str) -> PageAnswer:
    with state.lock:
        link = _link(state, token, "dashboard", account_id)
        account = accounts.connected(state, account_id)
        if link is None or account is None:
            return _not_found("dashboard link")
        if link.opened or state.now() >= link.expires_at:
            return PageAnswer(
                410,
                pages.notice(
                    "This login link has expired", "Ask the platform for a new login link."
                ),
            )
        link.opened = True
        return PageAnswer(200, pages.dashboard(account, state.all_of("charge", account_id)))


def receipt_page(state: StripeState, token: str) -> PageAnswer:
    with state.lock:
        link = state.links.get(token)
        if link is None or link.kind != "receipt":
            return _not_found("receipt")
        stored = state.stored(link.subject)
        merchant = checkout.business_name(state, stored.account or stored.obj["on_behalf_of"])
        return PageAnswer(200, pages.receipt(stored.obj, merchant))


def _link(state: StripeState, token: str, kind: str, subject: str) -> HostedLink | None:
    link = state.links.get(token)
    if link is None or link.kind != kind or link.subject != subject:
        return None
    return link
