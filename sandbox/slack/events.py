"""The Events API as Slack sends it on its own: a message posted, edited or deleted (by a
person or by the app itself), an @-mention of the app, a reaction. Only for the event types
the app subscribes to (its manifest's ``bot_events``) and in conversations its bot user is
in, as Slack does.

Events are queued under the state's lock by whatever made the change (a Web API call, a
person in a test or the console) and delivered by `EventPump`, one at a time in order, on a
thread of its own: the app answers a Web API call while its own message's event waits, as
with Slack, and nothing holds the lock while the app is being called.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.slack.model import Channel, File, Message
from sandbox.slack.shapes import message_json
from sandbox.slack.state import SlackState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueuedEvent:
    team_id: str
    event: dict[str, Any]


@dataclass(frozen=True)
class DeliveredEvent:
    """One event the pump sent the app, and the HTTP status the app answered."""

    team_id: str
    type: str
    subtype: str | None
    event_id: str
    status: int


class EventQueue:
    """Events waiting for delivery, kept in the state (guarded by its lock)."""

    def __init__(self, state: SlackState, subscriptions: frozenset[str]) -> None:
        self.state = state
        self.subscriptions = subscriptions
        self.waiting: deque[QueuedEvent] = deque()
        self.in_flight = 0
        self.delivered: list[DeliveredEvent] = []

    def _listens(self, channel: Channel, subscription_kind: str) -> bool:
        installation = self.state.installations.get(channel.team_id)
        if installation is None or not installation.active:
            return False
        if channel.is_im:
            return f"{subscription_kind}.im" in self.subscriptions
        if installation.bot_user_id not in channel.members:
            return False
        kind = "groups" if channel.is_private else "channels"
        return f"{subscription_kind}.{kind}" in self.subscriptions

    def _put(self, team_id: str, event: dict[str, Any]) -> None:
        self.waiting.append(QueuedEvent(team_id, event))
        self.state.touch()

    def posted(self, message: Message) -> None:
        """A new message: ``message`` (message.im / .channels) and ``app_mention``."""
        with self.state.lock:
            if message.ephemeral_to is not None:
                return
            channel = self.state.channels[message.channel_id]
            event = _message_event(self.state, message, channel)
            if self._listens(channel, "message"):
                self._put(message.team_id, event)
            installation = self.state.installations.get(message.team_id)
            mention = installation and f"<@{installation.bot_user_id}>" in message.text
            if (
                mention
                and installation is not None
                and "app_mention" in self.subscriptions
                and not channel.is_im
                and installation.bot_user_id in channel.members
                and message.bot_id is None
            ):
                self._put(message.team_id, {**event, "type": "app_mention"})

    def changed(self, message: Message, previous: dict[str, Any]) -> None:
        with self.state.lock:
            channel = self.state.channels[message.channel_id]
            if message.ephemeral_to is not None or not self._listens(channel, "message"):
                return
            ts = self.state.next_ts()
            self._put(
                message.team_id,
                {
                    "type": "message",
                    "subtype": "message_changed",
                    "hidden": True,
                    "channel": channel.id,
                    "channel_type": _channel_type(channel),
                    "message": message_json(self.state, message),
                    "previous_message": previous,
                    "ts": ts,
                    "event_ts": ts,
                },
            )

    def deleted(self, message: Message, previous: dict[str, Any]) -> None:
        with self.state.lock:
            channel = self.state.channels[message.channel_id]
            if message.ephemeral_to is not None or not self._listens(channel, "message"):
                return
            ts = self.state.next_ts()
            self._put(
                message.team_id,
                {
                    "type": "message",
                    "subtype": "message_deleted",
                    "hidden": True,
                    "channel": channel.id,
                    "channel_type": _channel_type(channel),
                    "deleted_ts": message.ts,
                    "previous_message": previous,
                    "ts": ts,
                    "event_ts": ts,
                },
            )

    def reacted(self, message: Message, user_id: str, reaction: str) -> None:
        with self.state.lock:
            channel = self.state.channels[message.channel_id]
            installation = self.state.installations.get(message.team_id)
            if "reaction_added" not in self.subscriptions or installation is None:
                return
            if not installation.active or (
                not channel.is_im and installation.bot_user_id not in channel.members
            ):
                return
            self._put(
                message.team_id,
                {
                    "type": "reaction_added",
                    "user": user_id,
                    "reaction": reaction,
                    "item_user": message.user,
                    "item": {"type": "message", "channel": channel.id, "ts": message.ts},
                    "event_ts": self.state.next_ts(),
                },
            )

    def file_deleted(self, file: File) -> None:
        """``file_deleted``: names the file only (its id and where it was shared)."""
        with self.state.lock:
            installation = self.state.installations.get(file.team_id)
            if "file_deleted" not in self.subscriptions or installation is None:
                return
            if not installation.active:
                return
            ts = self.state.next_ts()
            self._put(
                file.team_id,
                {
                    "type": "file_deleted",
                    "file_id": file.id,
                    "channel_ids": list(dict.fromkeys(file.channels)),
                    "event_ts": ts,
                },
            )

    @property
    def idle(self) -> bool:
        with self.state.lock:
            return not self.waiting and self.in_flight == 0


def _channel_type(channel: Channel) -> str:
    if channel.is_im:
        return "im"
    return "group" if channel.is_private else "channel"


def _message_event(state: SlackState, message: Message, channel: Channel) -> dict[str, Any]:
    event = message_json(state, message)
    if not message.blocks:
        event.pop("blocks", None)
    event.update(
        channel=channel.id,
        channel_type=_channel_type(channel),
        event_ts=message.ts,
    )
    if message.files and message.bot_id is None:
        event["subtype"] = "file_share"
    return event


Deliver = Callable[[str, dict[str, Any]], tuple[str, int]]
"""(team id, event) -> (the event id it was sent under, the app's HTTP status)."""


class EventPump:
    """Delivers queued events to the app, one after another, on a thread of its own."""

    def __init__(self, queue: EventQueue, deliver: Deliver) -> None:
        self._queue = queue
        self._deliver = deliver
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="slack-events", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._queue.state.touch()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        state = self._queue.state
        while not self._stopping.is_set():
            with state.changed:
                state.changed.wait_for(
                    lambda: bool(self._queue.waiting) or self._stopping.is_set(), timeout=1.0
                )
                if self._stopping.is_set() or not self._queue.waiting:
                    continue
                queued = self._queue.waiting.popleft()
                self._queue.in_flight += 1
            try:
                event_id, status = self._deliver(queued.team_id, queued.event)
            except Exception as error:  # the app is down or refused: Slack would retry later
                log.warning("event=slack_event_not_delivered error=%s", type(error).__name__)
                event_id, status = "", 0
            with state.lock:
                self._queue.in_flight -= 1
                self._queue.delivered.append(
                    DeliveredEvent(
                        queued.team_id,
                        str(queued.event.get("type")),
                        queued.event.get("subtype"),
                        event_id,
                        status,
                    )
                )
            state.touch()
