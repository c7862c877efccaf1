"""What Slack legitimately sends twice, byte for byte, is answered both times by the real
server, while the replay guard still refuses every other repeat. On SQLite, one server for
the module."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from slack_app_fixture import Seat, SlackWorld

from bot import appointments
from domain.usecases.records import (
    AddClient,
    AddServiceType,
    ClientDetails,
    add_client,
    add_service_type,
)
from sandbox.slack import AppResponse, Tamper, View
from sandbox.slack.blocks import find_element
from sandbox.slack.payloads import block_suggestion
from sandbox.slack.transport import FORM


def _an_appointment_form(world: SlackWorld, seat: Seat) -> View:
    """/appointment in a practice of more clients than a menu lists, so the client field is
    a search that asks the app as the user types."""
    practice_id = world.practice(seat.workspace).id
    for number in range(appointments.MAX_OPTIONS + 1):
        details = ClientDetails(f"Client {number:03}", f"client{number}@example.net")
        add_client(AddClient(practice_id, seat.admin.id, details), world.uow(), world.env)
    service = AddServiceType(practice_id, seat.admin.id, "Family session", "90")
    add_service_type(service, world.uow(), world.env)
    command = world.slack.driver.slash_command(seat.admin, "/appointment", channel=seat.general)
    return command.opened_view()


def _a_search(world: SlackWorld, seat: Seat, form: View, typed: str, tamper: Tamper) -> AppResponse:
    """The admin types `typed` into the client menu: Slack's request for the options, which
    carries no trigger_id or action_ts, so one typed again within a second is identical."""
    state = world.slack.state
    with state.lock:
        block, element = find_element(form.blocks, appointments.CLIENT)
        payload = block_suggestion(state, seat.admin, form, block, element, typed)
    body = urlencode({"payload": json.dumps(payload)}).encode()
    return world.slack.driver.transport.send(body, FORM, tamper=tamper)


def _listed(answer: AppResponse) -> list[str]:
    return [option["text"]["text"] for option in answer.json()["options"]]


def test_the_same_client_search_sent_twice_is_answered_both_times(world: SlackWorld) -> None:
    seat = world.new_practice("Twice Typed Clinic")
    form = _an_appointment_form(world, seat)
    first = _a_search(world, seat, form, "client 100", Tamper.NONE)

    again = world.slack.driver.replay(first)

    assert again.request.body == first.request.body
    assert again.request.headers == first.request.headers
    assert (first.status, again.status) == (200, 200)
    assert _listed(first) == _listed(again) == ["Client 100 (client100@example.net)"]


def test_a_search_not_signed_just_now_is_still_refused(world: SlackWorld) -> None:
    seat = world.new_practice("Forged Search Clinic")
    form = _an_appointment_form(world, seat)

    answers = [
        _a_search(world, seat, form, "client", tamper)
        for tamper in (Tamper.WRONG_SIGNATURE, Tamper.STALE_TIMESTAMP, Tamper.NO_SIGNATURE)
    ]

    assert [answer.status for answer in answers] == [401, 401, 401]
    assert all(b"Client" not in answer.body for answer in answers)


def test_a_replayed_click_is_still_refused(world: SlackWorld) -> None:
    seat = world.new_practice("Replayed Click Clinic")
    original = world.slack.driver.slash_command(seat.admin, "/billing", channel=seat.general)
    world.opened_by(original)

    replayed = world.slack.driver.replay(original)

    assert original.status == 200
    assert replayed.status == 401
