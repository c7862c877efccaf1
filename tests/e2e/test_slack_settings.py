"""Walking every settings modal as a billing admin does, from ``/billing`` or the Home tab, then
the staff commands ``/invoice``, ``/client`` and ``/appointment`` (on SQLite: one server for
the module, a practice of its own for each test)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from slack_app_fixture import (
    BACKGROUND_TIMEOUT,
    Seat,
    SlackWorld,
    a_png,
    answer_text,
    assert_channel_posts_keep_privacy,
    channel_posts,
    initial_values,
    reply_text,
    view_text,
)

from bot import (
    appointments,
    billing_details,
    clients,
    invoice_settings,
    reminders,
    roles,
    services,
    tax_rates,
)
from bot.home import (
    OPEN_BILLING_DETAILS,
    OPEN_INVOICE_SETTINGS,
    OPEN_REMINDERS,
    OPEN_ROLES,
    OPEN_SERVICES,
    OPEN_TAX_RATES,
)
from bot.hub import USAGE
from domain.clients import Client
from domain.invoices import Invoice, LineInput
from domain.money import Money
from domain.roles import Role
from domain.services import ServiceType
from domain.usecases.access import SetRole, set_role
from domain.usecases.invoicing import CreateInvoice, create_invoice, issue_invoice
from domain.usecases.payments import RecordPayment, record_manual_payment
from domain.usecases.records import (
    AddClient,
    AddServiceType,
    ClientDetails,
    add_client,
    add_service_type,
)
from domain.usecases.settings import AddTaxRate, add_tax_rate
from helpers import wait_until
from sandbox.slack import User, View


def _button_in_home(home: View, action_id: str) -> bool:
    return any(
        element.get("action_id") == action_id
        for block in home.blocks
        for element in [block.get("accessory") or {}, *block.get("elements", [])]
    )


def _modals_of(world: SlackWorld, user: User) -> list[View]:
    """Every modal the app ever opened for `user`."""
    with world.slack.state.lock:
        return [
            v
            for v in world.slack.state.views.values()
            if v.user_id == user.id and v.type == "modal"
        ]


def _staff_member(world: SlackWorld, seat: Seat, name: str) -> User:
    """A colleague the practice's admin made billing staff."""
    person = world.slack.create_user(seat.workspace, name)
    practice_id = world.practice(seat.workspace).id
    set_role(SetRole(practice_id, seat.admin.id, person.id, Role.STAFF), world.uow(), world.env)
    return person


def _client(world: SlackWorld, seat: Seat, name: str, email: str) -> Client:
    """A client the practice's admin added."""
    details = ClientDetails(name, email)
    practice_id = world.practice(seat.workspace).id
    return add_client(AddClient(practice_id, seat.admin.id, details), world.uow(), world.env)


def _service(world: SlackWorld, seat: Seat, name: str, price: str) -> ServiceType:
    """A service the practice's admin added."""
    practice_id = world.practice(seat.workspace).id
    command = AddServiceType(practice_id, seat.admin.id, name, price)
    return add_service_type(command, world.uow(), world.env)


def _rate_rows(view: View) -> dict[str, str]:
    """The tax rates a modal lists: ``{row text: rate id}``."""
    return {
        block["text"]["text"]: block["block_id"].removeprefix(tax_rates.RATE_BLOCK_PREFIX)
        for block in view.blocks
        if str(block.get("block_id", "")).startswith(tax_rates.RATE_BLOCK_PREFIX)
    }


def _rate_id(view: View, name: str) -> str:
    [found] = [rate for text, rate in _rate_rows(view).items() if f"*{name}*" in text]
    return found


# -- billing details ---------------------------------------------------------------------


