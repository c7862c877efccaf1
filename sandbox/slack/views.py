"""Modal stacks and App Home tabs: opening, pushing, updating, publishing and closing views.

Slack keeps up to three modals stacked per user; ``views.update`` keeps the view id and what
the user typed into inputs whose block and action ids survive; every change gets a new
``hash`` so a stale ``views.update`` can be refused with ``hash_conflict``.
"""

from __future__ import annotations

from typing import Any, Literal

from sandbox.slack import ids
from sandbox.slack.blockkit_limits import check_view
from sandbox.slack.blocks import interactive_elements, with_generated_ids
from sandbox.slack.errors import SlackApiError, invalid_arguments
from sandbox.slack.model import Trigger, View
from sandbox.slack.state import SlackState
from sandbox.slack.view_state import STATELESS, initial_state

MAX_STACK = 3


def checked_definition(view: Any, kind: Literal["modal", "home"]) -> dict[str, Any]:
    """The view with generated ids, or ``invalid_arguments`` listing every Block Kit problem."""
    if not isinstance(view, dict):
        raise invalid_arguments(["must be an object [json-pointer:/view]"])
    problems = check_view(view)
    if not problems and view.get("type") != kind:
        problems = [f'must be "{kind}" here [json-pointer:/view/type]']
    if problems:
        raise invalid_arguments(problems)
    definition = dict(view)
    definition["blocks"] = with_generated_ids(view.get("blocks", []))
    return definition


def open_modal(state: SlackState, trigger: Trigger, definition: dict[str, Any]) -> View:
    """Open a new modal stack for the trigger's user (an open stack is replaced)."""
    with state.lock:
        _refuse_duplicate_external_id(state, trigger.team_id, definition)
        key = (trigger.team_id, trigger.user_id)
        for view_id in state.modal_stacks.pop(key, []):
            state.views[view_id].closed = True
        view = _new_view(state, trigger.team_id, trigger.user_id, "modal", definition)
        view.trigger_id = trigger.id
        state.modal_stacks[key] = [view.id]
        return view


def push_modal(
    state: SlackState,
    team_id: str,
    user_id: str,
    definition: dict[str, Any],
    trigger_id: str | None = None,
) -> View:
    """Push onto the user's modal stack; ``push_limit_reached`` past three views."""
    with state.lock:
        stack = state.modal_stacks.get((team_id, user_id))
        if not stack:
            raise SlackApiError("invalid_trigger_id")
        if len(stack) >= MAX_STACK:
            raise SlackApiError("push_limit_reached")
        _refuse_duplicate_external_id(state, team_id, definition)
        top = state.views[stack[-1]]
        view = _new_view(state, team_id, user_id, "modal", definition)
        view.root_view_id, view.previous_view_id = top.root_view_id, top.id
        view.trigger_id = trigger_id
        stack.append(view.id)
        return view


def update_view(
    state: SlackState, view: View, definition: dict[str, Any], expected_hash: str | None
) -> View:
    """Replace the view's content in place; ``hash_conflict`` if `expected_hash` is stale."""
    with state.lock:
        if expected_hash and expected_hash != view.hash:
            raise SlackApiError("hash_conflict")
        if definition.get("external_id") and definition["external_id"] != view.external_id:
            _refuse_duplicate_external_id(state, view.team_id, definition)
        kept_ids = {
            (block["block_id"], element["action_id"])
            for block, element in interactive_elements(definition["blocks"])
        }
        view.values = {
            block_id: {a: v for a, v in actions.items() if (block_id, a) in kept_ids}
            for block_id, actions in view.values.items()
        }
        view.definition = definition
        view.hash = ids.view_hash(state.now())
        return view


def publish_home(
    state: SlackState,
    team_id: str,
    user_id: str,
    definition: dict[str, Any],
    expected_hash: str | None,
) -> View:
    """Publish the user's App Home, creating it on first publish."""
    with state.lock:
        existing_id = state.homes.get((team_id, user_id))
        if existing_id is not None:
            return update_view(state, state.views[existing_id], definition, expected_hash)
        view = _new_view(state, team_id, user_id, "home", definition)
        state.homes[(team_id, user_id)] = view.id
        return view


