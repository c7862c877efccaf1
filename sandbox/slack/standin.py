"""`SlackStandIn`: one object for a test to start local Slack, shape its world and look inside.

with SlackStandIn(signing_secret="s3cret", app_url="http://127.0.0.1:8000") as slack:
    clinic = slack.create_workspace("Sunrise Therapy")
    ada = slack.create_user(clinic, "ada", tz="Europe/Berlin", is_admin=True)
    slack.install_via_oauth(f"{app}/slack/install", clinic, ada)
    command = slack.driver.slash_command(ada, "/billing")
    view = command.opened_view()
    slack.driver.submit_view(view, {"currency": "EUR"})
    assert slack.calls("chat.postMessage")
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from sandbox.slack import ids, views
from sandbox.slack.browser import InstallWalk, walk_install
from sandbox.slack.clock import Clock
from sandbox.slack.driver import SlackDriver
from sandbox.slack.events import DeliveredEvent, EventPump, EventQueue
from sandbox.slack.files import remove_file
from sandbox.slack.interactions import EventDelivery
from sandbox.slack.model import (
    AppConfig,
    Channel,
    File,
    Installation,
    Message,
    PendingInstall,
    RecordedCall,
    ResponseUrlPost,
    User,
    View,
    Workspace,
)
from sandbox.slack.scopes import DEFAULT_BOT_SCOPES
from sandbox.slack.server import StandInServer
from sandbox.slack.shapes import file_type_of, message_json
from sandbox.slack.socket_mode import SocketModeServer, SocketModeTransport
from sandbox.slack.state import TRIGGER_SECONDS, SlackState
from sandbox.slack.waiting import DEFAULT_TIMEOUT, wait_for

WorkspaceRef = Workspace | str
UserRef = User | str
ChannelRef = Channel | str


class SlackStandIn:
    """Local Slack for one app: the HTTP server, its in-memory world, and a driver.

    `app_url` is where the app listens (its Request URL is ``app_url + events_path``);
    without it the `driver` can only fill in views. With `socket_mode` the app is set up for
    Socket Mode instead: it connects with an app-level token (`app_token`) and the driver
    sends it everything over that connection. `clock` drives the expiry of triggers,
    OAuth codes and response URLs (a `ManualClock` lets a test expire them without sleeping).
    `subscriptions` are the app's manifest ``bot_events`` (``message.im``, ``app_mention``…):
    with any, the stand-in sends those events on its own as Slack does, for what people
    (`post_message`, `react`…) and the app itself do.
    """

    def __init__(
        self,
        *,
        signing_secret: str,
        app_url: str | None = None,
        events_path: str = "/slack/events",
        client_id: str | None = None,
        client_secret: str | None = None,
        redirect_urls: Iterable[str] = (),
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        trigger_seconds: float = TRIGGER_SECONDS,
        socket_mode: bool = False,
        subscriptions: Iterable[str] = (),
    ) -> None:
        app_id = ids.slack_id("A")
        self.app = AppConfig(
            app_id=app_id,
            client_id=client_id or f"{ids.slack_id('', 12)}.{ids.slack_id('', 13)}",
            client_secret=client_secret or ids.opaque(16),
            signing_secret=signing_secret,
            verification_token=ids.opaque(18),
            redirect_urls=tuple(redirect_urls),
        )
        # Slack's trigger lifetime; only a benchmark that prepares thousands of clicks before
        # sending them needs longer, since its triggers are issued long before they are used.
        self.state = SlackState(self.app, clock or time.time, trigger_seconds=trigger_seconds)
        self._server = StandInServer(self.state, host, port)
        self._events_url = app_url.rstrip("/") + events_path if app_url else None
        self._driver: SlackDriver | None = None
        self.socket_mode = SocketModeServer(self.state, host) if socket_mode else None
        self._pump: EventPump | None = None
        subscribed = frozenset(subscriptions)
        if subscribed:
            self.state.events = EventQueue(self.state, subscribed)

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> SlackStandIn:
        """Start serving (idempotent) and return self."""
        self._server.start()
        if self.socket_mode is not None:
            self.socket_mode.start()
        if self.state.events is not None and self._pump is None:
            self._pump = EventPump(self.state.events, self._deliver_event)
            self._pump.start()
        return self

    def _deliver_event(self, team_id: str, event: dict[str, Any]) -> tuple[str, int]:
        delivery = self.driver.event(team_id, event)
        return delivery.event_id, delivery.status

    def stop(self) -> None:
        if self._pump is not None:
            self._pump.stop()
            self._pump = None
        if self.socket_mode is not None:
            self.socket_mode.stop()
        self._server.stop()

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return self._server.base_url

    @property
    def api_url(self) -> str:
        """What the app sets as ``WebClient(base_url=...)`` (``SLACK_API_URL``)."""
        return f"{self.base_url}/api/"

    @property
    def authorize_url(self) -> str:
        """What the app sets as Bolt's ``OAuthSettings(authorization_url=...)``."""
        return f"{self.base_url}/oauth/v2/authorize"

    @property
    def driver(self) -> SlackDriver:
        """Sends the app what Slack sends (needs `app_url` for anything but `fill`)."""
        if self._driver is None:
            socket = SocketModeTransport(self.socket_mode) if self.socket_mode else None
            self._driver = SlackDriver(self.state, self._events_url, transport=socket)
        return self._driver

    def app_token(self, scopes: Iterable[str] = ("connections:write",)) -> str:
        """A new app-level token (``xapp-``), as made on the app's Basic Information page."""
        return self.state.issue_app_token(scopes)

    def revoke_app_token(self, token: str) -> None:
        """Revoke an app-level token, as its Revoke button on that page does."""
        with self.state.lock:
            self.state.tokens[token].revoked = True

    # -- shaping the world ---------------------------------------------------------------

    def create_workspace(self, name: str, domain: str | None = None) -> Workspace:
        return self.state.add_workspace(name, domain)

    def create_user(
        self,
        workspace: WorkspaceRef,
        name: str,
        *,
        real_name: str | None = None,
        tz: str = "UTC",
        is_admin: bool = False,
        is_owner: bool = False,
        email: str | None = None,
    ) -> User:
        """A person in the workspace (``tz`` is an IANA zone, as Slack reports it)."""
        details: dict[str, Any] = {"tz": tz, "is_admin": is_admin, "is_owner": is_owner}
        if real_name is not None:
            details["real_name"] = real_name
        details["email"] = email or f"{name}@{_team(workspace).lower()}.example"
        return self.state.add_user(_team(workspace), name, **details)

    def create_channel(
        self,
        workspace: WorkspaceRef,
        name: str,
        *,
        private: bool = False,
        members: Iterable[UserRef] = (),
        with_bot: bool = False,
    ) -> Channel:
        """A channel; `with_bot` also adds the app's bot user (the app must be installed)."""
        team_id = _team(workspace)
        member_ids = [_id(member) for member in members]
        channel = self.state.add_channel(team_id, name, is_private=private, members=member_ids)
        if with_bot:
            self.invite_bot(channel)
        return channel

    def invite_bot(self, channel: ChannelRef) -> None:
        """What ``/invite @Billing Bot`` does."""
        with self.state.lock:
            found = self.state.channels[_id(channel)]
            found.members.add(self.state.installation(found.team_id).bot_user_id)

    def host_file(
        self, user: UserRef, name: str, content: bytes, *, byte_every: float | None = None
    ) -> File:
        """A file the user uploaded (e.g. into a ``file_input``), private to the workspace;
        with `byte_every`, downloads of it arrive a byte at a time, that many seconds apart."""
        with self.state.lock:
            person = self.state.users[_id(user)]
            mimetype, filetype = file_type_of(name)
            return self.state.add_file(
                File(
                    id=ids.slack_id("F"),
                    team_id=person.team_id,
                    user_id=person.id,
                    name=name,
                    title=name,
                    mimetype=mimetype,
                    filetype=filetype,
                    created=int(self.state.now()),
                    upload_key=ids.opaque(),
                    content=content,
                    complete=True,
                    byte_every=byte_every,
                )
            )

    # -- what people write ---------------------------------------------------------------

    def post_message(
        self,
        user: UserRef,
        channel: ChannelRef,
        text: str,
        *,
        thread_ts: str | None = None,
        files: Iterable[File] = (),
    ) -> Message:
        """`user` writes `text` (with `files` they uploaded) in `channel`, or in the thread
        of `thread_ts`; the app hears of it if it subscribes and is in the channel."""
        with self.state.lock:
            person = self.state.users[_id(user)]
            place = self.state.channel(person.team_id, _id(channel))
            shared = [file.id for file in files]
            for file_id in shared:
                self.state.files[file_id].channels.append(place.id)
            message = self.state.add_message(
                Message(
                    team_id=person.team_id,
                    channel_id=place.id,
                    ts=self.state.next_ts(),
                    text=text,
                    blocks=[],
                    user=person.id,
                    thread_ts=thread_ts,
                    files=shared,
                    subtype="file_share" if shared else None,
                    via="person",
                )
            )
            if self.state.events is not None:
                self.state.events.posted(message)
            return message

    def edit_message(self, message: Message, text: str) -> Message:
        """Its author edits the message (``message_changed``)."""
        with self.state.lock:
            previous = message_json(self.state, message)
            message.text = text
            message.edited_ts = self.state.next_ts()
            self.state.touch()
            if self.state.events is not None:
                self.state.events.changed(message, previous)
            return message

    def delete_message(self, message: Message) -> None:
        """Its author deletes the message (``message_deleted``)."""
        with self.state.lock:
            previous = message_json(self.state, message)
            message.deleted = True
            self.state.touch()
            if self.state.events is not None:
                self.state.events.deleted(message, previous)

    def delete_file(self, user: UserRef, file: File) -> None:
        """`user`, who uploaded the file (or a workspace admin), deletes it: it leaves the
        messages that shared it (``message_changed``, or ``message_deleted`` for a message
        left empty) and the app hears ``file_deleted``."""
        with self.state.lock:
            person = self.state.users[_id(user)]
            if file.team_id != person.team_id or not (file.user_id == person.id or person.is_admin):
                raise ValueError(f"{person.name} may not delete {file.name}")
            remove_file(self.state, file)

    def react(self, user: UserRef, message: Message, reaction: str) -> None:
        """`user` adds the emoji `reaction` (a name such as ``ticket``) to the message."""
        with self.state.lock:
            person = self.state.users[_id(user)]
            who = message.reactions.setdefault(reaction, [])
            if person.id in who:
                return
            who.append(person.id)
            self.state.touch()
            if self.state.events is not None:
                self.state.events.reacted(message, person.id, reaction)

    def delivered_events(self) -> list[DeliveredEvent]:
        """The events the stand-in sent on its own so far, oldest first."""
        with self.state.lock:
            return list(self.state.events.delivered) if self.state.events else []

    def wait_for_events(self, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Until every event queued so far has been delivered and answered."""
        queue = self.state.events
        if queue is None:
            return
        wait_for(lambda: queue.idle, timeout=timeout, what="events to be delivered")

    # -- installing ----------------------------------------------------------------------

    def install(
        self,
        workspace: WorkspaceRef,
        installer: UserRef,
        *,
        scopes: Iterable[str] = DEFAULT_BOT_SCOPES,
        user_scopes: Iterable[str] = (),
    ) -> Installation:
        """Install the app directly (no OAuth), e.g. for single-workspace ``SLACK_BOT_TOKEN``."""
        return self.state.install(_team(workspace), _id(installer), scopes, user_scopes)

    def next_install(self, workspace: WorkspaceRef, user: UserRef, *, approve: bool = True) -> None:
        """Choose who approves the next OAuth authorize request (``approve=False`` cancels)."""
        with self.state.lock:
            self.state.pending_installs.append(PendingInstall(_team(workspace), _id(user), approve))

    def install_via_oauth(
        self, install_url: str, workspace: WorkspaceRef, user: UserRef, *, approve: bool = True
    ) -> InstallWalk:
        """Walk a browser through the app's install URL, Slack's authorize page and back."""
        self.next_install(workspace, user, approve=approve)
        return walk_install(install_url, self.authorize_url)

    def installation(self, workspace: WorkspaceRef) -> Installation:
        return self.state.installation(_team(workspace))

    def uninstall(self, workspace: WorkspaceRef, *, notify: bool = True) -> EventDelivery | None:
        """Remove the app: tokens stop working and the app gets ``app_uninstalled``."""
        self.state.revoke(_team(workspace))
        if not notify:
            return None
        return self.driver.event(_team(workspace), {"type": "app_uninstalled"})

    def revoke_tokens(
        self, workspace: WorkspaceRef, *, notify: bool = True
    ) -> EventDelivery | None:
        """Revoke the installation's tokens and send the app ``tokens_revoked``."""
        installation = self.state.revoke(_team(workspace))
        if not notify:
            return None
        oauth = [installation.installer_id] if installation.user_token else []
        event = {
            "type": "tokens_revoked",
            "tokens": {"oauth": oauth, "bot": [installation.bot_user_id]},
        }
        return self.driver.event(_team(workspace), event)

    # -- test hooks ----------------------------------------------------------------------

    def trigger_for(self, user: UserRef) -> str:
        """A fresh ``trigger_id``, as if the user had just clicked something in Slack."""
        with self.state.lock:
            person = self.state.users[_id(user)]
            return self.state.issue_trigger(person.team_id, person.id).id

    def rate_limit(self, method: str, *, calls: int = 1, retry_after: int = 1) -> None:
        """Answer the next `calls` calls of `method` with HTTP 429 ``ratelimited``."""
        self.state.rate_limit(method, calls, retry_after)

    # -- looking inside ------------------------------------------------------------------

    def calls(
        self, method: str | None = None, workspace: WorkspaceRef | None = None
    ) -> list[RecordedCall]:
        """Web API calls so far, oldest first, optionally of one method or workspace."""
        team_id = _team(workspace) if workspace is not None else None
        with self.state.lock:
            return [
                call
                for call in self.state.calls
                if (method is None or call.method == method)
                and (team_id is None or call.team_id == team_id)
            ]

    def messages_in(self, channel: ChannelRef, *, include_ephemeral: bool = False) -> list[Message]:
        """The channel's live messages, oldest first."""
        with self.state.lock:
            return [
                message
                for message in self.state.messages
                if message.channel_id == _id(channel)
                and not message.deleted
                and (include_ephemeral or message.ephemeral_to is None)
            ]

    def ephemeral_messages_for(self, user: UserRef) -> list[Message]:
        """Every ephemeral message the user was shown (from the API, response URLs, acks)."""
        with self.state.lock:
            return [m for m in self.state.messages if m.ephemeral_to == _id(user) and not m.deleted]

    def channel_messages(self, workspace: WorkspaceRef) -> list[Message]:
        """Every live non-ephemeral message the app left in the workspace's channels."""
        team_id = _team(workspace)
        with self.state.lock:
            return [
                message
                for message in self.state.messages
                if message.team_id == team_id
                and message.ephemeral_to is None
                and not message.deleted
                and not self.state.channels[message.channel_id].is_im
            ]

    def response_posts(self, url: str | None = None) -> list[ResponseUrlPost]:
        with self.state.lock:
            return [p for p in self.state.response_posts if url is None or p.url == url]

    def dm_with(self, user: UserRef) -> Channel:
        """The app's direct message channel with the user."""
        with self.state.lock:
            person = self.state.users[_id(user)]
            bot_user_id = self.state.installation(person.team_id).bot_user_id
            return self.state.open_im(person.team_id, bot_user_id, person.id)[0]

    def open_view_for(self, user: UserRef, *, timeout: float = DEFAULT_TIMEOUT) -> View:
        """The modal the user is looking at, waiting up to `timeout` for the app to open one."""
        with self.state.lock:
            person = self.state.users[_id(user)]

        def top() -> View | None:
            return views.top_modal(self.state, person.team_id, person.id)

        return wait_for(top, timeout=timeout, what=f"modal open for {person.id}")

    def home_of(self, user: UserRef) -> View | None:
        """The user's App Home as last published, if any."""
        with self.state.lock:
            person = self.state.users[_id(user)]
            home_id = self.state.homes.get((person.team_id, person.id))
            return self.state.views[home_id] if home_id else None

    def wait_for_calls(
        self, method: str, count: int = 1, *, timeout: float = DEFAULT_TIMEOUT
    ) -> list[RecordedCall]:
        """At least `count` calls of `method`, waiting for the app's background work."""

        def enough() -> list[RecordedCall] | None:
            found = self.calls(method)
            return found if len(found) >= count else None

        return wait_for(enough, timeout=timeout, what=f"{count} call(s) of {method}")


def _team(workspace: WorkspaceRef) -> str:
    return workspace.id if isinstance(workspace, Workspace) else workspace


def _id(thing: User | Channel | str) -> str:
    return thing if isinstance(thing, str) else thing.id
