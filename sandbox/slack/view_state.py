"""What a user entered into an element, in Slack's shapes for ``state.values`` and ``actions``.

A test gives friendly values (``"EUR"``, a `date`, a `User`, a list of option values); this
module turns them into what Slack sends (``{"type": "static_select", "selected_option":
{...}}``), and refuses what Slack's own client would never let a user submit (an empty
required field, letters in a number input...), since the app would never see that input.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.slack.blocks import Block, Element, input_blocks

#: The key under which each element type reports its value, in state and in actions.
VALUE_KEYS: dict[str, str] = {
    "plain_text_input": "value",
    "email_text_input": "value",
    "url_text_input": "value",
    "number_input": "value",
    "static_select": "selected_option",
    "external_select": "selected_option",
    "radio_buttons": "selected_option",
    "overflow": "selected_option",
    "multi_static_select": "selected_options",
    "multi_external_select": "selected_options",
    "checkboxes": "selected_options",
    "users_select": "selected_user",
    "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation",
    "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel",
    "multi_channels_select": "selected_channels",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
    "file_input": "files",
    "rich_text_input": "rich_text_value",
}
_INITIAL_KEYS: dict[str, str] = {
    "value": "initial_value",
    "selected_option": "initial_option",
    "selected_options": "initial_options",
    "selected_user": "initial_user",
    "selected_users": "initial_users",
    "selected_conversation": "initial_conversation",
    "selected_conversations": "initial_conversations",
    "selected_channel": "initial_channel",
    "selected_channels": "initial_channels",
    "selected_date": "initial_date",
    "selected_time": "initial_time",
    "selected_date_time": "initial_date_time",
    "rich_text_value": "initial_value",
}
_LIST_KEYS = {
    "selected_options",
    "selected_users",
    "selected_conversations",
    "selected_channels",
    "files",
}
#: Elements that keep no state in ``view.state.values``.
STATELESS = {"button", "overflow", "workflow_button"}
#: Elements whose action carries no selection at all.
CLICK_ONLY = {"button", "workflow_button"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)

FileResolver = Callable[[Any], dict[str, Any]]


class SlackClientRefused(Exception):
    """Slack's client would not send this: it shows the user `problems` (block_id → text)."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{block}: {text}" for block, text in problems.items()))
        self.problems = problems


def initial_state(element: Element) -> dict[str, Any]:
    """The state an untouched element reports: its initial value, or empty."""
    kind = str(element.get("type"))
    key = VALUE_KEYS[kind]
    empty: list[Any] | None = [] if key in _LIST_KEYS else None
    return {"type": kind, key: element.get(_INITIAL_KEYS.get(key, ""), empty)}


def state_from_value(element: Element, value: Any, resolve_file: FileResolver) -> dict[str, Any]:
    """The state for `element` after the user entered `value` (friendly form, see module)."""
    kind = str(element.get("type"))
    if kind not in VALUE_KEYS:
        raise ValueError(f"{kind!r} elements hold no value")
    key = VALUE_KEYS[kind]
    return {"type": kind, key: _convert(element, kind, value, resolve_file)}


def action_payload(
    block: Block, element: Element, state: dict[str, Any] | None, action_ts: str
) -> dict[str, Any]:
    """One entry of a ``block_actions`` payload's ``actions`` for this element."""
    action: dict[str, Any] = {
        "type": element["type"],
        "action_id": element["action_id"],
        "block_id": block["block_id"],
    }
    if element["type"] in ("button", "workflow_button"):
        action["text"] = element.get("text")
        for optional in ("value", "style", "url"):
            if optional in element:
                action[optional] = element[optional]
    elif state is not None:
        action.update({k: v for k, v in state.items() if k != "type"})
    action["action_ts"] = action_ts
    return action


def client_side_problems(blocks: list[Block], values: dict[str, dict[str, Any]]) -> dict[str, str]:
    """What Slack's client refuses before submitting: ``{block_id: message}``; empty if none."""
    problems: dict[str, str] = {}
    for block, element in input_blocks(blocks):
        state = values.get(block["block_id"], {}).get(element["action_id"]) or {}
        value = state.get(VALUE_KEYS.get(element["type"], "value"))
        problem = _problem(block, element, value)
        if problem:
            problems[block["block_id"]] = problem
    return problems


