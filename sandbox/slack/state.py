"""The stand-in's in-memory Slack: workspaces, people, channels, messages, tokens and the rest.

One `SlackState` is shared by the HTTP server's threads, the driver and the test; every
read or change happens under `lock`. Lookups always take the workspace they are made from,
because a token of workspace A must never reveal anything of workspace B: an id from another
workspace is answered exactly like an id that does not exist.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sandbox.slack import ids
from sandbox.slack.clock import Clock
from sandbox.slack.errors import SlackApiError
from sandbox.slack.model import (
    AppConfig,
    Channel,
    File,
    Installation,
    Message,
    OAuthGrant,
    PendingInstall,
    RecordedCall,
    ResponseUrl,
    ResponseUrlPost,
    Token,
    Trigger,
    User,
    View,
    Workspace,
)

if TYPE_CHECKING:
    from sandbox.slack.events import EventQueue

#: Slack's documented lifetimes.
TRIGGER_SECONDS = 3.0
RESPONSE_URL_SECONDS = 30 * 60
RESPONSE_URL_USES = 5
OAUTH_CODE_SECONDS = 10 * 60


class SlackState:
    """Everything the stand-in knows; see the module docstring for the locking rule."""

    def __init__(
        self, app: AppConfig, clock: Clock, *, trigger_seconds: float = TRIGGER_SECONDS
    ) -> None:
        self.app = app
        self.clock = clock
        self.lock = threading.RLock()
        #: Grows with every change someone watching Slack could see (a Web API call, a message,
        #: a response_url post); `changed` is notified then, so a watcher waits instead of polls.
        self.generation = 0
        self.changed = threading.Condition(self.lock)
        #: ``http://127.0.0.1:PORT`` once the server listens; response and file URLs use it.
        self.base_url = ""
        self.workspaces: dict[str, Workspace] = {}
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.messages: list[Message] = []
        self.installations: dict[str, Installation] = {}
        self.tokens: dict[str, Token] = {}
        self.views: dict[str, View] = {}
        self.modal_stacks: dict[tuple[str, str], list[str]] = {}
        self.homes: dict[tuple[str, str], str] = {}
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.response_posts: list[ResponseUrlPost] = []
        self.files: dict[str, File] = {}
        self.calls: list[RecordedCall] = []
        self.pending_installs: deque[PendingInstall] = deque()
        self.grants: dict[str, OAuthGrant] = {}
        self.rate_limits: dict[str, tuple[int, int]] = {}
        #: ``ws://127.0.0.1:PORT`` while the app may connect over Socket Mode, else empty.
        self.socket_url = ""
        self.socket_tickets: set[str] = set()
        self._last_ts = 0.0
        self.trigger_seconds = trigger_seconds
        #: Events Slack sends on its own (messages, mentions, reactions), when the app
        #: subscribes to any; None: the stand-in sends only what a test asks the driver to.
        self.events: EventQueue | None = None

    def now(self) -> float:
        return self.clock()

    def touch(self) -> None:
        """Tell whoever waits on `changed` that something visible changed."""
        with self.changed:
            self.generation += 1
            self.changed.notify_all()

    # -- building a world ----------------------------------------------------------------

    def add_workspace(self, name: str, domain: str | None = None) -> Workspace:
        with self.lock:
            workspace = Workspace(
                id=ids.slack_id("T"), name=name, domain=domain or _slug(name) or "workspace"
            )
            self.workspaces[workspace.id] = workspace
            return workspace

    def add_user(self, team_id: str, name: str, **details: Any) -> User:
        with self.lock:
            self.workspace(team_id)
            details.setdefault("real_name", name.replace(".", " ").title())
            user = User(id=ids.slack_id("U"), team_id=team_id, name=name, **details)
            self.users[user.id] = user
            return user

    def add_channel(
        self, team_id: str, name: str, *, is_private: bool = False, members: Iterable[str] = ()
    ) -> Channel:
        with self.lock:
            self.workspace(team_id)
            channel = Channel(
                id=ids.slack_id("G" if is_private else "C"),
                team_id=team_id,
                name=name.lstrip("#"),
                created=int(self.now()),
                is_private=is_private,
                members={self.user(team_id, member).id for member in members},
            )
            self.channels[channel.id] = channel
            return channel

    # -- installs and tokens -------------------------------------------------------------

    def install(
        self,
        team_id: str,
        installer_id: str,
        scopes: Iterable[str],
        user_scopes: Iterable[str] = (),
    ) -> Installation:
        """Install (or reinstall) the app; the bot user survives reinstalls, as in Slack."""
        with self.lock:
            installer = self.user(team_id, installer_id)
            previous = self.installations.get(team_id)
            bot_scopes, human_scopes = frozenset(scopes), frozenset(user_scopes)
            if previous is None:
                bot = self.add_user(team_id, "billing_bot", real_name="Billing Bot", is_bot=True)
                bot.bot_id = ids.slack_id("B")
                bot_user_id, bot_id = bot.id, bot.bot_id
            else:
                bot_user_id, bot_id = previous.bot_user_id, previous.bot_id
            bot_token = self._bot_token_for(previous, bot_scopes, team_id, bot_user_id)
            user_token = None
            if human_scopes:
                user_token = ids.user_token()
                self.tokens[user_token] = Token(
                    user_token, team_id, "user", installer.id, human_scopes
                )
            installation = Installation(
                team_id=team_id,
                bot_user_id=bot_user_id,
                bot_id=bot_id,
                bot_token=bot_token,
                scopes=bot_scopes,
                installer_id=installer.id,
                user_token=user_token,
                user_scopes=human_scopes,
            )
            self.installations[team_id] = installation
            return installation

    def _bot_token_for(
        self, previous: Installation | None, scopes: frozenset[str], team_id: str, bot_user: str
    ) -> str:
        # A reinstall keeps a live bot token (with the new scopes); a revoked one is replaced.
        if previous is not None:
            token = self.tokens[previous.bot_token]
            if not token.revoked:
                token.scopes = scopes
                return token.value
        value = ids.bot_token()
        self.tokens[value] = Token(value, team_id, "bot", bot_user, scopes)
        return value

    def revoke(self, team_id: str) -> Installation:
        """Revoke every token of the workspace's installation and mark it inactive."""
        with self.lock:
            installation = self.installation(team_id)
            for token in self.tokens.values():
                if token.team_id == team_id:
                    token.revoked = True
            installation.active = False
            return installation

    def issue_app_token(self, scopes: Iterable[str]) -> str:
        """A new app-level token (``xapp-``), as the app's settings page makes one."""
        with self.lock:
            value = ids.app_token(self.app.app_id)
            self.tokens[value] = Token(value, "", "app", "", frozenset(scopes))
            return value

    def issue_socket_ticket(self) -> str:
        """A ticket for one WebSocket connection, which `redeem_socket_ticket` uses up."""
        with self.lock:
            ticket = ids.opaque(24)
            self.socket_tickets.add(ticket)
            return ticket

    def redeem_socket_ticket(self, ticket: str) -> bool:
        with self.lock:
            if ticket not in self.socket_tickets:
                return False
            self.socket_tickets.discard(ticket)
            return True

    def authenticate(self, token: str | None) -> Token:
        """The live token, or Slack's ``not_authed`` / ``invalid_auth`` / ``token_revoked``."""
        if not token:
            raise SlackApiError("not_authed")
        with self.lock:
            found = self.tokens.get(token)
            if found is None:
                raise SlackApiError("invalid_auth")
            if found.revoked:
                raise SlackApiError("token_revoked")
            return found

    def installation(self, team_id: str) -> Installation:
        with self.lock:
            installation = self.installations.get(team_id)
            if installation is None:
                raise LookupError(f"the app is not installed in {team_id}")
            return installation

    # -- lookups, always within one workspace --------------------------------------------

    def workspace(self, team_id: str) -> Workspace:
        with self.lock:
            workspace = self.workspaces.get(team_id)
            if workspace is None:
                raise LookupError(f"no workspace {team_id}")
            return workspace

    def user(self, team_id: str, user_id: str) -> User:
        """The user, or ``user_not_found`` (also for a user of another workspace)."""
        with self.lock:
            user = self.users.get(user_id)
            if user is None or user.team_id != team_id:
                raise SlackApiError("user_not_found")
            return user

    def channel(self, team_id: str, ref: str) -> Channel:
        """A channel by id, ``#name`` or name; ``channel_not_found`` outside the workspace."""
        with self.lock:
            channel = self.channels.get(ref)
            if channel is not None and channel.team_id == team_id:
                return channel
            name = ref.lstrip("#")
            for candidate in self.channels.values():
                named = not candidate.is_im and candidate.name == name
                if named and candidate.team_id == team_id:
                    return candidate
            raise SlackApiError("channel_not_found")

    def open_im(self, team_id: str, bot_user_id: str, user_id: str) -> tuple[Channel, bool]:
        """The bot's direct message with the user, and whether it existed already."""
        with self.lock:
            user = self.user(team_id, user_id)
            for channel in self.channels.values():
                if channel.is_im and channel.team_id == team_id and channel.im_user == user.id:
                    return channel, True
            channel = Channel(
                id=ids.slack_id("D"),
                team_id=team_id,
                name=user.id,
                created=int(self.now()),
                is_private=True,
                is_im=True,
                members={user.id, bot_user_id},
                im_user=user.id,
            )
            self.channels[channel.id] = channel
            return channel, False

    # -- messages ------------------------------------------------------------------------

    def next_ts(self) -> str:
        """A message ts: seconds with six decimals, strictly increasing as Slack's are."""
        with self.lock:
            self._last_ts = max(round(self.now(), 6), round(self._last_ts + 0.000001, 6))
            return f"{self._last_ts:.6f}"

    def add_message(self, message: Message) -> Message:
        with self.lock:
            self.messages.append(message)
            self.touch()
            return message

    def message(self, team_id: str, channel_id: str, ts: str) -> Message:
        """A live (not deleted, not ephemeral) message, or ``message_not_found``."""
        with self.lock:
            for message in self.messages:
                same = (message.team_id, message.channel_id, message.ts)
                live = not message.deleted and message.ephemeral_to is None
                if live and same == (team_id, channel_id, ts):
                    return message
            raise SlackApiError("message_not_found")

    # -- triggers and response URLs ------------------------------------------------------

    def issue_trigger(self, team_id: str, user_id: str, view_id: str | None = None) -> Trigger:
        with self.lock:
            trigger = Trigger(ids.trigger_id(), team_id, user_id, self.now(), view_id)
            self.triggers[trigger.id] = trigger
            return trigger

    def exchange_trigger(self, team_id: str, trigger_id: str | None) -> Trigger:
        """Use a trigger once: ``invalid_trigger_id``/``exchanged_trigger_id``/``expired_…``."""
        with self.lock:
            trigger = self.triggers.get(trigger_id or "")
            if trigger is None or trigger.team_id != team_id:
                raise SlackApiError("invalid_trigger_id")
            if trigger.used:
                raise SlackApiError("exchanged_trigger_id")
            if self.now() - trigger.issued_at > self.trigger_seconds:
                raise SlackApiError("expired_trigger_id")
            trigger.used = True
            return trigger

    def issue_response_url(
        self,
        team_id: str,
        channel_id: str | None,
        user_id: str,
        message_ts: str | None = None,
    ) -> ResponseUrl:
        with self.lock:
            key = ids.opaque()
            url = f"{self.base_url}/response/{key}"
            issued = ResponseUrl(key, url, team_id, channel_id, user_id, self.now(), message_ts)
            self.response_urls[key] = issued
            return issued

    # -- bookkeeping ---------------------------------------------------------------------

    def record_call(self, call: RecordedCall) -> None:
        with self.lock:
            self.calls.append(call)
            self.touch()

    def rate_limit(self, method: str, calls: int, retry_after: int) -> None:
        with self.lock:
            self.rate_limits[method] = (calls, retry_after)

    def take_rate_limit(self, method: str) -> int | None:
        """Seconds to wait if this call of `method` is to be refused as rate limited."""
        with self.lock:
            remaining, retry_after = self.rate_limits.get(method, (0, 0))
            if remaining <= 0:
                return None
            self.rate_limits[method] = (remaining - 1, retry_after)
            return retry_after

    def add_file(self, file: File) -> File:
        with self.lock:
            self.files[file.id] = file
            return file

    def file(self, team_id: str, file_id: str) -> File:
        with self.lock:
            file = self.files.get(file_id)
            if file is None or file.team_id != team_id:
                raise SlackApiError("file_not_found")
            if file.deleted:
                raise SlackApiError("file_deleted")
            return file


def _slug(name: str) -> str:
    return "".join(char if char.isalnum() else "-" for char in name.lower()).strip("-")
