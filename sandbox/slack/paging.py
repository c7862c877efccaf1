"""Slack's cursor pagination: ``limit`` and ``cursor`` in, ``next_cursor`` ("" at the end) out."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import TypeVar

from sandbox.slack.api import Call
from sandbox.slack.errors import SlackApiError

T = TypeVar("T")

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def page(items: Sequence[T], call: Call) -> tuple[list[T], str]:
    """The page of `items` the call asks for, and the cursor of the next one."""
    try:
        limit = int(call.args.get("limit") or DEFAULT_LIMIT)
    except ValueError:
        raise SlackApiError("invalid_limit") from None
    limit = max(1, min(limit, MAX_LIMIT))
    start = _offset(call.text("cursor"))
    end = start + limit
    next_cursor = _cursor(end) if end < len(items) else ""
    return list(items[start:end]), next_cursor


def _cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        kind, _, number = base64.b64decode(cursor).decode().partition(":")
        if kind == "offset":
            return int(number)
    except ValueError:
        pass
    raise SlackApiError("invalid_cursor")
