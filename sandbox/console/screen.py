"""What one person sees in the console: their workspace's sidebar, the App Home, a
conversation or the Mail pane, the modal on top of their stack, and the Requests drawer.

Read-only over the stand-in's state (apart from opening the person's direct-message channel
with the app, which Slack also creates on first look), so a page can be drawn at any time.
"""

from __future__ import annotations

import hashlib
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from markupsafe import Markup

from sandbox.console import log
from sandbox.console.mail import MAIL, MailPane, NoSuchMail, count_mail, is_mail_place, mail_pane
from sandbox.console.mrkdwn import Names, mrkdwn
from sandbox.console.render import Context, Surface, plain, render_blocks, text
from sandbox.console.session import COMMANDS, Console, Notice, StripeMode
from sandbox.slack import Channel, File, Message, User, View
from sandbox.slack import views as slack_views
from sandbox.slack.state import SlackState

PlaceKind = Literal["home", "messages", "channel", "mail"]
HOME = "home"
MESSAGES = "messages"
APP_NAME = "Billing Bot"


class NotFound(LookupError):
    """No such workspace, person or place in the console."""


@dataclass(frozen=True)
class WorkspaceTab:
    team_id: str
    name: str
    initials: str
    url: str
    current: bool


@dataclass(frozen=True)
class PersonTab:
    user_id: str
    real_name: str
    persona: str
    url: str
    current: bool


@dataclass(frozen=True)
class PlaceLink:
    key: str
    label: str
    kind: PlaceKind
    url: str
    current: bool


@dataclass(frozen=True)
class FileLink:
    """A file shared in a conversation, shown as a chip that opens or downloads it."""

    name: str
    url: str
    size: str


@dataclass(frozen=True)
class MessageView:
    ts: str
    channel_id: str
    author: str
    initials: str
    is_app: bool
    is_slackbot: bool
    time: str
    body: Markup
    ephemeral: bool
    edited: bool
    in_thread: bool
    files: tuple[FileLink, ...]
    #: The thread's replies under their parent, oldest first (a reply has none).
    replies: tuple[MessageView, ...] = ()
    #: Each reaction as drawn (its emoji) and how many people added it.
    reactions: tuple[tuple[Markup, int], ...] = ()
    #: Whether people can reply in its thread and react to it (not an ephemeral or a notice).
    threadable: bool = False


@dataclass(frozen=True)
class ModalView:
    view_id: str
    hash: str
    title: Markup
    submit: Markup | None
    close: Markup
    body: Markup
    can_go_back: bool
    banner: str | None
    errors: tuple[tuple[str, str], ...]

    @property
    def key(self) -> str:
        """Changes when the page must redraw the modal: another view, an update, new errors."""
        marks = hashlib.sha1(repr((self.errors, self.banner)).encode(), usedforsecurity=False)
        return f"{self.view_id}:{self.hash}:{marks.hexdigest()[:8]}"


@dataclass(frozen=True)
class Screen:
    base: str
    workspaces: tuple[WorkspaceTab, ...]
    workspace_name: str
    team_id: str
    user: PersonTab
    people: tuple[PersonTab, ...]
    places: tuple[PlaceLink, ...]
    place: PlaceLink
    installed: bool
    channel_id: str | None
    home: Markup | None
    home_view_id: str | None
    messages: tuple[MessageView, ...]
    modal: ModalView | None
    drawer: tuple[log.Entry, ...]
    version: str
    commands: Mapping[str, str]
    mail: MailPane | None
    """The Mail pane, at the Mail place only."""
    mail_count: int
    mail_url: str
    mail_filed: bool
    """True: e-mail is filed for the Mail pane; False: it goes out over SMTP."""
    stripe: StripeMode | None
    time: TimeView | None
    """The app's clock, which the console can skip ahead (None: it keeps the real time)."""


@dataclass(frozen=True)
class TimeView:
    now: str
    """The app's date and time, in the viewer's zone."""
    ahead: str
    """How far that is ahead of the real time, in words ("" when it is not)."""
    skips: tuple[tuple[str, int], ...]
    """The skips offered: label and seconds."""


