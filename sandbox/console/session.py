"""The console's side of Slack's client: what a person does, sent to the app through the
stand-in's driver exactly as Slack would send it, and the few things Slack's client keeps
for itself (field errors on a modal, "failed with the error" notices, what was sent).

Every method is called from a web request of the console; they may run concurrently, so the
console's own records are guarded by `lock`, and the stand-in's lock is never held while the
app is being called (the app calls back into the stand-in while it handles the request).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.error import URLError

from bot.appointments import COMMAND as APPOINTMENT_COMMAND
from bot.clients import COMMAND as CLIENT_COMMAND
from bot.hub import COMMAND as BILLING_COMMAND
from bot.invoices import INVOICE_COMMAND
from sandbox.console.clock import SandboxTime
from sandbox.console.demo import DemoWorld
from sandbox.console.log import Entry, failed_entry, sent_entry
from sandbox.slack import (
    File,
    InvalidAppResponse,
    Message,
    SlackClientRefused,
    SlackStandIn,
    View,
)
from sandbox.slack import views as slack_views
from sandbox.slack.blocks import Block, find_element
from sandbox.slack.errors import SlackApiError
from sandbox.slack.shapes import file_json
from sandbox.slack.view_state import STATELESS, state_from_value

#: The app's slash commands, as its manifest declares them.
COMMANDS: Mapping[str, str] = {
    BILLING_COMMAND: "Billing settings (billing admins)",
    INVOICE_COMMAND: "What is outstanding and the latest invoices",
    CLIENT_COMMAND: "Find, list or add a client",
    APPOINTMENT_COMMAND: "Schedule appointments, or list a day's, a week's or a client's",
}
#: The reactions a message offers in the console: the two the app acts on.
REACTIONS = ("ticket", "white_check_mark")
#: What Slack's client says when the app answers a modal with something it cannot use.
TROUBLE = "We had some trouble connecting. Try again?"
#: Slack's cap on uploads is far larger; this keeps a stray drag of a video out of memory.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
_DELIVERY_PROBLEMS = (InvalidAppResponse, URLError, TimeoutError, ConnectionError)


class ConsoleError(Exception):
    """What the person tried does not make sense here (a stale page, someone else's view)."""


@contextmanager
def _as_console_error() -> Iterator[None]:
    # The driver says KeyError or ValueError for what a stale page can ask (a view that has
    # closed meanwhile, a modal no longer on top): a problem to show, not a crash.
    try:
        yield
    except (KeyError, ValueError) as problem:
        raise ConsoleError(str(problem).strip("'\"")) from None


@dataclass(frozen=True)
class Notice:
    """A line Slack's own client shows only to one person (e.g. "/x failed with ...")."""

    team_id: str
    user_id: str
    channel_id: str
    text: str
    at: float


@dataclass(frozen=True)
class FieldValue:
    """One control of a modal as the page read it: its ids and the friendly value."""

    block_id: str
    action_id: str
    value: Any


@dataclass
class _ViewMarks:
    """What Slack's client shows on a modal beside the app's blocks, valid for one hash."""

    hash: str
    errors: dict[str, str] = field(default_factory=dict)
    banner: str | None = None


@dataclass(frozen=True)
class StripeMode:
    """Which Stripe the sandboxed app talks to, so the console can say so."""

    standin: bool
    """True: the local stand-in (test cards, no account); False: a configured Stripe key."""
    base_url: str


class Console:
    """Acts for people in the stand-in's workspaces; see the module docstring."""

    def __init__(self, slack: SlackStandIn) -> None:
        self.slack = slack
        self.world = DemoWorld(())
        #: The file outbox the Mail pane reads (None: e-mail goes out over SMTP instead).
        self.mail_dir: Path | None = None
        #: None: the app has no Stripe at all (a console without the sandbox's app).
        self.stripe: StripeMode | None = None
        #: The app's clock and skipping it ahead (None: a console without the sandbox's app).
        self.time: SandboxTime | None = None
        self.lock = threading.Lock()
        self._sent: list[Entry] = []
        self._notices: list[Notice] = []
        self._marks: dict[str, _ViewMarks] = {}
        self._changes = 0
        #: Set when the sandbox stops, so pages' event streams end.
        self.closing = threading.Event()

    # -- what the page reads -------------------------------------------------------------

    def record(self, entry: Entry) -> None:
        """Keep an entry for the Requests drawer."""
        with self.lock:
            self._sent.append(entry)
            self._changes += 1
        self._changed()

    def sent(self) -> list[Entry]:
        with self.lock:
            return list(self._sent)

    def notices(self, team_id: str, user_id: str, channel_id: str) -> list[Notice]:
        with self.lock:
            return [
                n
                for n in self._notices
                if (n.team_id, n.user_id, n.channel_id) == (team_id, user_id, channel_id)
            ]

    def marks(self, view: View) -> tuple[dict[str, str], str | None]:
        """The field errors and the banner to show on `view` (none once the app changed it)."""
        with self.lock:
            marks = self._marks.get(view.id)
            if marks is None or marks.hash != view.hash:
                return {}, None
            return dict(marks.errors), marks.banner

    def mail_filed(self) -> None:
        """The outbox filed an e-mail: pages redraw, so Mail shows it at once."""
        with self.lock:
            self._changes += 1
        self._changed()

    @property
    def changes(self) -> int:
        """Grows whenever the console records something, so pages know to redraw."""
        with self.lock:
            return self._changes

    # -- what a person does --------------------------------------------------------------

    def command(
        self, team_id: str, user_id: str, channel_id: str, line: str, thread_ts: str | None = None
    ) -> None:
        """Type `line` into the composer of `channel_id` (or of a thread in it): a slash
        command, or a message."""
        self._member(team_id, user_id)
        command, _, text = line.strip().partition(" ")
        if not command.startswith("/") or thread_ts:
            self._post_as(team_id, user_id, channel_id, line.strip(), thread_ts)
            return
        if command not in COMMANDS:
            self._notice(
                team_id,
                user_id,
                channel_id,
                f"`{command}` is not a valid command. In Slack, all messages that start with "
                'the "/" character are interpreted as commands.',
            )
            return
        started = time.time()
        title = f"slash command {command}"
        request = {"command": command, "text": text.strip()}
        try:
            with _as_console_error():
                interaction = self.slack.driver.slash_command(
                    user_id, command, text.strip(), channel=channel_id
                )
        except _DELIVERY_PROBLEMS as problem:
            self.record(failed_entry(started, team_id, title, request, str(problem)))
            self._notice(team_id, user_id, channel_id, _failed(command, problem))
            return
        self.record(sent_entry(started, team_id, title, interaction.response))
        if interaction.status != 200:
            self._notice(team_id, user_id, channel_id, _failed_status(command, interaction.status))
        elif interaction.response.late:
            self._notice(
                team_id, user_id, channel_id, f'{command} failed with the error "operation_timeout"'
            )

    def act_in_view(
        self,
        team_id: str,
        user_id: str,
        view_id: str,
        block_id: str,
        action_id: str,
        value: Any,
        values: Sequence[FieldValue] = (),
    ) -> None:
        """Click or pick in a modal or the Home tab; what is typed in the modal goes along."""
        view = self._own_view(team_id, user_id, view_id)
        self._fill(view, values)
        block_id = self._current_block_id(view.blocks, block_id, action_id)
        started = time.time()
        title = f"block_actions {action_id}"
        try:
            with _as_console_error():
                interaction = self.slack.driver.block_action(
                    action_id, view=view, user=user_id, value=value, block_id=block_id
                )
        except _DELIVERY_PROBLEMS as problem:
            self.record(
                failed_entry(started, team_id, title, {"action_id": action_id}, str(problem))
            )
            self._mark(view, banner=TROUBLE)
            return
        self.record(sent_entry(started, team_id, title, interaction.response))
        if interaction.status != 200:
            self._mark(view, banner=TROUBLE)

    def act_in_message(
        self,
        team_id: str,
        user_id: str,
        channel_id: str,
        ts: str,
        block_id: str,
        action_id: str,
        value: Any,
    ) -> None:
        """Click or pick in a message (ephemeral ones only by the person who sees them)."""
        self._member(team_id, user_id)
        message = self._message(team_id, user_id, channel_id, ts)
        block_id = self._current_block_id(message.blocks, block_id, action_id)
        started = time.time()
        title = f"block_actions {action_id}"
        try:
            with _as_console_error():
                interaction = self.slack.driver.block_action(
                    action_id, message=message, user=user_id, value=value, block_id=block_id
                )
        except _DELIVERY_PROBLEMS as problem:
            self.record(
                failed_entry(started, team_id, title, {"action_id": action_id}, str(problem))
            )
            self._notice(team_id, user_id, channel_id, _failed("That action", problem))
            return
        self.record(sent_entry(started, team_id, title, interaction.response))
        if interaction.status != 200:
            self._notice(
                team_id, user_id, channel_id, _failed_status("That action", interaction.status)
            )

    def submit(
        self, team_id: str, user_id: str, view_id: str, values: Sequence[FieldValue]
    ) -> None:
        """Press the modal's submit button with what the page shows typed in.

        Slack's client refuses some input before sending (an empty required field...); those
        messages show under their fields like the app's own errors."""
        view = self._own_view(team_id, user_id, view_id)
        self._fill(view, values)
        started = time.time()
        title = f"view_submission {view.callback_id}".rstrip()
        try:
            with _as_console_error():
                submission = self.slack.driver.submit_view(view)
        except SlackClientRefused as refused:
            self._mark(view, errors=refused.problems)
            return
        except _DELIVERY_PROBLEMS as problem:
            self.record(failed_entry(started, team_id, title, {"view": view.id}, str(problem)))
            self._mark(view, banner=TROUBLE)
            return
        self.record(sent_entry(started, team_id, title, submission.response))
        if submission.status != 200:
            self._mark(view, banner=TROUBLE)
        else:
            self._mark(view, errors=submission.errors)

    def suggest(
        self, team_id: str, user_id: str, view_id: str, action_id: str, typed: str
    ) -> list[dict[str, Any]]:
        """Type `typed` into a select menu of a modal that searches: the options the app
        lists for it."""
        with _as_console_error():
            view = self._own_view(team_id, user_id, view_id)
            try:
                return self.slack.driver.suggest(view, action_id, typed, user=user_id)
            except _DELIVERY_PROBLEMS as problem:
                raise ConsoleError(_failed("The search", problem)) from None

    def close(self, team_id: str, user_id: str, view_id: str) -> None:
        """Press the modal's close button (the app hears of it with ``notify_on_close``)."""
        view = self._own_view(team_id, user_id, view_id)
        started = time.time()
        try:
            with _as_console_error():
                response = self.slack.driver.close_view(view)
        except _DELIVERY_PROBLEMS as problem:
            self.record(
                failed_entry(started, team_id, "view_closed", {"view": view.id}, str(problem))
            )
            return
        if response is not None:
            self.record(sent_entry(started, team_id, f"view_closed {view.callback_id}", response))
        else:
            # Nothing to record, but the person's other pages still show the modal.
            self._changed()

    def opened(self, team_id: str, user_id: str, tab: str) -> None:
        """The person opened the app's Home or Messages tab: Slack tells the app each time."""
        self._member(team_id, user_id)
        if team_id not in self.slack.state.installations:
            return
        started = time.time()
        try:
            with _as_console_error():
                delivery = self.slack.driver.app_home_opened(user_id, tab)
        except _DELIVERY_PROBLEMS as problem:
            self.record(
                failed_entry(started, team_id, "app_home_opened", {"tab": tab}, str(problem))
            )
            return
        self.record(
            sent_entry(started, team_id, f"event app_home_opened ({tab})", delivery.response)
        )

    def upload(self, team_id: str, user_id: str, name: str, content: bytes) -> File:
        """A file the person picked in a file input, hosted like Slack's private files."""
        self._member(team_id, user_id)
        if len(content) > MAX_UPLOAD_BYTES:
            raise ConsoleError(f"{name} is larger than the console's {MAX_UPLOAD_BYTES} bytes")
        return self.slack.host_file(user_id, name or "file", content)

    # -- helpers -------------------------------------------------------------------------

    def _changed(self) -> None:
        # Outside `lock`: a page being drawn holds the stand-in's lock, then takes ours.
        self.slack.state.touch()

    def _member(self, team_id: str, user_id: str) -> None:
        with self.slack.state.lock:
            user = self.slack.state.users.get(user_id)
        if user is None or user.team_id != team_id or user.is_bot:
            raise ConsoleError(f"{user_id} is not a person in workspace {team_id}")

    def _own_view(self, team_id: str, user_id: str, view_id: str) -> View:
        self._member(team_id, user_id)
        with self.slack.state.lock:
            view = self.slack.state.views.get(view_id)
            if view is None or view.closed or view.user_id != user_id:
                raise ConsoleError("That view is no longer open.")
            if (
                view.type == "modal"
                and slack_views.top_modal(self.slack.state, team_id, user_id) is not view
            ):
                raise ConsoleError("That modal is not the one on top any more.")
            return view

    def _message(self, team_id: str, user_id: str, channel_id: str, ts: str) -> Message:
        with self.slack.state.lock:
            for message in self.slack.state.messages:
                if (message.team_id, message.channel_id, message.ts) != (team_id, channel_id, ts):
                    continue
                if message.deleted or message.ephemeral_to not in (None, user_id):
                    continue
                return message
        raise ConsoleError("That message is gone.")

    def _fill(self, view: View, values: Sequence[FieldValue]) -> None:
        """Put what the page shows typed into the view's state, as Slack's client keeps it."""
        state = self.slack.state

        def resolve_file(file_id: Any) -> dict[str, Any]:
            found = state.files.get(str(file_id))
            if found is None or found.team_id != view.team_id:
                raise ConsoleError("That file is not in this workspace.")
            return file_json(state, found)

        with state.lock:
            for item in values:
                try:
                    block_id = self._current_block_id(view.blocks, item.block_id, item.action_id)
                    block, element = find_element(view.blocks, item.action_id, block_id=block_id)
                    if element.get("type") in STATELESS:
                        continue
                    entered = state_from_value(element, item.value, resolve_file)
                except (KeyError, ValueError) as problem:
                    raise ConsoleError(str(problem)) from None
                view.values.setdefault(block["block_id"], {})[element["action_id"]] = entered

    def _current_block_id(self, blocks: list[Block], block_id: str, action_id: str) -> str:
        """The block holding `action_id` now. The app may have republished the surface since
        the page drew it: where it left the block id to Slack, the id changed, though the
        person clicked the same control (an action id names it when it is unique)."""
        with self.slack.state.lock:
            try:
                find_element(blocks, action_id, block_id=block_id)
                return block_id
            except KeyError:
                pass
            try:
                block, _ = find_element(blocks, action_id)
            except KeyError:
                raise ConsoleError("That control is no longer there.") from None
            return str(block["block_id"])

    def _mark(
        self, view: View, *, errors: Mapping[str, str] | None = None, banner: str | None = None
    ) -> None:
        with self.lock:
            self._marks[view.id] = _ViewMarks(view.hash, dict(errors or {}), banner)
            self._changes += 1
        self._changed()

    def _notice(self, team_id: str, user_id: str, channel_id: str, text: str) -> None:
        with self.lock:
            self._notices.append(Notice(team_id, user_id, channel_id, text, time.time()))
            self._changes += 1
        self._changed()

    def react(self, team_id: str, user_id: str, channel_id: str, ts: str, reaction: str) -> None:
        """Add the emoji `reaction` to a message the person can see (the app hears of it)."""
        self._member(team_id, user_id)
        if reaction not in REACTIONS:
            raise ConsoleError(f"The console offers only {', '.join(REACTIONS)} as reactions.")
        message = self._message(team_id, user_id, channel_id, ts)
        if message.ephemeral_to is not None:
            raise ConsoleError("Only you can see that message; it takes no reactions.")
        self.slack.react(user_id, message, reaction)
        with self.lock:
            self._changes += 1
        self._changed()

    def _post_as(
        self, team_id: str, user_id: str, channel_id: str, text: str, thread_ts: str | None
    ) -> None:
        """A plain message from the person, in the channel or a thread of it: Slack shows it
        and tells the app, where it subscribes to such messages."""
        if not text:
            return
        with self.slack.state.lock:
            try:
                channel = self.slack.state.channel(team_id, channel_id)
            except SlackApiError:
                raise ConsoleError("That conversation is gone.") from None
            if thread_ts:
                self._message(team_id, user_id, channel.id, thread_ts)
        self.slack.post_message(user_id, channel, text, thread_ts=thread_ts)
        with self.lock:
            self._changes += 1
        self._changed()


def _failed(what: str, problem: BaseException) -> str:
    if isinstance(problem, InvalidAppResponse):
        return f"{what} failed: Slack would refuse the app's answer ({problem})."
    return f'{what} failed with the error "dispatch_failed" (the app did not answer: {problem}).'


def _failed_status(what: str, status: int) -> str:
    return f'{what} failed with the error "dispatch_failed" (the app answered HTTP {status}).'
