"""The `/client` messages and forms as pure views: what a record, a search and the list show,
which buttons they carry, and that Slack would accept them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from bot import appointments, clients
from domain.appointments import Appointment, AppointmentStatus
from domain.clients import Client
from domain.ids import AppointmentId, ClientId, InvoiceId, PracticeId, ServiceTypeId
from domain.invoices import InvoiceListing, InvoiceStatus, UnpaidTotals
from domain.money import Money
from domain.practice import Address
from domain.usecases.client_record import (
    AppointmentEntry,
    ClientMatches,
    ClientPage,
    ClientRecord,
)

PRACTICE = PracticeId("p-1")
BERLIN = ZoneInfo("Europe/Berlin")


def a_client(name: str = "Zoë <Saldaña>", number: int = 1, **more: Any) -> Client:
    return Client(ClientId(f"c-{number}"), PRACTICE, name, f"c{number}@example.org", **more)


def a_listing(status: InvoiceStatus, total: str, balance: str) -> InvoiceListing:
    return InvoiceListing(
        InvoiceId("i-1"),
        "INV-0007",
        ClientId("c-1"),
        "Zoë",
        Money.of(total, "EUR"),
        Money.of(balance, "EUR"),
        status,
        date(2025, 4, 1),
    )


def an_entry(day: int, invoice: InvoiceListing | None, **more: Any) -> AppointmentEntry:
    appointment = Appointment(
        AppointmentId(f"a-{day}"),
        PRACTICE,
        ClientId("c-1"),
        ServiceTypeId("s-1"),
        datetime(2025, 3, day, 9, 30, tzinfo=UTC),
        50,
        "U0CLIN001",
        **more,
    )
    return AppointmentEntry(appointment, "Counselling", invoice)


def text_of(blocks: list[Block]) -> str:
    return json.dumps([block.to_dict() for block in blocks], ensure_ascii=False)


def buttons(blocks: list[Block]) -> dict[str, str]:
    found = {}
    for block in blocks:
        shown = block.to_dict()
        for element in [shown.get("accessory") or {}, *shown.get("elements", [])]:
            if element.get("type") == "button":
                found[element["action_id"]] = element.get("value", "")
    return found


def test_a_record_shows_contact_money_appointments_and_invoices_as_the_practice_writes() -> None:
    partly = a_listing(InvoiceStatus.PARTIALLY_PAID, "1234.50", "1000.00")
    owed = UnpaidTotals(Money.of("1000.00", "EUR"), 1, Money.of("0", "EUR"), 0)
    record = ClientRecord(
        client=a_client(
            phone="+4930123456",
            address=Address(city="Berlin", country="DE"),
            notes="<!channel> call first",
        ),
        upcoming=(an_entry(20, None),),
        more_upcoming=2,
        past=(an_entry(10, partly), an_entry(3, None, status=AppointmentStatus.NO_SHOW)),
        more_past=0,
        invoices=(partly,),
        more_invoices=False,
        owed=(owed,),
    )

    blocks = clients.client_record_blocks(record, BERLIN, "de_DE")
    shown = text_of(blocks)

    assert blocks[0].to_dict()["text"]["text"] == "Zoë <Saldaña>"  # a plain-text header
    assert "Notes: &lt;!channel&gt; call first" in shown  # mrkdwn would mention everyone
    assert "c1@example.org · +4930123456" in shown and "Berlin, DE" in shown
    # A German practice: its amounts as Babel writes them in de_DE.
    assert "*Open balance:* 1.000,00\xa0€ on 1 unpaid invoice" in shown
    assert "Thu 20 Mar 2025, 10:30 · Counselling · not invoiced" in shown  # Berlin's clock
    assert "…and 2 more upcoming" in shown
    assert "INV-0007 partially paid, 1.000,00\xa0€ left" in shown
    assert "no-show · not invoiced" in shown
    assert "*INV-0007* · 1.234,50\xa0€ · Partially paid · 1.000,00\xa0€ left to pay" in shown
    assert buttons(blocks) == {
        clients.EDIT_CLIENT: "c-1",
        clients.NEW_APPOINTMENT: "c-1",
        clients.CREATE_INVOICE: "c-1",
    }


def test_a_client_who_owes_nothing_says_so() -> None:
    record = ClientRecord(a_client(), (), 0, (), 0, (), False, ())

    shown = text_of(clients.client_record_blocks(record, BERLIN, "de_DE"))

    assert "*Open balance:* nothing" in shown
    assert "None scheduled." in shown and "None yet." in shown


def test_a_search_that_found_nobody_offers_to_add_who_was_searched_for() -> None:
    blocks = clients.client_matches("Quentin <Blake>", ClientMatches((), 0))

    assert "No client matches “Quentin &lt;Blake&gt;”." in text_of(blocks)
    assert buttons(blocks) == {clients.ADD_CLIENT: "Quentin <Blake>"}


def test_a_search_that_found_many_says_how_many_more() -> None:
    found = tuple(a_client(f"Sam {n}", n) for n in range(3))

    blocks = clients.client_matches("sam", ClientMatches(found, 8))

    assert "*8 clients* match “sam”; the best 3:" in text_of(blocks)
    assert "…and 5 more" in text_of(blocks)
    assert buttons(blocks) == {clients.OPEN_CLIENT: "c-2"}  # one per row, keyed by the last


def test_the_list_carries_the_position_of_the_pages_around_it() -> None:
    page = ClientPage(tuple(a_client(f"C {n}", n) for n in range(20)), 20, 45)

    blocks = clients.client_list(page)

    assert "*Clients 21–40 of 45*" in text_of(blocks)
    assert {k: v for k, v in buttons(blocks).items() if k != clients.OPEN_CLIENT} == {
        clients.LIST_PREVIOUS: "0",
        clients.LIST_PAGE: "40",
    }
    assert len(blocks) <= 50  # Slack's limit for a message


def test_the_edit_form_is_filled_in_and_carries_the_version_it_shows() -> None:
    client = a_client(notes="Prefers mornings", version=4, address=Address(city="Leeds"))

    view = clients.edit_client_modal(client).to_dict()
    initial = {
        b["block_id"]: b["element"].get("initial_value") for b in view["blocks"] if "element" in b
    }

    assert view["callback_id"] == clients.EDIT_CALLBACK_ID
    assert json.loads(view["private_metadata"]) == {"client": "c-1", "version": 4}
    assert initial[clients.NAME] == "Zoë <Saldaña>"
    assert initial[clients.EMAIL] == "c1@example.org"
    assert initial[clients.CITY] == "Leeds" and initial[clients.NOTES] == "Prefers mornings"


def test_the_add_form_can_start_with_what_was_searched_for() -> None:
    view = clients.add_client_modal("GB", name="Quentin Blake").to_dict()

    [name] = [b for b in view["blocks"] if b.get("block_id") == clients.NAME]
    assert name["element"]["initial_value"] == "Quentin Blake"
    assert "private_metadata" not in view


def test_the_appointment_form_opened_from_a_record_has_the_client_picked() -> None:
    many = [a_client(f"C {n}", n) for n in range(appointments.MAX_OPTIONS + 1)]
    picked = many[7]

    day = date(2025, 3, 14)
    few = appointments.appointment_modal(many[:3], [], day, "U1", "UTC", picked, locale="en_US")
    lots = appointments.appointment_modal(many, [], day, "U1", "UTC", picked, locale="en_US")

    def client_element(view: Any) -> Any:
        [found] = [b for b in view.to_dict()["blocks"] if b["block_id"] == appointments.CLIENT]
        return found["element"]

    assert client_element(few).get("initial_option") is None  # not among the three offered
    assert client_element(lots)["initial_option"]["value"] == picked.id
