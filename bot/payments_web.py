"""Stripe's HTTP side of the app: the client's pay page, the webhook, and the onboarding
start, refresh and return pages an admin passes through."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

from flask import Flask, Response, jsonify, redirect, request
from werkzeug.wrappers import Response as WerkzeugResponse

from bot.edge.deps import BotDeps, Caller, PracticeNotInstalled, identify
from bot.edge.signed_links import InvalidLink, LinkSigner
from documents.render import message_html, not_found_html, pay_done_html, pay_page_html
from domain.errors import DomainError, NotFound, StaleEdit
from domain.online_payments import (
    InvalidWebhook,
    PaymentGatewayRefused,
    PaymentGatewayUnavailable,
    StripeEvent,
)
from domain.ports import InvoicePdfLookup, PaymentGateway
from domain.roles import NotPermitted, Role
from domain.usecases.card_payments import EventOutcome, apply_stripe_event
from domain.usecases.pay_links import (
    NotPayable,
    PayPage,
    PayPageState,
    PayUrls,
    pay_page,
    pay_page_logo,
    start_checkout,
)
from domain.usecases.stripe_setup import (
    StartStripeSetup,
    StripeNotConnected,
    refresh_stripe_status,
    start_stripe_setup,
    stripe_connection,
    stripe_dashboard_link,
)

log = logging.getLogger(__name__)

CONNECT_START = "/stripe/connect/start"
CONNECT_REFRESH = "/stripe/connect/refresh"
CONNECT_RETURN = "/stripe/connect/return"
CONNECT_DASHBOARD = "/stripe/connect/dashboard"
_SETUP_PURPOSE = "stripe-setup"
_RETURN_PURPOSE = "stripe-return"
# Stripe's webhooks are small JSON documents; a megabyte is far beyond any of them.
WEBHOOK_BODY_LIMIT = 1024 * 1024


def admin_link(signer: LinkSigner, base_url: str, purpose: str, team_id: str, user_id: str) -> str:
    """A signed link for one admin of one workspace: "setup" leads to Stripe's onboarding,
    "dashboard" to the Express dashboard; both are made when followed, since Stripe's
    links expire within minutes."""
    path = CONNECT_DASHBOARD if purpose == "dashboard" else CONNECT_START
    token = signer.sign(_SETUP_PURPOSE, {"team": team_id, "user": user_id})
    return f"{base_url}{path}?s={quote(token)}"


class WebhookGateway(PaymentGateway, Protocol):
    def verified_event(self, payload: bytes, signature: str | None) -> StripeEvent: ...


@dataclass(frozen=True)
class PaymentsSurface:
    deps: BotDeps
    gateway: WebhookGateway | None
    """None: no Stripe key is configured; pay pages offer no card payment."""
    signer: LinkSigner
    deliver_soon: Callable[[], None] = lambda: None
    """Wakes the outbox worker after a change enqueued side effects."""
    pdf_lookup: InvoicePdfLookup | None = None
    """Finds a client's stored PDF in one read; None: every download reads the records."""


