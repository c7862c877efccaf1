"""Acting as Slack toward the app: commands, clicks, modal submissions, events.

Each method builds the payload Slack would send for what a person just did, signs it, POSTs
it to the app's Request URL, and then does what Slack does with the app's answer (show the
command's reply, apply a ``response_action``, close the modal...). Triggers and response URLs
in the payloads are real ones the stand-in accepts.

The stand-in's lock is never held while waiting for the app, because the app calls back
into the stand-in from other threads while it handles the request.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from sandbox.slack import ids, payloads, views
from sandbox.slack.blocks import Block, Element, find_element, input_blocks
from sandbox.slack.errors import SlackApiError
from sandbox.slack.interactions import EventDelivery, Interaction, Submission
from sandbox.slack.model import Channel, Message, User, View, Workspace
from sandbox.slack.responses import deliver
from sandbox.slack.shapes import file_json
from sandbox.slack.state import SlackState
from sandbox.slack.transport import (
    FORM,
    JSON,
    AppResponse,
    AppTransport,
    SentRequest,
    Tamper,
    Transport,
)
from sandbox.slack.view_state import (
    CLICK_ONLY,
    SlackClientRefused,
    action_payload,
    client_side_problems,
    initial_state,
    state_from_value,
)

UserRef = User | str
ViewRef = View | str


class InvalidAppResponse(Exception):
    """The app answered something Slack would refuse; a person would see an error instead."""


class SlackDriver:
    """Sends the app what Slack sends; see the module docstring."""

    def __init__(
        self,
        state: SlackState,
        events_url: str | None,
        *,
        timeout: float = 10.0,
        transport: AppTransport | None = None,
    ) -> None:
        """Requests go to `events_url` over HTTP, or through `transport` (Socket Mode)."""
        self.state = state
        self._transport = transport or (
            Transport(events_url, state.app.signing_secret, timeout=timeout) if events_url else None
        )

    @property
    def transport(self) -> AppTransport:
        """Where requests go; a driver without an app URL can only `fill` views."""
        if self._transport is None:
            raise RuntimeError("no app to send to: start SlackStandIn(app_url=...)")
        return self._transport

    # -- slash commands ------------------------------------------------------------------

    def slash_command(
        self,
        user: UserRef,
        command: str,
        text: str = "",
        *,
        channel: Channel | str | None = None,
        tamper: Tamper = Tamper.NONE,
    ) -> Interaction:
        """Run `command` as `user` in `channel` (default: the user's DM with the app).

        A JSON answer from the app is shown as Slack shows it (ephemeral unless
        ``response_type`` is ``in_channel``); `InvalidAppResponse` if Slack would refuse it.
        """
        with self.state.lock:
            person = self._user(user)
            place = self._channel(person, channel)
            trigger = self.state.issue_trigger(person.team_id, person.id)
            issued = self.state.issue_response_url(person.team_id, place.id, person.id)
            form = payloads.slash_command(
                self.state, person, place, command, text, trigger, issued.url
            )
        response = self.transport.send(urlencode(form).encode(), FORM, tamper=tamper)
        if response.status == 200 and response.body.strip():
            try:
                deliver(self.state, issued, _json_or_text(response), via="ack")
            except SlackApiError as error:
                raise InvalidAppResponse(
                    f"{command} answered something Slack refuses: {error.body()}"
                ) from None
        return Interaction(response, trigger.id, issued.url, self.state)

    # -- block actions -------------------------------------------------------------------

    def block_action(
        self,
        action_id: str,
        *,
        view: ViewRef | None = None,
        message: Message | None = None,
        user: UserRef | None = None,
        value: Any = None,
        block_id: str | None = None,
        tamper: Tamper = Tamper.NONE,
    ) -> Interaction:
        """Click a button, or pick `value`, in the element `action_id` of a view or a message.

        For a select, `value` is the option's value (a list for multi-selects); a user or
        channel (or its id) for those pickers; a `date` for a date picker. In a view the
        user defaults to the view's owner; in a message, say who clicked. `ValueError` for
        an input element without ``dispatch_action``, since Slack sends nothing for those.
        """
        if (view is None) == (message is None):
            raise ValueError("pass exactly one of view= or message=")
        if view is not None:
            return self._action_in_view(user, self._view(view), action_id, value, block_id, tamper)
        if message is None or user is None:
            raise ValueError("an action in a message needs the user who clicked")
        person = self._user(user)
        return self._action_in_message(person, message, action_id, value, block_id, tamper)

    def _action_in_view(
        self,
        user: UserRef | None,
        view: View,
        action_id: str,
        value: Any,
        block_id: str | None,
        tamper: Tamper,
    ) -> Interaction:
        with self.state.lock:
            person = self._user(user or view.user_id)
            block, element = find_element(view.blocks, action_id, block_id=block_id)
            _refuse_silent_input(block)
            state = self._acted_state(view, block, element, value)
            trigger = self.state.issue_trigger(view.team_id, person.id, view_id=view.id)
            action = action_payload(block, element, state, _action_ts())
            payload = payloads.block_actions_in_view(self.state, person, view, trigger, action)
        response = self._send_payload(payload, tamper)
        return Interaction(response, trigger.id, None, self.state)

    def _action_in_message(
        self,
        person: User,
        message: Message,
        action_id: str,
        value: Any,
        block_id: str | None,
        tamper: Tamper,
    ) -> Interaction:
        with self.state.lock:
            block, element = find_element(message.blocks, action_id, block_id=block_id)
            _refuse_silent_input(block)
            state = None
            if element.get("type") not in CLICK_ONLY:
                state = state_from_value(element, value, self._file_json)
            trigger = self.state.issue_trigger(person.team_id, person.id)
            issued = self.state.issue_response_url(
                person.team_id, message.channel_id, person.id, message_ts=message.ts
            )
            action = action_payload(block, element, state, _action_ts())
            payload = payloads.block_actions_in_message(
                self.state, person, message, trigger, issued.url, action
            )
        response = self._send_payload(payload, tamper)
        return Interaction(response, trigger.id, issued.url, self.state)

    # -- modals --------------------------------------------------------------------------

    def fill(self, view: ViewRef, values: Mapping[str, Any]) -> View:
        """Type `values` into the view without submitting (keyed by action_id or block_id)."""
        with self.state.lock:
            target = self._view(view)
            for key, value in values.items():
                block, element = find_element(target.blocks, key)
                self._enter(target, block, element, value)
            return target

    def submit_view(
        self,
        view: ViewRef,
        values: Mapping[str, Any] | None = None,
        *,
        tamper: Tamper = Tamper.NONE,
    ) -> Submission:
        """Fill in `values` (keyed by action_id or block_id) and press the submit button.

        Raises `SlackClientRefused` when Slack's client would not submit (an empty required
        input, letters in a number input...). Applies the app's ``response_action`` to the
        stack as Slack does: ``errors`` keeps the view, ``update`` replaces it, ``push``
        stacks a new one, ``clear`` closes all, and no action closes this one.
        `InvalidAppResponse` when Slack would refuse the answer.
        """
        with self.state.lock:
            target = self.fill(view, values or {})
            if views.top_modal(self.state, target.team_id, target.user_id) is not target:
                raise ValueError(f"{target.id} is not the modal its user is looking at")
            values_now = views.state_values(target)
            problems = client_side_problems(target.blocks, values_now)
            if problems:
                raise SlackClientRefused(problems)
            person = self.state.users[target.user_id]
            trigger = self.state.issue_trigger(target.team_id, person.id, view_id=target.id)
            response_urls = self._response_urls_for(target, values_now)
            payload = payloads.view_submission(self.state, person, target, trigger, response_urls)
        response = self._send_payload(payload, tamper)
        if response.status == 200:
            self._apply_response_action(target, response, trigger.id)
        return Submission(response, trigger.id, None, self.state, target)

    def close_view(self, view: ViewRef, *, tamper: Tamper = Tamper.NONE) -> AppResponse | None:
        """Press the modal's close button; the app hears of it only with ``notify_on_close``."""
        with self.state.lock:
            target = self._view(view)
            clear = bool(target.definition.get("clear_on_close"))
            notify = bool(target.definition.get("notify_on_close"))
            person = self.state.users[target.user_id]
            payload = payloads.view_closed(self.state, person, target, is_cleared=clear)
            views.close_modal(self.state, target, clear=clear)
        return self._send_payload(payload, tamper) if notify else None

    # -- events --------------------------------------------------------------------------

    def event(
        self,
        team: Workspace | str,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        tamper: Tamper = Tamper.NONE,
        signed_at: int | None = None,
    ) -> EventDelivery:
        """Deliver an Events API callback to the workspace's installation.

        To send Slack's retry of an earlier delivery, pass its `event_id` and a `retry_num`
        (sent as ``X-Slack-Retry-Num`` with ``X-Slack-Retry-Reason``), and, since Slack signs
        each attempt when it sends it, the moment it was signed (`signed_at`, epoch seconds).
        """
        team_id = team.id if isinstance(team, Workspace) else team
        with self.state.lock:
            event_id = event_id or ids.slack_id("Ev")
            body = payloads.event_callback(self.state, team_id, event, event_id, int(time.time()))
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        raw = json.dumps(body).encode()
        response = self.transport.send(
            raw, JSON, tamper=tamper, headers=headers, signed_at=signed_at
        )
        return EventDelivery(response, event_id, body)

    def app_home_opened(self, user: UserRef, tab: str = "home") -> EventDelivery:
        """The user opened the app's Home (or Messages) tab."""
        with self.state.lock:
            person = self._user(user)
            installation = self.state.installation(person.team_id)
            channel, _ = self.state.open_im(person.team_id, installation.bot_user_id, person.id)
            event: dict[str, Any] = {
                "type": "app_home_opened",
                "user": person.id,
                "channel": channel.id,
                "tab": tab,
                "event_ts": _action_ts(),
            }
            home_id = self.state.homes.get((person.team_id, person.id))
            if home_id is not None and tab == "home":
                event["view"] = views.view_json(self.state, self.state.views[home_id])
        return self.event(person.team_id, event)

    def url_verification(self, challenge: str | None = None) -> AppResponse:
        """Slack's handshake when the Request URL is saved; the app must echo `challenge`."""
        body = payloads.url_verification(self.state, challenge or ids.opaque())
        return self.transport.send(json.dumps(body).encode(), JSON)

    def replay(self, sent: SentRequest | AppResponse | Interaction | EventDelivery) -> AppResponse:
        """Send an earlier request again, byte for byte (an attacker's replay)."""
        if isinstance(sent, Interaction | EventDelivery):
            sent = sent.response
        if isinstance(sent, AppResponse):
            sent = sent.request
        return self.transport.replay(sent)

    # -- select menus that search ---------------------------------------------------------

    def suggest(
        self, view: ViewRef, action_id: str, typed: str, *, user: UserRef | None = None
    ) -> list[dict[str, Any]]:
        """Type `typed` into the external select `action_id` of a view: the options the app
        answers, as the menu lists them. `InvalidAppResponse` when Slack would show none
        because of the answer's shape."""
        with self.state.lock:
            shown = self._view(view)
            person = self._user(user or shown.user_id)
            block, element = find_element(shown.blocks, action_id)
            if element.get("type") not in ("external_select", "multi_external_select"):
                raise ValueError(f"{action_id} is a {element.get('type')}, not an external select")
            if len(typed) < int(element.get("min_query_length", 3)):
                return []  # Slack waits for more typing before it asks
            payload = payloads.block_suggestion(self.state, person, shown, block, element, typed)
        response = self._send_payload(payload, Tamper.NONE)
        if response.status != 200:
            raise InvalidAppResponse(f"options answer: HTTP {response.status}")
        return _checked_options(_json_or_text(response))

    # -- helpers -------------------------------------------------------------------------

    def _send_payload(self, payload: dict[str, Any], tamper: Tamper) -> AppResponse:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.transport.send(body, FORM, tamper=tamper)

    def _apply_response_action(self, view: View, response: AppResponse, trigger_id: str) -> None:
        answer = _json_or_text(response) if response.body.strip() else {}
        if not isinstance(answer, dict):
            raise InvalidAppResponse(f"view_submission answer is not a JSON object: {answer!r}")
        action = answer.get("response_action")
        try:
            with self.state.lock:
                if action is None:
                    views.close_modal(self.state, view, clear=False)
                elif action == "clear":
                    views.close_modal(self.state, view, clear=True)
                elif action == "errors":
                    _check_errors(view, answer.get("errors"))
                elif action == "update":
                    definition = views.checked_definition(answer.get("view"), "modal")
                    views.update_view(self.state, view, definition, None)
                elif action == "push":
                    definition = views.checked_definition(answer.get("view"), "modal")
                    views.push_modal(
                        self.state, view.team_id, view.user_id, definition, trigger_id=trigger_id
                    )
                else:
                    raise InvalidAppResponse(f"unknown response_action {action!r}")
        except SlackApiError as error:
            raise InvalidAppResponse(f"response_action {action}: {error.body()}") from None

    def _response_urls_for(
        self, view: View, values: dict[str, dict[str, dict[str, Any]]]
    ) -> list[dict[str, str]]:
        found = []
        for block, element in input_blocks(view.blocks):
            if not element.get("response_url_enabled"):
                continue
            state = values[block["block_id"]][element["action_id"]]
            channel_id = state.get("selected_conversation") or state.get("selected_channel")
            if channel_id:
                issued = self.state.issue_response_url(view.team_id, channel_id, view.user_id)
                found.append(
                    {
                        "block_id": block["block_id"],
                        "action_id": element["action_id"],
                        "channel_id": channel_id,
                        "response_url": issued.url,
                    }
                )
        return found

    def _acted_state(
        self, view: View, block: Block, element: Element, value: Any
    ) -> dict[str, Any] | None:
        """The element's state after the action: `value` if given, else what it held."""
        if element.get("type") in CLICK_ONLY:
            return None
        if value is not None:
            return self._enter(view, block, element, value)
        held = view.values.get(block["block_id"], {}).get(element["action_id"])
        return held or initial_state(element)

    def _enter(self, view: View, block: Block, element: Element, value: Any) -> dict[str, Any]:
        state = state_from_value(element, value, self._file_json)
        view.values.setdefault(block["block_id"], {})[element["action_id"]] = state
        return state

    def _file_json(self, file: Any) -> dict[str, Any]:
        file_id = str(getattr(file, "id", file))
        return file_json(self.state, self.state.files[file_id])

    def _user(self, user: UserRef) -> User:
        user_id = user.id if isinstance(user, User) else user
        found = self.state.users.get(user_id)
        if found is None:
            raise KeyError(f"no user {user_id}")
        return found

    def _view(self, view: ViewRef) -> View:
        view_id = view.id if isinstance(view, View) else view
        found = self.state.views.get(view_id)
        if found is None or found.closed:
            raise KeyError(f"no open view {view_id}")
        return found

    def _channel(self, person: User, channel: Channel | str | None) -> Channel:
        if channel is None:
            installation = self.state.installations.get(person.team_id)
            if installation is None:
                raise ValueError("the app is not installed here: pass the channel= to use")
            return self.state.open_im(person.team_id, installation.bot_user_id, person.id)[0]
        channel_id = channel.id if isinstance(channel, Channel) else channel
        return self.state.channel(person.team_id, channel_id)


