"""The things a Slack workspace holds, as the stand-in keeps them in memory.

Plain mutable dataclasses: `state.SlackState` owns them and guards them with its lock; tests
read them (``message.text``, ``view.callback_id``) but change them only through the stand-in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class AppConfig:
    """The one Slack app the stand-in hosts: the billing bot as its manifest describes it."""

    app_id: str
    client_id: str
    client_secret: str
    signing_secret: str
    verification_token: str
    #: Allowed OAuth redirect URLs; empty means any (Slack checks them against the manifest).
    redirect_urls: tuple[str, ...] = ()


@dataclass
class Workspace:
    """A Slack workspace (team): ``T…`` id, name and subdomain."""

    id: str
    name: str
    domain: str

    @property
    def url(self) -> str:
        return f"https://{self.domain}.slack.com/"


@dataclass
class User:
    """A member of one workspace (``U…``), human or the app's bot user."""

    id: str
    team_id: str
    name: str
    real_name: str
    tz: str = "UTC"
    is_admin: bool = False
    is_owner: bool = False
    is_bot: bool = False
    email: str | None = None
    bot_id: str | None = None
    deleted: bool = False


@dataclass
class Channel:
    """A conversation: public ``C…``, private ``G…``, or a direct message ``D…``."""

    id: str
    team_id: str
    name: str
    created: int
    is_private: bool = False
    is_im: bool = False
    is_archived: bool = False
    members: set[str] = field(default_factory=set)
    #: For a direct message, the human on the other side of the bot.
    im_user: str | None = None


@dataclass
class Message:
    """A message in a channel, or an ephemeral one only `ephemeral_to` sees."""

    team_id: str
    channel_id: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    user: str | None
    bot_id: str | None = None
    thread_ts: str | None = None
    ephemeral_to: str | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    subtype: str | None = None
    edited_ts: str | None = None
    deleted: bool = False
    #: How it got there: a Web API method, ``response_url`` or ``ack`` (a command's answer).
    via: str = "chat.postMessage"
    #: Emoji names and who added each, in the order they were first added.
    reactions: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Installation:
    """The app installed in one workspace: its bot user and the tokens issued for it."""

    team_id: str
    bot_user_id: str
    bot_id: str
    bot_token: str
    scopes: frozenset[str]
    installer_id: str
    user_token: str | None = None
    user_scopes: frozenset[str] = frozenset()
    active: bool = True


@dataclass
class Token:
    """An access token; a bot or user token belongs to exactly one workspace, an app-level
    token to the app itself (its `team_id` and `user_id` are empty)."""

    value: str
    team_id: str
    kind: Literal["bot", "user", "app"]
    user_id: str
    scopes: frozenset[str]
    revoked: bool = False


@dataclass
class View:
    """A modal (in a user's stack) or a user's App Home, with what the user has entered."""

    id: str
    team_id: str
    user_id: str
    type: Literal["modal", "home"]
    #: The view as the app sent it, with the block and action ids Slack fills in.
    definition: dict[str, Any]
    hash: str
    root_view_id: str
    previous_view_id: str | None = None
    #: The trigger the app used to open or push it (how a test finds "the modal it opened").
    trigger_id: str | None = None
    #: What the user entered so far: ``{block_id: {action_id: state value}}``.
    values: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    closed: bool = False

    @property
    def blocks(self) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = self.definition.get("blocks", [])
        return blocks

    @property
    def callback_id(self) -> str:
        return str(self.definition.get("callback_id", ""))

    @property
    def external_id(self) -> str:
        return str(self.definition.get("external_id", ""))

    @property
    def private_metadata(self) -> str:
        return str(self.definition.get("private_metadata", ""))

    @property
    def title(self) -> str:
        title = self.definition.get("title") or {}
        return str(title.get("text", ""))


@dataclass
class Trigger:
    """A ``trigger_id``: good for one views.open/push within three seconds of the interaction."""

    id: str
    team_id: str
    user_id: str
    issued_at: float
    #: Set when the interaction happened inside a modal, so views.push knows which stack.
    view_id: str | None = None
    used: bool = False


@dataclass
class ResponseUrl:
    """A ``response_url`` the stand-in issued with a command or a message interaction."""

    id: str
    url: str
    team_id: str
    channel_id: str | None
    user_id: str
    issued_at: float
    #: The message the interaction came from, for ``replace_original``/``delete_original``.
    message_ts: str | None = None
    uses: int = 0


@dataclass(frozen=True)
class ResponseUrlPost:
    """One POST the app made to a response URL, and whether Slack would have taken it."""

    url: str
    team_id: str
    channel_id: str | None
    user_id: str
    body: dict[str, Any]
    at: float
    accepted: bool
    error: str | None = None

    @property
    def response_type(self) -> str:
        return str(self.body.get("response_type") or "ephemeral")

    @property
    def text(self) -> str:
        return str(self.body.get("text") or "")

    @property
    def replace_original(self) -> bool:
        return truthy(self.body.get("replace_original"))

    @property
    def delete_original(self) -> bool:
        return truthy(self.body.get("delete_original"))


@dataclass
class File:
    """A file hosted by the stand-in: uploaded by the app, or by a user through file_input."""

    id: str
    team_id: str
    user_id: str
    name: str
    title: str
    mimetype: str
    filetype: str
    created: int
    upload_key: str
    content: bytes | None = None
    declared_size: int = 0
    complete: bool = False
    alt_txt: str | None = None
    channels: list[str] = field(default_factory=list)
    #: Seconds between the bytes of a download, as over a congested network (None: at once);
    #: for trying the app's time limit on a download.
    byte_every: float | None = None
    #: Deleted by its uploader (or by the app, its own): gone from every message that shared
    #: it, and Slack answers ``file_deleted`` for it.
    deleted: bool = False

    @property
    def size(self) -> int:
        return len(self.content) if self.content is not None else self.declared_size


@dataclass(frozen=True)
class RecordedCall:
    """One Web API call as the stand-in saw it: tokens redacted, the answer, its duration."""

    method: str
    team_id: str | None
    args: dict[str, Any]
    response: dict[str, Any]
    status: int
    ms: float
    at: float

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        error = self.response.get("error")
        return None if error is None else str(error)


@dataclass(frozen=True)
class PendingInstall:
    """Who approves the next OAuth authorize request (a test chooses beforehand)."""

    team_id: str
    user_id: str
    approve: bool = True


@dataclass
class OAuthGrant:
    """An OAuth ``code`` issued by the authorize step, exchanged once by ``oauth.v2.access``."""

    code: str
    client_id: str
    team_id: str
    user_id: str
    scopes: frozenset[str]
    user_scopes: frozenset[str]
    redirect_uri: str | None
    issued_at: float
    used: bool = False


def truthy(value: object) -> bool:
    """A JSON flag as Slack reads it: ``true`` or the string ``"true"``."""
    return value is True or (isinstance(value, str) and value.lower() == "true")
