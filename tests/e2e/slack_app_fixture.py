"""The real ``billing-bot serve`` process behind the local Slack stand-in, and what the Slack
end-to-end tests need around it: practices installed through OAuth, the modals a user opens,
a database snapshot to prove that nothing was stored, and the privacy check every channel post
must pass.

    with slack_world(tmp_path, database_url) as world:
        sunrise = world.new_practice("Sunrise Therapy")
        details = world.open_setting(sunrise.admin, OPEN_BILLING_DETAILS, channel=sunrise.general)
        world.slack.driver.submit_view(details, {"currency": "EUR"})

The server runs in its own process; the stand-in runs in this one, so a test can look inside
it (calls, messages, views). The app reaches the stand-in only through ``SLACK_API_URL``.
"""

from __future__ import annotations

import json
import os
import re
import struct
import time
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from domain.ports import Env
from domain.practice import Practice
from gateways.system import RandomIds, SystemClock
from helpers import RunningServer, free_port, running_server, wait_until
from sandbox.slack import (
    Channel,
    Interaction,
    Message,
    RecordedCall,
    SlackStandIn,
    User,
    View,
    Workspace,
)
from sandbox.stripe import StripeStandIn
from smtp_sink import SmtpSink
from storage.engine import create_engine_for
from storage.migrate import upgrade
from storage.orm import ClientRow, ServiceTypeRow, metadata
from storage.unit_of_work import SqlAlchemyUnitOfWork, session_factory

SIGNING_SECRET = "e2e-slack-signing-secret"
CLIENT_ID = "1000000001.2000000002"
CLIENT_SECRET = "e2e-slack-client-secret"
#: Every accepted Slack request leaves its signature here (the replay guard's memory).
REPLAY_GUARD_TABLE = "slack_request_signatures"
#: How long to wait for what the app does after it has answered (home refreshes, joins).
BACKGROUND_TIMEOUT = 10.0
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_POSTING_METHODS = ("chat.postMessage", "chat.update", "chat.scheduleMessage", "chat.meMessage")
#: Lines in the server's log that mean the app failed where nothing should fail.
_FAILURE_MARKS = ("Traceback", "event=listener_failed", "event=unhandled_error")


@dataclass(frozen=True)
class Seat:
    """A practice's workspace as a test sees it: the installer (billing admin) and #general,
    where people type slash commands (the app is not a member of it)."""

    workspace: Workspace
    admin: User
    general: Channel


@dataclass(frozen=True)
class SupportSeat:
    """The vendor's support workspace: the operator (who installed the app and chose the
    desk), a support agent, and the support channel."""

    workspace: Workspace
    operator: User
    agent: User
    channel: Channel


#: The events the app subscribes to, as its manifest says (the stand-in sends only those).
MANIFEST_EVENTS = tuple(
    yaml.safe_load((Path(__file__).resolve().parents[2] / "app_manifest.yml").read_text())[
        "settings"
    ]["event_subscriptions"]["bot_events"]
)