def close_modal(state: SlackState, view: View, *, clear: bool) -> list[View]:
    """Close `view` (and whatever is stacked above it), or the whole stack if `clear`."""
    with state.lock:
        key = (view.team_id, view.user_id)
        stack = state.modal_stacks.get(key, [])
        if view.id not in stack:
            return []
        cut = 0 if clear else stack.index(view.id)
        closed = [state.views[view_id] for view_id in stack[cut:]]
        del stack[cut:]
        if not stack:
            state.modal_stacks.pop(key, None)
        for gone in closed:
            gone.closed = True
        return closed


def find_view(state: SlackState, team_id: str, view_id: str = "", external_id: str = "") -> View:
    """An open view of the workspace by id or external id, or ``not_found``."""
    with state.lock:
        for view in state.views.values():
            if view.team_id != team_id or view.closed:
                continue
            if (view_id and view.id == view_id) or (
                external_id and view.external_id == external_id
            ):
                return view
        raise SlackApiError("not_found")


def top_modal(state: SlackState, team_id: str, user_id: str) -> View | None:
    """The modal the user is looking at, if any."""
    with state.lock:
        stack = state.modal_stacks.get((team_id, user_id))
        return state.views[stack[-1]] if stack else None


def state_values(view: View) -> dict[str, dict[str, dict[str, Any]]]:
    """``view.state.values``: what the user entered, or each stateful element's initial value."""
    values: dict[str, dict[str, dict[str, Any]]] = {}
    for block, element in interactive_elements(view.blocks):
        if element.get("type") in STATELESS:
            continue
        block_id, action_id = block["block_id"], element["action_id"]
        entered = view.values.get(block_id, {}).get(action_id)
        values.setdefault(block_id, {})[action_id] = entered or initial_state(element)
    return values


def view_json(state: SlackState, view: View) -> dict[str, Any]:
    """The view object as Slack returns it from ``views.*`` and sends it in payloads."""
    definition = view.definition
    installation = state.installations.get(view.team_id)
    payload: dict[str, Any] = {
        "id": view.id,
        "team_id": view.team_id,
        "type": view.type,
        "blocks": view.blocks,
        "private_metadata": view.private_metadata,
        "callback_id": view.callback_id,
        "state": {"values": state_values(view)},
        "hash": view.hash,
        "title": definition.get("title", {"type": "plain_text", "text": "View Title"}),
        "clear_on_close": bool(definition.get("clear_on_close", False)),
        "notify_on_close": bool(definition.get("notify_on_close", False)),
        "close": definition.get("close"),
        "submit": definition.get("submit"),
        "previous_view_id": view.previous_view_id,
        "root_view_id": view.root_view_id,
        "app_id": state.app.app_id,
        "external_id": view.external_id,
        "app_installed_team_id": view.team_id,
        "bot_id": installation.bot_id if installation else None,
    }
    if "submit_disabled" in definition:
        payload["submit_disabled"] = bool(definition["submit_disabled"])
    return payload


def _new_view(
    state: SlackState,
    team_id: str,
    user_id: str,
    kind: Literal["modal", "home"],
    definition: dict[str, Any],
) -> View:
    view_id = ids.slack_id("V")
    view = View(
        id=view_id,
        team_id=team_id,
        user_id=user_id,
        type=kind,
        definition=definition,
        hash=ids.view_hash(state.now()),
        root_view_id=view_id,
    )
    state.views[view.id] = view
    return view


def _refuse_duplicate_external_id(
    state: SlackState, team_id: str, definition: dict[str, Any]
) -> None:
    # Slack: an external_id must be unique among the workspace's views.
    external_id = definition.get("external_id")
    if not external_id:
        return
    for view in state.views.values():
        if view.team_id == team_id and not view.closed and view.external_id == external_id:
            raise SlackApiError("duplicate_external_id")
