"""Small factories and a local "app site" for the Stripe stand-in's contract tests.

The app site plays the app's side of Stripe: it receives webhooks (answering with the
statuses a test queues, 200 by default) and serves the pages Stripe redirects people to
(Checkout's success and cancel URLs, onboarding's return and refresh URLs).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stripe import StripeClient
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from sandbox.stripe import StripeStandIn

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from stripe import Account
    from stripe.checkout import Session

WEBHOOK_PATH = "/stripe/webhook"


@dataclass(frozen=True)
class ReceivedWebhook:
    body: bytes
    signature: str | None
    status: int


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class AppSite:
    """The app's web side as Stripe sees it, on its own port."""

    def __init__(self) -> None:
        self.received: list[ReceivedWebhook] = []
        self.statuses: deque[int] = deque()
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self, threaded=True, request_handler=_Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def webhook_url(self) -> str:
        return self.url + WEBHOOK_PATH

    def answer_next(self, *statuses: int) -> None:
        """Answer the next webhooks with these statuses (then 200 again)."""
        with self._lock:
            self.statuses.extend(statuses)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        request = Request(environ)
        if request.path == WEBHOOK_PATH and request.method == "POST":
            with self._lock:
                status = self.statuses.popleft() if self.statuses else 200
                self.received.append(
                    ReceivedWebhook(
                        request.get_data(), request.headers.get("Stripe-Signature"), status
                    )
                )
            response = Response('{"received": true}', status, content_type="application/json")
        else:
            page = f"<!doctype html><title>{request.path}</title><h1>App page {request.path}</h1>"
            response = Response(page, 200, content_type="text/html")
        return response(environ, start_response)

    def start(self) -> AppSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@contextmanager
def app_site() -> Iterator[AppSite]:
    site = AppSite().start()
    try:
        yield site
    finally:
        site.stop()


def client_for(stripe: StripeStandIn, **options: Any) -> StripeClient:
    """The SDK's client as the app builds it, pointed at the stand-in."""
    return StripeClient(
        stripe.secret_key,
        base_addresses={"api": stripe.base_url, "connect": stripe.base_url},
        **options,
    )


def an_express_account(
    client: StripeClient, stripe: StripeStandIn, *, onboarded: bool = True, **params: Any
) -> Account:
    """A practice's Express account, onboarded unless told otherwise."""
    account = client.v1.accounts.create(
        params={
            "type": "express",
            "country": "US",
            "email": "billing@sunrise.example",
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
            "business_profile": {"name": "Sunrise Therapy"},
            **params,
        }
    )
    if onboarded:
        stripe.driver.complete_onboarding(account.id)
    return account


def line_item(amount: int, currency: str = "usd", name: str = "Invoice INV-0042") -> dict[str, Any]:
    return {
        "quantity": 1,
        "price_data": {"currency": currency, "unit_amount": amount, "product_data": {"name": name}},
    }


def a_checkout_session(
    client: StripeClient,
    account_id: str | None,
    *,
    amount: int = 12_000,
    currency: str = "usd",
    success_url: str = "https://app.example/paid?session={CHECKOUT_SESSION_ID}",
    **params: Any,
) -> Session:
    """A payment-mode session for one invoice, a direct charge on `account_id`."""
    options: dict[str, Any] = {"stripe_account": account_id} if account_id else {}
    return client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [line_item(amount, currency)],
            "success_url": success_url,
            "cancel_url": "https://app.example/pay/tok_123",
            "customer_email": "client@example.org",
            "metadata": {"invoice_id": "42"},
            **params,
        },
        options=options,  # type: ignore[arg-type]
    )
