"""Bad input: each gives a ValidationError naming the field and what to fix (a TypeError for
a float, a Conflict for a state that forbids the change) and stores nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from domain.errors import Conflict, ValidationError
from domain.invoices import LineInput
from domain.money import Money
from domain.ports import Env
from domain.practice import Practice
from domain.usecases.invoicing import (
    CreateInvoice,
    EditDraft,
    create_invoice,
    edit_draft,
)
from domain.usecases.payments import RecordPayment, record_manual_payment
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
    ConfigureReminders,
    CreatePractice,
    UpdateTaxRate,
    add_tax_rate,
    archive_tax_rate,
    configure_billing_details,
    configure_reminders,
    create_practice,
    update_tax_rate,
)
from factories import (
    ACTOR,
    a_client,
    a_line,
    a_practice,
    a_tax_rate,
    an_invoice,
    an_issued_invoice,
)
from fakes import FakeUnitOfWork


def errors_of(action: Callable[[], object]) -> dict[str, str]:
    with pytest.raises(ValidationError) as refused:
        action()
    return refused.value.errors


def new_invoice(
    practice: Practice, client_id: str, *lines: LineInput, **dates: date
) -> CreateInvoice:
    return CreateInvoice(practice.id, ACTOR, client_id, lines, **dates)  # type: ignore[arg-type]


def new_rate(practice: Practice, percent: str | Decimal, name: str = "VAT") -> AddTaxRate:
    return AddTaxRate(practice.id, ACTOR, name, percent)


def reminders(
    practice: Practice, offsets: str = "-3, 0, 7", send_time: str = "09:00"
) -> ConfigureReminders:
    return ConfigureReminders(practice.id, ACTOR, True, offsets, send_time)


def details(practice: Practice, **changes: str) -> ConfigureBillingDetails:
    fields = {"name": "Harbour Therapy", "currency": "USD", "time_zone": "UTC"}
    return ConfigureBillingDetails(practice.id, ACTOR, **{**fields, **changes})  # type: ignore[arg-type]


# -- floats -----------------------------------------------------------------------------------


def test_a_float_payment_amount_is_a_type_error_and_stores_nothing(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    invoice = an_issued_invoice(uow, env, practice)
    before = uow.committed

    with pytest.raises(TypeError, match="not a float"):
        record_manual_payment(
            RecordPayment(practice.id, ACTOR, invoice.id, 10.5, "cash"),  # type: ignore[arg-type]
            uow,
            env,
        )

    assert uow.committed == before


def test_a_float_service_price_is_a_type_error_and_stores_nothing(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    before = uow.committed

    with pytest.raises(TypeError, match="not a float"):
        add_service_type(
            AddServiceType(practice.id, ACTOR, "Session", 120.0),  # type: ignore[arg-type]
            uow,
            env,
        )

    assert uow.committed == before


def test_a_float_tax_percentage_is_a_type_error_and_stores_nothing(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    before = uow.committed

    with pytest.raises(TypeError, match="not a float"):
        add_tax_rate(new_rate(practice, 7.5), uow, env)  # type: ignore[arg-type]

    assert uow.committed == before


def test_a_float_quantity_is_a_type_error_and_stores_nothing(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    client = a_client(uow, env, practice)
    line = LineInput(date(2025, 3, 10), "Session", 1.5, Money.of("10.00", "USD"))  # type: ignore[arg-type]
    before = uow.committed

    with pytest.raises(TypeError, match="not a float"):
        create_invoice(new_invoice(practice, client.id, line), uow, env)

    assert uow.committed == before


# -- prices and quantities --------------------------------------------------------------------


def test_a_negative_service_price_is_refused(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    before = uow.committed

    errors = errors_of(
        lambda: add_service_type(AddServiceType(practice.id, ACTOR, "Session", "-5"), uow, env)
    )

    assert errors == {"default_price": "The price cannot be negative."}
    assert uow.committed == before


def test_a_negative_line_price_is_refused(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    client = a_client(uow, env, practice)
    before = uow.committed

    errors = errors_of(
        lambda: create_invoice(
            new_invoice(practice, client.id, a_line(practice, price="-5.00")), uow, env
        )
    )

    assert errors == {"lines.0.unit_price": "The price cannot be negative."}
    assert uow.committed == before


@pytest.mark.parametrize(
    ("quantity", "hint"),
    [("-1", "more than 0"), ("0", "more than 0"), ("1.0005", "at most 3 decimals")],
)
def test_a_quantity_that_is_not_positive_or_too_precise_is_refused(
    uow: FakeUnitOfWork, env: Env, quantity: str, hint: str
) -> None:
    practice = a_practice(uow, env)
    client = a_client(uow, env, practice)
    good, bad = a_line(practice), a_line(practice, quantity=quantity)
    before = uow.committed

    errors = errors_of(
        lambda: create_invoice(new_invoice(practice, client.id, good, bad), uow, env)
    )

    assert set(errors) == {"lines.1.quantity"}
    assert hint in errors["lines.1.quantity"]
    assert uow.committed == before


def test_a_line_in_another_currency_is_refused_naming_both(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env, currency="EUR")
    client = a_client(uow, env, practice)
    before = uow.committed

    errors = errors_of(
        lambda: create_invoice(
            new_invoice(practice, client.id, a_line(practice, currency="USD")), uow, env
        )
    )

    assert errors == {
        "lines.0.unit_price": "This invoice is in EUR; the price is in USD. "
        "Every line uses the invoice's currency."
    }
    assert uow.committed == before


# -- currency ---------------------------------------------------------------------------------


def test_an_unknown_currency_is_refused_when_installing(uow: FakeUnitOfWork, env: Env) -> None:
    errors = errors_of(
        lambda: create_practice(CreatePractice("T0NEW", "Harbour", ACTOR, "XYZ"), uow, env)
    )

    assert set(errors) == {"currency"}
    assert "'XYZ' is not a currency code" in errors["currency"]
    assert "USD, EUR or GBP" in errors["currency"]
    assert uow.committed.practices == {}


def test_an_unknown_currency_is_refused_in_billing_details(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    before = uow.committed

    errors = errors_of(
        lambda: configure_billing_details(details(practice, currency="Dollars"), uow, env)
    )

    assert set(errors) == {"currency"}
    assert "three-letter ISO 4217 code" in errors["currency"]
    assert uow.committed == before


def test_the_currency_cannot_change_once_invoices_exist(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env, currency="USD")
    an_invoice(uow, env, practice)
    before = uow.committed

    errors = errors_of(
        lambda: configure_billing_details(details(practice, currency="EUR"), uow, env)
    )

    assert set(errors) == {"currency"}
    assert "stays USD" in errors["currency"]
    assert uow.committed == before


# -- tax rates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "hint"),
    [
        ("100.5", "between 0 and 100 %"),
        ("-1", "between 0 and 100 %"),
        ("7.12345", "at most 4 decimals"),
        ("abc", "'abc' is not a number"),
        ("", "Enter a number"),
    ],
)
def test_a_bad_tax_percentage_is_refused(
    uow: FakeUnitOfWork, env: Env, percent: str, hint: str
) -> None:
    practice = a_practice(uow, env)
    before = uow.committed

    errors = errors_of(lambda: add_tax_rate(new_rate(practice, percent), uow, env))

    assert set(errors) == {"percent"}
    assert hint in errors["percent"]
    assert uow.committed == before


def test_a_percentage_typed_as_a_decimal_with_too_many_places_is_refused(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    before = uow.committed

    errors = errors_of(lambda: add_tax_rate(new_rate(practice, Decimal("7.12345")), uow, env))

    assert set(errors) == {"percent"}
    assert uow.committed == before


def test_a_tax_rate_named_like_another_in_other_case_is_refused(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    a_tax_rate(uow, env, practice, name="VAT")
    before = uow.committed

    errors = errors_of(lambda: add_tax_rate(new_rate(practice, "5", name=" vat "), uow, env))

    assert errors == {"name": "There is already a tax rate called 'VAT'. Pick another name."}
    assert uow.committed == before


def test_renaming_a_tax_rate_to_anothers_name_is_refused(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    a_tax_rate(uow, env, practice, name="VAT")
    reduced = a_tax_rate(uow, env, practice, name="Reduced", percent="5")
    before = uow.committed

    errors = errors_of(
        lambda: update_tax_rate(UpdateTaxRate(practice.id, ACTOR, reduced.id, "Vat", "5"), uow, env)
    )

    assert set(errors) == {"name"}
    assert uow.committed == before


def test_archiving_the_default_tax_rate_is_a_conflict(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    default = a_tax_rate(uow, env, practice, name="VAT")
    before = uow.committed

    with pytest.raises(Conflict, match="'VAT' is the default tax rate"):
        archive_tax_rate(practice.id, default.id, ACTOR, uow, env)

    assert uow.committed == before


# -- dates and lines --------------------------------------------------------------------------


def test_a_due_date_before_the_issue_date_is_refused(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    client = a_client(uow, env, practice)
    command = new_invoice(
        practice,
        client.id,
        a_line(practice),
        issue_date=date(2025, 3, 14),
        due_date=date(2025, 3, 13),
    )
    before = uow.committed

    errors = errors_of(lambda: create_invoice(command, uow, env))

    assert errors == {
        "due_date": "The due date (2025-03-13) is before the issue date (2025-03-14). "
        "Pick the issue date or a later day."
    }
    assert uow.committed == before


def test_a_draft_edited_to_be_due_before_it_is_issued_is_refused(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    draft = an_invoice(uow, env, practice)
    before = uow.committed

    errors = errors_of(
        lambda: edit_draft(
            EditDraft(
                practice.id,
                ACTOR,
                draft.id,
                draft.version,
                draft.client_id,
                date(2025, 3, 14),
                date(2025, 3, 1),
                (a_line(practice),),
            ),
            uow,
            env,
        )
    )

    assert set(errors) == {"due_date"}
    assert uow.committed == before


def test_an_invoice_with_no_lines_is_refused(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    client = a_client(uow, env, practice)
    before = uow.committed

    errors = errors_of(lambda: create_invoice(new_invoice(practice, client.id), uow, env))

    assert errors == {"lines": "Add at least one line: date, service, price."}
    assert uow.committed == before


def test_an_invoice_for_nobody_is_refused(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    before = uow.committed

    errors = errors_of(
        lambda: create_invoice(
            CreateInvoice(practice.id, ACTOR, None, (a_line(practice),)), uow, env
        )
    )

    assert errors == {"client": "Pick the client this invoice is for."}
    assert uow.committed == before


# -- clients ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "hint"),
    [
        ("ada@", "There must be something after the @-sign"),
        ("ada@clinic", "It should have a period"),
        ("ada.example.com", "must have an @-sign"),
        ("", "Enter the client's e-mail address"),
    ],
)
def test_an_email_without_a_domain_is_refused(
    uow: FakeUnitOfWork, env: Env, email: str, hint: str
) -> None:
    practice = a_practice(uow, env)
    before = uow.committed

    errors = errors_of(
        lambda: add_client(AddClient(practice.id, ACTOR, ClientDetails("Ada", email)), uow, env)
    )

    assert set(errors) == {"email"}
    assert hint in errors["email"]
    assert uow.committed == before


@pytest.mark.parametrize(
    ("phone", "hint"),
    [
        ("call me", "Include the country code"),
        ("12345", "Include the country code"),
        ("+1 555", "Check the digits and the country code"),
    ],
)
def test_a_phone_that_is_not_a_phone_number_is_refused(
    uow: FakeUnitOfWork, env: Env, phone: str, hint: str
) -> None:
    practice = a_practice(uow, env)
    client = ClientDetails("Ada", "ada@example.com", phone=phone)
    before = uow.committed

    errors = errors_of(lambda: add_client(AddClient(practice.id, ACTOR, client), uow, env))

    assert set(errors) == {"phone"}
    assert hint in errors["phone"]
    assert uow.committed == before


def test_a_client_without_a_name_is_refused(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    before = uow.committed

    errors = errors_of(
        lambda: add_client(
            AddClient(practice.id, ACTOR, ClientDetails("  ", "ada@example.com")), uow, env
        )
    )

    assert errors == {"name": "Enter the client's name."}
    assert uow.committed == before


# -- reminders --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offsets", "hint"),
    [
        ("-400, 0", "-400 days is too far from the due date; use -365 to 365"),
        ("0, 366", "366 days is too far"),
        ("-3, 0, x", "'x' is not a whole number of days. Write the schedule like -3, 0, 7"),
        ("1,2,3,4,5,6,7,8,9,10,11", "at most 10 reminders; this one has 11"),
    ],
)
def test_a_bad_reminder_schedule_is_refused(
    uow: FakeUnitOfWork, env: Env, offsets: str, hint: str
) -> None:
    practice = a_practice(uow, env)
    before = uow.committed

    errors = errors_of(lambda: configure_reminders(reminders(practice, offsets), uow, env))

    assert set(errors) == {"offsets"}
    assert hint in errors["offsets"]
    assert uow.committed == before


def test_reminder_offsets_given_as_numbers_obey_the_same_limits(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    command = ConfigureReminders(practice.id, ACTOR, True, (0, 400), "09:00")
    before = uow.committed

    errors = errors_of(lambda: configure_reminders(command, uow, env))

    assert set(errors) == {"offsets"}
    assert uow.committed == before


@pytest.mark.parametrize("send_time", ["25:00", "9am", "12:60", ""])
def test_a_send_time_that_is_not_a_time_of_day_is_refused(
    uow: FakeUnitOfWork, env: Env, send_time: str
) -> None:
    practice = a_practice(uow, env)
    before = uow.committed

    errors = errors_of(
        lambda: configure_reminders(reminders(practice, send_time=send_time), uow, env)
    )

    assert set(errors) == {"send_time"}
    assert "Use HH:MM, e.g. 09:00" in errors["send_time"]
    assert uow.committed == before


# -- the practice's name ----------------------------------------------------------------------


def test_an_empty_practice_name_is_refused_when_installing(uow: FakeUnitOfWork, env: Env) -> None:
    errors = errors_of(lambda: create_practice(CreatePractice("T0NEW", "   ", ACTOR), uow, env))

    assert errors == {"name": "Enter the practice name."}
    assert uow.committed.practices == {}


def test_an_empty_practice_name_is_refused_in_billing_details(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    before = uow.committed

    errors = errors_of(lambda: configure_billing_details(details(practice, name=""), uow, env))

    assert errors == {"name": "Enter the practice name."}
    assert uow.committed == before
