"""Slack's JSON objects for users, conversations, messages and files, built from the model."""

from __future__ import annotations

import mimetypes
import zoneinfo
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from sandbox.slack.model import Channel, File, Message, User
from sandbox.slack.state import SlackState


def user_json(user: User, *, with_email: bool, now: float) -> dict[str, Any]:
    """A user object as ``users.info`` and ``users.list`` return it."""
    zone = zoneinfo.ZoneInfo(user.tz)
    moment = datetime.fromtimestamp(now, tz=UTC).astimezone(zone)
    offset = moment.utcoffset()
    profile: dict[str, Any] = {
        "real_name": user.real_name,
        "real_name_normalized": user.real_name,
        "display_name": user.name,
        "display_name_normalized": user.name,
        "status_text": "",
        "status_emoji": "",
        "team": user.team_id,
    }
    if with_email and user.email:
        profile["email"] = user.email
    if user.bot_id:
        profile["bot_id"] = user.bot_id
    return {
        "id": user.id,
        "team_id": user.team_id,
        "name": user.name,
        "deleted": user.deleted,
        "color": "9f69e7",
        "real_name": user.real_name,
        "tz": user.tz,
        "tz_label": moment.tzname(),
        "tz_offset": int(offset.total_seconds()) if offset else 0,
        "profile": profile,
        "is_admin": user.is_admin,
        "is_owner": user.is_owner,
        "is_primary_owner": user.is_owner,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": user.is_bot,
        "is_app_user": False,
        "updated": int(now),
    }


def channel_json(channel: Channel, bot_user_id: str | None) -> dict[str, Any]:
    """A conversation object as ``conversations.info`` and ``conversations.list`` return it."""
    if channel.is_im:
        return {
            "id": channel.id,
            "created": channel.created,
            "is_im": True,
            "is_org_shared": False,
            "user": channel.im_user,
            "is_user_deleted": False,
            "priority": 0,
        }
    empty_text = {"value": "", "creator": "", "last_set": 0}
    return {
        "id": channel.id,
        "name": channel.name,
        "name_normalized": channel.name,
        "is_channel": not channel.is_private,
        "is_group": channel.is_private,
        "is_im": False,
        "is_mpim": False,
        "is_private": channel.is_private,
        "created": channel.created,
        "is_archived": channel.is_archived,
        "is_general": channel.name == "general",
        "unlinked": 0,
        "is_shared": False,
        "is_org_shared": False,
        "is_ext_shared": False,
        "is_member": bot_user_id in channel.members,
        "creator": "",
        "topic": dict(empty_text),
        "purpose": dict(empty_text),
        "num_members": len(channel.members),
    }


def message_json(state: SlackState, message: Message) -> dict[str, Any]:
    """A message object as ``chat.postMessage`` and ``chat.update`` echo it."""
    payload: dict[str, Any] = {
        "type": "message",
        "text": message.text,
        "user": message.user,
        "ts": message.ts,
        "team": message.team_id,
        "blocks": message.blocks,
    }
    if message.bot_id:
        payload.update(bot_id=message.bot_id, app_id=state.app.app_id)
    for key in ("thread_ts", "subtype"):
        if getattr(message, key):
            payload[key] = getattr(message, key)
    if message.attachments:
        payload["attachments"] = message.attachments
    if message.files:
        payload["files"] = [file_json(state, state.files[file_id]) for file_id in message.files]
    if message.edited_ts:
        payload["edited"] = {"user": message.user, "ts": message.edited_ts}
    return payload


def file_json(state: SlackState, file: File) -> dict[str, Any]:
    """A file object as ``files.info`` returns it and ``file_input`` state carries it."""
    workspace = state.workspaces[file.team_id]
    base = f"{state.base_url}/files-pri/{file.team_id}-{file.id}"
    name = quote(file.name)
    channels = [state.channels[c] for c in file.channels if c in state.channels]
    payload: dict[str, Any] = {
        "id": file.id,
        "created": file.created,
        "timestamp": file.created,
        "name": file.name,
        "title": file.title,
        "mimetype": file.mimetype,
        "filetype": file.filetype,
        "pretty_type": file.filetype.upper(),
        "user": file.user_id,
        "user_team": file.team_id,
        "editable": False,
        "size": file.size,
        "mode": "hosted",
        "is_external": False,
        "external_type": "",
        "is_public": any(not channel.is_private for channel in channels),
        "public_url_shared": False,
        "display_as_bot": False,
        "username": "",
        "url_private": f"{base}/{name}",
        "url_private_download": f"{base}/download/{name}",
        "permalink": f"{workspace.url}files/{file.user_id}/{file.id}/{name}",
        "permalink_public": f"https://slack-files.com/{file.team_id}-{file.id}-{file.upload_key[:10]}",
        "channels": [c.id for c in channels if not c.is_private],
        "groups": [c.id for c in channels if c.is_private and not c.is_im],
        "ims": [c.id for c in channels if c.is_im],
        "comments_count": 0,
    }
    if file.alt_txt:
        payload["alt_txt"] = file.alt_txt
    return payload


def file_type_of(name: str) -> tuple[str, str]:
    """``(mimetype, filetype)`` from the name, as Slack labels an upload by its extension."""
    mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else "binary"
    filetype = {"jpeg": "jpg", "txt": "text", "htm": "html"}.get(extension, extension)
    return mimetype, filetype
