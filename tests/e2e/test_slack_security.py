"""Requests Slack did not sign just now are refused with 401 and leave no trace: no row of any
table changes (the replay guard's included) and the app makes no Slack call for them. On
SQLite, one server for the module.

"No Slack call" is checked after a genuine request sent behind the refused one has been
answered and has had its effect: whatever the refused request could have set off would have
started before it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from slack_app_fixture import Seat, SlackWorld

from bot.home import OPEN_BILLING_DETAILS
from sandbox.slack import AppResponse, RecordedCall, Tamper

Send = Callable[[Tamper], AppResponse]
"""Sends one prepared request, signed as Slack would or spoiled as the `Tamper` says."""


def _a_command(world: SlackWorld, seat: Seat) -> Send:
    return lambda tamper: (
        world.slack.driver.slash_command(
            seat.admin, "/billing", channel=seat.general, tamper=tamper
        ).response
    )


def _a_submission(world: SlackWorld, seat: Seat) -> Send:
    form = world.open_setting(seat.admin, OPEN_BILLING_DETAILS, channel=seat.general)
    return lambda tamper: (
        world.slack.driver.submit_view(form, {"name": "Forged Name"}, tamper=tamper).response
    )


def _an_uninstall_event(world: SlackWorld, seat: Seat) -> Send:
    return lambda tamper: (
        world.slack.driver.event(
            seat.workspace, {"type": "app_uninstalled"}, tamper=tamper
        ).response
    )


@pytest.mark.parametrize(
    "tamper", [Tamper.WRONG_SIGNATURE, Tamper.STALE_TIMESTAMP, Tamper.NO_SIGNATURE]
)
@pytest.mark.parametrize("prepare", [_a_command, _a_submission, _an_uninstall_event])
def test_a_request_not_signed_just_now_is_refused_and_leaves_no_trace(
    world: SlackWorld, prepare: Callable[[SlackWorld, Seat], Send], tamper: Tamper
) -> None:
    seat = world.new_practice(f"Guarded {prepare.__name__} {tamper.value}")
    send = prepare(world, seat)
    before_rows, before_calls = world.all_rows(), len(world.slack.calls())

    answer = send(tamper)

    assert answer.status == 401
    assert world.all_rows() == before_rows
    probe = _genuine_command(world, seat)
    assert _calls_since(world, before_calls) == [probe]
    practice = world.practice(seat.workspace)
    assert practice.active and practice.billing.name == seat.workspace.name


def test_a_replayed_command_is_refused_and_opens_nothing(world: SlackWorld) -> None:
    seat = world.new_practice("Replay Command Clinic")
    original = world.slack.driver.slash_command(seat.admin, "/billing", channel=seat.general)
    world.opened_by(original)
    before_rows, before_calls = world.all_rows(), len(world.slack.calls())

    replayed = world.slack.driver.replay(original)

    assert replayed.status == 401
    assert world.all_rows() == before_rows
    probe = _genuine_command(world, seat)
    assert _calls_since(world, before_calls) == [probe]


def test_a_replayed_modal_submission_is_refused_and_cannot_undo_a_later_save(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Replay Submission Clinic")
    published = world.publishes_for(seat.admin)
    first = world.slack.driver.submit_view(
        world.open_setting(seat.admin, OPEN_BILLING_DETAILS, channel=seat.general),
        {"name": "First Name"},
    )
    world.wait_for_home_refresh(seat.admin, published)
    published = world.publishes_for(seat.admin)
    world.slack.driver.submit_view(
        world.open_setting(seat.admin, OPEN_BILLING_DETAILS, channel=seat.general),
        {"name": "Second Name"},
    )
    world.wait_for_home_refresh(seat.admin, published)
    before_rows, before_calls = world.all_rows(), len(world.slack.calls())

    replayed = world.slack.driver.replay(first)

    assert first.status == 200
    assert replayed.status == 401
    assert world.all_rows() == before_rows
    assert world.practice(seat.workspace).billing.name == "Second Name"
    probe = _genuine_command(world, seat)
    assert _calls_since(world, before_calls) == [probe]


def test_a_replayed_event_is_refused(world: SlackWorld) -> None:
    seat = world.new_practice("Replay Event Clinic")
    published = world.publishes_for(seat.admin)
    original = world.slack.driver.app_home_opened(seat.admin)
    world.wait_for_home_refresh(seat.admin, published)
    before_rows, before_calls = world.all_rows(), len(world.slack.calls())

    replayed = world.slack.driver.replay(original)

    assert replayed.status == 401
    assert world.all_rows() == before_rows
    probe = _genuine_command(world, seat)
    assert _calls_since(world, before_calls) == [probe]


def _genuine_command(world: SlackWorld, seat: Seat) -> RecordedCall:
    """Send a real ``/billing`` and return the ``views.open`` it caused, once it happened."""
    command = world.slack.driver.slash_command(seat.admin, "/billing", channel=seat.general)
    assert command.status == 200
    return world.opened_by(command)


def _calls_since(world: SlackWorld, count: int) -> list[RecordedCall]:
    return world.slack.calls()[count:]