def _refuse_silent_input(block: Block) -> None:
    # Slack sends block_actions for an input block's element only with dispatch_action.
    if block.get("type") == "input" and not block.get("dispatch_action"):
        raise ValueError(
            f"input block {block.get('block_id')!r} has no dispatch_action: Slack sends no "
            "block_actions for it (use fill() or submit_view())"
        )


def _check_errors(view: View, errors: Any) -> None:
    if not isinstance(errors, dict) or not errors:
        raise InvalidAppResponse(f"response_action errors needs an errors object, got {errors!r}")
    inputs = {block["block_id"] for block, _ in input_blocks(view.blocks)}
    unknown = sorted(set(errors) - inputs)
    if unknown:
        # Slack then shows "We had some trouble connecting" instead of the field errors.
        raise InvalidAppResponse(f"errors name blocks that are not inputs of the view: {unknown}")


# Slack's limits on an options load answer.
MAX_OPTIONS, OPTION_TEXT, OPTION_VALUE = 100, 75, 150


def _checked_options(answer: Any) -> list[dict[str, Any]]:
    if not isinstance(answer, dict):
        raise InvalidAppResponse(f"options answer is not a JSON object: {answer!r}")
    groups = answer.get("option_groups")
    listed = answer.get("options") if groups is None else [o for g in groups for o in g["options"]]
    if not isinstance(listed, list):
        raise InvalidAppResponse(f"options answer has no options list: {answer!r}")
    if len(listed) > MAX_OPTIONS:
        raise InvalidAppResponse(f"{len(listed)} options; Slack lists at most {MAX_OPTIONS}")
    for option in listed:
        shown = option.get("text") or {}
        if shown.get("type") != "plain_text" or not 0 < len(shown.get("text", "")) <= OPTION_TEXT:
            raise InvalidAppResponse(
                f"option text must be plain_text of 1-{OPTION_TEXT} chars: {option!r}"
            )
        if not 0 < len(str(option.get("value", ""))) <= OPTION_VALUE:
            raise InvalidAppResponse(f"option value must be 1-{OPTION_VALUE} chars: {option!r}")
    return listed


def _json_or_text(response: AppResponse) -> Any:
    # Slack shows a plain-text answer to a command as an ephemeral message.
    try:
        return response.json()
    except ValueError:
        return {"text": response.text}


def _action_ts() -> str:
    return f"{time.time():.6f}"
