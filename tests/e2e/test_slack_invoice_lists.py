"""`/invoice list` and `/invoice export` over HTTP against the real server (on SQLite: one
server for the module, a practice of its own for each test): a filtered list only the caller
sees, paged with Next in place, usage for words it does not know, the export as a CSV file in
the caller's DM, a failed upload reported, and another practice's invoices never listed or
exported."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from slack_app_fixture import (
    BACKGROUND_TIMEOUT,
    Seat,
    SlackWorld,
    message_text,
    reply_text,
    view_text,
)

from bot.invoice_card import DETAILS_CALLBACK_ID
from bot.invoice_lists import EXPORT_ON_ITS_WAY, LIST_NEXT, OPEN, ROW_PREFIX
from domain.clients import Client
from domain.invoices import Invoice, LineInput
from domain.money import Money
from domain.usecases.invoicing import CreateInvoice, create_invoice
from domain.usecases.payments import RecordPayment, record_manual_payment
from domain.usecases.records import AddClient, ClientDetails, add_client
from helpers import wait_until
from sandbox.slack import Interaction, Message


def _client(world: SlackWorld, seat: Seat, name: str) -> Client:
    practice_id = world.practice(seat.workspace).id
    details = ClientDetails(name, f"{name.split()[0].lower()}@example.org")
    return add_client(AddClient(practice_id, seat.admin.id, details), world.uow(), world.env)


def _invoice(
    world: SlackWorld, seat: Seat, client: Client, price: str, *, issue: bool = True
) -> Invoice:
    practice = world.practice(seat.workspace)
    line = LineInput(
        date(2026, 1, 5), "Session", Decimal(1), Money.of(price, practice.currency), None
    )
    return create_invoice(
        CreateInvoice(practice.id, seat.admin.id, client.id, (line,), issue=issue),
        world.uow(),
        world.env,
    )


def _ask(world: SlackWorld, seat: Seat, text: str) -> Interaction:
    asked = world.slack.driver.slash_command(seat.admin, "/invoice", text, channel=seat.general)
    assert asked.status == 200, asked.response.text
    return asked


def _shown(world: SlackWorld, seat: Seat) -> Message:
    return world.slack.ephemeral_messages_for(seat.admin)[-1]


def _numbers(message: Message) -> list[str]:
    return [
        block["text"]["text"].split("*")[1]
        for block in message.blocks
        if block.get("type") == "section" and block["text"]["text"].startswith("*INV-")
    ]


def test_list_unpaid_shows_only_unpaid_invoices_with_client_names_and_totals(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Unpaid Clinic")
    grace = _client(world, seat, "Grace Hopper")
    open_one = _invoice(world, seat, grace, "120.00")
    partly = _invoice(world, seat, grace, "80.50")
    practice = world.practice(seat.workspace)
    record_manual_payment(
        RecordPayment(practice.id, seat.admin.id, partly.id, "30.00", "cash"),
        world.uow(),
        world.env,
    )
    _invoice(world, seat, grace, "99.00", issue=False)

    _ask(world, seat, "list unpaid")

    shown = _shown(world, seat)
    text = message_text(shown)
    assert shown.ephemeral_to == seat.admin.id
    assert _numbers(shown) == [partly.number, open_one.number]
    assert "Grace Hopper" in text
    assert "balance " + Money.of("50.50", practice.currency).format(practice.locale) in text
    total = Money.of("200.50", practice.currency).format(practice.locale)
    balance = Money.of("170.50", practice.currency).format(practice.locale)
    assert f"2 invoices: total {total} · balance {balance}" in text


def test_each_listed_invoice_opens_from_its_number(world: SlackWorld) -> None:
    seat = world.new_practice("Opening Clinic")
    grace = _client(world, seat, "Grace Hopper")
    older = _invoice(world, seat, grace, "120.00")
    newer = _invoice(world, seat, grace, "80.50")
    _ask(world, seat, "list")
    listing = _shown(world, seat)

    opened = world.opened_view(
        world.slack.driver.block_action(
            OPEN, message=listing, user=seat.admin, block_id=ROW_PREFIX + older.id
        )
    )

    buttons = [
        block["accessory"]["text"]["text"] for block in listing.blocks if block.get("accessory")
    ]
    assert buttons == [f"Open {newer.number}", f"Open {older.number}"]
    assert opened.callback_id == DETAILS_CALLBACK_ID
    assert older.number in view_text(opened) and newer.number not in view_text(opened)


def test_next_replaces_the_list_with_the_following_page_in_place(world: SlackWorld) -> None:
    seat = world.new_practice("Paging Clinic")
    ada = _client(world, seat, "Ada Lovelace")
    made = [_invoice(world, seat, ada, "10.00") for _ in range(23)]

    _ask(world, seat, "list unpaid Ada")
    listing = _shown(world, seat)
    first = _numbers(listing)
    clicked = world.slack.driver.block_action(LIST_NEXT, message=listing, user=seat.admin)
    clicked.wait_for_posts(timeout=BACKGROUND_TIMEOUT)

    newest_first = [invoice.number for invoice in reversed(made)]
    assert first == newest_first[:20]
    assert _numbers(listing) == newest_first[20:]
    assert "21–23 of 23" in message_text(listing)
    assert not any(block.get("type") == "actions" for block in listing.blocks)
    assert len(world.slack.ephemeral_messages_for(seat.admin)) == 1  # paged in place


def test_list_with_a_word_it_does_not_know_answers_what_it_understands(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Words Clinic")
    _client(world, seat, "Grace Hopper")

    unknown = reply_text(_ask(world, seat, "list foo"))
    bad_month = reply_text(_ask(world, seat, "list paid 2026-13"))
    help_text = reply_text(_ask(world, seat, "help"))

    assert unknown.startswith("I don't know 'foo'")
    assert "Try: `/invoice list unpaid | overdue | paid | draft | void`" in unknown
    assert "'2026-13' is not a month" in bad_month
    assert "DM with the app only, never to a channel" in help_text


def _csv_in_dm(world: SlackWorld, seat: Seat) -> tuple[Message, list[dict[str, str]]]:
    dm = world.slack.dm_with(seat.admin)

    def shared() -> Message | None:
        return next((m for m in world.slack.messages_in(dm) if m.files), None)

    message = wait_until(shared, BACKGROUND_TIMEOUT, what="the export in the DM")
    (file_id,) = message.files
    content = world.slack.state.files[file_id].content or b""
    return message, list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_export_uploads_a_csv_of_invoices_and_payments_to_the_callers_dm_only(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Export Clinic")
    other = world.new_practice("Other Clinic")
    grace = _client(world, seat, "Grace Hopper")
    invoice = _invoice(world, seat, grace, "1250.50")
    practice = world.practice(seat.workspace)
    record_manual_payment(
        RecordPayment(
            practice.id, seat.admin.id, invoice.id, "250.25", "bank_transfer", None, "T-1"
        ),
        world.uow(),
        world.env,
    )
    _invoice(world, other, _client(world, other, "Mallory Other"), "5.00")

    answer = reply_text(_ask(world, seat, "export"))

    message, rows = _csv_in_dm(world, seat)
    assert answer == EXPORT_ON_ITS_WAY
    assert [(r["kind"], r["invoice number"], r["client name"]) for r in rows] == [
        ("invoice", invoice.number, "Grace Hopper"),
        ("payment", invoice.number, "Grace Hopper"),
    ]
    assert (rows[0]["total"], rows[0]["paid"], rows[0]["balance"]) == (
        "1250.50",
        "250.25",
        "1000.25",
    )
    assert (rows[1]["method"], rows[1]["reference"]) == ("bank_transfer", "T-1")
    assert "1 invoice" in message.text
    assert not world.slack.channel_messages(seat.workspace)  # never in a channel


def test_another_practices_invoices_are_never_listed_or_exported(world: SlackWorld) -> None:
    ours = world.new_practice("Own Clinic")
    theirs = world.new_practice("Their Clinic")
    mine = _invoice(world, ours, _client(world, ours, "Ada Lovelace"), "10.00")
    _invoice(world, theirs, _client(world, theirs, "Mallory Other"), "20.00")

    _ask(world, ours, "list")
    listed = _shown(world, ours)
    _ask(world, ours, "export")
    _, rows = _csv_in_dm(world, ours)
    by_their_client = reply_text(_ask(world, ours, "list Mallory"))

    assert _numbers(listed) == [mine.number]
    assert "Mallory" not in message_text(listed)
    assert [row["client name"] for row in rows] == ["Ada Lovelace"]
    assert by_their_client.startswith("I don't know 'Mallory'")


def test_a_failed_upload_is_reported_to_the_user_with_an_error_id(world: SlackWorld) -> None:
    seat = world.new_practice("Failing Clinic")
    _invoice(world, seat, _client(world, seat, "Ada Lovelace"), "10.00")
    world.slack.rate_limit("files.completeUploadExternal")

    asked = _ask(world, seat, "export")
    (post,) = asked.wait_for_posts(timeout=BACKGROUND_TIMEOUT)

    assert "the export could not be sent to your DM (error " in str(post.body)
    assert not any(m.files for m in world.slack.messages_in(world.slack.dm_with(seat.admin)))
