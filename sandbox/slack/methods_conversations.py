"""``conversations.open``, ``.join``, ``.info``, ``.members``, ``.list``, ``.history`` and
``.replies``.

The bot sees every public channel of its workspace, but a private channel or a direct
message only when it is a member: anything else is ``channel_not_found``, as in Slack.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.slack.api import Call, Handler
from sandbox.slack.errors import SlackApiError
from sandbox.slack.model import Channel, Message
from sandbox.slack.paging import page
from sandbox.slack.scopes import scope_for_channel
from sandbox.slack.shapes import channel_json, message_json

_TYPE_OF = {"public_channel", "private_channel", "im", "mpim"}


def conversations_open(call: Call) -> dict[str, Any]:
    users = [user for user in (call.text("users") or "").split(",") if user]
    if len(users) != 1:
        # Group DMs (mpim) are not something the billing bot opens; refuse rather than fake.
        raise SlackApiError("not_supported" if users else "users_list_not_supplied")
    bot_user_id = call.installation.bot_user_id
    channel, existed = call.state.open_im(call.team_id, bot_user_id, users[0])
    answer: dict[str, Any] = {
        "channel": channel_json(channel, bot_user_id)
        if call.flag("return_im")
        else {"id": channel.id}
    }
    if existed:
        answer.update(no_op=True, already_open=True)
    return answer


def conversations_join(call: Call) -> dict[str, Any]:
    channel = _visible(call)
    if channel.is_private or channel.is_im:
        raise SlackApiError("method_not_supported_for_channel_type")
    if channel.is_archived:
        raise SlackApiError("is_archived")
    bot_user_id = call.installation.bot_user_id
    answer: dict[str, Any] = {}
    if bot_user_id in channel.members:
        answer.update(
            warning="already_in_channel",
            response_metadata={"warnings": ["already_in_channel"]},
        )
    channel.members.add(bot_user_id)
    answer["channel"] = channel_json(channel, bot_user_id)
    return answer


def conversations_info(call: Call) -> dict[str, Any]:
    channel = _visible(call)
    call.require_scope(scope_for_channel(channel))
    return {"channel": channel_json(channel, call.installation.bot_user_id)}


def conversations_members(call: Call) -> dict[str, Any]:
    channel = _visible(call)
    call.require_scope(scope_for_channel(channel))
    members, next_cursor = page(sorted(channel.members), call)
    return {"members": members, "response_metadata": {"next_cursor": next_cursor}}


def conversations_list(call: Call) -> dict[str, Any]:
    types = {kind for kind in (call.text("types") or "public_channel").split(",") if kind}
    if not types <= _TYPE_OF:
        raise SlackApiError("invalid_types")
    bot_user_id = call.installation.bot_user_id
    found = []
    for channel in call.state.channels.values():
        if channel.team_id != call.team_id or not _listed(channel, types, bot_user_id):
            continue
        if call.flag("exclude_archived") and channel.is_archived:
            continue
        call.require_scope(scope_for_channel(channel))
        found.append(channel)
    chosen, next_cursor = page(found, call)
    return {
        "channels": [channel_json(channel, bot_user_id) for channel in chosen],
        "response_metadata": {"next_cursor": next_cursor},
    }


def _visible(call: Call) -> Channel:
    channel = call.state.channel(
        call.team_id, call.text("channel", missing="channel_not_found") or ""
    )
    hidden = channel.is_private or channel.is_im
    if hidden and call.installation.bot_user_id not in channel.members:
        raise SlackApiError("channel_not_found")
    return channel


def conversations_history(call: Call) -> dict[str, Any]:
    """The channel's top-level messages (and replies also sent to it), newest first, within
    ``oldest``/``latest`` (each exclusive unless ``inclusive``), at most ``limit``."""
    channel = _readable(call)
    found = [
        m
        for m in _live(call, channel)
        if not m.thread_ts or m.thread_ts == m.ts or m.subtype == "thread_broadcast"
    ]
    return _history_page(call, found)


def conversations_replies(call: Call) -> dict[str, Any]:
    """A thread, named by its parent's or any reply's ``ts``: the parent first, then the
    replies within ``oldest``/``latest`` (each exclusive unless ``inclusive``), oldest first."""
    channel = _readable(call)
    ts = call.text("ts", missing="thread_not_found") or ""
    messages = _live(call, channel)
    named = next((m for m in messages if m.ts == ts), None)
    if named is None:
        raise SlackApiError("thread_not_found")
    root = named.thread_ts or named.ts
    within = _within(call)
    parent = [m for m in messages if m.ts == root]
    replies = [m for m in messages if m.thread_ts == root and m.ts != root and within(m)]
    shown = parent + sorted(replies, key=lambda m: float(m.ts))
    limit = int(call.text("limit") or 1000)
    return {
        "messages": [message_json(call.state, m) for m in shown[:limit]],
        "has_more": len(shown) > limit,
        "response_metadata": {"next_cursor": ""},
    }


def _readable(call: Call) -> Channel:
    channel = _visible(call)
    call.require_scope(_history_scope(channel))
    bot_user_id = call.installation.bot_user_id
    if bot_user_id not in channel.members and not channel.is_im:
        raise SlackApiError("not_in_channel")
    return channel


def _history_scope(channel: Channel) -> str:
    if channel.is_im:
        return "im:history"
    return "groups:history" if channel.is_private else "channels:history"


def _live(call: Call, channel: Channel) -> list[Message]:
    return [
        m
        for m in call.state.messages
        if m.channel_id == channel.id and not m.deleted and m.ephemeral_to is None
    ]


def _within(call: Call) -> Callable[[Message], bool]:
    """Whether a message is within the call's ``oldest``/``latest`` (and ``inclusive``)."""
    inclusive = call.flag("inclusive")
    latest = call.text("latest")
    oldest = call.text("oldest")

    def within(message: Message) -> bool:
        ts = float(message.ts)
        if latest and (ts > float(latest) or (ts == float(latest) and not inclusive)):
            return False
        return not (oldest and (ts < float(oldest) or (ts == float(oldest) and not inclusive)))

    return within


def _history_page(call: Call, found: list[Message]) -> dict[str, Any]:
    within = _within(call)
    shown = sorted((m for m in found if within(m)), key=lambda m: float(m.ts), reverse=True)
    limit = int(call.text("limit") or 100)
    return {
        "messages": [message_json(call.state, m) for m in shown[:limit]],
        "has_more": len(shown) > limit,
        "pin_count": 0,
        "response_metadata": {"next_cursor": ""},
    }


def _listed(channel: Channel, types: set[str], bot_user_id: str) -> bool:
    if channel.is_im:
        return "im" in types and bot_user_id in channel.members
    if channel.is_private:
        return "private_channel" in types and bot_user_id in channel.members
    return "public_channel" in types


HANDLERS: dict[str, Handler] = {
    "conversations.open": conversations_open,
    "conversations.join": conversations_join,
    "conversations.info": conversations_info,
    "conversations.members": conversations_members,
    "conversations.list": conversations_list,
    "conversations.history": conversations_history,
    "conversations.replies": conversations_replies,
}