def mount_payments(app: Flask, surface: PaymentsSurface) -> None:
    deps = surface.deps

    def html(body: str, status: int = 200) -> tuple[Response, int]:
        response = Response(body, content_type="text/html; charset=utf-8")
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response, status

    def show(page: PayPage, problem: str | None = None, status: int = 200) -> tuple[Response, int]:
        today = deps.env.today_at(page.practice)
        body = pay_page_html(
            page.practice,
            page.invoice,
            page.client,
            state=page.state.value,
            today=today,
            pay_action=f"/pay/{page.token}",
            # Absolute: it is the QR code a phone scans off the screen or the paper.
            pay_url=f"{deps.public_base_url}/pay/{page.token}",
            pdf_url=f"/pay/{page.token}/invoice.pdf",
            logo_url=_logo_url(page),
            problem=problem,
        )
        return html(body, status)

    @app.get("/pay/<token>")
    def pay(token: str) -> tuple[Response, int]:
        try:
            page = pay_page(token, deps.read())
        except NotFound:
            return html(not_found_html(), 404)
        return show(page)

    @app.post("/pay/<token>")
    def pay_now(token: str) -> WerkzeugResponse | tuple[Response, int]:
        try:
            page = pay_page(token, deps.read())
        except NotFound:
            return html(not_found_html(), 404)
        if surface.gateway is None:
            return show(page, "Card payment is not available right now.", 409)
        base = deps.public_base_url
        urls = PayUrls(
            success_url=f"{base}/pay/{token}/done?session_id={{CHECKOUT_SESSION_ID}}",
            cancel_url=f"{base}/pay/{token}",
        )
        try:
            url = start_checkout(token, urls, deps.uow(), deps.env, surface.gateway)
        except NotPayable as refused:
            return show(page, _not_payable_text(refused.state), 409)
        except PaymentGatewayRefused as refused:
            log.warning("checkout refused for invoice %s: %s", page.invoice.id, refused.code)
            return show(
                page,
                "Card payment is not available for this amount. Please contact "
                f"{page.practice.billing.name} to pay another way.",
                409,
            )
        except PaymentGatewayUnavailable:
            return show(
                page, "Card payment is unavailable right now. Please try again in a minute.", 503
            )
        return redirect(url, code=303)

    @app.get("/pay/<token>/logo")
    def pay_logo(token: str) -> tuple[Response, int]:
        logo = pay_page_logo(token, deps.read())
        if logo is None:
            return Response(status=404), 404
        response = Response(logo.content, content_type=logo.content_type)
        response.headers["Cache-Control"] = "private, max-age=3600"
        # An SVG logo is shown as an image, never run as a document.
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response, 200

    @app.get("/pay/<token>/done")
    def pay_done(token: str) -> tuple[Response, int]:
        try:
            page = pay_page(token, deps.read())
        except NotFound:
            return html(not_found_html(), 404)
        body = pay_done_html(
            page.practice,
            page.invoice,
            page.client,
            today=deps.env.today_at(page.practice),
            confirmed=page.state is PayPageState.PAID,
            page_url=f"/pay/{token}",
            logo_url=_logo_url(page),
        )
        return html(body)

    @app.post("/stripe/webhook")
    def stripe_webhook() -> tuple[Response, int]:
        if surface.gateway is None:
            return jsonify({"error": "Stripe is not configured on this server"}), 503
        payload = request.get_data(cache=False)
        try:
            event = surface.gateway.verified_event(payload, request.headers.get("Stripe-Signature"))
        except InvalidWebhook as invalid:
            log.warning("stripe webhook refused: %s", invalid)
            return jsonify({"error": str(invalid)}), 400
        ids = (event.id, event.type)
        try:
            outcome = apply_stripe_event(event, deps.uow(), deps.env, surface.gateway)
        except StaleEdit:
            # Another delivery changed the same invoice or account at the same moment and
            # this transaction was rolled back whole: a non-2xx answer makes Stripe send the
            # event again, and then it applies over the other's change.
            log.warning("stripe event %s %s: concurrent change, left to Stripe's retry", *ids)
            return jsonify({"error": "changed concurrently; send it again"}), 409
        except PaymentGatewayUnavailable:
            log.warning("stripe event %s %s: Stripe unavailable, left to its retry", *ids)
            return jsonify({"error": "Stripe could not be reached; send it again"}), 503
        log.info("stripe event %s %s: %s", event.id, event.type, outcome.value)
        if outcome is EventOutcome.APPLIED:  # a repeat or an ignored event enqueued nothing
            surface.deliver_soon()
        return jsonify({"received": True, "outcome": outcome.value}), 200

    def admin_from(token: str) -> Caller | tuple[Response, int]:
        """The admin a signed link was made for, or the page that says why not."""
        if surface.gateway is None:
            return html(
                message_html(
                    "Stripe is not configured on this server.",
                    "Ask the operator to set STRIPE_SECRET_KEY.",
                ),
                503,
            )
        try:
            values = surface.signer.read(_SETUP_PURPOSE, token)
            caller = identify(deps, values.get("team"), values.get("user"), fresh=True)
            caller.require(Role.ADMIN)
        except InvalidLink:
            return html(
                message_html(
                    "This link has expired.",
                    "Open Billing Bot's Home tab in Slack and press the button again.",
                ),
                400,
            )
        except (NotPermitted, PracticeNotInstalled):
            return html(
                message_html(
                    "Only billing admins can manage Stripe.",
                    "Ask a billing admin of your practice to do it.",
                ),
                403,
            )
        return caller

    def setup_redirect(token: str) -> WerkzeugResponse | tuple[Response, int]:
        caller = admin_from(token)
        if not isinstance(caller, Caller):
            return caller
        assert surface.gateway is not None
        back = surface.signer.sign(_RETURN_PURPOSE, {"practice": caller.practice.id})
        base = deps.public_base_url
        try:
            url = start_stripe_setup(
                StartStripeSetup(
                    practice_id=caller.practice.id,
                    actor=caller.user_id,
                    refresh_url=f"{base}{CONNECT_REFRESH}?s={quote(token)}",
                    return_url=f"{base}{CONNECT_RETURN}?s={quote(back)}",
                ),
                deps.uow(),
                deps.env,
                surface.gateway,
            )
        except StripeNotConnected as problem:
            return html(message_html("Stripe setup is not possible.", str(problem)), 409)
        except (PaymentGatewayUnavailable, PaymentGatewayRefused):
            return html(
                message_html(
                    "Stripe could not be reached.", "Nothing was lost. Try again in a minute."
                ),
                503,
            )
        return redirect(url, code=303)

    @app.get(CONNECT_START)
    def stripe_connect_start() -> WerkzeugResponse | tuple[Response, int]:
        return setup_redirect(request.args.get("s", ""))

    @app.get(CONNECT_REFRESH)
    def stripe_connect_refresh() -> WerkzeugResponse | tuple[Response, int]:
        # Stripe sends the admin here when the onboarding link expired: a fresh one, same
        # account.
        return setup_redirect(request.args.get("s", ""))

    @app.get(CONNECT_DASHBOARD)
    def stripe_connect_dashboard() -> WerkzeugResponse | tuple[Response, int]:
        caller = admin_from(request.args.get("s", ""))
        if not isinstance(caller, Caller):
            return caller
        assert surface.gateway is not None
        try:
            url = stripe_dashboard_link(caller.practice.id, deps.read(), surface.gateway)
        except StripeNotConnected as problem:
            return html(message_html("No Stripe account yet.", str(problem)), 409)
        except (PaymentGatewayUnavailable, PaymentGatewayRefused):
            return html(message_html("Stripe could not be reached.", "Try again in a minute."), 503)
        return redirect(url, code=303)

    @app.get(CONNECT_RETURN)
    def stripe_connect_return() -> tuple[Response, int]:
        if surface.gateway is None:
            return html(message_html("Stripe is not configured on this server.", ""), 503)
        try:
            values = surface.signer.read(_RETURN_PURPOSE, request.args.get("s", ""))
        except InvalidLink:
            return html(
                message_html(
                    "This link has expired.", "Your Stripe setup is saved; return to Slack."
                ),
                400,
            )
        try:
            connection = refresh_stripe_status(
                values["practice"], deps.uow(), deps.env, surface.gateway
            )
        except (PaymentGatewayUnavailable, DomainError):
            # Stripe's account.updated webhook may have stored the same news a moment earlier
            # (this read then lost the race for the row): show what is stored.
            connection = stripe_connection(values["practice"], deps.read())
        surface.deliver_soon()
        if connection is not None and connection.status.ready:
            return html(
                message_html(
                    "Stripe is set up.",
                    "Clients can now pay invoices by card. You can close "
                    "this tab and return to Slack.",
                )
            )
        needs = ", ".join(connection.status.needs) if connection else ""
        detail = f"Stripe still needs: {needs}. " if needs else ""
        return html(
            message_html(
                "Stripe setup is not finished yet.",
                f"{detail}Billing Bot's Home tab in Slack shows what is "
                "missing and a button to continue.",
            )
        )


def _logo_url(page: PayPage) -> str | None:
    """The practice's logo for its pay page. The browser keeps the image for an hour: the
    stored logo's id in the address makes a new logo show at once."""
    logo_ref = page.practice.invoice_settings.logo_ref
    return f"/pay/{page.token}/logo?v={quote(logo_ref)}" if logo_ref else None


def _not_payable_text(state: PayPageState) -> str:
    return {
        PayPageState.PAID: "This invoice is already paid. Thank you!",
        PayPageState.VOID: "This invoice was cancelled; there is nothing to pay.",
        PayPageState.NO_CARDS: "Card payment is not available for this invoice.",
        PayPageState.TOO_SMALL: "The balance is below the smallest amount a card can pay.",
    }.get(state, "This invoice cannot be paid by card now.")
