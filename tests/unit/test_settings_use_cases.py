"""Configuring a practice: install, billing details, tax rates, invoice settings, reminders."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import pytest

from domain.errors import Conflict, NotFound, ValidationError
from domain.money import Currency
from domain.ports import Env
from domain.practice import InvoiceTemplate, InvoiceTheme
from domain.usecases.settings import (
    AddTaxRate,
    ConfigureBillingDetails,
    ConfigureInvoiceSettings,
    ConfigureReminders,
    CreatePractice,
    UpdateTaxRate,
    add_tax_rate,
    archive_tax_rate,
    configure_billing_details,
    configure_invoice_settings,
    configure_reminders,
    create_practice,
    set_default_tax_rate,
    update_tax_rate,
)
from factories import ACTOR, a_practice, a_service, a_tax_rate, an_invoice, an_issued_invoice
from fakes import FakeUnitOfWork


def billing(practice_id: str, **changes: str) -> ConfigureBillingDetails:
    fields = {"name": "Harbour Therapy", "currency": "USD", "time_zone": "America/New_York"}
    return ConfigureBillingDetails(practice_id, ACTOR, **{**fields, **changes})  # type: ignore[arg-type]


def invoice_settings(practice_id: str, **changes: str) -> ConfigureInvoiceSettings:
    fields = {
        "template": "modern",
        "theme": "ocean",
        "payment_terms_days": "30",
        "number_prefix": "HT-",
    }
    return ConfigureInvoiceSettings(practice_id, ACTOR, **{**fields, **changes})  # type: ignore[arg-type]


# -- installing -------------------------------------------------------------------------------


def test_installing_creates_a_practice_in_the_workspaces_currency_and_zone(
    uow: FakeUnitOfWork, env: Env
) -> None:
    command = CreatePractice("T0WORKSPACE", " Harbour Therapy ", ACTOR, " eur ", "Europe/Dublin")

    practice = create_practice(command, uow, env)

    with uow:
        assert uow.practices.for_workspace("T0WORKSPACE") == practice
        assert [e.action for e in uow.audit.for_subject(practice.id, practice.id)] == [
            "practice.created"
        ]
    assert practice.billing.name == "Harbour Therapy"
    assert practice.currency == Currency("EUR")
    assert practice.billing.time_zone == "Europe/Dublin"


def test_installing_again_returns_the_existing_practice_untouched(
    uow: FakeUnitOfWork, env: Env
) -> None:
    first = create_practice(CreatePractice("T0WORKSPACE", "Harbour", ACTOR), uow, env)
    before = uow.committed

    again = create_practice(CreatePractice("T0WORKSPACE", "Other name", ACTOR, "GBP"), uow, env)

    assert again == first
    assert uow.committed == before


# -- billing details --------------------------------------------------------------------------


def test_billing_details_are_saved_trimmed_and_normalised(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)

    saved = configure_billing_details(
        billing(
            practice.id,
            name=" Harbour Therapy LLC ",
            currency="cad",
            time_zone="America/Toronto",
            address_line1=" 1 Main St ",
            city="Toronto",
            country="ca",
            tax_number="123456789RT0001",
        ),
        uow,
        env,
    )

    with uow:
        assert uow.practices.get(practice.id) == saved
    assert saved.billing.name == "Harbour Therapy LLC"
    assert saved.currency == Currency("CAD")
    assert saved.billing.address.line1 == "1 Main St"
    assert saved.billing.address.country == "CA"
    assert saved.billing.address.lines() == ["1 Main St", "Toronto", "Canada"]
    assert saved.version == practice.version + 1


def test_the_currency_can_change_while_there_are_no_invoices(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env, currency="USD")

    saved = configure_billing_details(billing(practice.id, currency="EUR"), uow, env)

    assert saved.currency == Currency("EUR")


def test_saving_the_same_currency_is_fine_once_invoices_exist(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env, currency="USD")
    an_invoice(uow, env, practice)

    saved = configure_billing_details(
        billing(practice.id, name="Renamed", currency="usd"), uow, env
    )

    assert saved.billing.name == "Renamed"


def test_every_wrong_field_is_reported_at_once(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    before = uow.committed

    with pytest.raises(ValidationError) as refused:
        configure_billing_details(
            billing(practice.id, name=" ", currency="ABC", time_zone="Mars/Olympus", country="ZZ"),
            uow,
            env,
        )

    assert set(refused.value.errors) == {"name", "currency", "time_zone", "country"}
    assert "America/New_York" in refused.value.errors["time_zone"]
    assert "two letters" in refused.value.errors["country"]
    assert uow.committed == before


# -- tax rates --------------------------------------------------------------------------------


def test_the_first_tax_rate_becomes_the_default(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)

    rate = add_tax_rate(AddTaxRate(practice.id, ACTOR, "Sales tax", "7.25 %"), uow, env)

    with uow:
        assert uow.practices.get(practice.id).default_tax_rate_id == rate.id  # type: ignore[union-attr]
    assert rate.percent == Decimal("7.25")
    assert rate.label == "Sales tax (7.25 %)"


def test_a_later_rate_becomes_the_default_only_when_asked(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    first = a_tax_rate(uow, env, practice, name="Standard")

    second = a_tax_rate(uow, env, practice, name="Reduced", percent="5")
    third = a_tax_rate(uow, env, practice, name="Zero", percent="0", make_default=True)

    with uow:
        assert uow.practices.get(practice.id).default_tax_rate_id == third.id  # type: ignore[union-attr]
        assert {r.id for r in uow.tax_rates.list(practice.id)} == {first.id, second.id, third.id}


def test_a_rate_with_four_decimals_and_trailing_zeros_is_accepted(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)

    rate = a_tax_rate(uow, env, practice, percent="8.87500")

    assert rate.percent == Decimal("8.875")


def test_a_rate_can_be_renamed_while_invoices_use_it(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    rate = a_tax_rate(uow, env, practice, name="VAT", percent="20")
    an_invoice(uow, env, practice, tax_rate=rate)

    renamed = update_tax_rate(
        UpdateTaxRate(practice.id, ACTOR, rate.id, "Standard VAT", "20"), uow, env
    )

    assert renamed.name == "Standard VAT"


def test_the_percentage_of_a_used_rate_cannot_change(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    rate = a_tax_rate(uow, env, practice, name="VAT", percent="20")
    a_service(uow, env, practice, tax_rate=rate)
    before = uow.committed

    with pytest.raises(ValidationError) as refused:
        update_tax_rate(UpdateTaxRate(practice.id, ACTOR, rate.id, "VAT", "21"), uow, env)

    assert set(refused.value.errors) == {"percent"}
    assert "20 %" in refused.value.errors["percent"]
    assert "Add a new rate and archive this one" in refused.value.errors["percent"]
    assert uow.committed == before


def test_the_percentage_of_an_unused_rate_can_change(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    rate = a_tax_rate(uow, env, practice, name="VAT", percent="20")

    updated = update_tax_rate(UpdateTaxRate(practice.id, ACTOR, rate.id, "VAT", "21"), uow, env)

    assert updated.percent == Decimal(21)


def test_an_archived_rate_is_hidden_from_new_lines_but_kept(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    a_tax_rate(uow, env, practice, name="Standard")
    old = a_tax_rate(uow, env, practice, name="Old")
    issued = an_issued_invoice(uow, env, practice, tax_rate=old)

    archived = archive_tax_rate(practice.id, old.id, ACTOR, uow, env)

    assert archived.archived_at == env.clock.now()
    with uow:
        assert old.id not in {r.id for r in uow.tax_rates.list(practice.id)}
        assert old.id in {r.id for r in uow.tax_rates.list(practice.id, include_archived=True)}
        assert uow.invoices.get(practice.id, issued.id) == issued


def test_archiving_twice_changes_nothing(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    a_tax_rate(uow, env, practice, name="Standard")
    old = a_tax_rate(uow, env, practice, name="Old")
    archive_tax_rate(practice.id, old.id, ACTOR, uow, env)
    before = uow.committed

    archive_tax_rate(practice.id, old.id, ACTOR, uow, env)

    assert uow.committed == before


def test_the_default_rate_cannot_be_archived(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    default = a_tax_rate(uow, env, practice, name="Standard")
    before = uow.committed

    with pytest.raises(Conflict, match="Make another rate the default first"):
        archive_tax_rate(practice.id, default.id, ACTOR, uow, env)

    assert uow.committed == before


def test_an_archived_rate_cannot_become_the_default(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    a_tax_rate(uow, env, practice, name="Standard")
    old = a_tax_rate(uow, env, practice, name="Old")
    archive_tax_rate(practice.id, old.id, ACTOR, uow, env)
    before = uow.committed

    with pytest.raises(ValidationError) as refused:
        set_default_tax_rate(practice.id, old.id, ACTOR, uow, env)

    assert refused.value.errors == {"default_tax_rate": "'Old' is archived; pick an active rate."}
    assert uow.committed == before


def test_the_default_can_be_cleared_so_new_lines_start_untaxed(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    a_tax_rate(uow, env, practice)

    updated = set_default_tax_rate(practice.id, None, ACTOR, uow, env)

    assert updated.default_tax_rate_id is None


def test_a_missing_rate_is_not_found(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)

    with pytest.raises(NotFound):
        archive_tax_rate(practice.id, "no-such-rate", ACTOR, uow, env)  # type: ignore[arg-type]


# -- invoice settings -------------------------------------------------------------------------


def test_invoice_settings_are_saved(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)

    saved = configure_invoice_settings(
        invoice_settings(practice.id, footer=" Thank you ", details="Pay by transfer"), uow, env
    )

    settings = saved.invoice_settings
    assert (settings.template, settings.theme) == (InvoiceTemplate.MODERN, InvoiceTheme.OCEAN)
    assert settings.payment_terms_days == 30
    assert settings.number_prefix == "HT-"
    assert settings.footer == "Thank you"
    assert settings.format_number(7) == "HT-0007"


@pytest.mark.parametrize(
    ("field", "value", "hint"),
    [
        ("template", "fancy", "classic, modern, minimal"),
        ("theme", "neon", "slate, ocean"),
        ("payment_terms_days", "two weeks", "whole number of days"),
        ("payment_terms_days", "400", "0 to 365"),
        ("number_prefix", "INV 2025 #", "letters, digits"),
        ("footer", "x" * 501, "keep it to 500"),
    ],
)
def test_bad_invoice_settings_name_the_field_and_the_fix(
    uow: FakeUnitOfWork, env: Env, field: str, value: str, hint: str
) -> None:
    practice = a_practice(uow, env)
    before = uow.committed

    with pytest.raises(ValidationError) as refused:
        configure_invoice_settings(invoice_settings(practice.id, **{field: value}), uow, env)

    assert set(refused.value.errors) == {field}
    assert hint in refused.value.errors[field]
    assert uow.committed == before


# -- reminders --------------------------------------------------------------------------------


def test_a_reminder_schedule_is_read_as_typed_and_sorted(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)

    saved = configure_reminders(
        ConfigureReminders(practice.id, ACTOR, True, "14, -3 0,7", "8:30"), uow, env
    )

    assert saved.reminder_policy.enabled
    assert saved.reminder_policy.offsets == (-3, 0, 7, 14)
    assert saved.reminder_policy.send_time == time(8, 30)


def test_reminders_can_be_turned_off_with_an_empty_schedule(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)

    saved = configure_reminders(
        ConfigureReminders(practice.id, ACTOR, False, "", "09:00"), uow, env
    )

    assert not saved.reminder_policy.enabled
    assert saved.reminder_policy.offsets == ()


def test_turning_reminders_on_needs_at_least_one_day(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    before = uow.committed

    with pytest.raises(ValidationError) as refused:
        configure_reminders(ConfigureReminders(practice.id, ACTOR, True, " ", "09:00"), uow, env)

    assert set(refused.value.errors) == {"offsets"}
    assert "-3, 0, 7" in refused.value.errors["offsets"]
    assert uow.committed == before


def test_a_repeated_reminder_day_is_refused(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)
    before = uow.committed

    with pytest.raises(ValidationError) as refused:
        configure_reminders(
            ConfigureReminders(practice.id, ACTOR, True, "0, 3, 3", "09:00"), uow, env
        )

    assert "remove the repeated days" in refused.value.errors["offsets"]
    assert uow.committed == before
