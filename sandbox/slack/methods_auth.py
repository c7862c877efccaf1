"""``auth.test``, ``auth.revoke`` and ``team.info``."""

from __future__ import annotations

from typing import Any

from sandbox.slack.api import Call, Handler


def auth_test(call: Call) -> dict[str, Any]:
    """Who the token is: Bolt calls this to learn the bot's ids when it has no installation."""
    assert call.token is not None
    workspace = call.state.workspace(call.team_id)
    user = call.state.users[call.token.user_id]
    answer: dict[str, Any] = {
        "url": workspace.url,
        "team": workspace.name,
        "user": user.name,
        "team_id": workspace.id,
        "user_id": user.id,
    }
    if call.token.kind == "bot":
        answer["bot_id"] = user.bot_id
    answer["is_enterprise_install"] = False
    return answer


def auth_revoke(call: Call) -> dict[str, Any]:
    """Revoke the calling token (``test=true`` only pretends)."""
    assert call.token is not None
    if not call.flag("test"):
        call.token.revoked = True
    return {"revoked": True}


def team_info(call: Call) -> dict[str, Any]:
    workspace = call.state.workspace(call.team_id)
    return {
        "team": {
            "id": workspace.id,
            "name": workspace.name,
            "domain": workspace.domain,
            "email_domain": "",
            "icon": {"image_default": True},
        }
    }


HANDLERS: dict[str, Handler] = {
    "auth.test": auth_test,
    "auth.revoke": auth_revoke,
    "team.info": team_info,
}
