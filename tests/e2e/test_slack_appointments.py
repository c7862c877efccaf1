"""`/appointment`'s day and week lists and the Home tab's uninvoiced sessions, over HTTP
against the real server (on SQLite: one server for the module, a practice of its own for each
test): the days on the practice's clock, marking appointments in place, invoicing them one by
one or all of a client's at once, and nothing of another practice reachable by a crafted
payload. Every list is shown only to the person who asked."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from slack_app_fixture import (
    BACKGROUND_TIMEOUT,
    Seat,
    SlackWorld,
    message_text,
    reply_text,
    view_text,
)

from bot import appointments, home, invoice_form
from bot.invoice_card import DETAILS, DETAILS_CALLBACK_ID
from domain.appointments import Appointment, AppointmentStatus
from domain.clients import Client
from domain.ids import PracticeId
from domain.ports import InvoiceFilter
from domain.roles import Role
from domain.services import ServiceType
from domain.usecases.access import SetRole, set_role
from domain.usecases.invoicing import create_invoice_from_appointment
from domain.usecases.records import (
    AddClient,
    AddServiceType,
    ClientDetails,
    ScheduleAppointment,
    add_client,
    add_service_type,
    schedule_appointment,
    set_appointment_status,
)
from sandbox.slack import Interaction, Message, User, View


@dataclass(frozen=True)
class Practice:
    seat: Seat
    id: PracticeId
    zone: Any
    service: ServiceType
    grace: Client
    alan: Client


def _ready(world: SlackWorld, name: str, **kwargs: str) -> Practice:
    seat = world.new_practice(name, **kwargs)
    practice = world.practice(seat.workspace)
    admin = seat.admin.id
    service = add_service_type(
        AddServiceType(practice.id, admin, "Couples therapy", "120"), world.uow(), world.env
    )

    def client(name: str, email: str) -> Client:
        details = ClientDetails(name, email)
        return add_client(AddClient(practice.id, admin, details), world.uow(), world.env)

    grace = client("Grace Hopper", "grace@example.org")
    alan = client("Alan Turing", "alan@example.org")
    return Practice(seat, practice.id, practice.zone, service, grace, alan)


def _today(world: SlackWorld, p: Practice) -> date:
    return world.env.today_at(world.practice(p.seat.workspace))


def _schedule(
    world: SlackWorld, p: Practice, client: Client, day: date, at: str, *, clinician: str = ""
) -> Appointment:
    start = datetime.combine(day, time.fromisoformat(at), tzinfo=p.zone)
    command = ScheduleAppointment(
        p.id, p.seat.admin.id, client.id, p.service.id, start, 50, clinician or p.seat.admin.id
    )
    return schedule_appointment(command, world.uow(), world.env)


def _attend(world: SlackWorld, p: Practice, appointment: Appointment) -> Appointment:
    return set_appointment_status(
        p.id, appointment.id, AppointmentStatus.ATTENDED, p.seat.admin.id, world.uow(), world.env
    )


def _ask(world: SlackWorld, p: Practice, text: str, user: User | None = None) -> Interaction:
    asked = world.slack.driver.slash_command(
        user or p.seat.admin, "/appointment", text, channel=p.seat.general
    )
    assert asked.status == 200, asked.response.text
    return asked


def _list(world: SlackWorld, p: Practice, text: str) -> Message:
    _ask(world, p, text)
    return world.slack.ephemeral_messages_for(p.seat.admin)[-1]


def _row(appointment: Appointment) -> str:
    return appointments.ROW_PREFIX + appointment.id


def _buttons(message: Message, appointment: Appointment) -> dict[str, str]:
    """The buttons of the appointment's row: action id -> text."""
    (block,) = [b for b in message.blocks if b.get("block_id") == _row(appointment)]
    return {e["action_id"]: e["text"]["text"] for e in block["elements"]}


def _click(
    world: SlackWorld, p: Practice, message: Message, action_id: str, appointment: Appointment
) -> Interaction:
    clicked = world.slack.driver.block_action(
        action_id, message=message, user=p.seat.admin, block_id=_row(appointment)
    )
    assert clicked.status == 200, clicked.response.text
    return clicked