@dataclass
class SlackWorld:
    """The running app and the stand-in it talks to, with the app's database beside them."""

    slack: SlackStandIn
    server: RunningServer
    engine: Engine
    sessions: sessionmaker[Session]
    #: With `payments=True`: Stripe's stand-in (webhooks to the app) and an SMTP server.
    stripe: StripeStandIn | None = None
    mail: SmtpSink | None = None
    #: The server's settings, as environment variables: a CLI command run beside it uses them.
    settings: dict[str, str] = field(default_factory=dict)
    #: (start, end) of every OAuth install walk, on `time.time()`'s clock.
    install_windows: list[tuple[float, float]] = field(default_factory=list)
    #: With `support=True`: the vendor's workspace, named in SUPPORT_TEAM_ID (not installed).
    support_workspace: Workspace | None = None

    @property
    def app_url(self) -> str:
        return self.server.base_url

    # -- installing ---------------------------------------------------------------------

    def install(self, workspace: Workspace, user: User) -> int:
        """Install the app through the OAuth flow as `user`; the HTTP status it ended on."""
        started = time.time()
        walk = self.slack.install_via_oauth(f"{self.app_url}/slack/install", workspace, user)
        self.install_windows.append((started, time.time()))
        return walk.status

    def new_practice(
        self,
        name: str,
        *,
        admin: str = "ada",
        real_name: str = "Ada Lovelace",
        tz: str = "Europe/Berlin",
    ) -> Seat:
        """A workspace with one Slack admin who installs the app through OAuth."""
        workspace = self.slack.create_workspace(name)
        installer = self.slack.create_user(
            workspace, admin, real_name=real_name, tz=tz, is_admin=True
        )
        general = self.slack.create_channel(workspace, "general", members=[installer])
        status = self.install(workspace, installer)
        assert status == 200, f"installing {name} ended on HTTP {status}"
        return Seat(workspace, installer, general)

    def new_support_desk(self, *, escalate_after: str = "60") -> SupportSeat:
        """The vendor installs the app in its own workspace, and its operator picks #support
        in the support desk modal (``/billing support``)."""
        workspace = self.support_workspace
        assert workspace is not None, "start the world with support=True"
        operator = self.slack.create_user(
            workspace, "olga", real_name="Olga Operator", is_admin=True
        )
        agent = self.slack.create_user(workspace, "sam", real_name="Sam Rivera")
        channel = self.slack.create_channel(workspace, "support", members=[operator, agent])
        status = self.install(workspace, operator)
        assert status == 200, f"installing into the support workspace ended on HTTP {status}"
        command = self.slack.driver.slash_command(operator, "/billing", "support", channel=channel)
        desk = self.opened_view(command)
        saved = self.slack.driver.submit_view(
            desk, {"support_channel": channel.id, "escalate_after": escalate_after}
        )
        assert saved.status == 200 and not saved.errors, saved.errors
        wait_until(
            lambda: self.slack.installation(workspace).bot_user_id in channel.members,
            BACKGROUND_TIMEOUT,
            what="the app to join #support",
        )
        return SupportSeat(workspace, operator, agent, channel)

    # -- acting as a user ---------------------------------------------------------------

    def opened_by(self, interaction: Interaction) -> RecordedCall:
        """The ``views.open`` or ``views.push`` the app made with `interaction`'s trigger.

        Waits for the call itself: the stand-in records a call just after it has acted on
        it, so the modal may show a moment before its call is in `slack.calls()`."""

        def found() -> RecordedCall | None:
            return next(
                (
                    call
                    for call in self.slack.calls()
                    if call.method in ("views.open", "views.push")
                    and call.args.get("trigger_id") == interaction.trigger_id
                ),
                None,
            )

        return wait_until(found, BACKGROUND_TIMEOUT, what="the app to open a modal")

    def opened_view(self, interaction: Interaction) -> View:
        """The modal `interaction` made the app open, once its call is recorded too."""
        self.opened_by(interaction)
        return interaction.opened_view(timeout=BACKGROUND_TIMEOUT)

    def open_hub(self, user: User, channel: Channel) -> View:
        """``/billing`` typed in `channel`, and the settings hub it opens."""
        command = self.slack.driver.slash_command(user, "/billing", channel=channel)
        assert command.status == 200, command.response.text
        return self.opened_view(command)

    def open_setting(self, user: User, action_id: str, *, channel: Channel) -> View:
        """A settings modal opened the way a user does: ``/billing``, then its button."""
        hub = self.open_hub(user, channel)
        return self.opened_view(self.slack.driver.block_action(action_id, view=hub))

    def publishes_for(self, user: User) -> int:
        """How many times the app has published `user`'s Home tab so far."""
        return sum(
            1 for call in self.slack.calls("views.publish") if call.args.get("user_id") == user.id
        )

    def wait_for_home_refresh(self, user: User, after: int) -> View:
        """`user`'s Home once the app has published it more than `after` times."""
        wait_until(
            lambda: self.publishes_for(user) > after,
            BACKGROUND_TIMEOUT,
            what=f"the app to publish {user.name}'s Home tab",
        )
        home = self.slack.home_of(user)
        assert home is not None
        return home

    def wait_for_update(self, view: View, old_hash: str) -> View:
        """`view` once the app has updated it (``views.update``) since it had `old_hash`."""
        wait_until(
            lambda: view.hash != old_hash,
            BACKGROUND_TIMEOUT,
            what=f"the app to update the {view.callback_id} modal",
        )
        return view

    def open_home(self, user: User) -> View:
        """The user opens the app's Home tab; the view the app publishes for them."""
        before = self.publishes_for(user)
        delivery = self.slack.driver.app_home_opened(user)
        assert delivery.status == 200, delivery.response.text
        return self.wait_for_home_refresh(user, before)

    # -- the database -------------------------------------------------------------------

    @property
    def env(self) -> Env:
        """The ports a test needs to call a use case directly on the app's database."""
        return Env(clock=SystemClock(), ids=RandomIds())

    def uow(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.sessions)

    def practice(self, workspace: Workspace) -> Practice:
        """The workspace's practice as stored now."""
        with self.uow() as uow:
            found = uow.practices.for_workspace(workspace.id)
        assert found is not None, f"{workspace.name} has no practice"
        return found

    def rows(self, *, skip: Iterable[str] = (REPLAY_GUARD_TABLE,)) -> dict[str, list[str]]:
        """Every row of every table of the app (but `skip`), to compare before and after.

        By default the replay guard's table is left out: every accepted request adds a row
        there, stored or not."""
        skipped = set(skip)
        with self.engine.connect() as connection:
            return {
                table.name: sorted(repr(tuple(row)) for row in connection.execute(select(table)))
                for table in metadata.sorted_tables
                if table.name not in skipped
            }

    def all_rows(self) -> dict[str, list[str]]:
        """Every row of every table, the replay guard's included."""
        return self.rows(skip=())


