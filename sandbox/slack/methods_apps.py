"""``apps.connections.open``: the WebSocket URL an app in Socket Mode connects to."""

from __future__ import annotations

from typing import Any

from sandbox.slack.api import Call, Handler
from sandbox.slack.errors import SlackApiError


def apps_connections_open(call: Call) -> dict[str, Any]:
    if not call.state.socket_url:
        # The app was not set up for Socket Mode (SlackStandIn(socket_mode=False)).
        raise SlackApiError("access_denied")
    ticket = call.state.issue_socket_ticket()
    return {"url": f"{call.state.socket_url}/link/?ticket={ticket}&app_id={call.state.app.app_id}"}


HANDLERS: dict[str, Handler] = {"apps.connections.open": apps_connections_open}
