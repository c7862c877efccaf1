"""Small stand-ins for the Slack side of a listener, for unit tests of the `bot/` modules: a
Bolt app that records what is registered, a Web API client and an `ack` that record calls,
and builders for the payloads Slack sends (view state, block actions)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import BoltContext
from slack_sdk.models.views import View

Listener = Callable[..., None]


class RecordingApp:
    """Takes `register(app, deps)` like a Bolt `App`, keeping each listener under its id."""

    def __init__(self) -> None:
        self.listeners: dict[tuple[str, str], Listener] = {}

    def _on(self, kind: str, key: str) -> Callable[[Listener], Listener]:
        def add(listener: Listener) -> Listener:
            assert (kind, key) not in self.listeners, f"{kind} {key} registered twice"
            self.listeners[(kind, key)] = listener
            return listener

        return add

    def view(self, callback_id: str) -> Callable[[Listener], Listener]:
        return self._on("view", callback_id)

    def action(self, action_id: str) -> Callable[[Listener], Listener]:
        return self._on("action", action_id)

    def command(self, name: str) -> Callable[[Listener], Listener]:
        return self._on("command", name)

    def event(self, name: str) -> Callable[[Listener], Listener]:
        return self._on("event", name)

    def options(self, action_id: str) -> Callable[[Listener], Listener]:
        return self._on("options", action_id)


@dataclass
class RecordingClient:
    """The Web API methods the listeners call, answering `ok` and remembering each call."""

    token: str | None = "xoxb-test-token"
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def _record(self, method: str, arguments: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((method, arguments))
        return {"ok": True}

    def views_open(self, **arguments: Any) -> dict[str, Any]:
        return self._record("views.open", arguments)

    def views_push(self, **arguments: Any) -> dict[str, Any]:
        return self._record("views.push", arguments)

    def views_update(self, **arguments: Any) -> dict[str, Any]:
        return self._record("views.update", arguments)

    def views_publish(self, **arguments: Any) -> dict[str, Any]:
        return self._record("views.publish", arguments)

    def chat_postMessage(self, **arguments: Any) -> dict[str, Any]:
        return self._record("chat.postMessage", arguments)

    def named(self, method: str) -> list[dict[str, Any]]:
        return [arguments for name, arguments in self.calls if name == method]


@dataclass
class RecordingAck:
    """Bolt's `ack`, remembering what each call would have answered Slack."""

    answers: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, text: str | None = None, **fields: Any) -> None:
        answer = dict(fields)
        if text is not None:
            answer["text"] = text
        if isinstance(answer.get("view"), View):
            answer["view"] = answer["view"].to_dict()
        self.answers.append(answer)

    @property
    def only(self) -> dict[str, Any]:
        assert len(self.answers) == 1, self.answers
        return self.answers[0]


def context(team_id: str, user_id: str) -> BoltContext:
    return BoltContext({"team_id": team_id, "user_id": user_id})


# -- what users enter, in Slack's state shapes ----------------------------------------------


def typed(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def picked(value: str) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": {"value": value}}


def ticked(*values: str) -> dict[str, Any]:
    return {"type": "checkboxes", "selected_options": [{"value": value} for value in values]}


def user(user_id: str) -> dict[str, Any]:
    return {"type": "users_select", "selected_user": user_id}


def at(hh_mm: str) -> dict[str, Any]:
    return {"type": "timepicker", "selected_time": hh_mm}


def on_date(iso: str) -> dict[str, Any]:
    return {"type": "datepicker", "selected_date": iso}


def submitted(view: View, view_id: str = "V0MODAL01", **values: dict[str, Any]) -> dict[str, Any]:
    """The `view` of a view_submission: the modal as sent, with what the user entered in
    each input (keyed by action id) under the block holding it, as Slack sends it."""
    payload = view.to_dict()
    blocks = _input_blocks(payload)
    payload.update(
        id=view_id,
        hash="1700000000.abc",
        state={
            "values": {
                blocks.get(action, action): {action: state} for action, state in values.items()
            }
        },
    )
    return payload


def input_errors(answer: dict[str, Any], view: dict[str, Any]) -> dict[str, str]:
    """A `response_action: errors` answer's messages, keyed by the action id of the input
    each one shows under in `view`."""
    actions = {block: action for action, block in _input_blocks(view).items()}
    return {actions.get(block, block): message for block, message in answer["errors"].items()}


def _input_blocks(view: dict[str, Any]) -> dict[str, str]:
    """``{action id: block id}`` of the view's input blocks."""
    return {
        block["element"]["action_id"]: block["block_id"]
        for block in view.get("blocks", [])
        if block.get("type") == "input" and block.get("block_id")
    }


def pressed(
    view: View, action_id: str, *, value: str | None = None, option: str | None = None
) -> dict[str, Any]:
    """A block_actions body for a button (`value`) or overflow choice (`option`) in a modal."""
    chosen: dict[str, Any] = {"action_id": action_id}
    if value is not None:
        chosen.update(type="button", value=value)
    if option is not None:
        chosen.update(type="overflow", selected_option={"value": option})
    return {
        "type": "block_actions",
        "trigger_id": "1337.42.trigger",
        "container": {"type": "view", "view_id": "V0MODAL01"},
        "view": submitted(view),
        "actions": [chosen],
    }
