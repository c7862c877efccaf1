"""A tiny real `slack_bolt.App`, served by werkzeug, talks to the stand-in both ways: the
driver sends it signed requests and its unmodified `WebClient` calls the stand-in's Web API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from slack_bolt import Ack, App, BoltContext, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.authorization import AuthorizeResult
from slack_scenario import (
    SIGNING_SECRET,
    LateApp,
    Practice,
    a_modal,
    a_practice,
    a_text_input,
    serving,
)
from slack_sdk import WebClient

from sandbox.slack import SlackStandIn, Tamper

CURRENCIES = {"EUR", "USD", "GBP"}


def _tiny_billing_app(slack: SlackStandIn) -> App:
    """Opens a settings modal on /billing, checks the currency, marks invoices paid."""

    def authorize(enterprise_id: str | None, team_id: str, logger: Any) -> AuthorizeResult:
        # What an installation store answers; no auth.test call, as the app must behave.
        installation = slack.installation(team_id)
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_token=installation.bot_token,
            bot_id=installation.bot_id,
            bot_user_id=installation.bot_user_id,
        )

    app = App(
        signing_secret=SIGNING_SECRET,
        client=WebClient(base_url=slack.api_url),
        authorize=authorize,
    )

    @app.command("/billing")
    def open_settings(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        modal = a_modal(a_text_input("currency", "value"), callback_id="billing_settings")
        client.views_open(trigger_id=body["trigger_id"], view=modal)

    @app.view("billing_settings")
    def save_settings(
        ack: Ack, view: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        currency = (view["state"]["values"]["currency"]["value"]["value"] or "").strip().upper()
        if currency not in CURRENCIES:
            ack(response_action="errors", errors={"currency": f"{currency} is not a currency"})
            return
        ack()
        client.chat_postMessage(channel="billing", text=f"Invoices are now in {currency}")

    @app.action("mark_paid")
    def mark_paid(ack: Ack, respond: Respond) -> None:
        ack()
        respond(replace_original=True, text="INV-1 paid")

    return app


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    late = LateApp()
    with (
        serving(late) as app_url,
        SlackStandIn(signing_secret=SIGNING_SECRET, app_url=app_url) as standin,
    ):
        late.target = SlackRequestHandler(_tiny_billing_app(standin))
        yield standin


def test_a_slash_command_opens_a_modal_and_a_bad_currency_comes_back_as_a_field_error(
    slack: SlackStandIn, practice: Practice
) -> None:
    command = slack.driver.slash_command(practice.admin, "/billing", channel=practice.billing)
    view = command.opened_view()

    refused = slack.driver.submit_view(view, {"currency": "xyz"})

    assert command.status == 200
    assert view.callback_id == "billing_settings"
    assert refused.status == 200
    assert refused.response_action == "errors"
    assert refused.errors == {"currency": "XYZ is not a currency"}
    assert refused.current_view() is view
    assert slack.messages_in(practice.billing) == []


def test_a_good_currency_closes_the_modal_and_posts_to_the_channel(
    slack: SlackStandIn, practice: Practice
) -> None:
    view = slack.driver.slash_command(practice.admin, "/billing").opened_view()

    accepted = slack.driver.submit_view(view, {"currency": "eur"})

    slack.wait_for_calls("chat.postMessage")
    assert accepted.response_action is None
    assert accepted.current_view() is None
    assert [m.text for m in slack.messages_in(practice.billing)] == ["Invoices are now in EUR"]


def test_each_workspace_is_served_with_its_own_token(
    slack: SlackStandIn, practice: Practice
) -> None:
    harbor = a_practice(slack, "Harbor Physio")

    slack.driver.slash_command(practice.admin, "/billing").opened_view()
    slack.driver.slash_command(harbor.admin, "/billing").opened_view()

    opened_in = [call.team_id for call in slack.calls("views.open")]
    assert opened_in == [practice.workspace.id, harbor.workspace.id]
    assert slack.calls("auth.test") == []


@pytest.mark.parametrize(
    "tamper", [Tamper.WRONG_SIGNATURE, Tamper.STALE_TIMESTAMP, Tamper.NO_SIGNATURE]
)
def test_bolt_refuses_requests_slack_did_not_sign_just_now(
    slack: SlackStandIn, practice: Practice, tamper: Tamper
) -> None:
    command = slack.driver.slash_command(practice.admin, "/billing", tamper=tamper)

    assert command.status == 401
    assert slack.calls() == []


def test_respond_replaces_the_clicked_message_through_its_response_url(
    slack: SlackStandIn, practice: Practice
) -> None:
    button = {
        "type": "button",
        "action_id": "mark_paid",
        "text": {"type": "plain_text", "text": "Paid"},
    }
    practice.client.chat_postMessage(
        channel=practice.billing.id,
        text="INV-1 open",
        blocks=[{"type": "actions", "elements": [button]}],
    )
    [message] = slack.messages_in(practice.billing)

    click = slack.driver.block_action("mark_paid", message=message, user=practice.staff)

    [post] = click.wait_for_posts()
    assert post.replace_original
    assert [m.text for m in slack.messages_in(practice.billing)] == ["INV-1 paid"]


def test_bolt_answers_url_verification(slack: SlackStandIn) -> None:
    answer = slack.driver.url_verification("challenge-123")

    assert answer.status == 200
    assert answer.json() == {"challenge": "challenge-123"}