def test_billing_details_saved_from_home_show_when_the_modal_reopens(world: SlackWorld) -> None:
    seat = world.new_practice("Willow Counselling")
    home = world.open_home(seat.admin)
    details = world.slack.driver.block_action(OPEN_BILLING_DETAILS, view=home).opened_view()
    before = world.publishes_for(seat.admin)

    saved = world.slack.driver.submit_view(
        details,
        {
            "name": "Willow Counselling Ltd",
            "currency": "gbp",
            "time_zone": "Europe/London",
            "address_line1": "3 Mill Lane",
            "city": "Leeds",
            "postal_code": "LS1 4AP",
            "country": "gb",
            "licence_number": "BACP-0042",
        },
    )

    assert saved.status == 200
    assert saved.response_action is None
    refreshed = world.wait_for_home_refresh(seat.admin, before)
    assert "Willow Counselling Ltd" in view_text(refreshed)
    reopened = world.slack.driver.block_action(OPEN_BILLING_DETAILS, view=refreshed).opened_view()
    assert initial_values(reopened) == {
        "name": "Willow Counselling Ltd",
        "currency": "GBP",
        "time_zone": "Europe/London",
        # The number format followed the new currency and country: nobody picked another.
        "locale": "en_GB",
        "address_line1": "3 Mill Lane",
        "city": "Leeds",
        "postal_code": "LS1 4AP",
        "country": "GB",
        "licence_number": "BACP-0042",
        "privacy_mode": [billing_details.PRIVACY_ON],
    }
    assert world.practice(seat.workspace).privacy_mode