def _status(world: SlackWorld, p: Practice, appointment: Appointment) -> AppointmentStatus:
    with world.uow() as uow:
        stored = uow.appointments.get(p.id, appointment.id)
    assert stored is not None
    return stored.status


# -- the lists ---------------------------------------------------------------------------------


def test_today_lists_each_appointment_with_client_service_clinician_and_status_to_the_caller(
    world: SlackWorld,
) -> None:
    p = _ready(world, "Today Clinic")
    today = _today(world, p)
    clinician = world.slack.create_user(p.seat.workspace, "dr-hill")
    late = _schedule(world, p, p.alan, today, "17:30", clinician=clinician.id)
    early = _schedule(world, p, p.grace, today, "08:00")
    _schedule(world, p, p.grace, today + timedelta(days=1), "09:00")

    listing = _list(world, p, "today")
    shown = message_text(listing)
    tomorrow = message_text(_list(world, p, "tomorrow"))

    assert f"Today, {today:%A}" in shown and p.zone.key in shown
    assert shown.index("Grace Hopper") < shown.index("Alan Turing")
    assert "08:00–08:50" in shown and "17:30–18:20" in shown
    assert "Couples therapy" in shown and f"<@{clinician.id}>" in shown
    assert shown.count("Scheduled") == 2
    assert "Tomorrow" in tomorrow and "Alan Turing" not in tomorrow
    assert set(_buttons(listing, early)) == {
        appointments.MARK_ATTENDED,
        appointments.MARK_NO_SHOW,
        appointments.MARK_CANCELLED,
        appointments.CREATE_INVOICE,
    }
    assert _buttons(listing, late)
    shown_to = world.slack.ephemeral_messages_for(p.seat.admin)
    assert all(m.ephemeral_to == p.seat.admin.id for m in shown_to)
    assert world.slack.messages_in(p.seat.general) == []


def test_week_lists_monday_to_sunday_grouped_by_day(world: SlackWorld) -> None:
    p = _ready(world, "Week Clinic")
    today = _today(world, p)
    monday = today - timedelta(days=today.weekday())
    _schedule(world, p, p.grace, monday, "09:00")
    _schedule(world, p, p.alan, monday + timedelta(days=6), "20:00")
    _schedule(world, p, p.alan, monday + timedelta(days=7), "09:00")  # next week's

    listing = _list(world, p, "week")
    days = [
        b["text"]["text"]
        for b in listing.blocks
        if b["type"] == "section"
        and b["text"]["text"].startswith("*")
        and "·" not in b["text"]["text"]
    ]

    assert days == [
        f"*{monday:%A} {monday.day} {monday:%b %Y}*",
        f"*Sunday {(monday + timedelta(days=6)).day} {monday + timedelta(days=6):%b %Y}*",
    ]
    assert message_text(listing).count("Couples therapy") == 2


def test_next_and_previous_turn_the_list_in_place(world: SlackWorld) -> None:
    p = _ready(world, "Turning Clinic")
    today = _today(world, p)
    monday = today - timedelta(days=today.weekday())
    _schedule(world, p, p.grace, monday + timedelta(days=8), "09:00")  # next week's Tuesday
    _schedule(world, p, p.alan, today - timedelta(days=1), "09:00")  # yesterday
    week = _list(world, p, "week")
    day = _list(world, p, "today")

    for message, action_id in ((week, appointments.LIST_NEXT), (day, appointments.LIST_PREVIOUS)):
        clicked = world.slack.driver.block_action(
            action_id, message=message, user=p.seat.admin, block_id=appointments.TURN_ACTIONS
        )
        assert clicked.status == 200
        clicked.wait_for_posts(timeout=BACKGROUND_TIMEOUT)

    next_monday = monday + timedelta(days=7)
    assert f"Week of Mon {next_monday.day} {next_monday:%b %Y}" in message_text(week)
    assert "Grace Hopper" in message_text(week)
    assert "Alan Turing" in message_text(day) and "Today" not in message_text(day)
    assert len(world.slack.ephemeral_messages_for(p.seat.admin)) == 2  # both in place


