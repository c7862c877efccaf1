"""`/appointment`'s day and week lists and Home's uninvoiced sessions as pure views: what each
appointment shows, which buttons it carries, and that a long list stays within Slack's block
limit saying how many it leaves out."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement

from bot import appointments, home
from bot.appointments import MARK_NO_SHOW
from bot.invoice_card import DETAILS
from domain.appointments import Appointment, AppointmentStatus
from domain.ids import AppointmentId, ClientId, InvoiceId, PracticeId, ServiceTypeId
from domain.invoices import InvoiceRef
from domain.usecases.calendar import (
    Calendar,
    CalendarDay,
    CalendarEntry,
    ClientSessions,
    UninvoicedSessions,
)

LONDON = ZoneInfo("Europe/London")
DAY = date(2026, 12, 7)
SHOWN = appointments.ListRange(DAY, 1)


def an_entry(
    number: int = 1,
    *,
    status: AppointmentStatus = AppointmentStatus.SCHEDULED,
    invoice: InvoiceRef | None = None,
    day: date = DAY,
) -> CalendarEntry:
    start = datetime(day.year, day.month, day.day, 9, tzinfo=UTC) + timedelta(minutes=number)
    appointment = Appointment(
        AppointmentId(f"a-{number}"),
        PracticeId("p-1"),
        ClientId("c-1"),
        ServiceTypeId("s-1"),
        start,
        50,
        "U0CLINIC",
        status,
    )
    return CalendarEntry(appointment, "Zoë <Saldaña>", "Couples session", invoice)


def a_day(*entries: CalendarEntry) -> Calendar:
    return Calendar(DAY, 1, None, (CalendarDay(DAY, entries),))


def rendered(blocks: list[Block]) -> list[dict[str, object]]:
    return [block.to_dict() for block in blocks]  # to_dict checks Slack's limits


def as_text(blocks: list[Block]) -> str:
    return json.dumps(rendered(blocks), ensure_ascii=False)


def buttons(blocks: list[Block], entry: CalendarEntry) -> dict[str, str]:
    (row,) = [
        b
        for b in rendered(blocks)
        if b.get("block_id") == appointments.ROW_PREFIX + entry.appointment.id
    ]
    elements = row["elements"]
    assert isinstance(elements, list)
    return {e["action_id"]: e["text"]["text"] for e in elements}


def test_an_appointment_shows_its_time_on_the_practice_clock_client_service_and_clinician() -> None:
    entry = an_entry()

    text = as_text(appointments.calendar_blocks(a_day(entry), SHOWN, DAY, LONDON))

    assert "09:01–09:51" in text
    assert "Zoë &lt;Saldaña&gt;" in text and "Couples session" in text
    assert "<@U0CLINIC>" in text and "Scheduled" in text
    assert "Today, Monday 7 Dec 2026" in text


def test_each_appointment_is_offered_the_marks_it_is_not_in_and_its_invoice() -> None:
    scheduled = an_entry(1)
    cancelled = an_entry(2, status=AppointmentStatus.CANCELLED)
    no_show = an_entry(3, status=AppointmentStatus.NO_SHOW)
    invoiced = an_entry(
        4, status=AppointmentStatus.ATTENDED, invoice=InvoiceRef(InvoiceId("i-9"), "INV-0009")
    )

    blocks = appointments.calendar_blocks(
        a_day(scheduled, cancelled, no_show, invoiced), SHOWN, DAY, LONDON
    )

    assert list(buttons(blocks, scheduled)) == [
        appointments.MARK_ATTENDED,
        appointments.MARK_NO_SHOW,
        appointments.MARK_CANCELLED,
        appointments.CREATE_INVOICE,
    ]
    assert appointments.CREATE_INVOICE not in buttons(blocks, cancelled)
    assert appointments.MARK_CANCELLED not in buttons(blocks, cancelled)
    assert appointments.CREATE_INVOICE in buttons(blocks, no_show)
    assert buttons(blocks, invoiced)[DETAILS] == "Invoice INV-0009"
    assert appointments.MARK_ATTENDED not in buttons(blocks, invoiced)


def test_a_mark_carries_the_appointment_and_the_days_shown_so_the_list_can_be_redrawn() -> None:
    entry = an_entry()
    shown = appointments.ListRange(DAY, 7, ClientId("c-1"))

    blocks = appointments.calendar_blocks(a_day(entry), shown, DAY, LONDON)
    (button,) = [
        e
        for b in blocks
        if isinstance(b, ActionsBlock)
        for e in b.elements
        if isinstance(e, ButtonElement) and e.action_id == MARK_NO_SHOW
    ]
    value = json.loads(button.value)

    assert value["a"] == entry.appointment.id
    assert appointments.ListRange.from_json(value) == shown


def test_a_list_too_long_for_one_message_stops_at_whole_appointments_and_says_how_many_more() -> (
    None
):
    entries = tuple(an_entry(n) for n in range(40))

    blocks = appointments.calendar_blocks(a_day(*entries), SHOWN, DAY, LONDON)

    assert len(blocks) <= appointments.MAX_BLOCKS
    shown = sum(
        1 for b in rendered(blocks) if str(b.get("block_id", "")).startswith("appointment:")
    )
    assert f"…and {40 - shown} more not shown here" in as_text(blocks)


def test_an_empty_day_says_so() -> None:
    empty = Calendar(DAY, 1, None, ())

    assert "_No appointments._" in json.dumps(
        rendered(appointments.calendar_blocks(empty, SHOWN, DAY, LONDON))
    )


def test_home_offers_invoice_all_only_for_clients_with_several_sessions() -> None:
    sessions = UninvoicedSessions(
        (an_entry(1, status=AppointmentStatus.ATTENDED),),
        4,
        (
            ClientSessions(ClientId("c-1"), "Zoë", 3),
            ClientSessions(ClientId("c-2"), "Ivo", 1),
        ),
    )

    text = as_text(home.uninvoiced_blocks(sessions, LONDON))

    assert "Invoice all 3 for Zoë" in text and "for Ivo" not in text
    assert "…and 3 more attended sessions not yet invoiced." in text
    assert home.CREATE_INVOICE in text