# -- conversions -------------------------------------------------------------------------


def _convert(element: Element, kind: str, value: Any, resolve_file: FileResolver) -> Any:
    if kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input"):
        return None if value is None or value == "" else str(value)
    if kind in ("static_select", "radio_buttons", "overflow"):
        return None if value is None else _option(element, value)
    if kind == "external_select":
        return None if value is None else _free_option(value)
    if kind in ("multi_static_select", "checkboxes"):
        return [_option(element, one) for one in _many(value)]
    if kind == "multi_external_select":
        return [_free_option(one) for one in _many(value)]
    if kind in ("users_select", "conversations_select", "channels_select"):
        return None if value is None else _id_of(value)
    if kind.startswith("multi_"):
        return [_id_of(one) for one in _many(value)]
    if kind == "file_input":
        return [resolve_file(one) for one in _many(value)]
    return _convert_temporal(kind, value)


def _convert_temporal(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "datepicker":
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if kind == "timepicker":
        return value.strftime("%H:%M") if isinstance(value, dt.time) else str(value)
    if kind == "datetimepicker":
        return int(value.timestamp()) if isinstance(value, dt.datetime) else int(value)
    if kind == "rich_text_input":
        text = {"type": "text", "text": str(value)}
        section = {"type": "rich_text_section", "elements": [text]}
        return {"type": "rich_text", "elements": [section]}
    raise ValueError(f"{kind!r} elements hold no value")


def _option(element: Element, value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    options = list(element.get("options", []))
    for group in element.get("option_groups", []):
        options += group.get("options", [])
    for option in options:
        if option.get("value") == str(value):
            return {k: option[k] for k in ("text", "value", "description") if k in option}
    offered = [option.get("value") for option in options]
    raise ValueError(f"{value!r} is not an option of {element.get('action_id')!r}: {offered}")


def _free_option(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    return {"text": {"type": "plain_text", "text": str(value)}, "value": str(value)}


def _many(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        return [value]
    return list(value)


def _id_of(value: Any) -> str:
    return str(getattr(value, "id", value))


# -- what Slack's client refuses ---------------------------------------------------------


def _problem(block: Block, element: Element, value: Any) -> str | None:
    if value in (None, "", []):
        return None if block.get("optional") else "Please complete this required field."
    kind = element["type"]
    if kind == "plain_text_input":
        return _length_problem(element, str(value))
    if kind == "number_input":
        return _number_problem(element, str(value))
    if kind == "email_text_input" and not _EMAIL.match(str(value)):
        return "Please enter a valid email address."
    if kind == "url_text_input" and not _URL.match(str(value)):
        return "Please enter a valid URL."
    if kind == "file_input":
        return _files_problem(element, value)
    limit = element.get("max_selected_items")
    if isinstance(value, list) and isinstance(limit, int) and len(value) > limit:
        return f"Select no more than {limit} items."
    return None


def _length_problem(element: Element, text: str) -> str | None:
    low, high = element.get("min_length", 0), element.get("max_length", 3000)
    if len(text) < low:
        return f"Please enter at least {low} characters."
    if len(text) > high:
        return f"Please enter no more than {high} characters."
    return None


def _number_problem(element: Element, text: str) -> str | None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return "Please enter a number."
    if not number.is_finite():
        return "Please enter a number."
    if not element.get("is_decimal_allowed") and number != number.to_integral_value():
        return "Please enter a whole number."
    low, high = element.get("min_value"), element.get("max_value")
    if low is not None and number < Decimal(str(low)):
        return f"Please enter a number at least {low}."
    if high is not None and number > Decimal(str(high)):
        return f"Please enter a number at most {high}."
    return None


def _files_problem(element: Element, files: list[dict[str, Any]]) -> str | None:
    if len(files) > element.get("max_files", 10):
        return f"Upload no more than {element.get('max_files', 10)} files."
    allowed = {kind.lower() for kind in element.get("filetypes", [])}
    for file in files:
        extension = str(file.get("name", "")).rsplit(".", 1)[-1].lower()
        if allowed and extension not in allowed:
            return f"{file.get('name')} is not one of the allowed types: {sorted(allowed)}."
    return None
