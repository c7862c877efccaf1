"""`/client` as billing staff use it in Slack, over HTTP against the real server: finding a
client whatever the accents typed, the list page by page, a client's record with its
appointments and invoices, editing it (and an edit over someone else's change refused), and
that nothing of another practice is ever found or opened (on SQLite: one server for the
module, a practice of its own for each test)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from slack_app_fixture import (
    BACKGROUND_TIMEOUT,
    Seat,
    SlackWorld,
    answer_text,
    initial_values,
    message_text,
    reply_text,
    view_text,
)

from bot import appointments, clients, invoice_form
from domain.clients import Client
from domain.ids import ClientId
from domain.invoices import LineInput
from domain.money import Money
from domain.roles import Role
from domain.usecases.access import SetRole, set_role
from domain.usecases.invoicing import CreateInvoice, create_invoice, issue_invoice
from domain.usecases.payments import RecordPayment, record_manual_payment
from domain.usecases.records import (
    AddClient,
    AddServiceType,
    ClientDetails,
    EditClient,
    ScheduleAppointment,
    add_client,
    add_service_type,
    edit_client,
    schedule_appointment,
)
from sandbox.slack import Interaction, Message, User


def _staff_member(world: SlackWorld, seat: Seat, name: str) -> User:
    person = world.slack.create_user(seat.workspace, name)
    practice_id = world.practice(seat.workspace).id
    set_role(SetRole(practice_id, seat.admin.id, person.id, Role.STAFF), world.uow(), world.env)
    return person


def _client(world: SlackWorld, seat: Seat, name: str, email: str, **more: str) -> Client:
    details = ClientDetails(name, email, **more)
    practice_id = world.practice(seat.workspace).id
    return add_client(AddClient(practice_id, seat.admin.id, details), world.uow(), world.env)


def _ask(world: SlackWorld, user: User, seat: Seat, text: str) -> Interaction:
    asked = world.slack.driver.slash_command(user, "/client", text, channel=seat.general)
    assert asked.status == 200, asked.response.text
    return asked


def _last_shown_to(world: SlackWorld, user: User) -> Message:
    return world.slack.ephemeral_messages_for(user)[-1]


def _click(
    world: SlackWorld, user: User, message: Message, action_id: str, block_id: str | None = None
) -> Interaction:
    clicked = world.slack.driver.block_action(
        action_id, message=message, user=user, block_id=block_id
    )
    assert clicked.status == 200, clicked.response.text
    return clicked


def _row(client: Client) -> str:
    return f"{clients.CLIENT_ROW_PREFIX}{client.id}"


def _listed_names(message: Message) -> list[str]:
    return [
        block["text"]["text"].split("*")[1]
        for block in message.blocks
        if str(block.get("block_id", "")).startswith(clients.CLIENT_ROW_PREFIX)
    ]


def _buttons(message: Message) -> set[str]:
    return {
        element.get("action_id")
        for block in message.blocks
        for element in [block.get("accessory") or {}, *block.get("elements", [])]
        if element.get("type") == "button"
    }


def _craft(message: Message, action_id: str, value: str) -> None:
    """What an attacker sends: the button's payload carrying an id of their choosing."""
    for block in message.blocks:
        for element in [block.get("accessory") or {}, *block.get("elements", [])]:
            if element.get("action_id") == action_id:
                element["value"] = value


# -- finding ----------------------------------------------------------------------------


