"""The driver sends the app what Slack sends, signed as Slack signs, and then does with the
app's answer what Slack does. A recording app plays the billing app here."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx
import pytest
from slack_scenario import (
    SIGNING_SECRET,
    Practice,
    Received,
    RecordingApp,
    a_modal,
    a_text_input,
)
from slack_sdk.signature import SignatureVerifier

from sandbox.slack import (
    InvalidAppResponse,
    SlackClientRefused,
    SlackStandIn,
    Tamper,
    View,
)


@pytest.fixture
def slack(driven: SlackStandIn) -> SlackStandIn:
    return driven


def _verifies(received: Received) -> bool:
    return SignatureVerifier(SIGNING_SECRET).is_valid_request(received.body, received.headers)


def _open(slack: SlackStandIn, practice: Practice, view: dict[str, Any]) -> View:
    trigger = slack.trigger_for(practice.admin)
    practice.client.views_open(trigger_id=trigger, view=view)
    return slack.open_view_for(practice.admin, timeout=0)


def _options(*values: str) -> list[dict[str, Any]]:
    return [{"text": {"type": "plain_text", "text": v.title()}, "value": v} for v in values]


def _input(block_id: str, element: dict[str, Any], **block: Any) -> dict[str, Any]:
    label = {"type": "plain_text", "text": block_id}
    return {"type": "input", "block_id": block_id, "label": label, "element": element, **block}


def _button(action_id: str, **fields: Any) -> dict[str, Any]:
    text = {"type": "plain_text", "text": action_id.replace("_", " ").title()}
    return {"type": "button", "action_id": action_id, "text": text, **fields}


def _actions(*elements: dict[str, Any], block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def _answer_with(status: int, body: Any) -> Any:
    return lambda _: (status, body)


# -- signing -----------------------------------------------------------------------------


def test_requests_verify_with_slack_sdks_signature_verifier(
    slack: SlackStandIn, practice: Practice, recording_app: RecordingApp
) -> None:
    slack.driver.slash_command(practice.admin, "/billing")

    assert _verifies(recording_app.last)
    assert recording_app.last.headers["Content-Type"] == "application/x-www-form-urlencoded"


@pytest.mark.parametrize("tamper", [Tamper.WRONG_SIGNATURE, Tamper.STALE_TIMESTAMP])
def test_tampered_requests_fail_verification(
    slack: SlackStandIn, practice: Practice, recording_app: RecordingApp, tamper: Tamper
) -> None:
    slack.driver.slash_command(practice.admin, "/billing", tamper=tamper)

    assert not _verifies(recording_app.last)


def test_an_unsigned_request_has_no_signature_headers(
    slack: SlackStandIn, practice: Practice, recording_app: RecordingApp
) -> None:
    slack.driver.slash_command(practice.admin, "/billing", tamper=Tamper.NO_SIGNATURE)

    assert "X-Slack-Signature" not in recording_app.last.headers
    assert "X-Slack-Request-Timestamp" not in recording_app.last.headers


def test_a_replay_repeats_the_request_byte_for_byte(
    slack: SlackStandIn, practice: Practice, recording_app: RecordingApp
) -> None:
    first = slack.driver.slash_command(practice.admin, "/billing")

    slack.driver.replay(first)

    original, replayed = recording_app.received
    assert replayed.body == original.body
    for header in ("X-Slack-Signature", "X-Slack-Request-Timestamp"):
        assert replayed.headers[header] == original.headers[header]


# -- slash commands ----------------------------------------------------------------------


def test_a_slash_command_is_form_encoded_like_slacks(
    slack: SlackStandIn, practice: Practice, recording_app: RecordingApp
) -> None:
    command = slack.driver.slash_command(
        practice.admin, "/invoice", "new Jane", channel=practice.billing
    )

    form = recording_app.last.payload()
    assert form == {
        "token": slack.app.verification_token,
        "team_id": practice.workspace.id,
        "team_domain": "sunrise-therapy",
        "channel_id": practice.billing.id,
        "channel_name": "billing",
        "user_id": practice.admin.id,
        "user_name": "ada",
        "command": "/invoice",
        "text": "new Jane",
        "api_app_id": slack.app.app_id,
        "is_enterprise_install": "false",
        "response_url": command.response_url,
        "trigger_id": command.trigger_id,
    }
    assert re.fullmatch(r"\d+\.\d+\.[0-9a-f]{32}", command.trigger_id)
    assert str(command.response_url).startswith(f"{slack.base_url}/response/")


def test_a_command_run_in_a_dm_names_the_channel_directmessage(
    slack: SlackStandIn, practice: Practice, recording_app: RecordingApp
) -> None:
    slack.driver.slash_command(practice.staff, "/billing")

    form = recording_app.last.payload()
    assert form["channel_id"] == slack.dm_with(practice.staff).id
    assert form["channel_name"] == "directmessage"


def test_a_commands_answer_is_shown_only_to_the_user_unless_in_channel(
    slack: SlackStandIn, practice: Practice, recording_app: RecordingApp
) -> None:
    recording_app.answer = _answer_with(200, {"text": "Usage: /billing [help]"})
    slack.driver.slash_command(practice.admin, "/billing", "what", channel=practice.billing)
    recording_app.answer = _answer_with(200, {"response_type": "in_channel", "text": "Done"})

    slack.driver.slash_command(practice.admin, "/billing", "go", channel=practice.billing)

    [usage] = slack.ephemeral_messages_for(practice.admin)
    assert usage.text == "Usage: /billing [help]"
    assert usage.via == "ack"
    assert [m.text for m in slack.messages_in(practice.billing)] == ["Done"]


def test_a_command_from_a_workspace_without_the_app_still_reaches_it(
    slack: SlackStandIn, recording_app: RecordingApp
) -> None:
    stranger_team = slack.create_workspace("Never Installed")
    stranger = slack.create_user(stranger_team, "eve")
    general = slack.create_channel(stranger_team, "general", members=[stranger])

    command = slack.driver.slash_command(stranger, "/billing", channel=general)

    assert command.status == 200
    assert recording_app.last.payload()["team_id"] == stranger_team.id
    assert slack.calls() == []


def test_a_command_answer_slack_would_refuse_raises(
    slack: SlackStandIn, practice: Practice, recording_app: RecordingApp
) -> None:
    recording_app.answer = _answer_with(200, {"blocks": [{"type": "divider"}] * 51})

    with pytest.raises(InvalidAppResponse, match="invalid_blocks"):
        slack.driver.slash_command(practice.admin, "/billing")


# -- response URLs -----------------------------------------------------------------------


def test_response_url_posts_are_recorded_and_shown(slack: SlackStandIn, practice: Practice) -> None:
    command = slack.driver.slash_command(practice.admin, "/billing", channel=practice.billing)
    url = str(command.response_url)

    private = httpx.post(url, json={"text": "Working on it"})
    public = httpx.post(url, json={"response_type": "in_channel", "text": "Invoice INV-1 sent"})

    assert private.json() == public.json() == {"ok": True}
    assert [post.text for post in command.posts()] == ["Working on it", "Invoice INV-1 sent"]
    assert [m.text for m in slack.ephemeral_messages_for(practice.admin)] == ["Working on it"]
    assert [m.text for m in slack.messages_in(practice.billing)] == ["Invoice INV-1 sent"]


def test_a_response_url_works_five_times(slack: SlackStandIn, practice: Practice) -> None:
    command = slack.driver.slash_command(practice.admin, "/billing")

    statuses = [
        httpx.post(str(command.response_url), json={"text": "x"}).status_code for _ in range(6)
    ]

    assert statuses == [200, 200, 200, 200, 200, 404]


def test_replace_and_delete_original_act_on_the_clicked_message(
    slack: SlackStandIn, practice: Practice
) -> None:
    practice.client.chat_postMessage(
        channel=practice.billing.id, text="INV-1 open", blocks=[_actions(_button("mark_paid"))]
    )
    [message] = slack.messages_in(practice.billing)

    click = slack.driver.block_action("mark_paid", message=message, user=practice.staff)
    httpx.post(
        str(click.response_url),
        json={
            "replace_original": True,
            "text": "INV-1 paid",
            "blocks": [_actions(_button("undo"))],
        },
    )
    replaced = [(m.ts, m.text) for m in slack.messages_in(practice.billing)]
    undo = slack.driver.block_action("undo", message=message, user=practice.staff)
    httpx.post(str(undo.response_url), json={"delete_original": True})

    assert replaced == [(message.ts, "INV-1 paid")]
    assert slack.messages_in(practice.billing) == []


def test_replace_original_acts_on_the_clicked_ephemeral_message(
    slack: SlackStandIn, practice: Practice
) -> None:
    command = slack.driver.slash_command(practice.admin, "/billing", channel=practice.billing)
    httpx.post(
        str(command.response_url), json={"text": "Page 1", "blocks": [_actions(_button("next"))]}
    )
    [page] = slack.ephemeral_messages_for(practice.admin)

    click = slack.driver.block_action("next", message=page, user=practice.admin)
    httpx.post(str(click.response_url), json={"replace_original": True, "text": "Page 2"})

    assert [(m.ts, m.text) for m in slack.ephemeral_messages_for(practice.admin)] == [
        (page.ts, "Page 2")
    ]
    assert slack.messages_in(practice.billing) == []


# -- block actions -----------------------------------------------------------------------


def test_a_button_in_a_message_sends_slacks_block_actions_payload(
    slack: SlackStandIn, practice: Practice, recording_app: RecordingApp
) -> None:
    button = _button("open_invoice", value="INV-7", style="primary")
    practice.client.chat_postMessage(
        channel=practice.billing.id, text="card", blocks=[_actions(button, block_id="card")]
    )
    [message] = slack.messages_in(practice.billing)

    click = slack.driver.block_action("open_invoice", message=message, user=practice.staff)

    payload = recording_app.last.payload()
    assert payload["type"] == "block_actions"
    assert payload["team"] == {"id": practice.workspace.id, "domain": "sunrise-therapy"}
    assert payload["user"] == {
        "id": practice.staff.id,
        "username": "ben",
        "name": "ben",
        "team_id": practice.workspace.id,
    }
    assert payload["container"] == {
        "type": "message",
        "message_ts": message.ts,
        "channel_id": practice.billing.id,
        "is_ephemeral": False,
    }
    assert payload["channel"] == {"id": practice.billing.id, "name": "billing"}
    assert payload["message"]["ts"] == message.ts
    assert payload["response_url"] == click.response_url
    assert payload["trigger_id"] == click.trigger_id
    assert payload["enterprise"] is None
    assert payload["is_enterprise_install"] is False
    [action] = payload["actions"]
    assert action["type"] == "button"
    assert action["action_id"] == "open_invoice"
    assert action["block_id"] == "card"
    assert action["value"] == "INV-7"
    assert action["style"] == "primary"
    assert float(action["action_ts"]) > 0


def test_a_select_in_a_modal_sends_the_view_with_its_state(
    slack: SlackStandIn, practice: Practice, recording_app: RecordingApp
) -> None:
    select = {
        "type": "static_select",
        "action_id": "theme",
        "options": _options("classic", "modern"),
    }
    view = _open(
        slack, practice, a_modal({"type": "actions", "block_id": "look", "elements": [select]})
    )

    click = slack.driver.block_action("theme", view=view, value="modern")

    payload = recording_app.last.payload()
    option = {"text": {"type": "plain_text", "text": "Modern"}, "value": "modern"}
    assert payload["container"] == {"type": "view", "view_id": view.id}
    assert payload["view"]["id"] == view.id
    assert payload["view"]["state"]["values"]["look"]["theme"] == {
        "type": "static_select",
        "selected_option": option,
    }
    assert payload["actions"][0]["selected_option"] == option
    assert "response_url" not in payload
    assert click.response_url is None


def test_an_input_without_dispatch_action_sends_no_block_actions(
    slack: SlackStandIn, practice: Practice
) -> None:
    view = _open(slack, practice, a_modal(a_text_input("name")))

    with pytest.raises(ValueError, match="dispatch_action"):
        slack.driver.block_action("name", view=view, value="x")


def test_a_button_on_app_home_names_the_home_view(
    slack: SlackStandIn, practice: Practice, recording_app: RecordingApp
) -> None:
    practice.client.views_publish(
        user_id=practice.admin.id, view={"type": "home", "blocks": [_actions(_button("setup"))]}
    )
    home = slack.home_of(practice.admin)
    assert home is not None

    slack.driver.block_action("setup", view=home, user=practice.admin)

    payload = recording_app.last.payload()
    assert payload["container"] == {"type": "view", "view_id": home.id}
    assert payload["view"]["type"] == "home"


# -- modal submissions -------------------------------------------------------------------


def test_submit_view_reports_each_element_type_as_slack_does(
    slack: SlackStandIn, practice: Practice, recording_app: RecordingApp
) -> None:
    logo = slack.host_file(practice.admin, "logo.png", b"\x89PNG\r\n\x1a\n")
    view = _open(
        slack,
        practice,
        a_modal(
            _input("name", {"type": "plain_text_input", "action_id": "v"}),
            _input("rate", {"type": "number_input", "action_id": "v", "is_decimal_allowed": True}),
            _input("email", {"type": "email_text_input", "action_id": "v"}),
            _input("site", {"type": "url_text_input", "action_id": "v"}),
            _input(
                "currency",
                {"type": "static_select", "action_id": "v", "options": _options("eur", "usd")},
            ),
            _input(
                "days",
                {
                    "type": "multi_static_select",
                    "action_id": "v",
                    "options": _options("mon", "tue"),
                },
            ),
            _input("admin", {"type": "users_select", "action_id": "v"}),
            _input("staff", {"type": "multi_users_select", "action_id": "v"}),
            _input("channel", {"type": "conversations_select", "action_id": "v"}),
            _input("public", {"type": "channels_select", "action_id": "v"}),
            _input("from", {"type": "datepicker", "action_id": "v"}),
            _input("at", {"type": "timepicker", "action_id": "v"}),
            _input(
                "flags", {"type": "checkboxes", "action_id": "v", "options": _options("remind")}
            ),
            _input(
                "theme",
                {"type": "radio_buttons", "action_id": "v", "options": _options("dark", "light")},
            ),
            _input("logo", {"type": "file_input", "action_id": "v", "filetypes": ["png"]}),
            _input("footer", {"type": "plain_text_input", "action_id": "v"}, optional=True),
        ),
    )

    slack.driver.submit_view(
        view,
        {
            "name": "Sunrise Therapy",
            "rate": 19.5,
            "email": "billing@sunrise.example",
            "site": "https://sunrise.example",
            "currency": "eur",
            "days": ["mon", "tue"],
            "admin": practice.admin,
            "staff": [practice.admin, practice.staff.id],
            "channel": practice.billing,
            "public": practice.billing.id,
            "from": dt.date(2025, 1, 31),
            "at": dt.time(9, 30),
            "flags": ["remind"],
            "theme": "dark",
            "logo": [logo],
        },
    )

    values = recording_app.last.payload()["view"]["state"]["values"]
    state = {block: entry["v"] for block, entry in values.items()}
    assert state["name"] == {"type": "plain_text_input", "value": "Sunrise Therapy"}
    assert state["rate"] == {"type": "number_input", "value": "19.5"}
    assert state["email"]["value"] == "billing@sunrise.example"
    assert state["site"]["value"] == "https://sunrise.example"
    assert state["currency"]["selected_option"]["value"] == "eur"
    assert [o["value"] for o in state["days"]["selected_options"]] == ["mon", "tue"]
    assert state["admin"] == {"type": "users_select", "selected_user": practice.admin.id}
    assert state["staff"]["selected_users"] == [practice.admin.id, practice.staff.id]
    assert state["channel"] == {
        "type": "conversations_select",
        "selected_conversation": practice.billing.id,
    }
    assert state["public"] == {"type": "channels_select", "selected_channel": practice.billing.id}
    assert state["from"] == {"type": "datepicker", "selected_date": "2025-01-31"}
    assert state["at"] == {"type": "timepicker", "selected_time": "09:30"}
    assert [o["value"] for o in state["flags"]["selected_options"]] == ["remind"]
    assert state["theme"]["selected_option"]["value"] == "dark"
    [file] = state["logo"]["files"]
    assert file["id"] == logo.id
    assert file["url_private"].startswith(slack.base_url)
    assert state["footer"] == {"type": "plain_text_input", "value": None}


def test_view_submission_payload_has_slacks_fields(
    slack: SlackStandIn, practice: Practice, recording_app: RecordingApp
) -> None:
    view = _open(
        slack,
        practice,
        a_modal(a_text_input("name"), private_metadata="practice=1", notify_on_close=True),
    )

    submitted = slack.driver.submit_view(view, {"name": "Sunrise"})

    payload = recording_app.last.payload()
    assert payload["type"] == "view_submission"
    assert payload["trigger_id"] == submitted.trigger_id
    assert payload["response_urls"] == []
    assert payload["is_enterprise_install"] is False
    assert set(payload["view"]) >= {
        "id",
        "team_id",
        "type",
        "blocks",
        "private_metadata",
        "callback_id",
        "state",
        "hash",
        "title",
        "clear_on_close",
        "notify_on_close",
        "close",
        "submit",
        "previous_view_id",
        "root_view_id",
        "app_id",
        "external_id",
        "app_installed_team_id",
        "bot_id",
    }
    assert payload["view"]["private_metadata"] == "practice=1"
    assert payload["view"]["notify_on_close"] is True


def test_an_empty_answer_closes_the_submitted_modal(
    slack: SlackStandIn, practice: Practice
) -> None:
    view = _open(slack, practice, a_modal(a_text_input("name")))

    submitted = slack.driver.submit_view(view, {"name": "Sunrise"})

    assert submitted.response_action is None
    assert submitted.current_view() is None


def test_errors_keep_the_modal_open(
    slack: SlackStandIn, practice: Practice, recording_app: RecordingApp
) -> None:
    recording_app.answer = _answer_with(
        200, {"response_action": "errors", "errors": {"name": "Please enter a name"}}
    )
    view = _open(slack, practice, a_modal(a_text_input("name")))

    submitted = slack.driver.submit_view(view, {"name": "  "})

    assert submitted.errors == {"name": "Please enter a name"}
    assert submitted.current_view() is view


def test_update_push_and_clear_change_the_stack_as_slack_does(
    slack: SlackStandIn, practice: Practice, recording_app: RecordingApp
) -> None:
    view = _open(slack, practice, a_modal(a_text_input("name")))
    recording_app.answer = _answer_with(
        200, {"response_action": "update", "view": a_modal(a_text_input("step_2"))}
    )
    updated = slack.driver.submit_view(view, {"name": "Sunrise"}).current_view()
    recording_app.answer = _answer_with(
        200, {"response_action": "push", "view": a_modal(a_text_input("step_3"))}
    )
    pushed = slack.driver.submit_view(view, {"step_2": "x"}).current_view()
    recording_app.answer = _answer_with(200, {"response_action": "clear"})
    assert pushed is not None

    cleared = slack.driver.submit_view(pushed, {"step_3": "y"}).current_view()

    assert updated is not None
    assert updated.id == view.id
    assert [block["block_id"] for block in updated.blocks] == ["step_2"]
    assert pushed.previous_view_id == view.id
    assert cleared is None


def test_errors_naming_a_block_that_is_not_an_input_are_refused(
    slack: SlackStandIn, practice: Practice, recording_app: RecordingApp
) -> None:
    recording_app.answer = _answer_with(200, {"response_action": "errors", "errors": {"nope": "x"}})
    view = _open(slack, practice, a_modal(a_text_input("name")))

    with pytest.raises(InvalidAppResponse, match="nope"):
        slack.driver.submit_view(view, {"name": "Sunrise"})


@pytest.mark.parametrize(
    ("element", "value", "problem"),
    [
        ({"type": "plain_text_input", "action_id": "v"}, None, "required"),
        (
            {"type": "plain_text_input", "action_id": "v", "max_length": 5},
            "Sunrise",
            "no more than 5",
        ),
        (
            {"type": "number_input", "action_id": "v", "is_decimal_allowed": False},
            "abc",
            "a number",
        ),
        (
            {"type": "number_input", "action_id": "v", "is_decimal_allowed": False},
            "1.5",
            "whole number",
        ),
        (
            {
                "type": "number_input",
                "action_id": "v",
                "is_decimal_allowed": True,
                "max_value": "100",
            },
            "150",
            "at most 100",
        ),
        ({"type": "email_text_input", "action_id": "v"}, "not-an-email", "email"),
    ],
)
def test_slacks_client_refuses_to_submit_what_it_would_not_send(
    slack: SlackStandIn,
    practice: Practice,
    recording_app: RecordingApp,
    element: dict[str, Any],
    value: Any,
    problem: str,
) -> None:
    view = _open(slack, practice, a_modal(_input("field", element)))

    with pytest.raises(SlackClientRefused) as refused:
        slack.driver.submit_view(view, {"field": value})

    assert problem in refused.value.problems["field"]
    assert recording_app.received == []


def test_a_response_url_enabled_select_gets_a_response_url(
    slack: SlackStandIn, practice: Practice, recording_app: RecordingApp
) -> None:
    element = {"type": "conversations_select", "action_id": "where", "response_url_enabled": True}
    view = _open(slack, practice, a_modal(_input("post_to", element)))

    slack.driver.submit_view(view, {"post_to": practice.billing})

    [entry] = recording_app.last.payload()["response_urls"]
    assert entry["block_id"] == "post_to"
    assert entry["action_id"] == "where"
    assert entry["channel_id"] == practice.billing.id
    httpx.post(entry["response_url"], json={"response_type": "in_channel", "text": "Saved"})
    assert [m.text for m in slack.messages_in(practice.billing)] == ["Saved"]


def test_closing_a_modal_notifies_the_app_only_with_notify_on_close(
    slack: SlackStandIn, practice: Practice, recording_app: RecordingApp
) -> None:
    quiet = _open(slack, practice, a_modal(a_text_input("name")))
    assert slack.driver.close_view(quiet) is None
    noisy = _open(slack, practice, a_modal(a_text_input("name"), notify_on_close=True))

    answer = slack.driver.close_view(noisy)

    assert answer is not None
    assert len(recording_app.received) == 1
    payload = recording_app.last.payload()
    assert payload["type"] == "view_closed"
    assert payload["is_cleared"] is False
    assert payload["view"]["id"] == noisy.id
    assert slack.state.views[noisy.id].closed


# -- events ------------------------------------------------------------------------------


def test_an_event_retry_carries_slacks_headers_and_the_same_event_id(
    slack: SlackStandIn, practice: Practice, recording_app: RecordingApp
) -> None:
    event = {
        "type": "member_joined_channel",
        "user": practice.staff.id,
        "channel": practice.billing.id,
    }
    first = slack.driver.event(practice.workspace.id, event)

    slack.driver.event(practice.workspace.id, event, event_id=first.event_id, retry_num=1)

    original, retry = recording_app.received
    assert "X-Slack-Retry-Num" not in original.headers
    assert retry.headers["X-Slack-Retry-Num"] == "1"
    assert retry.headers["X-Slack-Retry-Reason"] == "http_timeout"
    assert retry.payload()["event_id"] == original.payload()["event_id"] == first.event_id
    envelope = original.payload()
    assert envelope["type"] == "event_callback"
    assert envelope["team_id"] == practice.workspace.id
    assert envelope["api_app_id"] == slack.app.app_id
    assert envelope["authorizations"] == [
        {
            "enterprise_id": None,
            "team_id": practice.workspace.id,
            "user_id": practice.installation.bot_user_id,
            "is_bot": True,
            "is_enterprise_install": False,
        }
    ]
    assert _verifies(retry)


def test_uninstalling_revokes_tokens_and_tells_the_app(
    slack: SlackStandIn, practice: Practice, recording_app: RecordingApp
) -> None:
    slack.uninstall(practice.workspace)

    assert recording_app.last.payload()["event"] == {"type": "app_uninstalled"}
    with pytest.raises(Exception, match="token_revoked"):
        practice.client.auth_test()


def test_revoking_tokens_sends_tokens_revoked_with_the_bot_user(
    slack: SlackStandIn, practice: Practice, recording_app: RecordingApp
) -> None:
    slack.revoke_tokens(practice.workspace)

    assert recording_app.last.payload()["event"] == {
        "type": "tokens_revoked",
        "tokens": {"oauth": [], "bot": [practice.installation.bot_user_id]},
    }


def test_url_verification_and_app_home_opened(
    slack: SlackStandIn, practice: Practice, recording_app: RecordingApp
) -> None:
    recording_app.answer = lambda got: (200, {"challenge": got.payload().get("challenge")})

    answer = slack.driver.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    slack.driver.app_home_opened(practice.admin)

    assert answer.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    event = recording_app.last.payload()["event"]
    assert event["type"] == "app_home_opened"
    assert event["user"] == practice.admin.id
    assert event["tab"] == "home"
    assert event["channel"] == slack.dm_with(practice.admin).id
