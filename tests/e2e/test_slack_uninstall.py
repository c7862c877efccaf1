"""Removing the app from a workspace: the practice is deactivated with all its data kept, its
people are told the app is not installed, and installing again brings everything back. On
SQLite, one server for the module, a practice of its own per test."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from slack_app_fixture import BACKGROUND_TIMEOUT, Seat, SlackWorld
from sqlalchemy import func, select

from bot import hub
from bot.edge.text import NOT_INSTALLED
from domain.usecases.records import AddClient, ClientDetails, add_client
from domain.usecases.settings import AddTaxRate, add_tax_rate
from helpers import wait_until
from sandbox.slack import EventDelivery, SlackStandIn, Workspace
from storage.orm import SLACK_BOTS

Removal = Callable[[SlackStandIn, Workspace], EventDelivery | None]


def _uninstall(slack: SlackStandIn, workspace: Workspace) -> EventDelivery | None:
    return slack.uninstall(workspace)


def _revoke_tokens(slack: SlackStandIn, workspace: Workspace) -> EventDelivery | None:
    return slack.revoke_tokens(workspace)


@pytest.mark.parametrize("remove", [_uninstall, _revoke_tokens], ids=["uninstall", "revoke"])
def test_removing_the_app_deactivates_the_practice_and_keeps_its_data(
    world: SlackWorld, remove: Removal
) -> None:
    seat = world.new_practice(f"Departing Clinic {remove.__name__}")
    _some_records(world, seat)
    kept = _records_of(world, seat)

    delivery = remove(world.slack, seat.workspace)

    assert delivery is not None and delivery.status == 200
    wait_until(
        lambda: not world.practice(seat.workspace).active,
        BACKGROUND_TIMEOUT,
        what="the practice to be deactivated",
    )
    assert _records_of(world, seat) == kept
    assert _stored_bots(world, seat) == 0


def test_commands_from_an_uninstalled_workspace_are_told_the_app_is_not_installed(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Closed Clinic")
    world.slack.uninstall(seat.workspace)
    wait_until(
        lambda: not world.practice(seat.workspace).active,
        BACKGROUND_TIMEOUT,
        what="the practice to be deactivated",
    )
    before_rows, before_calls = world.rows(), len(world.slack.calls(workspace=seat.workspace))

    billing = world.slack.driver.slash_command(seat.admin, "/billing", channel=seat.general)
    invoice = world.slack.driver.slash_command(seat.admin, "/invoice", channel=seat.general)

    assert billing.status == invoice.status == 200
    told = [message.text for message in world.slack.ephemeral_messages_for(seat.admin)]
    assert told == [NOT_INSTALLED, NOT_INSTALLED]
    assert world.rows() == before_rows
    assert len(world.slack.calls(workspace=seat.workspace)) == before_calls


def test_installing_again_right_after_uninstalling_brings_the_practice_back_at_once(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Returning Clinic")
    _some_records(world, seat)
    kept = _records_of(world, seat)
    # Used just before: the app remembers the bot token, which the uninstall revokes.
    world.open_hub(seat.admin, seat.general)
    world.slack.uninstall(seat.workspace)
    wait_until(
        lambda: not world.practice(seat.workspace).active,
        BACKGROUND_TIMEOUT,
        what="the practice to be deactivated",
    )

    status = world.install(seat.workspace, seat.admin)

    assert status == 200
    assert world.practice(seat.workspace).active
    assert _records_of(world, seat) == kept
    assert world.open_hub(seat.admin, seat.general).callback_id == hub.CALLBACK_ID


def _some_records(world: SlackWorld, seat: Seat) -> None:
    practice = world.practice(seat.workspace)
    add_tax_rate(AddTaxRate(practice.id, seat.admin.id, "VAT", "19"), world.uow(), world.env)
    add_client(
        AddClient(practice.id, seat.admin.id, ClientDetails("Odile Farrant", "odile@example.com")),
        world.uow(),
        world.env,
    )


def _records_of(world: SlackWorld, seat: Seat) -> tuple[object, ...]:
    """The practice's settings (but whether it is active), members, rates and clients."""
    practice = world.practice(seat.workspace)
    with world.uow() as uow:
        return (
            practice.id,
            practice.billing,
            practice.default_tax_rate_id,
            sorted((m.user_id, m.role.value) for m in uow.members.list(practice.id)),
            uow.tax_rates.list(practice.id),
            uow.clients.list(practice.id),
        )


def _stored_bots(world: SlackWorld, seat: Seat) -> int:
    with world.engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count())
                .select_from(SLACK_BOTS)
                .where(SLACK_BOTS.c.team_id == seat.workspace.id)
            ).scalar_one()
        )
