"""The stand-in's in-memory Stripe: the platform, its connected accounts, their objects, events.

One `StripeState` is shared by the HTTP server's threads, the driver and the test; every
read or change happens under `lock`. Objects are kept as the JSON dicts the API returns and
changed in place, each filed under the account it lives on (None: the platform). A lookup
always names the account it is made from, and an object of another account is answered
exactly like one that does not exist.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from sandbox.stripe import ids
from sandbox.stripe.errors import no_such

#: The API version `stripe` 16.1 pins; events are rendered in it.
API_VERSION = "2026-10-28.endive"


class Clock(Protocol):
    """Seconds since the epoch, as `time.time` gives them (`ManualClock` works too)."""

    def __call__(self) -> float: ...


class EventSink(Protocol):
    """Where new events go to be delivered (the webhook sender)."""

    def accepts(self, event: dict[str, Any]) -> bool: ...

    def enqueue(self, event: dict[str, Any]) -> None: ...


@dataclass
class Stored:
    """An API object, the account it lives on, and what Stripe knows but does not show."""

    obj: dict[str, Any]
    account: str | None
    private: dict[str, Any] = field(default_factory=dict)


@dataclass
class HostedLink:
    """A hosted page's URL: an Account Link (onboarding) or login link (Express dashboard),
    both single use and expiring, or a charge's receipt. `subject` is the account or charge."""

    token: str
    kind: Literal["onboarding", "dashboard", "receipt"]
    subject: str
    expires_at: int
    refresh_url: str | None = None
    return_url: str | None = None
    opened: bool = False
    finished: bool = False


@dataclass(frozen=True)
class RecordedRequest:
    """One API request as the stand-in received and answered it."""

    method: str
    path: str
    account: str | None
    idempotency_key: str | None
    params: dict[str, Any]
    status: int
    replayed: bool
    request_id: str
    response: dict[str, Any]


@dataclass(frozen=True)
class IdempotentResult:
    fingerprint: str
    status: int
    body: dict[str, Any]


class StripeState:
    """Everything the stand-in knows; see the module docstring for the locking rule."""

    def __init__(
        self,
        *,
        secret_key: str,
        clock: Clock,
        api_version: str = API_VERSION,
        platform_name: str = "Billing Bot",
    ) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.clock = clock
        self.secret_key = secret_key
        self.api_version = api_version
        #: ``http://127.0.0.1:PORT`` once the server listens; hosted page URLs use it.
        self.base_url = ""
        self.objects: dict[str, Stored] = {}
        #: (expires_at, id) of every Checkout Session made, a heap: every API request expires
        #: the sessions whose time ran out, and looking through every object for them made
        #: each request slower by the thousands of objects a benchmark leaves behind.
        self.session_expiries: list[tuple[int, str]] = []
        self.events: list[dict[str, Any]] = []
        self.idempotency: dict[tuple[str | None, str], IdempotentResult] = {}
        self.requests: list[RecordedRequest] = []
        self.links: dict[str, HostedLink] = {}
        self.sink: EventSink | None = None
        #: (request id, idempotency key) of the API request being handled, for events.
        self.current_request: tuple[str, str | None] | None = None
        self.platform = _platform_account(platform_name, int(clock()))
        #: The platform's Connect application, named in deauthorization events.
        self.application = {
            "id": ids.application_id(),
            "object": "application",
            "name": platform_name,
        }

    def now(self) -> int:
        return int(self.clock())

    def touch(self) -> None:
        """Wake whoever waits on `changed` (the driver's waits)."""
        with self.changed:
            self.changed.notify_all()

    # -- objects -------------------------------------------------------------------------

    def add(self, obj: dict[str, Any], account: str | None, **private: Any) -> dict[str, Any]:
        with self.lock:
            self.objects[obj["id"]] = Stored(obj, account, dict(private))
            return obj

    def stored(self, object_id: str) -> Stored:
        """The object with its account and private data; `LookupError` if unknown."""
        with self.lock:
            found = self.objects.get(object_id)
            if found is None:
                raise LookupError(f"no Stripe object {object_id}")
            return found

    def find(
        self, object_id: str, kind: str, account: str | None, *, param: str = "id"
    ) -> dict[str, Any]:
        """The `kind` object as seen from `account`, or 404 ``resource_missing``."""
        with self.lock:
            found = self.objects.get(object_id)
            if found is None or found.obj["object"] != kind or found.account != account:
                raise no_such(kind, object_id, param=param)
            return found.obj

    def all_of(self, kind: str, account: str | None) -> list[dict[str, Any]]:
        """Every `kind` object on `account`, newest first (the order of Stripe's lists)."""
        with self.lock:
            return [
                stored.obj
                for stored in reversed(self.objects.values())
                if stored.obj["object"] == kind and stored.account == account
            ]

    # -- events --------------------------------------------------------------------------

    def emit(
        self,
        type: str,
        obj: dict[str, Any],
        account: str | None,
        previous: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Record an event about `obj` (a snapshot of it now) and hand it to the sink."""
        with self.lock:
            request_id, key = self.current_request or (None, None)
            data: dict[str, Any] = {"object": copy.deepcopy(obj)}
            if previous is not None:
                data["previous_attributes"] = previous
            event: dict[str, Any] = {"id": ids.object_id("evt"), "object": "event"}
            if account is not None:
                # Connect webhooks name the connected account the event happened on.
                event["account"] = account
            event.update(
                api_version=self.api_version,
                created=self.now(),
                data=data,
                livemode=False,
                pending_webhooks=0,
                request={"id": request_id, "idempotency_key": key},
                type=type,
            )
            if self.sink is not None and self.sink.accepts(event):
                event["pending_webhooks"] = 1
            self.events.append(event)
            self.add(event, account)
            if self.sink is not None and event["pending_webhooks"]:
                self.sink.enqueue(copy.deepcopy(event))
            self.touch()
            return event


def _platform_account(name: str, now: int) -> dict[str, Any]:
    return {
        "id": ids.account_id(),
        "object": "account",
        "business_profile": {"name": name, "url": None, "support_email": None},
        "charges_enabled": True,
        "country": "US",
        "created": now,
        "default_currency": "usd",
        "details_submitted": True,
        "email": None,
        "metadata": {},
        "payouts_enabled": True,
        "settings": {"dashboard": {"display_name": name, "timezone": "Etc/UTC"}},
        "type": "standard",
    }


def previous_attributes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What an ``*.updated`` event's ``previous_attributes`` holds: the old values of what
    changed, descending into nested hashes as Stripe does."""
    changed: dict[str, Any] = {}
    for key, old in before.items():
        new = after.get(key)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            changed[key] = previous_attributes(old, new)
        else:
            changed[key] = copy.deepcopy(old)
    return changed