def test_choosing_a_billing_channel_makes_the_app_join_it_and_post_there(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Cedar Physio")
    billing = world.slack.create_channel(seat.workspace, "billing", members=[seat.admin])
    details = world.open_setting(seat.admin, OPEN_BILLING_DETAILS, channel=seat.general)

    world.slack.driver.submit_view(details, {"billing_channel": billing})

    wait_until(
        lambda: world.slack.messages_in(billing),
        BACKGROUND_TIMEOUT,
        what="the app's first post in #billing",
    )
    [joined] = world.slack.calls("conversations.join", workspace=seat.workspace)
    assert joined.args["channel"] == billing.id and joined.ok
    assert world.slack.installation(seat.workspace).bot_user_id in billing.members
    [hello] = world.slack.messages_in(billing)
    assert "invoice updates" in hello.text
    assert world.practice(seat.workspace).billing_channel_id == billing.id
    reopened = world.open_setting(seat.admin, OPEN_BILLING_DETAILS, channel=seat.general)
    assert initial_values(reopened)["billing_channel"] == billing.id


def test_a_private_billing_channel_gets_instructions_to_invite_the_app(world: SlackWorld) -> None:
    seat = world.new_practice("Birch Psychology")
    private = world.slack.create_channel(
        seat.workspace, "billing-private", private=True, members=[seat.admin]
    )
    details = world.open_setting(seat.admin, OPEN_BILLING_DETAILS, channel=seat.general)

    world.slack.driver.submit_view(details, {"billing_channel": private})

    dm = world.slack.dm_with(seat.admin)
    [advice] = wait_until(
        lambda: world.slack.messages_in(dm), BACKGROUND_TIMEOUT, what="the app's advice by DM"
    )
    assert "/invite @Billing Bot" in advice.text
    assert world.slack.messages_in(private) == []
    assert world.practice(seat.workspace).billing_channel_id == private.id


# -- tax rates ---------------------------------------------------------------------------


def test_tax_rates_are_added_made_default_renamed_and_archived(world: SlackWorld) -> None:
    seat = world.new_practice("Aspen Therapy")
    driver = world.slack.driver
    rates = world.open_setting(seat.admin, OPEN_TAX_RATES, channel=seat.general)

    first = driver.submit_view(rates, {"name": "VAT", "percent": "19"})
    second = driver.submit_view(rates, {"name": "Reduced VAT", "percent": "7"})
    reduced, vat = _rate_id(rates, "Reduced VAT"), _rate_id(rates, "VAT")
    old_hash = rates.hash
    driver.block_action(
        tax_rates.RATE_MENU,
        view=rates,
        value=f"{tax_rates.SET_DEFAULT}:{reduced}",
        block_id=f"{tax_rates.RATE_BLOCK_PREFIX}{reduced}",
    )
    world.wait_for_update(rates, old_hash)
    edit = driver.block_action(
        tax_rates.RATE_MENU,
        view=rates,
        value=f"{tax_rates.EDIT}:{reduced}",
        block_id=f"{tax_rates.RATE_BLOCK_PREFIX}{reduced}",
    ).opened_view()
    old_hash = rates.hash
    renamed = driver.submit_view(edit, {"name": "Books VAT"})
    world.wait_for_update(rates, old_hash)
    old_hash = rates.hash
    driver.block_action(
        tax_rates.RATE_MENU,
        view=rates,
        value=f"{tax_rates.ARCHIVE}:{vat}",
        block_id=f"{tax_rates.RATE_BLOCK_PREFIX}{vat}",
    )
    world.wait_for_update(rates, old_hash)

    assert first.response_action == second.response_action == "update"
    assert renamed.response_action is None
    assert list(_rate_rows(rates)) == ["*Books VAT* · 7 % · _default_"]
    practice = world.practice(seat.workspace)
    with world.uow() as uow:
        stored = {
            rate.name: (rate.percent, rate.is_archived)
            for rate in uow.tax_rates.list(practice.id, include_archived=True)
        }
    assert stored == {"Books VAT": (Decimal("7"), False), "VAT": (Decimal("19"), True)}
    assert practice.default_tax_rate_id == reduced
    reopened = world.open_setting(seat.admin, OPEN_TAX_RATES, channel=seat.general)
    assert list(_rate_rows(reopened)) == ["*Books VAT* · 7 % · _default_"]


def _entered(view: View) -> dict[str, object]:
    """What the user has typed or picked in the modal's inputs, by action id."""
    return {
        action: next(iter(value for key, value in state.items() if key != "type"), None)
        for actions in view.values.values()
        for action, state in actions.items()
    }


def test_an_add_form_comes_back_empty_after_an_add_and_keeps_its_text_after_an_error(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Birch Counselling")
    cy = world.slack.create_user(seat.workspace, "cy")
    driver = world.slack.driver
    rates = world.open_setting(seat.admin, OPEN_TAX_RATES, channel=seat.general)
    refused = driver.submit_view(rates, {tax_rates.NAME: "VAT", tax_rates.PERCENT: "abc"})
    kept_after_error = _entered(rates)
    driver.submit_view(rates, {tax_rates.PERCENT: "19"})
    after_rate = _entered(rates)
    services_form = world.open_setting(seat.admin, OPEN_SERVICES, channel=seat.general)
    driver.submit_view(services_form, {services.NAME: "Intake", services.DEFAULT_PRICE: "90"})
    after_service = _entered(services_form)
    roles_form = driver.block_action(OPEN_ROLES, view=world.open_home(seat.admin)).opened_view()
    driver.submit_view(roles_form, {roles.USER: cy, roles.ROLE: Role.STAFF.value})
    after_role = _entered(roles_form)

    assert refused.response_action == "errors"
    assert kept_after_error == {tax_rates.NAME: "VAT", tax_rates.PERCENT: "abc"}
    assert "*VAT* · 19 %" in view_text(rates)
    assert after_rate == after_service == after_role == {}
    assert "*Intake* · $90.00" in view_text(services_form)
    assert f"<@{cy.id}> · Billing staff" in view_text(roles_form)


# -- invoice settings --------------------------------------------------------------------


def test_invoice_settings_are_saved_with_a_png_logo_uploaded_through_slack(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Maple Speech Therapy")
    logo = a_png(16, 16)
    upload = world.slack.host_file(seat.admin, "maple-logo.png", logo)
    form = world.open_setting(seat.admin, OPEN_INVOICE_SETTINGS, channel=seat.general)

    saved = world.slack.driver.submit_view(
        form,
        {
            "template": "modern",
            "theme": "forest",
            "logo": upload,
            "details": "Registered with the HCPC",
            "payment_terms_days": "30",
            "footer": "Thank you",
            "number_prefix": "MST-",
        },
    )

    assert saved.errors == {}
    settings = world.practice(seat.workspace).invoice_settings
    assert settings.logo_ref is not None
    with world.uow() as uow:
        stored_logo = uow.logos.get(world.practice(seat.workspace).id, settings.logo_ref)
    assert stored_logo is not None
    assert (stored_logo.content_type, stored_logo.content) == ("image/png", logo)
    reopened = world.open_setting(seat.admin, OPEN_INVOICE_SETTINGS, channel=seat.general)
    assert initial_values(reopened) == {
        "template": "modern",
        "theme": "forest",
        "details": "Registered with the HCPC",
        "payment_terms_days": "30",
        "footer": "Thank you",
        "number_prefix": "MST-",
    }
    assert invoice_settings.REMOVE_LOGO in {block.get("block_id") for block in reopened.blocks}
    assert "MST-0042" in view_text(reopened)


# -- reminders ---------------------------------------------------------------------------


def test_reminders_are_turned_on_with_a_schedule_and_a_send_time(world: SlackWorld) -> None:
    seat = world.new_practice("Rowan Clinic")
    form = world.open_setting(seat.admin, OPEN_REMINDERS, channel=seat.general)

    saved = world.slack.driver.submit_view(
        form,
        {
            reminders.ENABLED: [reminders.ENABLED_ON],
            reminders.OFFSETS: "-3, 0, 7",
            reminders.SEND_TIME: "08:30",
        },
    )

    assert saved.errors == {}
    policy = world.practice(seat.workspace).reminder_policy
    assert (policy.enabled, policy.offsets, f"{policy.send_time:%H:%M}") == (
        True,
        (-3, 0, 7),
        "08:30",
    )
    reopened = world.open_setting(seat.admin, OPEN_REMINDERS, channel=seat.general)
    shown = initial_values(reopened)
    assert {key: shown[key] for key in (reminders.ENABLED, reminders.OFFSETS)} == {
        reminders.ENABLED: [reminders.ENABLED_ON],
        reminders.OFFSETS: "-3, 0, 7",
    }
    assert shown[reminders.SEND_TIME] == "08:30"
    assert (
        "3 days before the due date, on the due date, 7 days after, at 08:30 (Europe/Berlin)"
        in view_text(reopened)
    )


# -- services ----------------------------------------------------------------------------


def test_a_service_is_added_with_a_default_price_and_tax_rate(world: SlackWorld) -> None:
    seat = world.new_practice("Hazel Psychotherapy")
    practice = world.practice(seat.workspace)
    rate = add_tax_rate(
        AddTaxRate(practice.id, seat.admin.id, "Sales tax", "8.5"), world.uow(), world.env
    )
    form = world.open_setting(seat.admin, OPEN_SERVICES, channel=seat.general)

    added = world.slack.driver.submit_view(
        form,
        {
            services.NAME: "Family session",
            services.DEFAULT_PRICE: "140.00",
            services.DEFAULT_TAX_RATE: rate.id,
        },
    )

    assert added.response_action == "update"
    assert "*Family session* · $140.00 · Sales tax (8.5 %)" in view_text(form)
    with world.uow() as uow:
        [stored] = uow.service_types.list(practice.id)
    assert (stored.name, stored.default_price.format("en_US"), stored.default_tax_rate_id) == (
        "Family session",
        "$140.00",
        rate.id,
    )


# -- roles and the staff commands --------------------------------------------------------


def test_granted_staff_can_invoice_but_are_sent_to_the_admins_for_settings(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Linden Therapy")
    cy = world.slack.create_user(seat.workspace, "cy", real_name="Cy Young")
    home = world.open_home(seat.admin)
    form = world.slack.driver.block_action(OPEN_ROLES, view=home).opened_view()

    granted = world.slack.driver.submit_view(form, {roles.USER: cy, roles.ROLE: Role.STAFF.value})
    invoice = world.slack.driver.slash_command(cy, "/invoice", channel=seat.general)
    settings = world.slack.driver.slash_command(cy, "/billing", channel=seat.general)

    assert granted.response_action == "update"
    assert f"<@{cy.id}> · Billing staff" in view_text(form)
    with world.uow() as uow:
        member = uow.members.get(world.practice(seat.workspace).id, cy.id)
    assert member is not None and member.role is Role.STAFF
    assert invoice.status == 200
    assert "No invoices yet." in reply_text(invoice)
    assert settings.status == 200
    refusal = reply_text(settings)
    assert "billing admin" in refusal and f"<@{seat.admin.id}>" in refusal
    assert world.slack.ephemeral_messages_for(cy)[-1].text == refusal
    assert not _modals_of(world, cy)


def test_invoice_and_home_show_what_is_owed_received_and_the_latest_invoices(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Birch Counselling")
    practice = world.practice(seat.workspace)
    env, admin = world.env, seat.admin.id
    ada = _client(world, seat, "Ada <Lovelace>", "ada@example.com")
    today = env.today_at(practice)

    def issued(due: date) -> Invoice:
        on = today - timedelta(days=40)
        line = LineInput(on, "Session", Decimal(1), Money.of("100.00", "USD"), None)
        command = CreateInvoice(practice.id, admin, ada.id, (line,), on, due)
        draft = create_invoice(command, world.uow(), env)
        return issue_invoice(practice.id, draft.id, admin, world.uow(), env)

    def pay(invoice: Invoice, amount: str) -> None:
        command = RecordPayment(practice.id, admin, invoice.id, amount, "cash")
        record_manual_payment(command, world.uow(), env)

    issued(today - timedelta(days=1))  # overdue, nothing paid
    pay(issued(today + timedelta(days=30)), "40.00")
    pay(issued(today + timedelta(days=30)), "100.00")
    first, second, third = (f"INV-000{n}" for n in (1, 2, 3))

    command = world.slack.driver.slash_command(seat.admin, "/invoice", channel=seat.general)
    summary = answer_text(command)
    home = view_text(world.open_home(seat.admin))

    assert "*Outstanding* $160.00 (2) · *Overdue* $100.00 (1) · *Paid this month* $140.00" in (
        summary
    )
    rows = [line for line in summary.splitlines() if line.startswith("*INV-")]
    due, later = today - timedelta(days=1), today + timedelta(days=30)
    assert rows == [
        f"*{third}* · Ada &lt;Lovelace&gt; · $100.00 · Paid",
        f"*{second}* · Ada &lt;Lovelace&gt; · $100.00 · Partially paid · $60.00 left to pay"
        f" · due {later.day} {later:%b %Y}",
        f"*{first}* · Ada &lt;Lovelace&gt; · $100.00 · Open · due {due.day} {due:%b %Y}",
    ]
    for shown in ("*Outstanding*\n$160.00 (2)", "*Overdue*\n$100.00 (1)", "$140.00", *rows):
        assert shown in home


def test_someone_without_a_role_is_told_who_the_admins_are(world: SlackWorld) -> None:
    seat = world.new_practice("Elm Psychiatry")
    dee = world.slack.create_user(seat.workspace, "dee")

    answer = world.slack.driver.slash_command(dee, "/invoice", channel=seat.general)
    home = world.open_home(dee)

    assert f"<@{seat.admin.id}>" in reply_text(answer)
    assert "billing staff" in reply_text(answer)
    assert f"<@{seat.admin.id}>" in view_text(home)
    assert not _button_in_home(home, OPEN_BILLING_DETAILS)


def test_billing_help_and_unknown_words_reply_with_usage(world: SlackWorld) -> None:
    seat = world.new_practice("Oak Wellness")

    helped = world.slack.driver.slash_command(seat.admin, "/billing", "help", channel=seat.general)
    puzzled = world.slack.driver.slash_command(
        seat.admin, "/billing", "frobnicate now", channel=seat.general
    )

    assert helped.status == puzzled.status == 200
    assert reply_text(helped) == reply_text(puzzled) == USAGE
    assert not _modals_of(world, seat.admin)


def test_staff_add_a_client_with_slash_client(world: SlackWorld) -> None:
    seat = world.new_practice("Poplar Counselling")
    front_desk = _staff_member(world, seat, "fran")
    form = world.slack.driver.slash_command(
        front_desk, "/client", channel=seat.general
    ).opened_view()

    added = world.slack.driver.submit_view(
        form,
        {clients.NAME: "Marisol Quenby", clients.EMAIL: "marisol.quenby@example.org"},
    )

    assert added.response_action == "update"
    shown = added.current_view()
    assert shown is not None and shown.title == "Client added"
    with world.uow() as uow:
        [stored] = uow.clients.list(world.practice(seat.workspace).id)
    assert (stored.name, stored.email) == ("Marisol Quenby", "marisol.quenby@example.org")


def test_staff_schedule_an_appointment_with_slash_appointment(world: SlackWorld) -> None:
    seat = world.new_practice("Spruce Physiotherapy")
    practice = world.practice(seat.workspace)
    client = _client(world, seat, "Tobias Wrenfield", "tobias@example.net")
    service = _service(world, seat, "Sports massage", "65")
    clinician = _staff_member(world, seat, "gus")
    day = date.today() + timedelta(days=3)
    form = world.slack.driver.slash_command(
        clinician, "/appointment", channel=seat.general
    ).opened_view()

    scheduled = world.slack.driver.submit_view(
        form,
        {
            appointments.CLIENT: client.id,
            appointments.SERVICE: service.id,
            appointments.DATE: day,
            appointments.START_TIME: "10:15",
            appointments.DURATION: "50",
        },
    )

    assert scheduled.response_action == "update"
    with world.uow() as uow:
        [stored] = uow.appointments.list(practice.id)
    assert stored.client_id == client.id and stored.service_type_id == service.id
    assert stored.start == datetime(
        day.year, day.month, day.day, 10, 15, tzinfo=ZoneInfo("Europe/Berlin")
    )
    assert stored.clinician == clinician.id


def test_a_practice_with_over_100_clients_finds_any_of_them_by_typing(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Rowan Family Practice")
    practice = world.practice(seat.workspace)
    for number in range(appointments.MAX_OPTIONS):
        _client(world, seat, f"Client {number:03}", f"client{number}@example.net")
    zed = _client(world, seat, "Zed Quarrington", "zq@example.org")
    service = _service(world, seat, "Family session", "90")
    clinician = _staff_member(world, seat, "hal")
    outsider = world.slack.create_user(seat.workspace, "ivy")
    form = world.slack.driver.slash_command(
        clinician, "/appointment", channel=seat.general
    ).opened_view()
    opened_with = view_text(form)

    by_name = world.slack.driver.suggest(form, appointments.CLIENT, "quarr")
    by_email = world.slack.driver.suggest(form, appointments.CLIENT, "ZQ@")
    everyone = world.slack.driver.suggest(form, appointments.CLIENT, "client")
    nobody = world.slack.driver.suggest(form, appointments.CLIENT, "nobody by this name")
    not_staff = world.slack.driver.suggest(form, appointments.CLIENT, "quarr", user=outsider)
    scheduled = world.slack.driver.submit_view(
        form,
        {
            appointments.CLIENT: by_name[0],
            appointments.SERVICE: service.id,
            appointments.DATE: date.today() + timedelta(days=1),
            appointments.START_TIME: "09:00",
            appointments.DURATION: "60",
        },
    )

    assert "Type part of a name or e-mail to find one of the 101 clients." in opened_with
    assert [o["text"]["text"] for o in by_name] == ["Zed Quarrington (zq@example.org)"]
    assert [o["value"] for o in by_email] == [zed.id]
    assert len(everyone) == appointments.MAX_OPTIONS  # all Slack can list of the 101
    assert nobody == [] and not_staff == []
    assert scheduled.response_action == "update"
    with world.uow() as uow:
        [stored] = uow.appointments.list(practice.id)
    assert stored.client_id == zed.id


# -- what the app asks Slack -------------------------------------------------------------


def test_requests_are_authorized_from_the_installation_store_without_asking_slack(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Quince Clinic")
    asked = len(world.slack.calls("auth.test"))

    world.open_setting(seat.admin, OPEN_REMINDERS, channel=seat.general)
    world.open_home(seat.admin)
    world.slack.driver.slash_command(seat.admin, "/invoice", channel=seat.general)

    assert len(world.slack.calls("auth.test")) == asked
    # Bolt's OAuth flow asks once per install, for the bot's id; nothing else asks.
    assert asked == len(world.install_windows)


# -- privacy -----------------------------------------------------------------------------


def test_no_channel_post_of_this_run_shows_a_client_a_service_or_an_email(
    world: SlackWorld,
) -> None:
    posted = channel_posts(world.slack)

    assert_channel_posts_keep_privacy(world.slack, world.engine)

    assert posted, "the run posted nothing to a channel, so the check proved nothing"
