"""``users.info`` and ``users.list``."""

from __future__ import annotations

from typing import Any

from sandbox.slack.api import Call, Handler
from sandbox.slack.paging import page
from sandbox.slack.scopes import READ_EMAIL
from sandbox.slack.shapes import user_json


def users_info(call: Call) -> dict[str, Any]:
    user = call.state.user(call.team_id, call.text("user", missing="user_not_found") or "")
    return {"user": user_json(user, with_email=call.has_scope(READ_EMAIL), now=call.state.now())}


def users_list(call: Call) -> dict[str, Any]:
    members = [user for user in call.state.users.values() if user.team_id == call.team_id]
    chosen, next_cursor = page(members, call)
    now, with_email = call.state.now(), call.has_scope(READ_EMAIL)
    return {
        "members": [user_json(user, with_email=with_email, now=now) for user in chosen],
        "cache_ts": int(now),
        "response_metadata": {"next_cursor": next_cursor},
    }


HANDLERS: dict[str, Handler] = {"users.info": users_info, "users.list": users_list}