def test_a_date_lists_that_days_appointments_across_its_clock_change(world: SlackWorld) -> None:
    """29 March 2026 in Berlin is 23 hours long: 00:15 on the 30th is 22:15 UTC on the 29th."""
    p = _ready(world, "Berlin Clinic", tz="Europe/Berlin")
    assert p.zone.key == "Europe/Berlin"
    day = date(2026, 3, 29)
    _schedule(world, p, p.grace, day, "00:30")
    _schedule(world, p, p.alan, day, "23:30")
    _schedule(world, p, p.grace, day + timedelta(days=1), "00:15")

    shown = message_text(_list(world, p, "2026-03-29"))

    assert "Sunday 29 Mar 2026" in shown
    assert "00:30–01:20" in shown and "23:30–00:20" in shown
    assert "00:15" not in shown


def test_a_clients_name_lists_their_appointments_and_other_words_are_explained(
    world: SlackWorld,
) -> None:
    p = _ready(world, "Client Clinic")
    today = _today(world, p)
    _schedule(world, p, p.grace, today - timedelta(days=3), "10:00")
    _schedule(world, p, p.grace, today + timedelta(days=10), "10:00")
    _schedule(world, p, p.alan, today, "10:00")

    shown = message_text(_list(world, p, "hopper"))
    nobody = reply_text(_ask(world, p, "zebra"))
    not_a_day = reply_text(_ask(world, p, "2026-02-30"))
    helped = reply_text(_ask(world, p, "help"))

    assert "Grace Hopper:" in shown and shown.count("Couples therapy") == 2
    assert "Alan Turing" not in shown
    assert "No client matches `zebra`" in nobody and "/appointment today" in nobody
    assert "is not a date" in not_a_day
    assert "`week`" in helped and "`/appointment 2026-12-07`" in helped
    new_form = _ask(world, p, "new").opened_view()
    assert new_form.callback_id == appointments.CALLBACK_ID


def test_a_member_without_a_billing_role_sees_no_list(world: SlackWorld) -> None:
    p = _ready(world, "Private Clinic")
    _schedule(world, p, p.grace, _today(world, p), "10:00")
    stranger = world.slack.create_user(p.seat.workspace, "visitor")

    refused = reply_text(_ask(world, p, "today", user=stranger))

    assert "role" in refused
    assert "Grace" not in refused


# -- marking -----------------------------------------------------------------------------------


def test_marking_changes_the_status_and_redraws_the_list_in_place(world: SlackWorld) -> None:
    p = _ready(world, "Mark Clinic")
    today = _today(world, p)
    came = _schedule(world, p, p.grace, today, "09:00")
    called_off = _schedule(world, p, p.alan, today, "11:00")
    missed = _schedule(world, p, p.alan, today, "13:00")
    listing = _list(world, p, "today")

    for action_id, appointment in (
        (appointments.MARK_ATTENDED, came),
        (appointments.MARK_CANCELLED, called_off),
        (appointments.MARK_NO_SHOW, missed),
    ):
        _click(world, p, listing, action_id, appointment).wait_for_posts(timeout=BACKGROUND_TIMEOUT)

    assert [_status(world, p, a) for a in (came, called_off, missed)] == [
        AppointmentStatus.ATTENDED,
        AppointmentStatus.CANCELLED,
        AppointmentStatus.NO_SHOW,
    ]
    shown = message_text(listing)
    assert "Attended" in shown and "Cancelled" in shown and "No-show" in shown
    assert "Scheduled" not in shown
    assert appointments.MARK_ATTENDED not in _buttons(listing, came)
    # A cancelled appointment is not billed; a no-show may carry a fee.
    assert appointments.CREATE_INVOICE not in _buttons(listing, called_off)
    assert appointments.CREATE_INVOICE in _buttons(listing, missed)
    assert len(world.slack.ephemeral_messages_for(p.seat.admin)) == 1  # redrawn in place
    with world.uow() as uow:
        events = uow.audit.for_subject(p.id, came.id)
    assert "appointment.status_changed" in [e.action for e in events]


