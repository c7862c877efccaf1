"""The settings, client and appointment modals: pure view functions that Slack would accept,
showing what is saved, with block ids that line up with each module's field map."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from slack_sdk.models.views import View

from bot import (
    appointments,
    clients,
    invoice_settings,
    reminders,
    roles,
    services,
    tax_rates,
)
from domain.clients import Client
from domain.ids import ClientId, PracticeId, ServiceTypeId, TaxRateId
from domain.money import Currency, Money
from domain.practice import (
    Address,
    BillingDetails,
    InvoiceSettings,
    InvoiceTemplate,
    InvoiceTheme,
    Practice,
    ReminderPolicy,
    TaxRate,
)
from domain.roles import Member, Role
from domain.services import ServiceType

PRACTICE = PracticeId("p-1")
NOW = datetime(2025, 3, 14, 15, 0, tzinfo=UTC)


def a_practice_with(policy: ReminderPolicy, zone: str = "Europe/London") -> Practice:
    return Practice(
        PRACTICE,
        "T0PRACTICE",
        BillingDetails("Calm Minds", Currency("USD"), Address(), zone),
        reminder_policy=policy,
    )


def a_rate(name: str, percent: str, rate_id: str = "", archived: bool = False) -> TaxRate:
    return TaxRate(
        TaxRateId(rate_id or f"rate-{name.lower()}"),
        PRACTICE,
        name,
        Decimal(percent),
        NOW if archived else None,
    )


def a_service(
    name: str, price: str, rate: TaxRate | None = None, active: bool = True
) -> ServiceType:
    return ServiceType(
        ServiceTypeId(f"svc-{name.lower().replace(' ', '-')}"),
        PRACTICE,
        name,
        Money.of(price, "USD"),
        rate.id if rate else None,
        active,
    )


def a_client(name: str, email: str = "ada@example.com") -> Client:
    return Client(ClientId(f"cl-{name.lower().replace(' ', '-')}"), PRACTICE, name, email)


VAT = a_rate("VAT", "20")
REDUCED = a_rate("Reduced", "5.5")
OLD = a_rate("Old", "19", archived=True)
SESSION = a_service("Individual session", "120", VAT)


def every_modal() -> dict[str, Callable[[], View]]:
    return {
        "tax rates": lambda: tax_rates.tax_rates_modal([REDUCED, VAT], VAT.id, "A notice"),
        "tax rates, empty": lambda: tax_rates.tax_rates_modal([], None),
        "edit tax rate": lambda: tax_rates.edit_tax_rate_modal(VAT, "V0PARENT1"),
        "invoice settings": lambda: invoice_settings.invoice_settings_modal(InvoiceSettings()),
        "invoice settings, logo": lambda: invoice_settings.invoice_settings_modal(
            InvoiceSettings(logo_ref="logo-1")
        ),
        "reminders": lambda: reminders.reminders_modal(
            a_practice_with(ReminderPolicy()), today=date(2025, 3, 14)
        ),
        "services": lambda: services.services_modal(
            [SESSION, a_service("Intake", "80", active=False)],
            {rate.id: rate for rate in (VAT, REDUCED, OLD)},
            VAT.id,
            "USD",
            "A notice",
        ),
        "roles": lambda: roles.roles_modal(
            [Member(PRACTICE, "U0ADMIN01", Role.ADMIN, "system", NOW)], "Saved."
        ),
        "add client": lambda: clients.add_client_modal("US"),
        "schedule appointment": lambda: appointments.appointment_modal(
            [a_client("Ada Lovelace")],
            [SESSION],
            date(2025, 3, 14),
            "U0STAFF01",
            "UTC",
            locale="en_US",
        ),
    }


def blocks_of(view: View) -> list[dict[str, Any]]:
    return list(view.to_dict()["blocks"])


def block(view: View, block_id: str) -> dict[str, Any]:
    """The block `block_id`, or the input block whose element is `block_id`."""
    found = [
        b
        for b in blocks_of(view)
        if b.get("block_id") == block_id or (b.get("element") or {}).get("action_id") == block_id
    ]
    assert len(found) == 1, f"no single block {block_id!r}"
    return found[0]


def inputs(view: View) -> Iterator[dict[str, Any]]:
    return (b for b in blocks_of(view) if b["type"] == "input")


@pytest.mark.parametrize("name", list(every_modal()))
def test_every_modal_is_one_slack_accepts(name: str) -> None:
    view = every_modal()[name]()

    shown = view.to_dict()  # slack_sdk validates Block Kit's limits here

    assert shown["type"] == "modal"
    assert len(shown["title"]["text"]) <= 24
    assert len(shown["blocks"]) <= 100
    assert shown["callback_id"]


@pytest.mark.parametrize("name", list(every_modal()))
def test_every_input_block_is_named_after_its_element(name: str) -> None:
    view = every_modal()[name]()

    for input_block in inputs(view):
        action_id = input_block["element"]["action_id"]
        assert input_block["block_id"].partition(".")[0] == action_id


@pytest.mark.parametrize(
    ("module", "make"),
    [
        (tax_rates, "tax rates"),
        (invoice_settings, "invoice settings"),
        (reminders, "reminders"),
        (services, "services"),
        (roles, "roles"),
        (clients, "add client"),
        (appointments, "schedule appointment"),
    ],
)
def test_every_field_error_has_an_input_block_to_show_on(module: Any, make: str) -> None:
    view = every_modal()[make]()

    input_ids = {input_block["element"]["action_id"] for input_block in inputs(view)}

    assert set(module.BLOCK_FOR_FIELD.values()) <= input_ids


def test_the_edit_modal_uses_the_same_field_map_as_the_list() -> None:
    view = tax_rates.edit_tax_rate_modal(VAT, None)

    assert {b["block_id"] for b in inputs(view)} == set(tax_rates.BLOCK_FOR_FIELD.values())


# -- tax rates ----------------------------------------------------------------------------------


def test_tax_rates_list_marks_the_default_and_offers_no_default_for_it() -> None:
    view = tax_rates.tax_rates_modal([REDUCED, VAT], VAT.id)

    vat = block(view, f"tax_rate:{VAT.id}")
    reduced = block(view, f"tax_rate:{REDUCED.id}")

    assert "*VAT* · 20 % · _default_" in vat["text"]["text"]
    assert "default" not in reduced["text"]["text"]
    vat_choices = [o["value"] for o in vat["accessory"]["options"]]
    assert vat_choices == [f"edit:{VAT.id}", f"archive:{VAT.id}"]
    assert f"default:{REDUCED.id}" in [o["value"] for o in reduced["accessory"]["options"]]
    assert vat["accessory"]["action_id"] == tax_rates.RATE_MENU


def test_tax_rates_notice_is_shown_above_the_list() -> None:
    view = tax_rates.tax_rates_modal([VAT], VAT.id, "'VAT' is the default tax rate.")

    assert blocks_of(view)[0]["block_id"] == tax_rates.NOTICE
    assert "'VAT' is the default tax rate." in blocks_of(view)[0]["text"]["text"]


def test_tax_rate_names_from_people_cannot_mention_or_link() -> None:
    view = tax_rates.tax_rates_modal([a_rate("<!channel>", "1", "rate-1")], None)

    assert "<!channel>" not in str(view.to_dict())


def test_the_edit_modal_starts_with_the_saved_name_and_percent() -> None:
    view = tax_rates.edit_tax_rate_modal(REDUCED, "V0PARENT1")

    assert block(view, "name")["element"]["initial_value"] == "Reduced"
    assert block(view, "percent")["element"]["initial_value"] == "5.5 %"
    assert '"parent": "V0PARENT1"' in view.to_dict()["private_metadata"]


# -- invoice settings ---------------------------------------------------------------------------


def test_invoice_settings_show_what_is_saved() -> None:
    saved = InvoiceSettings(
        InvoiceTemplate.MODERN, InvoiceTheme.OCEAN, None, "Licence 42", 30, "Thanks!", "HT-"
    )

    view = invoice_settings.invoice_settings_modal(saved)

    assert block(view, "template")["element"]["initial_option"]["value"] == "modern"
    assert block(view, "theme")["element"]["initial_option"]["value"] == "ocean"
    assert block(view, "details")["element"]["initial_value"] == "Licence 42"
    assert block(view, "payment_terms_days")["element"]["initial_value"] == "30"
    assert block(view, "footer")["element"]["initial_value"] == "Thanks!"
    assert block(view, "number_prefix")["element"]["initial_value"] == "HT-"


def test_the_logo_is_a_single_image_file_input() -> None:
    view = invoice_settings.invoice_settings_modal(InvoiceSettings())

    element = block(view, "logo")["element"]

    assert element == {
        "type": "file_input",
        "action_id": "logo",
        "filetypes": ["png", "jpg", "jpeg", "svg"],
        "max_files": 1,
    }


def test_remove_logo_is_offered_only_when_there_is_a_logo() -> None:
    without = invoice_settings.invoice_settings_modal(InvoiceSettings())
    with_logo = invoice_settings.invoice_settings_modal(InvoiceSettings(logo_ref="logo-1"))

    assert "remove_logo" not in {b.get("block_id") for b in blocks_of(without)}
    assert block(with_logo, "remove_logo")["optional"] is True


# -- reminders ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offsets", "words"),
    [
        ((-3, 0, 7), "3 days before the due date, on the due date, 7 days after"),
        ((1,), "1 day after the due date"),
        ((-1, 14), "1 day before the due date, 14 days after"),
        ((0,), "on the due date"),
    ],
)
def test_a_schedule_is_described_in_words(offsets: tuple[int, ...], words: str) -> None:
    assert reminders.describe_offsets(offsets) == words


def test_reminders_show_the_saved_policy_and_what_it_means() -> None:
    policy = ReminderPolicy(
        enabled=True,
        offsets=(-3, 0, 7),
        send_time=time(8, 30),
        repeat_every_days=7,
        quiet_days=frozenset({5, 6}),
    )

    view = reminders.reminders_modal(a_practice_with(policy), today=date(2025, 3, 14))

    assert block(view, "enabled")["element"]["initial_options"][0]["value"] == "on"
    assert block(view, "offsets")["element"]["initial_value"] == "-3, 0, 7"
    assert block(view, "send_time")["element"]["initial_time"] == "08:30"
    assert block(view, reminders.REPEAT)["element"]["initial_value"] == "7"
    quiet = block(view, reminders.QUIET_DAYS)["element"]["initial_options"]
    assert [option["value"] for option in quiet] == ["5", "6"]
    schedule = block(view, reminders.SCHEDULE)["elements"][0]["text"]
    assert "3 days before the due date, on the due date, 7 days after" in schedule
    assert "08:30 (Europe/London), then every 7 days until paid" in schedule
    assert "none on Saturday, Sunday" in schedule
    # The example invoice is due Monday 24 March: its -3 step is a Friday.
    assert "An invoice due 24 Mar 2025 would be reminded on: 21 Mar 2025 (friendly" in schedule


def test_each_step_has_its_wording_and_a_preview_for_a_made_up_client() -> None:
    policy = ReminderPolicy(
        enabled=True,
        offsets=(-3, 0, 7),
        wordings=((7, "Dear {first_name}, {balance} of {invoice_number} is late: {pay_link}"),),
    )

    view = reminders.reminders_modal(a_practice_with(policy), today=date(2025, 3, 14))

    labels = [block(view, f"wording:{o}")["label"]["text"] for o in (-3, 0, 7)]
    assert labels == [
        "3 days before the due date · Friendly reminder",
        "On the due date · Due today",
        "7 days after the due date · Overdue",
    ]
    assert block(view, "wording:-3")["element"]["initial_value"].startswith(
        "Hi {first_name},\n\nA friendly reminder"
    )
    preview = block(view, "wording_preview:7")["elements"][0]["text"]
    assert "*Preview* · Invoice INV-0042 is overdue" in preview
    assert "> Dear Alex, $120.00 of INV-0042 is late: https://billing.example.com/pay/" in preview


def test_reminders_that_are_off_say_so() -> None:
    view = reminders.reminders_modal(
        a_practice_with(ReminderPolicy(enabled=False), "UTC"), today=date(2025, 3, 14)
    )

    assert "initial_options" not in block(view, "enabled")["element"]
    assert block(view, reminders.SCHEDULE)["elements"][0]["text"].startswith("Reminders are off")


# -- services -----------------------------------------------------------------------------------


def menu_values(row: dict[str, Any]) -> list[str]:
    return [option["value"] for option in row["accessory"]["options"]]


def test_services_show_price_tax_and_state_with_the_matching_menu() -> None:
    intake = a_service("Intake", "80", OLD, active=False)
    rates = {rate.id: rate for rate in (VAT, OLD)}

    view = services.services_modal([SESSION, intake], rates, None, "USD")

    session_row = block(view, f"service:{SESSION.id}")
    intake_row = block(view, f"service:{intake.id}")
    assert "*Individual session* · $120.00 · VAT (20 %)" in session_row["text"]["text"]
    assert session_row["accessory"]["action_id"] == services.SERVICE_MENU
    assert menu_values(session_row) == [f"edit:{SESSION.id}", f"deactivate:{SESSION.id}"]
    assert "Old (19 %) · _inactive_" in intake_row["text"]["text"]
    assert menu_values(intake_row) == [f"edit:{intake.id}", f"reactivate:{intake.id}"]


def test_a_german_practice_sees_its_services_and_edits_prices_the_german_way() -> None:
    rates = {rate.id: rate for rate in (VAT, OLD)}
    pricey = a_service("Gruppe", "1250.5", VAT)

    listed = services.services_modal([pricey], rates, None, "EUR", locale="de_DE")
    edit = services.edit_service_modal(pricey, rates, "V1", "de_DE")

    row = block(listed, f"service:{pricey.id}")
    assert "*Gruppe* · 1.250,50\xa0$ · VAT (20 %)" in row["text"]["text"]
    assert block(edit, services.DEFAULT_PRICE)["element"]["initial_value"] == "1250,50"
    assert block(edit, services.NAME)["element"]["initial_value"] == "Gruppe"
    assert block(edit, services.DEFAULT_TAX_RATE)["element"]["initial_option"]["value"] == VAT.id


def test_the_tax_choice_offers_no_tax_and_active_rates_and_starts_at_the_default() -> None:
    rates = {rate.id: rate for rate in (VAT, REDUCED, OLD)}

    view = services.services_modal([], rates, REDUCED.id, "USD")

    element = block(view, "default_tax_rate")["element"]
    assert [o["value"] for o in element["options"]] == ["none", VAT.id, REDUCED.id]
    assert element["initial_option"]["value"] == REDUCED.id


# -- roles, clients, appointments ---------------------------------------------------------------


def test_roles_list_each_member_with_their_role() -> None:
    members = [
        Member(PRACTICE, "U0ADMIN01", Role.ADMIN, "system", NOW),
        Member(PRACTICE, "U0STAFF01", Role.STAFF, "U0ADMIN01", NOW),
    ]

    view = roles.roles_modal(members)

    assert block(view, "member:U0ADMIN01")["text"]["text"] == "<@U0ADMIN01> · Billing admin"
    assert block(view, "member:U0STAFF01")["text"]["text"] == "<@U0STAFF01> · Billing staff"
    assert [o["value"] for o in block(view, "role")["element"]["options"]] == [
        "admin",
        "staff",
        "none",
    ]


def test_the_client_form_asks_for_an_email_and_starts_in_the_practices_country() -> None:
    view = clients.add_client_modal("GB")

    assert block(view, "email")["element"]["type"] == "email_text_input"
    assert block(view, "country")["element"]["initial_value"] == "GB"
    assert block(view, "notes")["element"]["multiline"] is True


def test_the_appointment_form_offers_clients_and_services_and_starts_today_with_the_user() -> None:
    long_name = "Maximiliana " + "Bartholomew-" * 8 + "Smith"

    view = appointments.appointment_modal(
        [a_client("Ada Lovelace"), a_client(long_name)],
        [SESSION],
        date(2025, 3, 14),
        "U0STAFF01",
        "America/New_York",
        locale="en_US",
    )

    client_options = block(view, "client")["element"]["options"]
    assert client_options[0]["text"]["text"] == "Ada Lovelace (ada@example.com)"
    assert len(client_options[1]["text"]["text"]) == 75
    assert block(view, "service_type")["element"]["options"][0]["text"]["text"] == (
        "Individual session · $120.00"
    )
    assert block(view, "date")["element"]["initial_date"] == "2025-03-14"
    assert block(view, "start_time")["element"]["type"] == "timepicker"
    assert block(view, "duration_minutes")["element"]["type"] == "number_input"
    assert block(view, "clinician")["element"]["initial_user"] == "U0STAFF01"
