"""Amounts and rates typed the way the practice writes numbers: its locale decides the decimal
separator, a form that locale does not write is refused with the forms it does, and the
practice's locale starts from its currency and country."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.errors import InvalidValue, ValidationError
from domain.money import Currency, parse_amount
from domain.ports import Env
from domain.practice import default_locale, parse_practice_locale, parse_tax_percent
from domain.usecases.records import AddServiceType, add_service_type, parse_price
from domain.usecases.settings import (
    AddTaxRate,
    ConfigureBillingDetails,
    add_tax_rate,
    configure_billing_details,
)
from factories import ACTOR, a_practice
from fakes import FakeUnitOfWork

USD, EUR, CHF, JPY = Currency("USD"), Currency("EUR"), Currency("CHF"), Currency("JPY")
US_FORMS = "Type the price as 1,250.00 or 1250.00."
DE_FORMS = "Type the price as 1.250,00 or 1250,00."


@pytest.mark.parametrize(
    ("typed", "locale", "currency", "value"),
    [
        ("$1,250.00", "en_US", USD, "1250.00"),
        ("1250", "en_US", USD, "1250"),
        ("1,250.00", "en_US", USD, "1250.00"),
        ("89.50", "en_US", USD, "89.50"),
        ("USD 89.50", "en_US", USD, "89.50"),
        ("1250", "de_DE", EUR, "1250"),
        ("12,50", "de_DE", EUR, "12.50"),
        ("1.250,00", "de_DE", EUR, "1250.00"),
        ("89,50 €", "de_DE", EUR, "89.50"),
        ("EUR 1.250,00", "de_DE", EUR, "1250.00"),
        # French groups with a narrow no-break space; people type an ordinary one.
        ("1 250,00", "fr_FR", EUR, "1250.00"),
        ("1’250.50", "de_CH", CHF, "1250.50"),
        ("¥1,250", "ja_JP", JPY, "1250"),
    ],
)
def test_a_price_in_the_practices_own_format_is_read_exactly(
    typed: str, locale: str, currency: Currency, value: str
) -> None:
    price = parse_price(typed, currency, locale)

    assert price.amount == Decimal(value)
    assert price.currency == currency


@pytest.mark.parametrize(
    ("typed", "locale", "currency", "said"),
    [
        (
            "12,50",
            "en_US",
            USD,
            f"'12,50' does not match the practice's number format "
            f"(English (United States)). {US_FORMS}",
        ),
        ("1.250,00", "en_US", USD, US_FORMS),
        # 1.250 dollars has a decimal more than a cent: a German 1250 typed in the US.
        (
            "1.250",
            "en_US",
            USD,
            f"'1.250' has 3 decimals; USD prices have at most 2 decimals. {US_FORMS}",
        ),
        ("€5", "en_US", USD, "not an amount in USD"),
        ("$1,250.00", "de_DE", EUR, f"not an amount in EUR, this practice's currency. {DE_FORMS}"),
        ("1,250.00", "de_DE", EUR, f"(German (Germany)). {DE_FORMS}"),
        ("89.50", "de_DE", EUR, DE_FORMS),
        # 1,250 is 1.25 in German, but nobody bills a tenth of a cent: 1250 was meant.
        (
            "1,250",
            "de_DE",
            EUR,
            f"'1,250' has 3 decimals; EUR prices have at most 2 decimals. {DE_FORMS}",
        ),
        (
            "12.5",
            "ja_JP",
            JPY,
            "JPY prices have at most 0 decimals. Type the price as 1,250 or 1250.",
        ),
        ("ten", "en_US", USD, f"'ten' is not a number. {US_FORMS}"),
        ("1e3", "en_US", USD, "'1e3' is not a number"),
        ("", "de_DE", EUR, f"Enter a number. {DE_FORMS}"),
    ],
)
def test_a_price_the_practice_does_not_write_that_way_is_refused_with_the_expected_form(
    typed: str, locale: str, currency: Currency, said: str
) -> None:
    with pytest.raises(InvalidValue) as refused:
        parse_price(typed, currency, locale)

    assert said in str(refused.value)


def test_a_payment_amount_names_the_amount_not_a_price() -> None:
    with pytest.raises(InvalidValue) as refused:
        parse_amount("12.50", EUR, "de_DE")

    assert "Type the amount as 1.250,00 or 1250,00." in str(refused.value)


@pytest.mark.parametrize(
    ("typed", "locale", "percent"),
    [
        ("7.5", "en_US", "7.5"),
        ("7,5", "de_DE", "7.5"),
        ("19 %", "de_DE", "19"),
        ("19%", "en_US", "19"),
    ],
)
def test_a_tax_rate_is_typed_with_the_practices_decimal_separator(
    typed: str, locale: str, percent: str
) -> None:
    assert parse_tax_percent(typed, locale) == Decimal(percent)


def test_a_tax_rate_in_the_wrong_format_is_refused_with_a_percent_as_the_example() -> None:
    with pytest.raises(InvalidValue) as refused:
        parse_tax_percent("7.5", "de_DE")

    assert str(refused.value).endswith("Type the rate as a percent, e.g. 19 or 7,5.")
    assert "1.250" not in str(refused.value)


@pytest.mark.parametrize(
    ("currency", "country", "locale"),
    [
        ("USD", "", "en_US"),
        ("GBP", "", "en_GB"),
        ("CHF", "", "de_CH"),
        ("EUR", "DE", "de_DE"),
        ("EUR", "FR", "fr_FR"),
        ("EUR", "", "en_IE"),
        ("USD", "CA", "en_CA"),
        ("XAU", "", "en_US"),
    ],
)
def test_the_practice_locale_starts_from_its_currency_and_country(
    currency: str, country: str, locale: str
) -> None:
    assert default_locale(currency, country) == locale


def test_an_unknown_locale_is_refused() -> None:
    with pytest.raises(InvalidValue, match="not a number format"):
        parse_practice_locale("xx_YY")


# -- through the use cases -------------------------------------------------------------------


def test_a_german_practice_adds_a_service_priced_89_50(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env, currency="EUR", country="DE")

    service = add_service_type(AddServiceType(practice.id, ACTOR, "Sitzung", "89,50"), uow, env)

    assert practice.locale == "de_DE"
    assert service.default_price.amount == Decimal("89.50")


def test_an_american_price_in_a_german_practice_stores_nothing(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env, currency="EUR", country="DE")
    before = uow.committed

    with pytest.raises(ValidationError) as refused:
        add_service_type(AddServiceType(practice.id, ACTOR, "Sitzung", "1,250.00"), uow, env)

    assert refused.value.errors["default_price"].endswith(DE_FORMS)
    assert uow.committed == before


def test_a_chosen_locale_decides_over_the_country(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env, currency="EUR", country="DE")
    billing = practice.billing

    english = configure_billing_details(
        ConfigureBillingDetails(
            practice.id,
            ACTOR,
            billing.name,
            "EUR",
            billing.time_zone,
            country="DE",
            locale="en_IE",
        ),
        uow,
        env,
    )
    rate = add_tax_rate(AddTaxRate(practice.id, ACTOR, "MwSt", "7.5"), uow, env)

    assert english.locale == "en_IE"
    assert rate.percent == Decimal("7.5")


def test_existing_practices_keep_typing_prices_with_a_dot(uow: FakeUnitOfWork, env: Env) -> None:
    practice = a_practice(uow, env)

    service = add_service_type(AddServiceType(practice.id, ACTOR, "Session", "120.50"), uow, env)

    assert practice.locale == "en_US"
    assert service.default_price.amount == Decimal("120.50")


def test_an_untouched_locale_follows_a_new_currency_and_country(
    uow: FakeUnitOfWork, env: Env
) -> None:
    practice = a_practice(uow, env)
    billing = practice.billing

    moved = configure_billing_details(
        ConfigureBillingDetails(
            practice.id,
            ACTOR,
            billing.name,
            "EUR",
            "Europe/Berlin",
            country="DE",
            locale=practice.locale,
        ),
        uow,
        env,
    )

    assert (practice.locale, moved.locale) == ("en_US", "de_DE")
