"""Modals and App Home through ``views.*``: triggers, stacks, hashes and Block Kit limits."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from slack_scenario import SIGNING_SECRET, Practice, a_modal, a_practice, a_text_input
from slack_sdk.errors import SlackApiError

from sandbox.slack import ManualClock, SlackStandIn


def _error(call: Callable[[], object]) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def slack(clock: ManualClock) -> Iterator[SlackStandIn]:
    with SlackStandIn(signing_secret=SIGNING_SECRET, clock=clock) as standin:
        yield standin


def test_views_open_with_a_fresh_trigger_opens_a_modal_for_that_user(
    slack: SlackStandIn, practice: Practice
) -> None:
    trigger = slack.trigger_for(practice.admin)

    answer = practice.client.views_open(trigger_id=trigger, view=a_modal(a_text_input("name")))

    view = slack.open_view_for(practice.admin, timeout=0)
    assert answer["view"]["id"] == view.id
    assert view.callback_id == "settings"
    assert answer["view"]["root_view_id"] == view.id
    assert answer["view"]["state"] == {
        "values": {"name": {"name": {"type": "plain_text_input", "value": None}}}
    }
    assert answer["view"]["app_id"] == slack.app.app_id
    assert answer["view"]["bot_id"] == practice.installation.bot_id


def test_a_trigger_works_once(slack: SlackStandIn, practice: Practice) -> None:
    trigger = slack.trigger_for(practice.admin)
    practice.client.views_open(trigger_id=trigger, view=a_modal())

    error = _error(lambda: practice.client.views_open(trigger_id=trigger, view=a_modal()))

    assert error.response["error"] == "exchanged_trigger_id"


def test_a_trigger_expires_after_three_seconds(
    slack: SlackStandIn, practice: Practice, clock: ManualClock
) -> None:
    trigger = slack.trigger_for(practice.admin)
    clock.advance(3.5)

    error = _error(lambda: practice.client.views_open(trigger_id=trigger, view=a_modal()))

    assert error.response["error"] == "expired_trigger_id"


def test_an_unknown_or_foreign_trigger_is_invalid(slack: SlackStandIn, practice: Practice) -> None:
    other = a_practice(slack, "Harbor Physio")
    foreign = slack.trigger_for(other.admin)

    unknown = _error(lambda: practice.client.views_open(trigger_id="1.2.3", view=a_modal()))
    stolen = _error(lambda: practice.client.views_open(trigger_id=foreign, view=a_modal()))

    assert unknown.response["error"] == "invalid_trigger_id"
    assert stolen.response["error"] == "invalid_trigger_id"


def test_views_update_by_external_id_keeps_the_id_and_changes_the_hash(
    slack: SlackStandIn, practice: Practice
) -> None:
    opened = practice.client.views_open(
        trigger_id=slack.trigger_for(practice.admin), view=a_modal(external_id="settings:T1")
    )["view"]

    updated = practice.client.views_update(
        external_id="settings:T1",
        view=a_modal(a_text_input("name"), external_id="settings:T1", callback_id="settings-2"),
    )["view"]

    assert updated["id"] == opened["id"]
    assert updated["hash"] != opened["hash"]
    assert slack.open_view_for(practice.admin, timeout=0).callback_id == "settings-2"


def test_views_update_with_a_stale_hash_is_a_hash_conflict(
    slack: SlackStandIn, practice: Practice
) -> None:
    opened = practice.client.views_open(
        trigger_id=slack.trigger_for(practice.admin), view=a_modal()
    )
    view_id, first_hash = opened["view"]["id"], opened["view"]["hash"]
    practice.client.views_update(view_id=view_id, hash=first_hash, view=a_modal())

    error = _error(
        lambda: practice.client.views_update(view_id=view_id, hash=first_hash, view=a_modal())
    )

    assert error.response["error"] == "hash_conflict"


def test_views_update_keeps_what_the_user_typed_where_ids_survive(
    slack: SlackStandIn, practice: Practice
) -> None:
    modal = a_modal(a_text_input("name"), a_text_input("footer"))
    opened = practice.client.views_open(trigger_id=slack.trigger_for(practice.admin), view=modal)
    slack.driver.fill(opened["view"]["id"], {"name": "Sunrise", "footer": "Thanks"})

    updated = practice.client.views_update(
        view_id=opened["view"]["id"], view=a_modal(a_text_input("name"), a_text_input("terms"))
    )["view"]

    assert updated["state"]["values"]["name"]["name"]["value"] == "Sunrise"
    assert "footer" not in updated["state"]["values"]


def test_views_push_stacks_up_to_three_modals(slack: SlackStandIn, practice: Practice) -> None:
    root = practice.client.views_open(trigger_id=slack.trigger_for(practice.admin), view=a_modal())
    second = practice.client.views_push(
        trigger_id=slack.trigger_for(practice.admin), view=a_modal()
    )
    third = practice.client.views_push(trigger_id=slack.trigger_for(practice.admin), view=a_modal())

    error = _error(
        lambda: practice.client.views_push(
            trigger_id=slack.trigger_for(practice.admin), view=a_modal()
        )
    )

    assert second["view"]["root_view_id"] == root["view"]["id"]
    assert third["view"]["previous_view_id"] == second["view"]["id"]
    assert slack.open_view_for(practice.admin, timeout=0).id == third["view"]["id"]
    assert error.response["error"] == "push_limit_reached"


def test_views_publish_keeps_one_home_per_user(slack: SlackStandIn, practice: Practice) -> None:
    home = {
        "type": "home",
        "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "Setup"}}],
    }

    first = practice.client.views_publish(user_id=practice.admin.id, view=home)
    second = practice.client.views_publish(user_id=practice.admin.id, view=home)
    practice.client.views_publish(user_id=practice.staff.id, view=home)

    admin_home = slack.home_of(practice.admin)
    assert admin_home is not None
    assert first["view"]["id"] == second["view"]["id"] == admin_home.id
    assert first["view"]["type"] == "home"
    staff_home = slack.home_of(practice.staff)
    assert staff_home is not None
    assert staff_home.id != admin_home.id


@pytest.mark.parametrize(
    ("view", "message"),
    [
        pytest.param(
            a_modal(title={"type": "plain_text", "text": "Billing settings and more"}),
            "[ERROR] must be at most 24 characters [json-pointer:/view/title/text]",
            id="title over 24",
        ),
        pytest.param(
            {k: v for k, v in a_modal(a_text_input("name")).items() if k != "submit"},
            "[ERROR] is required when the view has an input block [json-pointer:/view/submit]",
            id="inputs without submit",
        ),
        pytest.param(
            a_modal(*[{"type": "divider"}] * 101),
            "[ERROR] no more than 100 items allowed in a modal [json-pointer:/view/blocks]",
            id="101 blocks",
        ),
        pytest.param(
            a_modal(private_metadata="x" * 3001),
            "[ERROR] must be at most 3000 characters [json-pointer:/view/private_metadata]",
            id="private_metadata",
        ),
    ],
)
def test_a_modal_breaking_block_kit_limits_is_invalid_arguments(
    slack: SlackStandIn, practice: Practice, view: dict[str, object], message: str
) -> None:
    error = _error(
        lambda: practice.client.views_open(trigger_id=slack.trigger_for(practice.admin), view=view)
    )

    assert error.response["error"] == "invalid_arguments"
    assert message in error.response["response_metadata"]["messages"]