@contextmanager
def slack_world(
    tmp_path: Path,
    database_url: str,
    *,
    threads: int = 4,
    socket_mode: bool = False,
    failures_expected: bool = False,
    payments: bool = False,
    extra_settings: dict[str, str] | None = None,
    support: bool = False,
) -> Iterator[SlackWorld]:
    """Migrate `database_url`, start the stand-in and ``billing-bot serve`` against it (or
    ``billing-bot socket``, connected over Socket Mode, with `socket_mode`).

    On a clean exit it checks what must hold after any run: no channel post carries health
    data, the app asked Slack's ``auth.test`` only while being installed, and the server
    logged no failure (unless `failures_expected`: tests that make the app fail on purpose
    check its log themselves). With `payments`, the app also talks to the Stripe stand-in
    (which delivers its webhooks to the app) and sends e-mail to a local SMTP server, and the
    world's end also checks that the server's log and every request to Stripe name no client
    and no service. `extra_settings` are more environment variables for the server. With
    `support`, the stand-in sends the events the manifest subscribes to on its own, and a
    vendor's workspace exists, named in SUPPORT_TEAM_ID (`SlackWorld.new_support_desk`)."""
    engine = create_engine_for(database_url)
    upgrade(engine)
    app_port = free_port()
    app_url = f"http://127.0.0.1:{app_port}"
    slack = SlackStandIn(
        signing_secret=SIGNING_SECRET,
        app_url=app_url,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_urls=[f"{app_url}/slack/oauth_redirect"],
        socket_mode=socket_mode,
        subscriptions=MANIFEST_EVENTS if support else (),
    ).start()
    settings = {
        "DATABASE_URL": database_url,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_API_URL": slack.api_url,
        "LOG_LEVEL": "INFO",
    }
    if socket_mode:
        settings["SLACK_APP_TOKEN"] = slack.app_token()
    support_workspace = None
    if support:
        support_workspace = slack.create_workspace("Billing Bot Support")
        settings["SUPPORT_TEAM_ID"] = support_workspace.id
    stripe = mail = None
    if payments:
        stripe = StripeStandIn(deliver_to=f"{app_url}/stripe/webhook").start()
        mail = SmtpSink().start()
        settings |= {
            "STRIPE_SECRET_KEY": stripe.secret_key,
            "STRIPE_WEBHOOK_SECRET": stripe.webhook_secret,
            "STRIPE_API_BASE": stripe.base_url,
            "SMTP_URL": f"smtp://127.0.0.1:{mail.port}",
            "MAIL_FROM": "Billing Bot <billing@example.org>",
        }
    settings |= extra_settings or {}
    try:
        # PUBLIC_BASE_URL is left unset: the app derives it from its host and port.
        with running_server(
            tmp_path, threads=threads, port=app_port, socket_mode=socket_mode, **settings
        ) as server:
            _wait_until_healthy(server)
            if slack.socket_mode is not None:
                slack.socket_mode.wait_for_connections(1, timeout=30)
            world = SlackWorld(
                slack,
                server,
                engine,
                session_factory(engine),
                stripe=stripe,
                mail=mail,
                settings=settings,
                support_workspace=support_workspace,
            )
            yield world
            assert_channel_posts_keep_privacy(slack, engine)
            if stripe is not None:
                assert_server_log_keeps_privacy(server, engine)
                assert_stripe_requests_keep_privacy(stripe, engine)
            assert_auth_test_only_while_installing(world)
            if not failures_expected:
                assert_server_logged_no_failure(server)
    finally:
        slack.stop()
        if stripe is not None:
            stripe.stop()
        if mail is not None:
            mail.stop()
        engine.dispose()


