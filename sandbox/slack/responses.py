"""Replies through ``response_url`` (and a slash command's immediate answer), as Slack shows them.

A reply is ephemeral unless ``response_type`` is ``in_channel``; for a message interaction
``replace_original`` edits and ``delete_original`` removes the message it came from. A
response URL works five times within thirty minutes.
"""

from __future__ import annotations

from typing import Any

from sandbox.slack.blockkit_limits import check_message_blocks
from sandbox.slack.blocks import with_generated_ids
from sandbox.slack.errors import SlackApiError
from sandbox.slack.model import Message, ResponseUrl, ResponseUrlPost, truthy
from sandbox.slack.state import RESPONSE_URL_SECONDS, RESPONSE_URL_USES, SlackState


def receive(state: SlackState, key: str, body: Any) -> tuple[int, dict[str, Any]]:
    """Handle a POST to ``/response/<key>``: HTTP status and JSON answer."""
    with state.lock:
        issued = state.response_urls.get(key)
        if issued is None:
            return 404, {"ok": False, "error": "invalid_url"}
        if state.now() - issued.issued_at > RESPONSE_URL_SECONDS:
            return 404, {"ok": False, "error": "expired_url"}
        if issued.uses >= RESPONSE_URL_USES:
            return 404, {"ok": False, "error": "used_url"}
        issued.uses += 1
        try:
            deliver(state, issued, body, via="response_url")
        except SlackApiError as error:
            _record(state, issued, body, error.code)
            return 400, error.body()
        _record(state, issued, body, None)
        return 200, {"ok": True}


def deliver(state: SlackState, origin: ResponseUrl, body: Any, *, via: str) -> None:
    """Show a reply the way Slack would; `SlackApiError` if Slack would refuse it."""
    if not isinstance(body, dict):
        raise SlackApiError("invalid_payload")
    blocks = body.get("blocks")
    if blocks is not None:
        problems = check_message_blocks(blocks)
        if problems:
            raise SlackApiError("invalid_blocks", errors=problems)
        blocks = with_generated_ids(blocks)
    with state.lock:
        original = _original(state, origin)
        if truthy(body.get("delete_original")):
            if original is not None:
                original.deleted = True
            return
        if truthy(body.get("replace_original")) and original is not None:
            original.text = str(body.get("text") or "")
            original.blocks = blocks or []
            original.edited_ts = state.next_ts()
            return
        if not body.get("text") and not blocks:
            raise SlackApiError("no_text")
        _post(state, origin, body, blocks or [], via)


def _post(
    state: SlackState, origin: ResponseUrl, body: dict[str, Any], blocks: list[Any], via: str
) -> None:
    installation = state.installations.get(origin.team_id)
    in_channel = body.get("response_type") == "in_channel"
    state.add_message(
        Message(
            team_id=origin.team_id,
            channel_id=origin.channel_id or "",
            ts=state.next_ts(),
            text=str(body.get("text") or ""),
            blocks=blocks,
            user=installation.bot_user_id if installation else None,
            bot_id=installation.bot_id if installation else None,
            thread_ts=body.get("thread_ts"),
            ephemeral_to=None if in_channel else origin.user_id,
            via=via,
        )
    )


def _original(state: SlackState, origin: ResponseUrl) -> Message | None:
    """The message the interaction came from: a channel message, or an ephemeral one shown
    to the user who clicked (Slack replaces and deletes those through the response URL too,
    the only way an app can, having no ts to call chat.update with)."""
    if origin.message_ts is None or origin.channel_id is None:
        return None
    try:
        return state.message(origin.team_id, origin.channel_id, origin.message_ts)
    except SlackApiError:
        pass
    where = (origin.team_id, origin.channel_id, origin.message_ts, origin.user_id)
    for message in state.messages:
        shown = (message.team_id, message.channel_id, message.ts, message.ephemeral_to)
        if shown == where and not message.deleted:
            return message
    return None


def _record(state: SlackState, issued: ResponseUrl, body: Any, error: str | None) -> None:
    state.response_posts.append(
        ResponseUrlPost(
            url=issued.url,
            team_id=issued.team_id,
            channel_id=issued.channel_id,
            user_id=issued.user_id,
            body=body if isinstance(body, dict) else {"raw": body},
            at=state.now(),
            accepted=error is None,
            error=error,
        )
    )
    state.touch()