def test_an_invoiced_appointment_cannot_be_marked_cancelled(world: SlackWorld) -> None:
    p = _ready(world, "Refusing Clinic")
    appointment = _schedule(world, p, p.grace, _today(world, p), "09:00")
    invoice = create_invoice_from_appointment(
        p.id, appointment.id, p.seat.admin.id, world.uow(), world.env
    )
    listing = _list(world, p, "today")

    notice = world.opened_view(_click(world, p, listing, appointments.MARK_CANCELLED, appointment))

    assert f"on invoice {invoice.number}" in view_text(notice)
    assert "Void that invoice first" in view_text(notice)
    assert _status(world, p, appointment) is AppointmentStatus.SCHEDULED


# -- invoicing from the list -------------------------------------------------------------------


def test_create_invoice_from_the_list_opens_the_form_and_then_the_list_shows_its_number(
    world: SlackWorld,
) -> None:
    p = _ready(world, "Invoice Clinic")
    appointment = _schedule(world, p, p.grace, _today(world, p), "09:00")
    other = _schedule(world, p, p.alan, _today(world, p), "11:00")
    listing = _list(world, p, "today")

    pressed = _click(world, p, listing, appointments.CREATE_INVOICE, appointment)
    form = world.opened_view(pressed)
    added = form.hash
    # The form's own redraws (a line added) keep where it came from.
    world.slack.driver.block_action(invoice_form.ADD_LINE, view=form)
    world.wait_for_update(form, added)
    created = world.slack.driver.submit_view(form)
    pressed.wait_for_posts(timeout=BACKGROUND_TIMEOUT)

    assert created.response_action == "update"
    with world.uow() as uow:
        (invoice,) = uow.invoices.find(p.id, InvoiceFilter())
    assert invoice.appointment_ids == frozenset({appointment.id})
    # The list it was pressed in, redrawn in place: no second list, no command typed again.
    assert len(world.slack.ephemeral_messages_for(p.seat.admin)) == 1
    buttons = _buttons(listing, appointment)
    assert appointments.CREATE_INVOICE not in buttons
    assert buttons[DETAILS] == f"Invoice {invoice.number}"
    assert appointments.CREATE_INVOICE in _buttons(listing, other)
    details = world.opened_view(_click(world, p, listing, DETAILS, appointment))
    assert details.callback_id == DETAILS_CALLBACK_ID and invoice.number in view_text(details)


def test_create_invoice_from_home_redraws_no_list(world: SlackWorld) -> None:
    p = _ready(world, "Home Invoice Clinic")
    appointment = _attend(world, p, _schedule(world, p, p.grace, _today(world, p), "09:00"))
    listing = _list(world, p, "today")
    home_tab = world.open_home(p.seat.admin)
    published = world.publishes_for(p.seat.admin)

    pressed = world.slack.driver.block_action(
        home.CREATE_INVOICE,
        view=home_tab,
        user=p.seat.admin,
        block_id=f"session:{appointment.id}",
    )
    world.slack.driver.submit_view(world.opened_view(pressed))
    # The Home tab is redrawn last, after any list would have been.
    world.wait_for_home_refresh(p.seat.admin, published)

    with world.uow() as uow:
        assert len(uow.invoices.find(p.id, InvoiceFilter())) == 1
    assert appointments.CREATE_INVOICE in _buttons(listing, appointment)


def test_a_mark_from_a_list_drawn_before_the_appointment_changed_is_refused_saying_why(
    world: SlackWorld,
) -> None:
    p = _ready(world, "Stale Clinic")
    appointment = _schedule(world, p, p.grace, _today(world, p), "09:00")
    stale = _list(world, p, "today")
    # Someone else marks it attended after this list was drawn.
    _attend(world, p, appointment)

    pressed = _click(world, p, stale, appointments.MARK_NO_SHOW, appointment)
    pressed.wait_for_posts(count=2, timeout=BACKGROUND_TIMEOUT)

    assert _status(world, p, appointment) is AppointmentStatus.ATTENDED
    shown = world.slack.ephemeral_messages_for(p.seat.admin)
    assert len(shown) == 2  # the list, redrawn in place, and why nothing was marked
    assert "Attended" in message_text(stale) and "Scheduled" not in message_text(stale)
    assert "Not marked no-show" in shown[-1].text
    assert "changed after your list was drawn (it is now attended)" in shown[-1].text
    # From the list as it is now, the same mark goes through.
    _click(world, p, stale, appointments.MARK_NO_SHOW, appointment).wait_for_posts(
        timeout=BACKGROUND_TIMEOUT
    )
    assert _status(world, p, appointment) is AppointmentStatus.NO_SHOW