#: What the sidebar offers to skip: enough for a reminder's next step in a few clicks.
SKIPS = (("1 hour", 3600), ("1 day", 86400), ("1 week", 7 * 86400))


def _time_view(console: Console, tz: str) -> TimeView | None:
    if console.time is None:
        return None
    now = console.time.now().astimezone(_zone(tz))
    ahead = console.time.ahead()
    days, hours = ahead.days, ahead.seconds // 3600
    words = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    words += [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    return TimeView(
        now=f"{now:%a} {now.day} {now:%b}, {now:%H:%M}",
        ahead=" ".join(words),
        skips=SKIPS,
    )


def build_screen(console: Console, team_id: str, user_id: str, place_key: str) -> Screen:
    """Everything the page shows `user_id` at `place_key`; `NotFound` for unknown ids."""
    state = console.slack.state
    with state.lock:
        tz = state.users[user_id].tz if user_id in state.users else "UTC"
    try:
        # Read before the stand-in's lock is taken: files, not Slack's state.
        mail = (
            mail_pane(
                console.mail_dir,
                place_key,
                _url(team_id, user_id, ""),
                tz,
                console.time.now().astimezone(_zone(tz)).date() if console.time else None,
            )
            if is_mail_place(place_key)
            else None
        )
    except NoSuchMail:
        raise NotFound(f"no e-mail at {place_key}") from None
    with state.lock:
        workspace = state.workspaces.get(team_id)
        person = state.users.get(user_id)
        if workspace is None or person is None or person.team_id != team_id or person.is_bot:
            raise NotFound(f"no person {user_id} in workspace {team_id}")
        installed = team_id in state.installations and state.installations[team_id].active
        channels = _channels_of(state, team_id, user_id)
        place = _place(team_id, user_id, place_key, channels)
        names = _names(state, team_id)
        pickers = _pickers(state, team_id, _url(team_id, user_id, place.key))
        dm = _dm(state, team_id, user_id) if installed and place.kind == MESSAGES else None
        channel_id = dm.id if dm else (place.key if place.kind == "channel" else None)
        home_view = _home_view(state, team_id, user_id) if place.kind == HOME else None
        home = None
        if home_view is not None:
            home = render_blocks(home_view.blocks, pickers.context("home", names, home_view, {}))
        base = _url(team_id, user_id, place.key)
        messages = (
            tuple(_messages(state, channel_id, user_id, names, person.tz, base))
            if channel_id
            else ()
        )
        top = slack_views.top_modal(state, team_id, user_id)
        calls = [log.call_entry(call) for call in state.calls]
        posts = [log.post_entry(post) for post in state.response_posts]
        version = _version(state, team_id, user_id, console.changes, top)
        workspaces = _workspace_tabs(state, console, team_id)
        people = _people(state, console, team_id, user_id, place.key)
        modal = _modal(console, top, names, pickers) if top is not None else None
    notices = console.notices(team_id, user_id, channel_id) if channel_id else []
    messages = tuple(sorted(messages + tuple(_notice(n, person.tz) for n in notices), key=_order))
    entries = log.timeline([*console.sent(), *calls, *posts], team_id)
    current_user = next(p for p in people if p.current)
    return Screen(
        base=base,
        workspaces=workspaces,
        workspace_name=workspace.name,
        team_id=team_id,
        user=current_user,
        people=people,
        places=(
            PlaceLink(HOME, "Home", "home", _url(team_id, user_id, HOME), place.key == HOME),
            PlaceLink(
                MESSAGES,
                "Messages",
                "messages",
                _url(team_id, user_id, MESSAGES),
                place.key == MESSAGES,
            ),
            *(
                PlaceLink(c.id, c.name, "channel", _url(team_id, user_id, c.id), place.key == c.id)
                for c in channels
            ),
        ),
        place=place,
        installed=installed,
        channel_id=channel_id,
        home=home,
        home_view_id=home_view.id if home_view is not None else None,
        messages=messages,
        modal=modal,
        drawer=tuple(entries),
        version=version,
        commands=COMMANDS,
        mail=mail,
        mail_count=count_mail(console.mail_dir),
        mail_url=_url(team_id, user_id, MAIL),
        mail_filed=console.mail_dir is not None,
        stripe=console.stripe,
        time=_time_view(console, person.tz),
    )


def screen_version(console: Console, team_id: str, user_id: str) -> str:
    """`Screen.version` alone, cheap enough to poll; `NotFound` for an unknown person."""
    state = console.slack.state
    with state.lock:
        person = state.users.get(user_id)
        if person is None or person.team_id != team_id:
            raise NotFound(f"no person {user_id} in workspace {team_id}")
        top = slack_views.top_modal(state, team_id, user_id)
        return _version(state, team_id, user_id, console.changes, top)


def default_url(console: Console) -> str | None:
    """Where /console starts: the first workspace's billing admin, on the App Home."""
    for workspace in console.world.workspaces:
        return _url(workspace.team_id, workspace.admin.user_id, HOME)
    with console.slack.state.lock:
        for user in console.slack.state.users.values():
            if not user.is_bot:
                return _url(user.team_id, user.id, HOME)
    return None


def _url(team_id: str, user_id: str, place: str) -> str:
    return f"/console/{team_id}/{user_id}/{place}".rstrip("/")


def _place(team_id: str, user_id: str, key: str, channels: list[Channel]) -> PlaceLink:
    if key == HOME:
        return PlaceLink(HOME, "Home", "home", _url(team_id, user_id, key), True)
    if key == MESSAGES:
        return PlaceLink(MESSAGES, "Messages", "messages", _url(team_id, user_id, key), True)
    if is_mail_place(key):
        return PlaceLink(key, "Mail", "mail", _url(team_id, user_id, key), True)
    for channel in channels:
        if channel.id == key:
            return PlaceLink(key, channel.name, "channel", _url(team_id, user_id, key), True)
    raise NotFound(f"no channel {key} for {user_id}")


def _channels_of(state: SlackState, team_id: str, user_id: str) -> list[Channel]:
    return sorted(
        (
            c
            for c in state.channels.values()
            if c.team_id == team_id and not c.is_im and not c.is_archived and user_id in c.members
        ),
        key=lambda c: c.name,
    )


def _names(state: SlackState, team_id: str) -> Names:
    users = {
        u.id: (APP_NAME if u.is_bot else u.real_name)
        for u in state.users.values()
        if u.team_id == team_id
    }
    channels = {
        c.id: c.name for c in state.channels.values() if c.team_id == team_id and not c.is_im
    }
    return Names(users, channels)


@dataclass(frozen=True)
class _Pickers:
    """The workspace's people, channels and files, for pickers and file inputs."""

    users: tuple[tuple[str, str], ...]
    channels: tuple[tuple[str, str], ...]
    files: Mapping[str, str]

    base: str

    def context(
        self, surface: Surface, names: Names, view: View, errors: Mapping[str, str]
    ) -> Context:
        return Context(
            surface, names, view.values, errors, self.users, self.channels, self.files, self.base
        )


def _pickers(state: SlackState, team_id: str, base: str) -> _Pickers:
    users = tuple(
        (u.id, u.real_name)
        for u in state.users.values()
        if u.team_id == team_id and not u.is_bot and not u.deleted
    )
    channels = tuple(
        (c.id, f"#{c.name}")
        for c in sorted(state.channels.values(), key=lambda c: c.name)
        if c.team_id == team_id and not c.is_im and not c.is_archived
    )
    files = {f.id: f.name for f in state.files.values() if f.team_id == team_id}
    return _Pickers(users, channels, files, base)


def _dm(state: SlackState, team_id: str, user_id: str) -> Channel:
    bot_user_id = state.installations[team_id].bot_user_id
    return state.open_im(team_id, bot_user_id, user_id)[0]


def _home_view(state: SlackState, team_id: str, user_id: str) -> View | None:
    home_id = state.homes.get((team_id, user_id))
    return state.views[home_id] if home_id else None


def _messages(
    state: SlackState, channel_id: str, user_id: str, names: Names, tz: str, base: str
) -> list[MessageView]:
    """The conversation's messages, each thread's replies under its parent (as Slack shows
    a thread opened beside its channel)."""
    visible = [
        message
        for message in state.messages
        if message.channel_id == channel_id
        and not message.deleted
        and message.ephemeral_to in (None, user_id)
    ]
    replies: dict[str, list[MessageView]] = {}
    roots: list[tuple[str, MessageView]] = []
    for message in visible:
        view = _message(state, message, names, tz, base)
        if message.thread_ts and message.thread_ts != message.ts:
            replies.setdefault(message.thread_ts, []).append(view)
        else:
            roots.append((message.ts, view))
    return [replace(view, replies=tuple(replies.get(ts, ()))) for ts, view in roots]


def _message(state: SlackState, message: Message, names: Names, tz: str, base: str) -> MessageView:
    author_user: User | None = state.users.get(message.user or "")
    is_app = message.bot_id is not None or bool(author_user and author_user.is_bot)
    author = APP_NAME if is_app else (author_user.real_name if author_user else "Someone")
    ctx = Context("message", names, file_base=base)
    if message.blocks:
        body = render_blocks(message.blocks, ctx)
    else:
        body = Markup('<div class="msg-text">{}</div>').format(mrkdwn(message.text, names))
    body += Markup("").join(_attachment(item, ctx) for item in message.attachments)
    files = tuple(
        FileLink(state.files[file_id].name, f"{base}/files/{file_id}", _size(state.files[file_id]))
        for file_id in message.files
        if file_id in state.files
    )
    return MessageView(
        ts=message.ts,
        channel_id=message.channel_id,
        author=author,
        initials=_initials(author),
        is_app=is_app,
        is_slackbot=False,
        time=_clock(float(message.ts), tz),
        body=body,
        ephemeral=message.ephemeral_to is not None,
        edited=message.edited_ts is not None,
        in_thread=bool(message.thread_ts and message.thread_ts != message.ts),
        files=files,
        reactions=tuple(
            (mrkdwn(f":{name}:", names), len(people))
            for name, people in message.reactions.items()
            if people
        ),
        threadable=message.ephemeral_to is None,
    )


def _size(file: File) -> str:
    size = file.size
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _uploaded_by_app(state: SlackState, file: File) -> bool:
    uploader = state.users.get(file.user_id)
    return uploader is not None and uploader.is_bot and not file.channels


def shared_file(console: Console, team_id: str, user_id: str, file_id: str) -> File:
    """A file `user_id` may open: shared in a conversation of theirs, or one they uploaded.
    Slack's files are private to those; anything else is `NotFound`, as if it did not exist."""
    state = console.slack.state
    with state.lock:
        person = state.users.get(user_id)
        file = state.files.get(file_id)
        if person is None or person.team_id != team_id or file is None:
            raise NotFound(f"no file {file_id} for {user_id}")
        shared = any(
            user_id in state.channels[channel_id].members
            for channel_id in file.channels
            if channel_id in state.channels
        )
        mine = file.user_id == user_id
        # An image the app uploaded without sharing it is what its blocks show (a modal's
        # preview): Slack shows it to whoever sees those blocks.
        app_image = _uploaded_by_app(state, file) and file.mimetype.startswith("image/")
        if file.team_id != team_id or file.content is None or not (shared or mine or app_image):
            raise NotFound(f"no file {file_id} for {user_id}")
        return file


def _attachment(item: Mapping[str, object], ctx: Context) -> Markup:
    """A legacy attachment: colour bar, pretext, title, text, fields, or its own blocks."""
    color = str(item.get("color") or "#dddddd")
    if not color.startswith("#"):
        color = {"good": "#2eb67d", "warning": "#ecb22e", "danger": "#e01e5a"}.get(color, "#dddddd")
    inner = Markup("")
    for key in ("pretext", "title", "text"):
        if item.get(key):
            inner += Markup('<div class="att-{}">{}</div>').format(
                key, mrkdwn(str(item[key]), ctx.names)
            )
    blocks = item.get("blocks")
    if isinstance(blocks, list):
        inner += render_blocks(blocks, ctx)
    fields = item.get("fields")
    if isinstance(fields, list):
        for field in fields:
            if isinstance(field, Mapping):
                inner += Markup('<div class="att-field"><b>{}</b><br>{}</div>').format(
                    plain(field.get("title")), mrkdwn(str(field.get("value", "")), ctx.names)
                )
    return Markup('<div class="msg-attachment" style="border-left-color: {}">{}</div>').format(
        color, inner
    )


def _notice(notice: Notice, tz: str) -> MessageView:
    return MessageView(
        ts=f"{notice.at:.6f}",
        channel_id=notice.channel_id,
        author="Slackbot",
        initials="S",
        is_app=False,
        is_slackbot=True,
        time=_clock(notice.at, tz),
        body=Markup('<div class="msg-text">{}</div>').format(mrkdwn(notice.text)),
        ephemeral=True,
        edited=False,
        in_thread=False,
        files=(),
    )


def _order(message: MessageView) -> float:
    return float(message.ts)


def _modal(console: Console, view: View, names: Names, pickers: _Pickers) -> ModalView:
    errors, banner = console.marks(view)
    definition = view.definition
    ctx = pickers.context("modal", names, view, errors)
    submit = definition.get("submit")
    return ModalView(
        view_id=view.id,
        hash=view.hash,
        title=text(definition.get("title")),
        submit=text(submit) if submit else None,
        close=text(definition.get("close") or {"type": "plain_text", "text": "Cancel"}),
        body=render_blocks(view.blocks, ctx),
        can_go_back=view.previous_view_id is not None,
        banner=banner,
        errors=tuple(sorted(errors.items())),
    )


def _version(state: SlackState, team_id: str, user_id: str, changes: int, top: View | None) -> str:
    """Changes whenever anything this person could see may have changed."""
    home = _home_view(state, team_id, user_id)
    edits = sum(1 for m in state.messages if m.edited_ts or m.deleted) + sum(
        len(people) for m in state.messages for people in m.reactions.values()
    )
    parts = (
        len(state.calls),
        len(state.response_posts),
        len(state.messages),
        edits,
        len(state.views),
        changes,
        f"{top.id}.{top.hash}" if top else "-",
        home.hash if home else "-",
    )
    return ":".join(str(part) for part in parts)


def _workspace_tabs(state: SlackState, console: Console, team_id: str) -> tuple[WorkspaceTab, ...]:
    tabs = []
    for workspace in state.workspaces.values():
        first = _first_person(state, console, workspace.id)
        if first is None:
            continue
        tabs.append(
            WorkspaceTab(
                workspace.id,
                workspace.name,
                _initials(workspace.name),
                _url(workspace.id, first, HOME),
                workspace.id == team_id,
            )
        )
    return tuple(tabs)


def _first_person(state: SlackState, console: Console, team_id: str) -> str | None:
    demo = console.world.workspace(team_id)
    if demo is not None:
        return demo.admin.user_id
    return next((u.id for u in state.users.values() if u.team_id == team_id and not u.is_bot), None)


def _people(
    state: SlackState, console: Console, team_id: str, user_id: str, place: str
) -> tuple[PersonTab, ...]:
    demo = console.world.workspace(team_id)
    people = []
    for user in state.users.values():
        if user.team_id != team_id or user.is_bot or user.deleted:
            continue
        known = demo.person(user.id) if demo else None
        persona = known.persona if known else ("workspace admin" if user.is_admin else "member")
        # Switching person keeps the place when they can see it (channels they are in).
        channel = state.channels.get(place)
        keep = (
            place in (HOME, MESSAGES)
            or is_mail_place(place)
            or (channel is not None and user.id in channel.members)
        )
        people.append(
            PersonTab(
                user.id,
                user.real_name,
                persona,
                _url(team_id, user.id, place if keep else HOME),
                user.id == user_id,
            )
        )
    return tuple(people)


def _initials(name: str) -> str:
    words = [word for word in name.replace("#", " ").split() if word]
    return "".join(word[0] for word in words[:2]).upper() or "?"


def _zone(tz: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _clock(epoch: float, tz: str) -> str:
    return datetime.fromtimestamp(epoch, _zone(tz)).strftime("%H:%M")
