"""Stripe's list objects (cursor paging) and ``expand[]``.

A list answers ``{"object": "list", "data": [...], "has_more", "url"}``, newest first, at
most ``limit`` (1–100, default 10) items after ``starting_after`` or before
``ending_before``, which is what the SDK's ``auto_paging_iter`` walks.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from sandbox.stripe.errors import StripeError, invalid
from sandbox.stripe.params import Field, Int, Range, Str
from sandbox.stripe.state import StripeState

#: The paging parameters every list endpoint takes.
PAGING: dict[str, Field] = {
    "limit": Int(minimum=1, maximum=100),
    "starting_after": Str(),
    "ending_before": Str(),
    "created": Range(),
}

#: Fields that are not object ids but can be expanded, by (object type, field).
Expander = Callable[[StripeState, dict[str, Any]], dict[str, Any]]
VIRTUAL: dict[tuple[str, str], Expander] = {}

_MAX_DEPTH = 4


def page(items: Sequence[dict[str, Any]], params: dict[str, Any], url: str) -> dict[str, Any]:
    """One page of `items` (already filtered and newest first) as a Stripe list object."""
    limit = params.get("limit", 10)
    ids = [item["id"] for item in items]
    start, end = 0, len(items)
    if "starting_after" in params and "ending_before" in params:
        raise invalid(
            "You may only specify one of these parameters: ending_before, starting_after."
        )
    if "starting_after" in params:
        start = _position(ids, params["starting_after"], "starting_after") + 1
        chosen = items[start : start + limit]
        has_more = start + limit < end
    elif "ending_before" in params:
        end = _position(ids, params["ending_before"], "ending_before")
        chosen = items[max(0, end - limit) : end]
        has_more = end - limit > 0
    else:
        chosen = items[:limit]
        has_more = limit < end
    return {
        "object": "list",
        "data": [copy.deepcopy(item) for item in chosen],
        "has_more": has_more,
        "url": url,
    }


def _position(ids: list[str], cursor: str, param: str) -> int:
    try:
        return ids.index(cursor)
    except ValueError:
        raise StripeError(
            400, f"No such object: '{cursor}'", code="resource_missing", param=param
        ) from None


def expand(
    state: StripeState, obj: dict[str, Any], paths: Sequence[str], account: str | None
) -> dict[str, Any]:
    """`obj` with each dotted path in `paths` replaced by the object its id names.

    Only objects visible from `account` expand, as in Stripe; a path that names no
    expandable field is refused with Stripe's message.
    """
    for path in paths:
        parts = path.split(".")
        if len(parts) > _MAX_DEPTH:
            raise invalid(
                f"You cannot expand more than {_MAX_DEPTH} levels of a property. Property: {path}",
                param="expand",
            )
        _expand_path(state, obj, parts, account, path)
    return obj


def _expand_path(
    state: StripeState, obj: dict[str, Any], parts: list[str], account: str | None, path: str
) -> None:
    head, rest = parts[0], parts[1:]
    if obj.get("object") == "list" and head == "data":
        for item in obj["data"]:
            if rest:
                _expand_path(state, item, rest, account, path)
        return
    virtual = VIRTUAL.get((obj.get("object", ""), head))
    if virtual is not None:
        obj[head] = virtual(state, obj)
    elif isinstance(obj.get(head), str):
        obj[head] = _visible(state, obj[head], account, path)
    elif not isinstance(obj.get(head), dict):
        raise invalid(f"This property cannot be expanded ({head}).", param="expand")
    if rest:
        _expand_path(state, obj[head], rest, account, path)


def _visible(state: StripeState, object_id: str, account: str | None, path: str) -> dict[str, Any]:
    with state.lock:
        stored = state.objects.get(object_id)
        if stored is None:
            raise invalid(f"This property cannot be expanded ({path}).", param="expand")
        if stored.account != account and stored.obj["object"] != "account":
            raise invalid(f"This property cannot be expanded ({path}).", param="expand")
        return copy.deepcopy(stored.obj)
