"""What the console does for a person, against the Slack stand-in and a scripted app over real
HTTP: the Slack behaviours the billing app does not happen to use yet (``view_closed`` with
``notify_on_close``, ``push`` and ``clear`` answers, ``chat.update`` of a clicked message) and
what Slack's own client adds (field errors, refusals before sending, "failed" notices)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import pytest
from slack_sdk import WebClient
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from sandbox.console.screen import build_screen
from sandbox.console.session import Console, FieldValue
from sandbox.slack import SlackStandIn, User

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

Payload = dict[str, Any]
Answer = tuple[int, Any]


@dataclass
class ScriptedApp:
    """Plays the app: records what "Slack" sends and answers as the test scripts it."""

    received: list[Payload] = field(default_factory=list)
    answer: Callable[[Payload], Answer] = field(default=lambda _: (200, None))

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        payload = _payload(request)
        self.received.append(payload)
        status, body = self.answer(payload)
        text = "" if body is None else json.dumps(body)
        return Response(text, status, content_type="application/json")(environ, start_response)

    def kinds(self) -> list[str]:
        return [str(p.get("type") or p.get("command")) for p in self.received]


def _payload(request: Request) -> Payload:
    body = request.get_data().decode()
    if request.mimetype == "application/json":
        return dict(json.loads(body))
    form = {key: values[-1] for key, values in parse_qs(body).items()}
    return dict(json.loads(form["payload"])) if "payload" in form else form


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass
class World:
    slack: SlackStandIn
    app: ScriptedApp
    console: Console
    ada: User
    billing_channel: str

    @property
    def team(self) -> str:
        return self.ada.team_id

    def client(self) -> WebClient:
        token = self.slack.installation(self.team).bot_token
        return WebClient(token=token, base_url=self.slack.api_url)

    def open_modal(self, **view: Any) -> str:
        """The app opens a modal for Ada, as after one of her clicks."""
        opened = self.client().views_open(
            trigger_id=self.slack.trigger_for(self.ada), view=a_modal(**view)
        )
        return str(opened["view"]["id"])

    def screen(self, place: str = "home") -> Any:
        return build_screen(self.console, self.team, self.ada.id, place)


@pytest.fixture
def world() -> Iterator[World]:
    app = ScriptedApp()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    slack = SlackStandIn(signing_secret="s", app_url=f"http://127.0.0.1:{server.server_port}")
    slack.start()
    try:
        workspace = slack.create_workspace("Practice A")
        ada = slack.create_user(workspace, "ada", real_name="Ada Lovelace", is_admin=True)
        slack.install(workspace, ada)
        billing = slack.create_channel(workspace, "billing", members=[ada], with_bot=True)
        yield World(slack, app, Console(slack), ada, billing.id)
    finally:
        slack.stop()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def a_modal(**fields: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": fields.pop("callback_id", "settings"),
        "title": {"type": "plain_text", "text": fields.pop("title", "Settings")},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": fields.pop(
            "blocks",
            [
                {
                    "type": "input",
                    "block_id": "currency",
                    "label": {"type": "plain_text", "text": "Currency"},
                    "element": {"type": "plain_text_input", "action_id": "currency"},
                }
            ],
        ),
        **fields,
    }


def currency(value: str | None) -> list[FieldValue]:
    return [FieldValue("currency", "currency", value)]


# -- modals ----------------------------------------------------------------------------------


def test_cancel_sends_view_closed_when_the_view_asks_for_it(world: World) -> None:
    view_id = world.open_modal(notify_on_close=True, callback_id="asks")

    world.console.close(world.team, world.ada.id, view_id)

    assert world.app.kinds() == ["view_closed"]
    assert world.app.received[0]["view"]["callback_id"] == "asks"
    assert world.screen().modal is None
    assert any(entry.title == "view_closed asks" for entry in world.console.sent())


def test_cancel_tells_the_app_nothing_when_the_view_does_not_ask(world: World) -> None:
    view_id = world.open_modal()

    world.console.close(world.team, world.ada.id, view_id)

    assert world.app.received == []
    assert world.screen().modal is None


def test_field_errors_show_under_their_fields_until_the_app_changes_the_view(world: World) -> None:
    view_id = world.open_modal()
    world.app.answer = lambda _: (
        200,
        {"response_action": "errors", "errors": {"currency": "Not a currency."}},
    )

    world.console.submit(world.team, world.ada.id, view_id, currency("XYZ"))
    shown = world.screen().modal
    world.client().views_update(view_id=view_id, view=a_modal(title="Settings again"))
    after_update = world.screen().modal

    assert shown is not None and shown.errors == (("currency", "Not a currency."),)
    assert 'value="XYZ"' in shown.body
    assert "Not a currency." in shown.body
    assert after_update is not None and after_update.errors == ()


def test_slacks_client_refuses_an_empty_required_field_without_asking_the_app(world: World) -> None:
    view_id = world.open_modal()

    world.console.submit(world.team, world.ada.id, view_id, currency(None))

    modal = world.screen().modal
    assert world.app.received == []
    assert modal is not None
    assert modal.errors == (("currency", "Please complete this required field."),)


def test_push_answer_stacks_a_view_with_a_way_back(world: World) -> None:
    view_id = world.open_modal()
    world.app.answer = lambda _: (
        200,
        {"response_action": "push", "view": a_modal(title="Step two")},
    )

    world.console.submit(world.team, world.ada.id, view_id, currency("EUR"))
    pushed = world.screen().modal
    assert pushed is not None
    world.console.close(world.team, world.ada.id, pushed.view_id)

    assert "Step two" in pushed.title
    assert pushed.can_go_back
    back = world.screen().modal
    assert back is not None and back.view_id == view_id


def test_clear_answer_closes_the_whole_stack(world: World) -> None:
    first = world.open_modal()
    world.app.answer = lambda _: (
        200,
        {"response_action": "push", "view": a_modal(title="Step two")},
    )
    world.console.submit(world.team, world.ada.id, first, currency("EUR"))
    second = world.screen().modal
    assert second is not None
    world.app.answer = lambda _: (200, {"response_action": "clear"})

    world.console.submit(world.team, world.ada.id, second.view_id, currency("EUR"))

    assert world.screen().modal is None


def test_update_answer_replaces_the_view_in_place(world: World) -> None:
    view_id = world.open_modal()
    world.app.answer = lambda _: (
        200,
        {"response_action": "update", "view": a_modal(title="Saved")},
    )

    world.console.submit(world.team, world.ada.id, view_id, currency("EUR"))

    modal = world.screen().modal
    assert modal is not None and modal.view_id == view_id
    assert "Saved" in modal.title


def test_an_app_error_on_submit_shows_slacks_trouble_banner(world: World) -> None:
    view_id = world.open_modal()
    world.app.answer = lambda _: (500, {"error": "boom"})

    world.console.submit(world.team, world.ada.id, view_id, currency("EUR"))

    modal = world.screen().modal
    assert modal is not None and modal.banner == "We had some trouble connecting. Try again?"


# -- messages --------------------------------------------------------------------------------


def test_a_button_in_a_message_sends_block_actions_and_chat_update_edits_it_in_place(
    world: World,
) -> None:
    posted = world.client().chat_postMessage(
        channel=world.billing_channel,
        text="Invoice INV-1",
        blocks=[
            {"type": "section", "text": {"type": "mrkdwn", "text": "*Invoice INV-1* is due"}},
            {
                "type": "actions",
                "block_id": "card",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "mark_paid",
                        "text": {"type": "plain_text", "text": "Mark paid"},
                    }
                ],
            },
        ],
    )

    def mark_paid(payload: Payload) -> Answer:
        container = payload["container"]
        world.client().chat_update(
            channel=container["channel_id"],
            ts=container["message_ts"],
            text="Paid",
            blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "*INV-1* is paid"}}],
        )
        return 200, None

    world.app.answer = mark_paid

    world.console.act_in_message(
        world.team,
        world.ada.id,
        world.billing_channel,
        str(posted["ts"]),
        "card",
        "mark_paid",
        None,
    )

    (message,) = world.screen(world.billing_channel).messages
    assert world.app.kinds() == ["block_actions"]
    assert world.app.received[0]["actions"][0]["action_id"] == "mark_paid"
    assert "<b>INV-1</b> is paid" in message.body
    assert message.edited


def test_a_command_reply_is_shown_only_to_the_person_who_ran_it(world: World) -> None:
    world.app.answer = lambda _: (200, {"text": "Only *you* see this"})

    world.console.command(world.team, world.ada.id, world.billing_channel, "/invoice help")

    (reply,) = world.screen(world.billing_channel).messages
    assert world.app.received[0]["command"] == "/invoice"
    assert world.app.received[0]["text"] == "help"
    assert world.app.received[0]["trigger_id"]
    assert world.app.received[0]["response_url"].startswith(world.slack.base_url)
    assert reply.ephemeral and reply.is_app
    assert "Only <b>you</b> see this" in reply.body


def test_an_unknown_command_gets_slackbots_answer_and_never_reaches_the_app(world: World) -> None:
    world.console.command(world.team, world.ada.id, world.billing_channel, "/nope")

    (notice,) = world.screen(world.billing_channel).messages
    assert world.app.received == []
    assert notice.is_slackbot and notice.ephemeral
    assert "is not a valid command" in notice.body


def test_a_command_the_app_fails_shows_dispatch_failed(world: World) -> None:
    world.app.answer = lambda _: (500, None)

    world.console.command(world.team, world.ada.id, world.billing_channel, "/billing")

    (notice,) = world.screen(world.billing_channel).messages
    assert "/billing failed with the error &#34;dispatch_failed&#34;" in notice.body


def test_requests_drawer_has_the_apps_web_api_calls_with_secrets_hidden(world: World) -> None:
    world.open_modal()

    entries = world.screen().drawer

    opened = next(entry for entry in entries if entry.title == "views.open")
    assert opened.ok and opened.ms is not None
    assert "trigger_id" in opened.request_json()
    assert "xoxb-" not in "".join(entry.request_json() + entry.answer_json() for entry in entries)
