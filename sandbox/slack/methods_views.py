"""``views.open``, ``views.push``, ``views.update`` and ``views.publish``."""

from __future__ import annotations

from typing import Any

from sandbox.slack import views
from sandbox.slack.api import Call, Handler
from sandbox.slack.errors import SlackApiError, invalid_arguments
from sandbox.slack.files import unusable_slack_files


def views_open(call: Call) -> dict[str, Any]:
    definition = views.checked_definition(_view_arg(call), "modal")
    trigger = call.state.exchange_trigger(call.team_id, _trigger_arg(call))
    view = views.open_modal(call.state, trigger, definition)
    return {"view": views.view_json(call.state, view)}


def views_push(call: Call) -> dict[str, Any]:
    definition = views.checked_definition(_view_arg(call), "modal")
    trigger = call.state.exchange_trigger(call.team_id, _trigger_arg(call))
    view = views.push_modal(
        call.state, trigger.team_id, trigger.user_id, definition, trigger_id=trigger.id
    )
    return {"view": views.view_json(call.state, view)}


def views_update(call: Call) -> dict[str, Any]:
    view_id, external_id = call.text("view_id") or "", call.text("external_id") or ""
    if not view_id and not external_id:
        raise SlackApiError("invalid_arguments")
    view = views.find_view(call.state, call.team_id, view_id=view_id, external_id=external_id)
    definition = views.checked_definition(_view_arg(call), view.type)
    views.update_view(call.state, view, definition, call.text("hash"))
    return {"view": views.view_json(call.state, view)}


def views_publish(call: Call) -> dict[str, Any]:
    user = call.state.user(call.team_id, call.text("user_id", missing="user_not_found") or "")
    definition = views.checked_definition(_view_arg(call), "home")
    view = views.publish_home(call.state, call.team_id, user.id, definition, call.text("hash"))
    return {"view": views.view_json(call.state, view)}


def _view_arg(call: Call) -> Any:
    view = call.decoded("view", bad_format="invalid_arguments")
    if view is None:
        raise SlackApiError("invalid_arguments")
    if isinstance(view, dict):
        problems = unusable_slack_files(call.state, call.team_id, view.get("blocks"))
        if problems:
            raise invalid_arguments(problems)
    return view


def _trigger_arg(call: Call) -> str | None:
    return call.text("trigger_id") or call.text("interactivity_pointer")


HANDLERS: dict[str, Handler] = {
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "views.publish": views_publish,
}
