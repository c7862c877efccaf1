"""Creating invoices in the new-invoice modal and acting on them from their card, over HTTP
against the real server (on SQLite: one server for the module, a practice of its own for each
test): lines added and removed in place, totals from the domain, the card posted to the billing
channel and updated in place, re-posted when its message is gone, privacy of the channel copy,
and another practice's invoice out of reach of a crafted payload."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from slack_app_fixture import (
    BACKGROUND_TIMEOUT,
    Seat,
    SlackWorld,
    assert_channel_posts_keep_privacy,
    reply_text,
    view_text,
)

from bot import appointments, invoice_form
from bot.home import NEW_INVOICE
from bot.invoice_card import DETAILS, EDIT, HISTORY, ISSUE, RECORD_PAYMENT, VOID
from bot.invoices import PAY_AMOUNT, USAGE, VOID_REASON
from domain.clients import Client
from domain.invoices import Invoice, InvoiceStatus
from domain.ports import InvoiceFilter
from domain.practice import TaxRate, format_percent
from domain.services import ServiceType
from domain.usecases.records import (
    AddClient,
    AddServiceType,
    ClientDetails,
    add_client,
    add_service_type,
)
from domain.usecases.settings import (
    AddTaxRate,
    ConfigureBillingDetails,
    add_tax_rate,
    configure_billing_details,
)
from helpers import wait_until
from sandbox.slack import Channel, Message, View


@dataclass(frozen=True)
class Practice:
    """A practice ready to invoice: a client, a service with a taxed price, a billing channel."""

    seat: Seat
    client: Client
    service: ServiceType
    rate: TaxRate
    billing: Channel


def _ready(world: SlackWorld, name: str) -> Practice:
    seat = world.new_practice(name)
    practice = world.practice(seat.workspace)
    admin = seat.admin.id
    billing = world.slack.create_channel(seat.workspace, "billing", members=[seat.admin])
    world.slack.invite_bot(billing)
    configure_billing_details(
        ConfigureBillingDetails(
            practice.id,
            admin,
            practice.billing.name,
            practice.currency.code,
            practice.billing.time_zone,
            billing_channel_id=billing.id,
        ),
        world.uow(),
        world.env,
    )
    rate = add_tax_rate(AddTaxRate(practice.id, admin, "VAT", "20"), world.uow(), world.env)
    service = add_service_type(
        AddServiceType(practice.id, admin, "Couples therapy", "120", rate.id),
        world.uow(),
        world.env,
    )
    client = add_client(
        AddClient(practice.id, admin, ClientDetails("Grace Hopper", "grace@example.org")),
        world.uow(),
        world.env,
    )
    return Practice(seat, client, service, rate, billing)


def _open_form(world: SlackWorld, p: Practice, text: str = "new Grace") -> View:
    command = world.slack.driver.slash_command(
        p.seat.admin, "/invoice", text, channel=p.seat.general
    )
    assert command.status == 200
    return world.opened_view(command)


def _act(world: SlackWorld, view: View, action_id: str, **kwargs: Any) -> View:
    """A click in the modal, and the modal once the app has updated it."""
    before = view.hash
    answer = world.slack.driver.block_action(action_id, view=view, **kwargs)
    assert answer.status == 200
    return world.wait_for_update(view, before)


def _add_service_line(world: SlackWorld, view: View, p: Practice) -> View:
    _act(world, view, invoice_form.LINE_SERVICE, value=p.service.id)
    return _act(world, view, invoice_form.ADD_LINE)


def _line_count(view: View) -> int:
    return sum(
        1
        for block in view.blocks
        if (block.get("accessory") or {}).get("action_id") == invoice_form.REMOVE_LINE
    )


def _totals(view: View) -> str:
    block = next(b for b in view.blocks if b.get("block_id") == invoice_form.TOTALS)
    return str(block["text"]["text"])


def _invoices(world: SlackWorld, p: Practice) -> list[Invoice]:
    practice = world.practice(p.seat.workspace)
    with world.uow() as uow:
        return uow.invoices.find(practice.id, InvoiceFilter())


def _card(world: SlackWorld, p: Practice, invoice: Invoice) -> Message:
    def posted() -> Message | None:
        return next(
            (
                m
                for m in world.slack.messages_in(p.billing)
                if not m.deleted and f"Invoice {invoice.number}" in m.text
            ),
            None,
        )

    return wait_until(posted, BACKGROUND_TIMEOUT, what=f"the card of {invoice.number}")


def _card_says(world: SlackWorld, card: Message, wanted: str) -> Message:
    wait_until(lambda: wanted in card.text, BACKGROUND_TIMEOUT, what=f"the card to say {wanted}")
    return card


def _create(world: SlackWorld, p: Practice, *, create_as: str) -> Invoice:
    view = _open_form(world, p)
    _add_service_line(world, view, p)
    submitted = world.slack.driver.submit_view(view, {invoice_form.CREATE_AS: create_as})
    assert submitted.status == 200 and submitted.response_action == "update"
    return _invoices(world, p)[0]


# -- the modal ---------------------------------------------------------------------------------


def test_picking_a_service_fills_in_its_price_and_tax_and_add_line_shows_the_running_totals(
    world: SlackWorld,
) -> None:
    p = _ready(world, "Totals Clinic")
    view = _open_form(world, p)

    _act(world, view, invoice_form.LINE_SERVICE, value=p.service.id)
    filled = {
        (b.get("element") or {}).get("action_id"): b["element"]
        for b in view.blocks
        if b.get("element")
    }
    _act(world, view, invoice_form.ADD_LINE)

    assert filled[invoice_form.LINE_PRICE]["initial_value"] == "120.00"
    assert filled[invoice_form.LINE_TAX]["initial_option"]["value"] == p.rate.id
    assert _line_count(view) == 1
    assert "Couples therapy" in view_text(view)
    vat = format_percent(Decimal(20))
    assert _totals(view) == f"Subtotal: $120.00\nVAT {vat} on $120.00: $24.00\n*Total: $144.00*"


def test_an_invoice_created_as_a_draft_posts_its_card_to_the_billing_channel(
    world: SlackWorld,
) -> None:
    p = _ready(world, "Draft Clinic")

    invoice = _create(world, p, create_as=invoice_form.AS_DRAFT)

    assert invoice.status is InvoiceStatus.DRAFT
    assert invoice.total.amount == Decimal("144.00")
    assert invoice.client_id == p.client.id
    card = _card(world, p, invoice)
    shown = str(card.blocks)
    assert "G.H." in shown and "Draft" in card.text
    assert "Grace" not in shown and "Couples therapy" not in shown
    actions = {e["action_id"] for b in card.blocks for e in b.get("elements", [])}
    assert {EDIT, ISSUE, VOID, DETAILS, HISTORY} <= actions and RECORD_PAYMENT not in actions
    assert_channel_posts_keep_privacy(world.slack, world.engine)


def test_an_invoice_created_as_issued_is_open_and_its_card_offers_record_payment(
    world: SlackWorld,
) -> None:
    p = _ready(world, "Issued Clinic")

    invoice = _create(world, p, create_as=invoice_form.AS_ISSUED)

    assert invoice.status is InvoiceStatus.OPEN
    card = _card(world, p, invoice)
    actions = {e["action_id"] for b in card.blocks for e in b.get("elements", [])}
    assert RECORD_PAYMENT in actions and ISSUE not in actions and EDIT not in actions


def test_remove_line_takes_the_line_out_and_the_totals_follow(world: SlackWorld) -> None:
    p = _ready(world, "Remove Clinic")
    view = _open_form(world, p)
    _add_service_line(world, view, p)
    _add_service_line(world, view, p)
    assert _line_count(view) == 2 and "288.00" in _totals(view)

    _act(world, view, invoice_form.REMOVE_LINE, block_id=f"{invoice_form.LINE_BLOCK}.0")

    assert _line_count(view) == 1
    assert "144.00" in _totals(view) and "288.00" not in _totals(view)


def test_a_stale_update_is_refused_by_its_hash_rather_than_overwriting_the_newer_view(
    world: SlackWorld,
) -> None:
    p = _ready(world, "Hash Clinic")
    view = _open_form(world, p)
    _add_service_line(world, view, p)
    stale = dict(view.definition)
    stale_hash = view.hash
    _add_service_line(world, view, p)  # the view moved on: two lines now

    with world.slack.state.lock:
        newest = view.definition
        view.definition, newer_hash = stale, view.hash
        view.hash = stale_hash
    # A click sent from the older view, whose hash Slack no longer has.
    answer = world.slack.driver.block_action(
        invoice_form.REMOVE_LINE, view=view, block_id=f"{invoice_form.LINE_BLOCK}.0"
    )
    with world.slack.state.lock:
        view.definition, view.hash = newest, newer_hash
    assert answer.status == 200

    refused = wait_until(
        lambda: [
            c
            for c in world.slack.calls("views.update")
            if not c.ok and c.response.get("error") == "hash_conflict"
        ],
        BACKGROUND_TIMEOUT,
        what="the stale views.update to be refused",
    )
    assert refused
    assert _line_count(view) == 2


def test_a_51st_line_is_refused_with_a_message_in_the_modal(world: SlackWorld) -> None:
    p = _ready(world, "Fifty Clinic")
    view = _open_form(world, p)
    for _ in range(invoice_form.MAX_LINES):
        world.slack.driver.fill(
            view, {invoice_form.LINE_DESCRIPTION: "Session", invoice_form.LINE_PRICE: "10"}
        )
        _act(world, view, invoice_form.ADD_LINE)
    assert _line_count(view) == 50

    world.slack.driver.fill(
        view, {invoice_form.LINE_DESCRIPTION: "One too many", invoice_form.LINE_PRICE: "10"}
    )
    _act(world, view, invoice_form.ADD_LINE)

    assert _line_count(view) == 50
    assert "at most 50 lines" in view_text(view)
    assert len(view.blocks) <= 100


def test_a_due_date_before_the_issue_date_is_refused_on_the_due_date(world: SlackWorld) -> None:
    p = _ready(world, "Dates Clinic")
    view = _open_form(world, p)
    _add_service_line(world, view, p)
    before = world.rows()

    submitted = world.slack.driver.submit_view(
        view,
        {
            invoice_form.ISSUE_DATE: date(2026, 12, 10),
            invoice_form.DUE_DATE: date(2026, 12, 1),
        },
    )

    assert submitted.response_action == "errors"
    assert set(submitted.errors) == {invoice_form.DUE_DATE}
    assert "before the issue date" in submitted.errors[invoice_form.DUE_DATE]
    assert world.rows() == before


def test_a_form_line_with_a_bad_price_is_refused_under_the_price(world: SlackWorld) -> None:
    p = _ready(world, "Price Clinic")
    view = _open_form(world, p)

    submitted = world.slack.driver.submit_view(
        view, {invoice_form.LINE_DESCRIPTION: "Session", invoice_form.LINE_PRICE: "12,5"}
    )

    assert submitted.response_action == "errors"
    assert list(submitted.input_errors) == [invoice_form.LINE_PRICE]
    assert (
        "Type the price as 1,250.00 or 1250.00" in submitted.input_errors[invoice_form.LINE_PRICE]
    )
    assert _invoices(world, p) == []


def test_new_invoice_on_the_home_tab_opens_the_form(world: SlackWorld) -> None:
    p = _ready(world, "Home Clinic")
    home = world.open_home(p.seat.admin)

    opened = world.opened_view(world.slack.driver.block_action(NEW_INVOICE, view=home))

    assert opened.callback_id == invoice_form.CALLBACK_ID


def test_invoice_with_words_it_does_not_take_answers_usage(world: SlackWorld) -> None:
    p = _ready(world, "Usage Clinic")
    say = world.slack.driver.slash_command

    odd = say(p.seat.admin, "/invoice", "please do", channel=p.seat.general)
    unknown = say(p.seat.admin, "/invoice", "INV-9999", channel=p.seat.general)

    assert reply_text(odd) == USAGE
    assert "No invoice is numbered" in reply_text(unknown)


# -- the card ----------------------------------------------------------------------------------


def test_issue_on_the_card_updates_the_same_message_in_place(world: SlackWorld) -> None:
    p = _ready(world, "Issue Clinic")
    invoice = _create(world, p, create_as=invoice_form.AS_DRAFT)
    card = _card(world, p, invoice)

    world.slack.driver.block_action(ISSUE, message=card, user=p.seat.admin)

    _card_says(world, card, "Open")
    assert card.edited_ts is not None
    assert [m.ts for m in world.slack.messages_in(p.billing) if "Invoice" in m.text] == [card.ts]
    assert _invoices(world, p)[0].status is InvoiceStatus.OPEN


def test_void_asks_a_reason_and_updates_the_card(world: SlackWorld) -> None:
    p = _ready(world, "Void Clinic")
    invoice = _create(world, p, create_as=invoice_form.AS_ISSUED)
    card = _card(world, p, invoice)

    form = world.opened_view(world.slack.driver.block_action(VOID, message=card, user=p.seat.admin))
    done = world.slack.driver.submit_view(form, {VOID_REASON: "Made for Grace by mistake"})

    assert done.response_action == "update"
    _card_says(world, card, "Void")
    stored = _invoices(world, p)[0]
    assert stored.status is InvoiceStatus.VOID
    assert stored.void_reason == "Made for Grace by mistake"
    assert "mistake" not in str(card.blocks)


def test_a_partial_payment_leaves_it_partially_paid_and_the_card_shows_the_balance(
    world: SlackWorld,
) -> None:
    p = _ready(world, "Payment Clinic")
    invoice = _create(world, p, create_as=invoice_form.AS_ISSUED)
    card = _card(world, p, invoice)

    form = world.opened_view(
        world.slack.driver.block_action(RECORD_PAYMENT, message=card, user=p.seat.admin)
    )
    prefilled = next(b for b in form.blocks if b.get("block_id") == PAY_AMOUNT)
    done = world.slack.driver.submit_view(form, {PAY_AMOUNT: "44.00"})

    assert prefilled["element"]["initial_value"] == "144.00"
    assert done.response_action == "update"
    _card_says(world, card, "Partially paid")
    assert "100.00" in str(card.blocks)
    assert _invoices(world, p)[0].status is InvoiceStatus.PARTIALLY_PAID


def test_a_card_whose_message_was_deleted_is_posted_again_on_the_next_change(
    world: SlackWorld,
) -> None:
    p = _ready(world, "Deleted Clinic")
    invoice = _create(world, p, create_as=invoice_form.AS_DRAFT)
    card = _card(world, p, invoice)
    clicked_from = Message(**{**card.__dict__})
    with world.slack.state.lock:
        card.deleted = True

    world.slack.driver.block_action(ISSUE, message=clicked_from, user=p.seat.admin)

    again = wait_until(
        lambda: next(
            (
                m
                for m in world.slack.messages_in(p.billing)
                if not m.deleted and m.ts != card.ts and "Open" in m.text
            ),
            None,
        ),
        BACKGROUND_TIMEOUT,
        what="the card to be posted again",
    )
    assert f"Invoice {invoice.number}" in again.text


def test_the_card_goes_to_the_creators_dm_when_no_billing_channel_is_set(
    world: SlackWorld,
) -> None:
    p = _ready(world, "No Channel Clinic")
    practice = world.practice(p.seat.workspace)
    configure_billing_details(
        ConfigureBillingDetails(
            practice.id,
            p.seat.admin.id,
            practice.billing.name,
            practice.currency.code,
            practice.billing.time_zone,
        ),
        world.uow(),
        world.env,
    )

    invoice = _create(world, p, create_as=invoice_form.AS_DRAFT)

    dm = world.slack.dm_with(p.seat.admin)
    wait_until(
        lambda: any(f"Invoice {invoice.number}" in m.text for m in world.slack.messages_in(dm)),
        BACKGROUND_TIMEOUT,
        what="the card in the creator's DM",
    )


def test_invoice_number_shows_the_invoice_only_to_the_caller_with_its_actions(
    world: SlackWorld,
) -> None:
    p = _ready(world, "Lookup Clinic")
    invoice = _create(world, p, create_as=invoice_form.AS_ISSUED)

    answer = world.slack.driver.slash_command(
        p.seat.admin, "/invoice", invoice.number.lower(), channel=p.seat.general
    )

    shown = answer.response.text
    assert "Grace Hopper" in shown and RECORD_PAYMENT in shown
    assert not [m for m in world.slack.messages_in(p.seat.general) if "Grace" in m.text]


def test_details_open_the_whole_invoice_in_a_modal(world: SlackWorld) -> None:
    p = _ready(world, "Details Clinic")
    invoice = _create(world, p, create_as=invoice_form.AS_DRAFT)
    card = _card(world, p, invoice)

    details = world.opened_view(
        world.slack.driver.block_action(DETAILS, message=card, user=p.seat.admin)
    )

    text = view_text(details)
    assert "Grace Hopper" in text and "Couples therapy" in text
    assert f"VAT {format_percent(Decimal(20))} on $120.00: $24.00" in text


# -- tenancy -----------------------------------------------------------------------------------


def _crafted(card: Message, invoice_id: str) -> Message:
    """A copy of `card` whose buttons carry `invoice_id`: what a forged click would send."""
    blocks = [
        {**b, "elements": [{**e, "value": invoice_id} for e in b.get("elements", [])]}
        for b in card.blocks
    ]
    return Message(**{**card.__dict__, "blocks": blocks})


def test_a_crafted_click_or_submission_carrying_another_practices_invoice_changes_nothing(
    world: SlackWorld,
) -> None:
    victim = _ready(world, "Victim Clinic")
    target = _create(world, victim, create_as=invoice_form.AS_DRAFT)
    attacker = _ready(world, "Attacker Clinic")
    draft_card = _card(world, attacker, _create(world, attacker, create_as=invoice_form.AS_DRAFT))
    open_card = _card(world, attacker, _create(world, attacker, create_as=invoice_form.AS_ISSUED))
    own_void = world.opened_view(
        world.slack.driver.block_action(VOID, message=open_card, user=attacker.seat.admin)
    )
    before = world.rows()
    click = world.slack.driver.block_action

    with world.slack.state.lock:
        own_void.definition["private_metadata"] = target.id
    submitted = world.slack.driver.submit_view(own_void, {VOID_REASON: "crafted"})
    clicked = [
        *(
            click(action_id, message=_crafted(draft_card, target.id), user=attacker.seat.admin)
            for action_id in (ISSUE, EDIT)
        ),
        *(
            click(action_id, message=_crafted(open_card, target.id), user=attacker.seat.admin)
            for action_id in (DETAILS, HISTORY, RECORD_PAYMENT, VOID)
        ),
    ]

    assert all(c.status == 200 for c in clicked)
    notices = [view_text(world.opened_view(c)) for c in clicked]
    assert all("No invoice" in notice for notice in notices), notices
    assert not any("Grace" in notice or target.number in notice for notice in notices)
    assert submitted.response_action == "update"
    assert "No invoice" in reply_text(submitted)
    assert world.rows() == before
    with world.uow() as uow:
        stored = uow.invoices.get(target.practice_id, target.id)
    assert stored is not None and stored.status is InvoiceStatus.DRAFT


def test_due_date_defaults_from_the_payment_terms(world: SlackWorld) -> None:
    p = _ready(world, "Terms Clinic")
    practice = world.practice(p.seat.workspace)

    view = _open_form(world, p)

    picked = {
        b["block_id"]: b["element"].get("initial_date")
        for b in view.blocks
        if b.get("block_id") in (invoice_form.ISSUE_DATE, invoice_form.DUE_DATE)
    }
    issued = date.fromisoformat(picked[invoice_form.ISSUE_DATE])
    terms = timedelta(days=practice.invoice_settings.payment_terms_days)
    assert date.fromisoformat(picked[invoice_form.DUE_DATE]) == issued + terms


# -- from an appointment -----------------------------------------------------------------------


def test_an_appointment_invoiced_from_two_open_forms_gets_one_invoice_and_a_clear_refusal(
    fresh_world: SlackWorld,
) -> None:
    """On SQLite and PostgreSQL: the database holds an appointment on one invoice."""
    world = fresh_world
    p = _ready(world, "Appointment Clinic")
    form = world.slack.driver.slash_command(
        p.seat.admin, "/appointment", channel=p.seat.general
    ).opened_view()
    scheduled = world.slack.driver.submit_view(
        form,
        {
            appointments.CLIENT: p.client.id,
            appointments.SERVICE: p.service.id,
            appointments.DATE: date.today() - timedelta(days=1),
            appointments.START_TIME: "10:15",
            appointments.DURATION: "50",
        },
    )
    notice = scheduled.current_view()
    assert notice is not None
    # A double click: two new-invoice forms for the same appointment.
    first = world.opened_view(
        world.slack.driver.block_action(appointments.CREATE_INVOICE, view=notice)
    )
    second = world.opened_view(
        world.slack.driver.block_action(appointments.CREATE_INVOICE, view=notice)
    )
    assert _line_count(first) == 1 and "Couples therapy" in view_text(first)

    created = world.slack.driver.submit_view(second)
    world.slack.driver.close_view(created.current_view() or second)
    refused = world.slack.driver.submit_view(first)

    [invoice] = _invoices(world, p)
    assert invoice.client_id == p.client.id and len(invoice.appointment_ids) == 1
    assert refused.response_action == "update"
    assert f"already invoiced on invoice {invoice.number}" in reply_text(refused)
    again = world.opened_view(
        world.slack.driver.block_action(appointments.CREATE_INVOICE, view=notice)
    )
    assert f"already invoiced on invoice {invoice.number}" in view_text(again)


def test_edit_on_a_drafts_card_changes_its_lines_and_the_card_follows(world: SlackWorld) -> None:
    p = _ready(world, "Edit Clinic")
    invoice = _create(world, p, create_as=invoice_form.AS_DRAFT)
    card = _card(world, p, invoice)

    form = world.opened_view(world.slack.driver.block_action(EDIT, message=card, user=p.seat.admin))
    assert form.definition["title"]["text"] == f"Edit {invoice.number}" and _line_count(form) == 1
    _add_service_line(world, form, p)
    saved = world.slack.driver.submit_view(form)

    assert saved.response_action == "update"
    wait_until(lambda: "$288.00" in str(card.blocks), BACKGROUND_TIMEOUT, what="the new total")
    [stored] = _invoices(world, p)
    assert stored.id == invoice.id and len(stored.lines) == 2
    assert stored.status is InvoiceStatus.DRAFT and stored.total.amount == Decimal("288.00")


def test_history_shows_who_created_and_issued_the_invoice(world: SlackWorld) -> None:
    p = _ready(world, "History Clinic")
    invoice = _create(world, p, create_as=invoice_form.AS_DRAFT)
    card = _card(world, p, invoice)
    world.slack.driver.block_action(ISSUE, message=card, user=p.seat.admin)
    _card_says(world, card, "Open")

    history = world.opened_view(
        world.slack.driver.block_action(HISTORY, message=card, user=p.seat.admin)
    )

    shown = view_text(history)
    assert "*Created*" in shown and "*Issued*" in shown
    assert shown.index("Created") < shown.index("Issued")


def test_a_billing_channel_the_app_was_not_invited_to_is_joined_for_the_card(
    world: SlackWorld,
) -> None:
    p = _ready(world, "Uninvited Clinic")
    practice = world.practice(p.seat.workspace)
    accounts = world.slack.create_channel(p.seat.workspace, "accounts", members=[p.seat.admin])
    configure_billing_details(
        ConfigureBillingDetails(
            practice.id,
            p.seat.admin.id,
            practice.billing.name,
            practice.currency.code,
            practice.billing.time_zone,
            billing_channel_id=accounts.id,
        ),
        world.uow(),
        world.env,
    )

    invoice = _create(world, p, create_as=invoice_form.AS_DRAFT)

    wait_until(
        lambda: any(
            f"Invoice {invoice.number}" in m.text for m in world.slack.messages_in(accounts)
        ),
        BACKGROUND_TIMEOUT,
        what="the card in the channel the app joined",
    )


def test_a_german_practice_types_line_prices_as_it_writes_numbers(world: SlackWorld) -> None:
    seat = world.new_practice("Praxis am See")
    practice = world.practice(seat.workspace)
    admin = seat.admin.id
    configure_billing_details(
        ConfigureBillingDetails(
            practice.id, admin, practice.billing.name, "EUR", "Europe/Berlin", country="DE"
        ),
        world.uow(),
        world.env,
    )
    service = add_service_type(
        AddServiceType(practice.id, admin, "Einzelsitzung", "89,50"), world.uow(), world.env
    )
    add_client(
        AddClient(practice.id, admin, ClientDetails("Grace Hopper", "grace@example.org")),
        world.uow(),
        world.env,
    )
    command = world.slack.driver.slash_command(
        seat.admin, "/invoice", "new Grace", channel=seat.general
    )
    view = world.opened_view(command)

    _act(world, view, invoice_form.LINE_SERVICE, value=service.id)
    prefilled = next(
        b["element"]
        for b in view.blocks
        if (b.get("element") or {}).get("action_id") == invoice_form.LINE_PRICE
    )
    _act(world, view, invoice_form.ADD_LINE)
    created = world.slack.driver.submit_view(
        view, {invoice_form.LINE_DESCRIPTION: "Bericht", invoice_form.LINE_PRICE: "1.250,00"}
    )

    assert prefilled["initial_value"] == "89,50"
    assert created.status == 200 and created.response_action != "errors"
    with world.uow() as uow:
        [invoice] = uow.invoices.find(practice.id, InvoiceFilter())
    assert invoice.total.amount == Decimal("1339.50")