def test_a_client_is_found_without_typing_the_accents_and_only_the_caller_sees_it(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Willow Therapy")
    desk = _staff_member(world, seat, "desk")
    _client(world, seat, "Zoë Saldaña", "zoe.s@example.org")
    _client(world, seat, "Jürgen Müller", "j.mueller@praxis.example")

    by_zoe = _ask(world, desk, seat, "zoe")
    by_upper = _ask(world, desk, seat, "ZOE")
    by_muller = _ask(world, desk, seat, "muller")
    by_email = _ask(world, desk, seat, "PRAXIS.example")

    assert "Zoë Saldaña" in answer_text(by_zoe) and "zoe.s@example.org" in answer_text(by_zoe)
    assert "Zoë Saldaña" in answer_text(by_upper)
    assert "Jürgen Müller" in answer_text(by_muller)
    assert "Jürgen Müller" in answer_text(by_email)
    shown = world.slack.ephemeral_messages_for(desk)
    assert len(shown) == 4 and all(m.ephemeral_to == desk.id for m in shown)
    assert world.slack.messages_in(seat.general) == []


def test_percent_and_underscore_are_searched_for_as_typed(world: SlackWorld) -> None:
    seat = world.new_practice("Hazel Clinic")
    _client(world, seat, "Percy 100% Fit", "percy@example.com")
    _client(world, seat, "Una Derscore", "una_d@example.com")
    _client(world, seat, "Unaxd Other", "unaxd@example.com")

    percent = _ask(world, seat.admin, seat, "100%")
    underscore = _ask(world, seat.admin, seat, "una_d")

    assert "Percy 100% Fit" in answer_text(percent)
    assert "Una Derscore" in answer_text(underscore)
    assert "Unaxd Other" not in answer_text(underscore)


def test_a_search_matching_many_shows_the_best_says_how_many_more_and_opens_one(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Aspen Physio")
    for number in range(clients.MATCHES_SHOWN + 2):
        _client(world, seat, f"Sam Client {number:02d}", f"sam{number}@example.net")
    sam = _client(world, seat, "Sam", "sam@example.org")

    _ask(world, seat.admin, seat, "sam")
    found = _last_shown_to(world, seat.admin)
    opened = _click(world, seat.admin, found, clients.OPEN_CLIENT, _row(sam))
    opened.wait_for_posts(timeout=BACKGROUND_TIMEOUT)
    record = _last_shown_to(world, seat.admin)

    assert "13 clients" in message_text(found)
    assert _listed_names(found)[:2] == ["Sam", "Sam Client 00"]
    assert len(_listed_names(found)) == clients.MATCHES_SHOWN
    assert "…and 3 more" in message_text(found)
    assert record is not found and record.ephemeral_to == seat.admin.id
    assert "sam@example.org" in message_text(record)
    assert _buttons(record) == {
        clients.EDIT_CLIENT,
        clients.NEW_APPOINTMENT,
        clients.CREATE_INVOICE,
    }


def test_a_search_matching_nobody_offers_to_add_that_client(world: SlackWorld) -> None:
    seat = world.new_practice("Elm Counselling")
    _client(world, seat, "Ada Lovelace", "ada@example.com")

    asked = _ask(world, seat.admin, seat, "Quentin Blake")
    offer = _last_shown_to(world, seat.admin)
    form = world.opened_view(_click(world, seat.admin, offer, clients.ADD_CLIENT))

    assert "No client matches “Quentin Blake”." in answer_text(asked)
    assert form.callback_id == clients.CALLBACK_ID
    assert initial_values(form)[clients.NAME] == "Quentin Blake"


# -- the list ---------------------------------------------------------------------------


def test_the_list_pages_through_every_client_a_to_z_twenty_at_a_time(world: SlackWorld) -> None:
    seat = world.new_practice("Cedar Practice")
    for number in range(44):
        _client(world, seat, f"Client {number:02d}", f"c{number}@example.com")
    _client(world, seat, "Émile Zola", "ez@example.fr")

    _ask(world, seat.admin, seat, "list")
    listing = _last_shown_to(world, seat.admin)
    first = _listed_names(listing)
    pages = [first]
    for _ in range(2):
        clicked = _click(world, seat.admin, listing, clients.LIST_PAGE)
        clicked.wait_for_posts(timeout=BACKGROUND_TIMEOUT)
        pages.append(_listed_names(listing))

    assert [len(page) for page in pages] == [20, 20, 5]
    assert [name for page in pages for name in page] == [
        *(f"Client {n:02d}" for n in range(44)),
        "Émile Zola",
    ]
    assert "Clients 41–45 of 45" in message_text(listing)
    assert _buttons(listing) == {clients.OPEN_CLIENT, clients.LIST_PREVIOUS}
    assert len(world.slack.ephemeral_messages_for(seat.admin)) == 1  # paged in place


# -- the record -------------------------------------------------------------------------


def test_the_record_shows_appointments_with_their_invoice_and_what_is_owed(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Linden Therapy")
    practice = world.practice(seat.workspace)
    env, admin = world.env, seat.admin.id
    nadia = _client(
        world, seat, "Nadia Øberg", "nadia@example.org", phone="+4930123456", city="Berlin"
    )
    service = add_service_type(
        AddServiceType(practice.id, admin, "Couples session", "120"), world.uow(), env
    )
    now = env.clock.now()

    def appointment(days: int) -> str:
        command = ScheduleAppointment(
            practice.id, admin, nadia.id, service.id, now + timedelta(days=days), 50, admin
        )
        return schedule_appointment(command, world.uow(), env).id

    billed, _unbilled, _upcoming = appointment(-7), appointment(-3), appointment(5)
    on = env.today_at(practice) - timedelta(days=7)
    line = LineInput(on, "Session", Decimal(1), Money.of("120.00", "USD"), None, service.id, billed)
    draft = create_invoice(CreateInvoice(practice.id, admin, nadia.id, (line,)), world.uow(), env)
    invoice = issue_invoice(practice.id, draft.id, admin, world.uow(), env)
    paid = RecordPayment(practice.id, admin, invoice.id, "20.00", "cash")
    record_manual_payment(paid, world.uow(), env)

    asked = _ask(world, seat.admin, seat, "nadia")
    shown = message_text(_last_shown_to(world, seat.admin))

    assert asked.status == 200
    assert "Nadia Øberg" in shown and "nadia@example.org · +4930123456" in shown
    assert "*Open balance:* $100.00 on 1 unpaid invoice" in shown
    past = shown.split("*Past appointments*")[1].split("*Invoices*")[0]
    assert past.count("Couples session") == 2
    assert f"{invoice.number} partially paid, $100.00 left" in past
    assert "not invoiced" in past
    upcoming = shown.split("*Upcoming appointments*")[1].split("*Past appointments*")[0]
    assert upcoming.count("Couples session · not invoiced") == 1
    assert f"*{invoice.number}* · $120.00 · Partially paid · $100.00 left to pay" in shown


def test_a_member_without_a_billing_role_is_refused_and_told_whom_to_ask(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Maple Clinic")
    _client(world, seat, "Zoë Saldaña", "zoe@example.org")
    visitor = world.slack.create_user(seat.workspace, "vic")

    searched = _ask(world, visitor, seat, "zoe")
    listed = _ask(world, visitor, seat, "list")

    for refused in (searched, listed):
        assert "Zoë" not in reply_text(refused)
        assert f"<@{seat.admin.id}>" in reply_text(refused)


# -- editing ----------------------------------------------------------------------------


def test_edit_opens_the_form_filled_in_and_saves_the_change(world: SlackWorld) -> None:
    seat = world.new_practice("Rowan Therapy")
    desk = _staff_member(world, seat, "fay")
    kept = _client(world, seat, "Zoe Adams", "zoe@example.org", city="Leeds", country="GB")

    _ask(world, desk, seat, "zoe adams")
    form = world.opened_view(_click(world, desk, _last_shown_to(world, desk), clients.EDIT_CLIENT))
    opened_as = form.callback_id
    shown = initial_values(form)
    saved = world.slack.driver.submit_view(form, {clients.NAME: "Zoë Adams-Brook"})

    assert opened_as == clients.EDIT_CALLBACK_ID
    assert (shown[clients.NAME], shown[clients.EMAIL]) == ("Zoe Adams", "zoe@example.org")
    assert (shown[clients.CITY], shown[clients.COUNTRY]) == ("Leeds", "GB")
    current = saved.current_view()
    assert current is not None and current.title == "Client saved"
    with world.uow() as uow:
        stored = uow.clients.get(kept.practice_id, kept.id)
    assert stored is not None and (stored.name, stored.address.city) == ("Zoë Adams-Brook", "Leeds")
    assert "Zoë Adams-Brook" in answer_text(_ask(world, desk, seat, "zoe adams-BROOK"))


def test_an_edit_over_someone_elses_change_is_refused_saying_why(world: SlackWorld) -> None:
    seat = world.new_practice("Juniper Practice")
    desk = _staff_member(world, seat, "gil")
    kept = _client(world, seat, "Olga Petrova", "olga@example.org")
    _ask(world, desk, seat, "olga")
    form = world.opened_view(_click(world, desk, _last_shown_to(world, desk), clients.EDIT_CLIENT))
    # Meanwhile the admin changes the e-mail.
    edit_client(
        EditClient(
            kept.practice_id,
            seat.admin.id,
            kept.id,
            kept.version,
            ClientDetails("Olga Petrova", "olga.p@example.org"),
        ),
        world.uow(),
        world.env,
    )

    refused = world.slack.driver.submit_view(form, {clients.NAME: "Olga Petrova-Ivanova"})

    current = refused.current_view()
    assert current is not None and current.title == "Not saved"
    assert "changed" in view_text(current) and "meanwhile" in view_text(current)
    with world.uow() as uow:
        stored = uow.clients.get(kept.practice_id, kept.id)
    assert stored is not None
    assert (stored.name, stored.email) == ("Olga Petrova", "olga.p@example.org")


def test_new_appointment_opens_the_schedule_form_with_the_client_picked(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Alder Physio")
    practice = world.practice(seat.workspace)
    add_service_type(
        AddServiceType(practice.id, seat.admin.id, "Assessment", "80"), world.uow(), world.env
    )
    _client(world, seat, "Ada Lovelace", "ada@example.com")
    ivo = _client(world, seat, "Ivo Andrić", "ivo@example.org")

    _ask(world, seat.admin, seat, "andric")
    record = _last_shown_to(world, seat.admin)
    form = world.opened_view(_click(world, seat.admin, record, clients.NEW_APPOINTMENT))

    assert form.callback_id == appointments.CALLBACK_ID
    assert initial_values(form)[appointments.CLIENT] == ivo.id


def test_create_invoice_opens_the_new_invoice_form_with_the_client_chosen(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Rowan Counselling")
    _client(world, seat, "Ada Lovelace", "ada@example.com")
    ivo = _client(world, seat, "Ivo Andrić", "ivo@example.org")

    _ask(world, seat.admin, seat, "andric")
    record = _last_shown_to(world, seat.admin)
    form = world.opened_view(_click(world, seat.admin, record, clients.CREATE_INVOICE))

    assert form.callback_id == invoice_form.CALLBACK_ID
    assert initial_values(form)[invoice_form.CLIENT] == ivo.id


# -- another practice -------------------------------------------------------------------


def test_another_practices_client_is_never_found_or_opened_even_by_a_crafted_payload(
    world: SlackWorld,
) -> None:
    ours = world.new_practice("Poplar Health")
    theirs = world.new_practice("Sycamore Health", admin="sid", real_name="Sid Theirs")
    _client(world, ours, "Zoe Ours", "zoe@ours.example")
    other = _client(world, theirs, "Zoë Theirs", "zoe@theirs.example")

    found = answer_text(_ask(world, ours.admin, ours, "zoe"))
    listed = answer_text(_ask(world, ours.admin, ours, "list"))
    record = _last_shown_to(world, ours.admin)
    _ask(world, ours.admin, ours, "zoe ours")
    ours_record = _last_shown_to(world, ours.admin)
    posts_before = len(world.slack.response_posts())
    notices = []
    for action_id, message in (
        (clients.OPEN_CLIENT, record),
        (clients.EDIT_CLIENT, ours_record),
        (clients.NEW_APPOINTMENT, ours_record),
        (clients.CREATE_INVOICE, ours_record),
    ):
        _craft(message, action_id, other.id)
        clicked = _click(world, ours.admin, message, action_id)
        notices.append(view_text(world.opened_view(clicked)))

    assert "Theirs" not in found and "Theirs" not in listed
    for notice in notices:
        assert "No client" in notice and "Theirs" not in notice
    assert len(world.slack.response_posts()) == posts_before  # no record was sent


def test_an_edit_form_crafted_to_name_another_practices_client_changes_nothing(
    world: SlackWorld,
) -> None:
    ours = world.new_practice("Fir Clinic")
    theirs = world.new_practice("Spruce Clinic", admin="sue", real_name="Sue Theirs")
    _client(world, ours, "Lena Ours", "lena@ours.example")
    other = _client(world, theirs, "Lena Theirs", "lena@theirs.example")
    _ask(world, ours.admin, ours, "lena")
    form = world.opened_view(
        _click(world, ours.admin, _last_shown_to(world, ours.admin), clients.EDIT_CLIENT)
    )
    with world.slack.state.lock:
        form.definition["private_metadata"] = json.dumps(
            {"client": other.id, "version": other.version}
        )

    refused = world.slack.driver.submit_view(form, {clients.NAME: "Taken Over"})

    current = refused.current_view()
    assert current is not None and current.title == "Not saved"
    with world.uow() as uow:
        stored = uow.clients.get(other.practice_id, ClientId(other.id))
    assert stored == other