# -- the Home tab ------------------------------------------------------------------------------


def _home_sessions(view: View) -> list[str]:
    return [
        str(b["block_id"]).removeprefix("session:")
        for b in view.definition["blocks"]
        if str(b.get("block_id", "")).startswith("session:")
    ]


def test_home_lists_uninvoiced_sessions_and_invoices_all_of_a_clients_on_one_invoice(
    world: SlackWorld,
) -> None:
    p = _ready(world, "Home Clinic")
    today = _today(world, p)
    first = _attend(world, p, _schedule(world, p, p.grace, today - timedelta(days=9), "09:00"))
    second = _attend(world, p, _schedule(world, p, p.grace, today - timedelta(days=2), "09:00"))
    alans = _attend(world, p, _schedule(world, p, p.alan, today - timedelta(days=1), "15:00"))
    _schedule(world, p, p.alan, today - timedelta(days=1), "17:00")  # never marked attended

    before = world.open_home(p.seat.admin)
    # The Home view is live: it shows what the app last published, so read it now.
    sessions_before, shown_before = _home_sessions(before), view_text(before)
    all_button = world.slack.driver.block_action(home.INVOICE_ALL, view=before, user=p.seat.admin)
    form = world.opened_view(all_button)
    form_lines = sum(
        1
        for block in form.blocks
        if (block.get("accessory") or {}).get("action_id") == invoice_form.REMOVE_LINE
    )
    form_callback = form.callback_id
    publishes = world.publishes_for(p.seat.admin)
    created = world.slack.driver.submit_view(form)
    after = world.wait_for_home_refresh(p.seat.admin, publishes)
    listing = _list(world, p, "hopper")

    assert "Uninvoiced sessions" in shown_before
    assert sessions_before == [alans.id, second.id, first.id]
    assert "Invoice all 2 for Grace Hopper" in shown_before
    assert form_callback == invoice_form.CALLBACK_ID
    assert form_lines == 2
    assert created.response_action == "update"
    with world.uow() as uow:
        (invoice,) = uow.invoices.find(p.id, InvoiceFilter())
    assert invoice.client_id == p.grace.id
    assert [line.appointment_id for line in invoice.lines] == [first.id, second.id]
    assert _home_sessions(after) == [alans.id]
    for appointment in (first, second):
        assert _buttons(listing, appointment)[DETAILS] == f"Invoice {invoice.number}"


def test_create_invoice_on_home_opens_the_form_for_that_session(world: SlackWorld) -> None:
    p = _ready(world, "Single Clinic")
    session = _attend(world, p, _schedule(world, p, p.alan, _today(world, p), "07:00"))

    view = world.open_home(p.seat.admin)
    form = world.opened_view(
        world.slack.driver.block_action(
            home.CREATE_INVOICE, view=view, user=p.seat.admin, block_id=f"session:{session.id}"
        )
    )

    assert form.callback_id == invoice_form.CALLBACK_ID
    assert "Couples therapy" in view_text(form)


def test_home_shows_no_sessions_to_a_member_without_a_billing_role(world: SlackWorld) -> None:
    p = _ready(world, "Quiet Clinic")
    _attend(world, p, _schedule(world, p, p.grace, _today(world, p), "07:00"))
    reader = world.slack.create_user(p.seat.workspace, "reader")

    shown = view_text(world.open_home(reader))

    assert "Uninvoiced sessions" not in shown and "Grace" not in shown


# -- another practice --------------------------------------------------------------------------


