"""What Slack sends the app: slash commands, interaction payloads and Events API envelopes.

Field names and nesting follow Slack's reference pages and the payloads in bolt-python's
scenario tests (``tests/scenario_tests``): e.g. ``user`` is ``{id, username, name, team_id}``,
``team`` is ``{id, domain}``, and non-Enterprise installs carry ``enterprise: null`` and
``is_enterprise_install: false``.
"""

from __future__ import annotations

from typing import Any

from sandbox.slack.blocks import Block, Element
from sandbox.slack.model import Channel, Message, Trigger, User, View
from sandbox.slack.shapes import message_json
from sandbox.slack.state import SlackState
from sandbox.slack.views import view_json


def slash_command(
    state: SlackState,
    user: User,
    channel: Channel,
    command: str,
    text: str,
    trigger: Trigger,
    response_url: str,
) -> dict[str, str]:
    """The form fields of a slash command request."""
    workspace = state.workspace(user.team_id)
    return {
        "token": state.app.verification_token,
        "team_id": workspace.id,
        "team_domain": workspace.domain,
        "channel_id": channel.id,
        "channel_name": "directmessage" if channel.is_im else channel.name,
        "user_id": user.id,
        "user_name": user.name,
        "command": command,
        "text": text,
        "api_app_id": state.app.app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger.id,
    }


def block_actions_in_view(
    state: SlackState, user: User, view: View, trigger: Trigger, action: dict[str, Any]
) -> dict[str, Any]:
    """A ``block_actions`` payload for an element in a modal or an App Home."""
    return {
        **_interaction("block_actions", state, user),
        "container": {"type": "view", "view_id": view.id},
        "trigger_id": trigger.id,
        "view": view_json(state, view),
        "actions": [action],
    }


def block_suggestion(
    state: SlackState, user: User, view: View, block: Block, element: Element, typed: str
) -> dict[str, Any]:
    """A ``block_suggestion`` payload: the user typed `typed` into an external select of a
    view, and Slack asks the app's options load URL what to list."""
    return {
        **_interaction("block_suggestion", state, user),
        "container": {"type": "view", "view_id": view.id},
        "view": view_json(state, view),
        "block_id": block["block_id"],
        "action_id": element["action_id"],
        "value": typed,
    }


def block_actions_in_message(
    state: SlackState,
    user: User,
    message: Message,
    trigger: Trigger,
    response_url: str,
    action: dict[str, Any],
) -> dict[str, Any]:
    """A ``block_actions`` payload for an element in a message (ephemeral or not)."""
    channel = state.channels[message.channel_id]
    payload: dict[str, Any] = {
        **_interaction("block_actions", state, user),
        "container": {
            "type": "message",
            "message_ts": message.ts,
            "channel_id": channel.id,
            "is_ephemeral": message.ephemeral_to is not None,
        },
        "trigger_id": trigger.id,
        "channel": {"id": channel.id, "name": "directmessage" if channel.is_im else channel.name},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [action],
    }
    if message.ephemeral_to is None:
        payload["message"] = message_json(state, message)
    return payload


def view_submission(
    state: SlackState,
    user: User,
    view: View,
    trigger: Trigger,
    response_urls: list[dict[str, str]],
) -> dict[str, Any]:
    """A ``view_submission`` payload; `response_urls` for ``response_url_enabled`` inputs."""
    return {
        **_interaction("view_submission", state, user),
        "trigger_id": trigger.id,
        "view": view_json(state, view),
        "response_urls": response_urls,
    }


def view_closed(state: SlackState, user: User, view: View, *, is_cleared: bool) -> dict[str, Any]:
    """A ``view_closed`` payload (sent only for views with ``notify_on_close``)."""
    return {
        **_interaction("view_closed", state, user),
        "view": view_json(state, view),
        "is_cleared": is_cleared,
    }


def event_callback(
    state: SlackState, team_id: str, event: dict[str, Any], event_id: str, event_time: int
) -> dict[str, Any]:
    """The Events API envelope around `event`, authorized for the workspace's bot user."""
    installation = state.installations.get(team_id)
    authorizations = []
    if installation is not None:
        authorizations.append(
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": installation.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        )
    return {
        "token": state.app.verification_token,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": state.app.app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "authorizations": authorizations,
        "is_ext_shared_channel": False,
        "event_context": f"4-{event.get('type', 'event')}-{team_id}",
    }


def url_verification(state: SlackState, challenge: str) -> dict[str, Any]:
    """The handshake Slack sends when the Request URL is saved."""
    return {
        "token": state.app.verification_token,
        "challenge": challenge,
        "type": "url_verification",
    }


def _interaction(kind: str, state: SlackState, user: User) -> dict[str, Any]:
    workspace = state.workspace(user.team_id)
    return {
        "type": kind,
        "team": {"id": workspace.id, "domain": workspace.domain},
        "user": {"id": user.id, "username": user.name, "name": user.name, "team_id": user.team_id},
        "api_app_id": state.app.app_id,
        "token": state.app.verification_token,
        "enterprise": None,
        "is_enterprise_install": False,
    }
