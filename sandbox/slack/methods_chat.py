"""``chat.postMessage``, ``chat.postEphemeral``, ``chat.update`` and ``chat.delete``."""

from __future__ import annotations

from typing import Any

from sandbox.slack.api import Call, Handler
from sandbox.slack.blockkit_limits import check_message_blocks
from sandbox.slack.blocks import with_generated_ids
from sandbox.slack.errors import SlackApiError, invalid_blocks
from sandbox.slack.model import Channel, Message
from sandbox.slack.scopes import WRITE_PUBLIC
from sandbox.slack.shapes import message_json

MAX_TEXT = 40_000


def post_message(call: Call) -> dict[str, Any]:
    channel = writable_channel(call, call.text("channel", missing="channel_not_found") or "")
    text, blocks, attachments = _content(call, required=True)
    message = call.state.add_message(
        Message(
            team_id=call.team_id,
            channel_id=channel.id,
            ts=call.state.next_ts(),
            text=text,
            blocks=blocks or [],
            user=call.installation.bot_user_id,
            bot_id=call.installation.bot_id,
            thread_ts=call.text("thread_ts"),
            attachments=attachments or [],
        )
    )
    if call.state.events is not None:
        call.state.events.posted(message)
    return {"channel": channel.id, "ts": message.ts, "message": message_json(call.state, message)}


def post_ephemeral(call: Call) -> dict[str, Any]:
    channel = writable_channel(call, call.text("channel", missing="channel_not_found") or "")
    user = call.state.user(call.team_id, call.text("user", missing="user_not_found") or "")
    if user.id not in channel.members:
        raise SlackApiError("user_not_in_channel")
    text, blocks, attachments = _content(call, required=True)
    message = call.state.add_message(
        Message(
            team_id=call.team_id,
            channel_id=channel.id,
            ts=call.state.next_ts(),
            text=text,
            blocks=blocks or [],
            user=call.installation.bot_user_id,
            bot_id=call.installation.bot_id,
            thread_ts=call.text("thread_ts"),
            ephemeral_to=user.id,
            attachments=attachments or [],
        )
    )
    return {"message_ts": message.ts}


def update(call: Call) -> dict[str, Any]:
    message = _own_message(call, "cant_update_message")
    previous = message_json(call.state, message)
    text, blocks, attachments = _content(call, required=False)
    # Slack keeps the blocks and attachments an update leaves out; [] removes them.
    if blocks is not None:
        message.blocks = blocks
    if attachments is not None:
        message.attachments = attachments
    if "text" in call.args:
        message.text = text
    message.edited_ts = call.state.next_ts()
    if call.state.events is not None:
        call.state.events.changed(message, previous)
    return {
        "channel": message.channel_id,
        "ts": message.ts,
        "text": message.text,
        "message": message_json(call.state, message),
    }


def delete(call: Call) -> dict[str, Any]:
    message = _own_message(call, "cant_delete_message")
    previous = message_json(call.state, message)
    message.deleted = True
    if call.state.events is not None:
        call.state.events.deleted(message, previous)
    return {"channel": message.channel_id, "ts": message.ts}


def writable_channel(call: Call, ref: str) -> Channel:
    """Where the bot may post: a channel it is in, a user's DM, or a public channel if it has
    ``chat:write.public``. Slack hides private channels the bot is not in."""
    state = call.state
    bot_user_id = call.installation.bot_user_id
    maybe_user = state.users.get(ref)
    if maybe_user is not None and maybe_user.team_id == call.team_id:
        return state.open_im(call.team_id, bot_user_id, maybe_user.id)[0]
    channel = state.channel(call.team_id, ref)
    if bot_user_id not in channel.members:
        if channel.is_private or channel.is_im:
            raise SlackApiError("channel_not_found")
        if not call.has_scope(WRITE_PUBLIC):
            raise SlackApiError("not_in_channel")
    if channel.is_archived:
        raise SlackApiError("is_archived")
    return channel


def _own_message(call: Call, refusal: str) -> Message:
    channel = call.state.channel(
        call.team_id, call.text("channel", missing="channel_not_found") or ""
    )
    message = call.state.message(
        call.team_id, channel.id, call.text("ts", missing="message_not_found") or ""
    )
    if message.bot_id != call.installation.bot_id:
        raise SlackApiError(refusal)
    return message


def _content(
    call: Call, *, required: bool
) -> tuple[str, list[dict[str, Any]] | None, list[dict[str, Any]] | None]:
    blocks = call.decoded("blocks", bad_format="invalid_blocks_format")
    if blocks is not None:
        problems = check_message_blocks(blocks)
        if problems:
            raise invalid_blocks(problems)
        blocks = with_generated_ids(blocks)
    attachments = call.decoded("attachments", bad_format="invalid_attachments")
    if attachments is not None and not isinstance(attachments, list):
        raise SlackApiError("invalid_attachments")
    text = call.text("text") or ""
    if required and not text and not blocks and not attachments:
        raise SlackApiError("no_text")
    if len(text) > MAX_TEXT:
        raise SlackApiError("msg_too_long")
    return text, blocks, attachments


HANDLERS: dict[str, Handler] = {
    "chat.postMessage": post_message,
    "chat.postEphemeral": post_ephemeral,
    "chat.update": update,
    "chat.delete": delete,
}