def _crafted(message: Message, action_id: str, value: str) -> None:
    """What an attacker sends: a button of the list (Create invoice made into `action_id` if
    the row has no such button) carrying a value of their choosing."""
    for block in message.blocks:
        elements = block.get("elements", [])
        if not any(e.get("action_id") == action_id for e in elements):
            for element in elements:
                if element.get("action_id") == appointments.CREATE_INVOICE:
                    element["action_id"] = action_id
        for element in elements:
            if element.get("action_id") == action_id:
                element["value"] = value


def test_crafted_payloads_never_reach_another_practices_appointments_or_invoices(
    world: SlackWorld,
) -> None:
    ours = _ready(world, "Our Clinic")
    theirs = _ready(world, "Their Clinic", admin="sid", real_name="Sid Theirs")
    mine = _schedule(world, ours, ours.grace, _today(world, ours), "09:00")
    their_session = _attend(
        world, theirs, _schedule(world, theirs, theirs.grace, _today(world, theirs), "09:00")
    )
    their_other = _schedule(world, theirs, theirs.alan, _today(world, theirs), "11:00")
    their_invoice = create_invoice_from_appointment(
        theirs.id, their_session.id, theirs.seat.admin.id, world.uow(), world.env
    )
    listing = _list(world, ours, "today")
    row = _buttons(listing, mine)
    assert row
    notices = []
    for action_id, value in (
        (
            appointments.MARK_CANCELLED,
            json.dumps({"a": their_other.id, "d": "2026-01-01", "n": 1}),
        ),
        (appointments.CREATE_INVOICE, their_other.id),
        (DETAILS, their_invoice.id),
    ):
        _crafted(listing, action_id, value)
        notices.append(view_text(world.opened_view(_click(world, ours, listing, action_id, mine))))
    turned = _list(world, ours, "week")
    _crafted(
        turned,
        appointments.LIST_NEXT,
        json.dumps({"d": "2026-01-05", "n": 7, "c": theirs.grace.id}),
    )
    notices.append(
        view_text(
            world.opened_view(
                world.slack.driver.block_action(
                    appointments.LIST_NEXT,
                    message=turned,
                    user=ours.seat.admin,
                    block_id=appointments.TURN_ACTIONS,
                )
            )
        )
    )
    home_view = world.open_home(ours.seat.admin)
    home_view.definition["blocks"].append(
        {
            "type": "actions",
            "block_id": "crafted",
            "elements": [
                {
                    "type": "button",
                    "action_id": home.INVOICE_ALL,
                    "text": {"type": "plain_text", "text": "x"},
                    "value": theirs.grace.id,
                }
            ],
        }
    )
    notices.append(
        view_text(
            world.opened_view(
                world.slack.driver.block_action(
                    home.INVOICE_ALL, view=home_view, user=ours.seat.admin, block_id="crafted"
                )
            )
        )
    )

    for notice in notices:
        assert "No " in notice, notice
        assert "Grace" not in notice and "Couples" not in notice
    assert _status(world, theirs, their_other) is AppointmentStatus.SCHEDULED
    with world.uow() as uow:
        assert uow.invoices.find(ours.id, InvoiceFilter()) == []


def test_a_list_is_for_billing_roles_and_marking_needs_one_now(world: SlackWorld) -> None:
    p = _ready(world, "Role Clinic")
    appointment = _schedule(world, p, p.grace, _today(world, p), "09:00")
    desk = world.slack.create_user(p.seat.workspace, "desk")
    set_role(SetRole(p.id, p.seat.admin.id, desk.id, Role.STAFF), world.uow(), world.env)
    world.slack.driver.slash_command(desk, "/appointment", "today", channel=p.seat.general)
    listing = world.slack.ephemeral_messages_for(desk)[-1]
    assert "Grace Hopper" in message_text(listing)

    set_role(SetRole(p.id, p.seat.admin.id, desk.id, None), world.uow(), world.env)
    clicked = world.slack.driver.block_action(
        appointments.MARK_ATTENDED, message=listing, user=desk, block_id=_row(appointment)
    )
    notice = world.opened_view(clicked)

    assert "role" in view_text(notice)
    assert _status(world, p, appointment) is AppointmentStatus.SCHEDULED