def _wait_until_healthy(server: RunningServer) -> None:
    def healthy() -> bool:
        if server.process.poll() is not None:
            raise AssertionError(f"billing-bot serve exited:\n{server.output()}")
        return httpx.get(f"{server.base_url}/healthz", timeout=2).status_code == 200

    wait_until(healthy, 30, ignore=(httpx.HTTPError,), what="billing-bot serve to be healthy")


# -- what must hold after every run ------------------------------------------------------


@dataclass(frozen=True)
class ChannelPost:
    """Something the app put where a whole channel can read it, as text to search."""

    where: str
    content: str


def channel_posts(slack: SlackStandIn) -> list[ChannelPost]:
    """Everything the app posted to a channel (not a DM, not ephemeral), in every workspace:
    each version it sent through the Web API, and what the channels show now."""
    state = slack.state
    with state.lock:
        channels = dict(state.channels)
        workspaces = list(state.workspaces.values())
        in_channel_replies = [post for post in state.response_posts if post.accepted]

    def is_channel(channel_id: str | None) -> bool:
        channel = channels.get(channel_id or "")
        return channel is not None and not channel.is_im

    posts = []
    for call in slack.calls():
        if call.method in _POSTING_METHODS and call.ok:
            target = call.response.get("channel") or call.args.get("channel")
            if is_channel(str(target)):
                content = {key: call.args.get(key) for key in ("text", "blocks", "attachments")}
                posts.append(ChannelPost(f"{call.method} to {target}", _as_text(content)))
        elif call.method == "files.completeUploadExternal" and call.ok:
            target = call.args.get("channel_id") or call.args.get("channels")
            if target and is_channel(str(target).split(",")[0]):
                posts.append(ChannelPost(f"file shared to {target}", _as_text(call.args)))
    for reply in in_channel_replies:
        if reply.response_type == "in_channel":
            posts.append(
                ChannelPost(f"in-channel reply in {reply.channel_id}", _as_text(reply.body))
            )
    for workspace in workspaces:
        for message in slack.channel_messages(workspace):
            posts.append(
                ChannelPost(f"message {message.ts} in {message.channel_id}", _shown(slack, message))
            )
    return posts


def health_data(engine: Engine) -> set[str]:
    """What privacy mode keeps out of channels: every client's full name and e-mail address
    and every service's name, in every practice of the database."""
    with engine.connect() as connection:
        clients = connection.execute(select(ClientRow.name, ClientRow.email)).all()
        services = connection.execute(select(ServiceTypeRow.name)).scalars().all()
    return {value for pair in clients for value in pair} | set(services)


def privacy_breaches(posts: Iterable[ChannelPost], secrets: Iterable[str]) -> list[str]:
    """Each post that shows one of `secrets` (case-insensitively) or any e-mail address."""
    wanted = [secret for secret in secrets if secret.strip()]
    found = []
    for post in posts:
        lowered = post.content.casefold()
        for secret in wanted:
            if secret.casefold() in lowered:
                found.append(f"{post.where} shows {secret!r}")
        for address in _EMAIL.findall(post.content):
            found.append(f"{post.where} shows the e-mail address {address!r}")
    return found


def assert_channel_posts_keep_privacy(
    slack: SlackStandIn, engine: Engine, *, also: Iterable[str] = ()
) -> None:
    """No channel post of the app names a client in full, names a service or shows an e-mail
    address (privacy mode, on by default). `also` adds strings that must not appear."""
    breaches = privacy_breaches(channel_posts(slack), health_data(engine) | set(also))
    assert not breaches, "health data in channel posts:\n" + "\n".join(breaches)


