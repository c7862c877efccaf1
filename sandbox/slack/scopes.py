"""Which OAuth scopes each Web API method needs, so a token without them gets ``missing_scope``.

From each method's reference page on docs.slack.dev ("Required scopes", bot tokens). The
conversations methods need a scope that depends on the kind of conversation; their handlers
ask for it with `scope_for_channel`.
"""

from __future__ import annotations

from sandbox.slack.model import Channel

#: Any one of the listed scopes is enough; methods not listed need none.
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "chat.postMessage": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.delete": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "users.info": ("users:read",),
    "users.list": ("users:read",),
    "team.info": ("team:read",),
    "conversations.open": ("im:write", "mpim:write"),
    "conversations.join": ("channels:join",),
    "files.getUploadURLExternal": ("files:write",),
    "files.completeUploadExternal": ("files:write",),
    "files.info": ("files:read",),
    "files.delete": ("files:write",),
    # An app-level token's scope, granted on the app's settings page.
    "apps.connections.open": ("connections:write",),
}

#: Posting to a public channel the bot has not joined needs this one as well.
WRITE_PUBLIC = "chat:write.public"
#: Without it, users.info and users.list leave ``profile.email`` out.
READ_EMAIL = "users:read.email"

#: Every scope a directly installed test app gets unless the test says otherwise.
DEFAULT_BOT_SCOPES = frozenset(
    {
        "chat:write",
        "commands",
        "users:read",
        "users:read.email",
        "team:read",
        "im:write",
        "im:read",
        "channels:read",
        "channels:join",
        "groups:read",
        "files:read",
        "files:write",
        "channels:history",
        "groups:history",
        "im:history",
        "app_mentions:read",
        "reactions:read",
    }
)


def scope_for_channel(channel: Channel) -> str:
    """The read scope conversations.info/members need for this kind of conversation."""
    if channel.is_im:
        return "im:read"
    return "groups:read" if channel.is_private else "channels:read"
