"""``GET /v1/events`` and ``GET /v1/events/{id}``: the events of the account asking.

Events are made by `StripeState.emit` as things change; these handlers only read them. A
platform key sees the platform's events, ``Stripe-Account`` a connected account's (which is
also where Connect webhooks come from: those carry ``account``).
"""

from __future__ import annotations

import copy
from fnmatch import fnmatchcase
from typing import Any

from sandbox.stripe.api_call import Call
from sandbox.stripe.listing import PAGING, page
from sandbox.stripe.params import Bool, ListOf, Params, Str, in_range

LIST = Params(
    {
        **PAGING,
        "type": Str(),
        "types": ListOf(Str(), max_items=20),
        "delivery_success": Bool(),
    }
)


def list_events(call: Call) -> dict[str, Any]:
    params = LIST.validate(call.params)
    wanted = ([params["type"]] if "type" in params else []) + params.get("types", [])
    events = [
        event
        for event in call.state.all_of("event", call.account)
        if in_range(event["created"], params.get("created"))
        and (not wanted or any(fnmatchcase(event["type"], pattern) for pattern in wanted))
    ]
    return page(events, params, "/v1/events")


def retrieve(call: Call) -> dict[str, Any]:
    Params().validate(call.params)
    return copy.deepcopy(call.state.find(call.args[0], "event", call.account))