def assert_server_log_keeps_privacy(server: RunningServer, engine: Engine) -> None:
    """The server's log names no client and no service and shows no client's e-mail address
    (it logs ids)."""
    log = server.output().casefold()
    leaked = sorted(value for value in health_data(engine) if value and value.casefold() in log)
    assert not leaked, f"the server's log shows {leaked}"


def assert_stripe_requests_keep_privacy(stripe: StripeStandIn, engine: Engine) -> None:
    """Nothing the app sent Stripe names a client or a service, or carries a client's e-mail
    (health data stays out of Stripe: the line reads "Invoice INV-0042")."""
    secrets = [value.casefold() for value in health_data(engine) if value]
    leaks = [
        f"{request.method} {request.path} carries {secret!r}"
        for request in stripe.requests()
        for secret in secrets
        if secret in json.dumps(request.params, ensure_ascii=False).casefold()
    ]
    assert not leaks, "health data sent to Stripe:\n" + "\n".join(leaks)


def assert_auth_test_only_while_installing(world: SlackWorld) -> None:
    """Bolt's OAuth flow asks ``auth.test`` once per install for the bot's id; answering a
    request never does (authorization comes from the installation store)."""
    stray = [
        call
        for call in world.slack.calls("auth.test")
        if not any(start <= call.at <= end for start, end in world.install_windows)
    ]
    assert not stray, f"auth.test called outside an install: {stray}"
    assert len(world.slack.calls("auth.test")) <= len(world.install_windows)


def assert_server_logged_no_failure(server: RunningServer) -> None:
    log = server.output()
    failures = [line for line in log.splitlines() if any(m in line for m in _FAILURE_MARKS)]
    assert not failures, "the server logged failures:\n" + log[-4000:]


def _shown(slack: SlackStandIn, message: Message) -> str:
    with slack.state.lock:
        files = [slack.state.files[file_id] for file_id in message.files]
    return _as_text(
        {
            "text": message.text,
            "blocks": message.blocks,
            "attachments": message.attachments,
            "files": [(file.name, file.title) for file in files],
        }
    )


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


# -- small things tests need ---------------------------------------------------------------


_VISIBLE = {"text", "initial_value", "placeholder", "initial_time", "initial_date"}


def view_text(view: View) -> str:
    """Everything a user can read in a view (texts and prefilled values, not the ids the app
    or Slack gave its blocks), one line per piece, to search."""
    return _visible_text(view.definition)


def message_text(message: Message) -> str:
    """Everything a user can read in a message: its blocks as `view_text` reads a view, or
    its text when it has no blocks."""
    return _visible_text(message.blocks) if message.blocks else message.text


def answer_text(interaction: Interaction) -> str:
    """Everything a user can read in the app's immediate answer, blocks included, as
    `view_text` reads a view."""
    return _visible_text(json.loads(interaction.response.text))


def _visible_text(definition: Any) -> str:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in _VISIBLE and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(definition)
    return "\n".join(found)


def reply_text(interaction: Interaction) -> str:
    """The app's immediate answer to a command or action: a plain-text answer as it is, a
    JSON answer with only text as that text, anything else as its JSON."""
    body = interaction.response.text
    try:
        answer = json.loads(body)
    except ValueError:
        return body
    if isinstance(answer, dict) and set(answer) <= {"text", "response_type"}:
        return str(answer.get("text", ""))
    return body


def initial_values(view: View) -> dict[str, Any]:
    """What each input of a modal shows when it opens: ``{block_id: initial value}``."""
    shown: dict[str, Any] = {}
    for block in view.blocks:
        element = block.get("element") or {}
        if block.get("type") != "input":
            continue
        for key in ("initial_value", "initial_time", "initial_conversation", "initial_user"):
            if key in element:
                shown[block["block_id"]] = element[key]
        if "initial_option" in element:
            shown[block["block_id"]] = element["initial_option"]["value"]
        if "initial_options" in element:
            shown[block["block_id"]] = [option["value"] for option in element["initial_options"]]
    return shown


def a_png(width: int = 8, height: int = 8, *, noisy: bool = False) -> bytes:
    """A real PNG image, `width` x `height`: a teal square, or random noise (which does not
    compress, so the file is about ``3 * width * height`` bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(
        b"\x00" + (os.urandom(3 * width) if noisy else b"\x00\x80\x80" * width)
        for _ in range(height)
    )
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def a_pdf() -> bytes:
    """A small but real PDF document."""
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
