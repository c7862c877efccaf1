"""Files: the three-step external upload, ``files.info``, ``files.delete``, and private
downloads.

The app uploads with ``files.getUploadURLExternal`` → POST the bytes to ``upload_url`` →
``files.completeUploadExternal``. Downloading ``url_private`` needs a live token of the file's
workspace in ``Authorization: Bearer``; without one Slack redirects to its sign-in page (so a
careless app downloads HTML instead of the file), and the stand-in does the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sandbox.slack import ids
from sandbox.slack.api import Call, Handler
from sandbox.slack.errors import SlackApiError
from sandbox.slack.methods_chat import writable_channel
from sandbox.slack.model import File, Message
from sandbox.slack.shapes import file_json, file_type_of, message_json
from sandbox.slack.state import SlackState

_PRIVATE_PATH = re.compile(r"^/files-pri/(?P<team>T[A-Z0-9]+)-(?P<file>F[A-Z0-9]+)/")
SIGN_IN_PAGE = (
    "<!DOCTYPE html><html><head><title>Sign in | Slack</title></head><body></body></html>"
)


@dataclass(frozen=True)
class Download:
    """An HTTP answer for ``GET url_private``."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    #: Seconds between the body's bytes (None: sent at once); see `File.byte_every`.
    byte_every: float | None = None


def get_upload_url(call: Call) -> dict[str, Any]:
    name = call.text("filename", missing="invalid_arguments") or ""
    try:
        length = int(call.args.get("length") or "")
    except ValueError:
        raise SlackApiError("invalid_arguments") from None
    mimetype, filetype = file_type_of(name)
    file = call.state.add_file(
        File(
            id=ids.slack_id("F"),
            team_id=call.team_id,
            user_id=call.installation.bot_user_id,
            name=name,
            title=name,
            mimetype=mimetype,
            filetype=filetype,
            created=int(call.state.now()),
            upload_key=ids.opaque(),
            declared_size=length,
            alt_txt=call.text("alt_txt"),
        )
    )
    return {"upload_url": f"{call.state.base_url}/upload/v1/{file.upload_key}", "file_id": file.id}


def complete_upload(call: Call) -> dict[str, Any]:
    entries = call.decoded("files", bad_format="invalid_arguments")
    if not isinstance(entries, list) or not entries:
        raise SlackApiError("invalid_arguments")
    uploaded = []
    for entry in entries:
        file = call.state.file(call.team_id, str(entry.get("id", "")))
        if file.content is None:
            raise SlackApiError("file_not_found")
        file.title = str(entry.get("title") or file.title)
        uploaded.append(file)
    channel_ref = call.text("channel_id") or call.text("channels")
    if channel_ref:
        _share(call, channel_ref, uploaded)
    for file in uploaded:
        file.complete = True
    return {"files": [{"id": file.id, "title": file.title} for file in uploaded]}


def files_info(call: Call) -> dict[str, Any]:
    file = call.state.file(call.team_id, call.text("file", missing="file_not_found") or "")
    return {
        "file": file_json(call.state, file),
        "comments": [],
        "response_metadata": {"next_cursor": ""},
    }


def files_delete(call: Call) -> dict[str, Any]:
    """A bot deletes a file it uploaded itself; anyone else's is ``cant_delete_file``."""
    file = call.state.file(call.team_id, call.text("file", missing="file_not_found") or "")
    if file.user_id != call.installation.bot_user_id:
        raise SlackApiError("cant_delete_file")
    remove_file(call.state, file)
    return {}


def remove_file(state: SlackState, file: File) -> None:
    """Delete `file` as Slack does: it leaves every message that shared it (a message left
    with nothing to show is deleted), and the app hears ``file_deleted``."""
    with state.lock:
        file.deleted = True
        for message in state.messages:
            if file.id not in message.files or message.deleted:
                continue
            previous = message_json(state, message)
            message.files.remove(file.id)
            if not message.text and not message.files and not message.blocks:
                message.deleted = True
                if state.events is not None:
                    state.events.deleted(message, previous)
            elif state.events is not None:
                state.events.changed(message, previous)
        state.touch()
        if state.events is not None:
            state.events.file_deleted(file)


def receive_upload(state: SlackState, upload_key: str, content: bytes) -> tuple[int, str]:
    """Store the bytes POSTed to an upload URL; Slack answers ``OK - <size>``."""
    with state.lock:
        for file in state.files.values():
            if file.upload_key == upload_key and not file.complete:
                file.content = content
                return 200, f"OK - {len(content)}"
    return 404, "upload URL not found"


def download(state: SlackState, path: str, bearer: str | None) -> Download:
    """Serve a private file to a live token of its workspace, else the sign-in redirect."""
    match = _PRIVATE_PATH.match(path)
    with state.lock:
        file = state.files.get(match["file"]) if match else None
        if (
            file is None
            or file.content is None
            or file.deleted
            or match is None
            or file.team_id != match["team"]
        ):
            return Download(404, b"file not found")
        token = state.tokens.get(bearer or "")
        if token is None or token.revoked or token.team_id != file.team_id:
            return Download(302, b"", {"Location": f"{state.base_url}/signin?redir={path}"})
        return Download(
            200,
            file.content,
            {
                "Content-Type": file.mimetype,
                "Content-Disposition": f'attachment; filename="{file.name}"',
                "Content-Length": str(len(file.content)),
            },
            file.byte_every,
        )


def unusable_slack_files(state: SlackState, team_id: str, blocks: Any) -> list[str]:
    """Problems with the ``slack_file`` ids of image blocks: Slack shows only an image file
    of the same workspace whose upload was completed, and refuses the view otherwise."""
    problems = []
    for index, block in enumerate(blocks if isinstance(blocks, list) else []):
        reference = block.get("slack_file") if isinstance(block, dict) else None
        if not isinstance(reference, dict) or "id" not in reference:
            continue
        with state.lock:
            file = state.files.get(str(reference["id"]))
            usable = (
                file is not None
                and file.team_id == team_id
                and file.complete
                and file.mimetype.startswith("image/")
            )
        if not usable:
            problems.append(
                f"no image file {reference['id']} in this workspace "
                f"[json-pointer:/view/blocks/{index}/slack_file/id]"
            )
    return problems


def _share(call: Call, channel_ref: str, uploaded: list[File]) -> None:
    channel = writable_channel(call, channel_ref.split(",")[0])
    for file in uploaded:
        file.channels.append(channel.id)
    shared = call.state.add_message(
        Message(
            team_id=call.team_id,
            channel_id=channel.id,
            ts=call.state.next_ts(),
            text=call.text("initial_comment") or "",
            blocks=[],
            user=call.installation.bot_user_id,
            bot_id=call.installation.bot_id,
            thread_ts=call.text("thread_ts"),
            files=[file.id for file in uploaded],
            via="files.completeUploadExternal",
        )
    )
    if call.state.events is not None:
        call.state.events.posted(shared)


HANDLERS: dict[str, Handler] = {
    "files.getUploadURLExternal": get_upload_url,
    "files.completeUploadExternal": complete_upload,
    "files.info": files_info,
    "files.delete": files_delete,
}
