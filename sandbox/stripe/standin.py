"""`StripeStandIn`: one object for a test to start local Stripe, steer it and look inside.

with StripeStandIn(deliver_to="http://127.0.0.1:8000/stripe/webhook") as stripe_:
    client = StripeClient(stripe_.secret_key, base_addresses={
        "api": stripe_.base_url, "connect": stripe_.base_url})
    account = client.v1.accounts.create(params={"type": "express", "country": "US"})
    stripe_.driver.complete_onboarding(account.id)
    session = client.v1.checkout.sessions.create(params={...},
                                                 options={"stripe_account": account.id})
    stripe_.driver.pay(session.id)
    stripe_.driver.wait_for_deliveries(1)
"""

from __future__ import annotations

import time
from types import TracebackType

from sandbox.stripe import ids
from sandbox.stripe.driver import StripeDriver
from sandbox.stripe.faults import Faults
from sandbox.stripe.server import StandInServer
from sandbox.stripe.state import API_VERSION, Clock, RecordedRequest, StripeState
from sandbox.stripe.webhooks import WebhookSender


class StripeStandIn:
    """Local Stripe for one platform: the HTTP server, its in-memory world, webhooks, a driver.

    `deliver_to` is the webhook endpoint's URL (None: events only accumulate, see
    `driver.events`); it receives events of the platform and, carrying ``account``, of its
    connected accounts, all signed with `webhook_secret`. `clock` drives ``created``,
    expiry of sessions and links (a `ManualClock` lets a test expire them without sleeping).
    """

    def __init__(
        self,
        *,
        secret_key: str | None = None,
        webhook_secret: str | None = None,
        deliver_to: str | None = None,
        enabled_events: tuple[str, ...] = ("*",),
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        platform_name: str = "Billing Bot",
        api_version: str = API_VERSION,
    ) -> None:
        self.state = StripeState(
            secret_key=secret_key or ids.secret_key(),
            clock=clock or time.time,
            api_version=api_version,
            platform_name=platform_name,
        )
        self.webhooks = WebhookSender(
            webhook_secret or ids.webhook_secret(), url=deliver_to, enabled_events=enabled_events
        )
        self.state.sink = self.webhooks
        #: Switches for rate limits, outages and slow answers of the API.
        self.faults = Faults()
        self._server = StandInServer(self.state, self.faults, host, port)
        self.driver = StripeDriver(self.state, self.webhooks)

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> StripeStandIn:
        """Start serving and delivering (idempotent) and return self."""
        self._server.start()
        self.webhooks.start()
        return self

    def stop(self) -> None:
        self.webhooks.stop()
        self._server.stop()

    def __enter__(self) -> StripeStandIn:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what the app is configured with -------------------------------------------------

    @property
    def base_url(self) -> str:
        """``STRIPE_API_BASE``: the SDK's ``api`` and ``connect`` base address."""
        return self._server.base_url

    @property
    def secret_key(self) -> str:
        """``STRIPE_SECRET_KEY``: the platform's test-mode secret key."""
        return self.state.secret_key

    @property
    def webhook_secret(self) -> str:
        """``STRIPE_WEBHOOK_SECRET``: the webhook endpoint's signing secret (``whsec_``)."""
        return self.webhooks.secret

    @property
    def platform_account_id(self) -> str:
        return str(self.state.platform["id"])

    def set_webhook_endpoint(
        self, url: str | None, *, enabled_events: tuple[str, ...] = ("*",)
    ) -> None:
        """Deliver events made from now on to `url` (None: nowhere), of the types matching
        `enabled_events` (``"*"``, ``"checkout.session.*"``, exact names)."""
        self.webhooks.set_endpoint(url, enabled_events=enabled_events)

    # -- looking inside ------------------------------------------------------------------

    def requests(
        self, path: str | None = None, *, method: str | None = None
    ) -> list[RecordedRequest]:
        """API requests so far, oldest first, optionally to paths starting with `path`."""
        with self.state.lock:
            return [
                request
                for request in self.state.requests
                if (path is None or request.path.startswith(path))
                and (method is None or request.method == method)
            ]
