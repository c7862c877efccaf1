"""Money: exact amounts, one rounding rule, minor units, Stripe's amounts, and no floats."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from babel.numbers import list_currencies
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import InvalidValue
from domain.invoices import check_quantity
from domain.money import (
    STRIPE_THREE_DECIMAL,
    STRIPE_ZERO_DECIMAL,
    AmountNotChargeable,
    Currency,
    Money,
    from_stripe_amount,
    parse_decimal,
    sum_money,
    to_stripe_amount,
)
from domain.practice import parse_tax_percent
from domain.usecases.records import parse_price

USD = Currency("USD")
EUR = Currency("EUR")
JPY = Currency("JPY")
KWD = Currency("KWD")
ISK = Currency("ISK")
EVERY_CURRENCY = sorted(list_currencies())


def usd(amount: str) -> Money:
    return Money.of(amount, USD)


# -- one rounding rule ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "exact", "rounded"),
    [
        ("USD", "0.125", "0.13"),
        ("USD", "2.665", "2.67"),
        ("USD", "2.664999", "2.66"),
        ("JPY", "1234.5", "1235"),
        ("KRW", "99.5", "100"),
        ("VND", "0.49", "0"),
        ("KWD", "1.2345", "1.235"),
        ("BHD", "0.0005", "0.001"),
    ],
)
def test_rounding_is_half_up_to_the_currencys_minor_unit(
    code: str, exact: str, rounded: str
) -> None:
    currency = Currency(code)

    result = currency.round(Decimal(exact))

    assert result == Money.of(rounded, code)


def test_multiplying_rounds_once_half_up() -> None:
    five_cents = usd("0.05")

    half = five_cents.times(Decimal("0.5"))

    assert half == usd("0.03")


def test_an_amount_with_more_decimals_than_its_currency_is_refused_rather_than_rounded() -> None:
    with pytest.raises(InvalidValue, match=r"at most 2 decimal places"):
        usd("1.005")
    with pytest.raises(InvalidValue, match=r"at most 0 decimal places"):
        Money.of("100.5", "JPY")


def test_the_same_amount_at_different_scales_is_one_value() -> None:
    five = usd("5")

    five_with_cents = usd("5.00")

    assert five == five_with_cents
    assert hash(five) == hash(five_with_cents)
    assert five.format("en_US") == five_with_cents.format("en_US") == "$5.00"


@pytest.mark.parametrize(
    ("money", "shown"),
    [
        (Money.of("1234.5", "USD"), "$1,234.50"),
        (Money.of("1234", "JPY"), "¥1,234"),
        (Money.of("1.235", "KWD"), "KWD1.235"),
    ],
)
def test_amounts_are_shown_with_the_currencys_own_decimals(money: Money, shown: str) -> None:
    assert money.format("en_US") == shown


def test_equal_amounts_that_print_differently_each_print_as_themselves() -> None:
    minus_zero, zero = Money(Decimal("-0.00"), USD), Money(Decimal("0.00"), USD)

    shown = [minus_zero.format("en_US"), zero.format("en_US"), minus_zero.format("en_US")]

    assert minus_zero == zero
    assert shown == ["-$0.00", "$0.00", "-$0.00"]


def test_typed_numbers_accept_thousands_separators_and_spaces() -> None:
    assert parse_decimal(" 1,250.50 ") == Decimal("1250.50")


@pytest.mark.parametrize("typed", ["120,50", "1,2345", "12,50,00"])
def test_a_comma_that_is_not_a_thousands_separator_is_refused_not_guessed(typed: str) -> None:
    with pytest.raises(InvalidValue, match=r"does not match .*English \(United States\)"):
        parse_decimal(typed)


def test_an_absurdly_large_typed_number_is_refused_with_a_message() -> None:
    with pytest.raises(InvalidValue, match="too large"):
        parse_decimal("1" + "0" * 30)


def test_a_number_in_scientific_notation_is_not_a_typed_number() -> None:
    with pytest.raises(InvalidValue, match="'1e30' is not a number"):
        parse_decimal("1e30")


# -- currencies -------------------------------------------------------------------------------


def test_an_unknown_currency_is_refused_with_examples_of_real_codes() -> None:
    with pytest.raises(InvalidValue, match=r"'XYZ' is not a currency code.*USD"):
        Currency("XYZ")


def test_a_currency_code_is_read_the_way_people_type_it() -> None:
    assert Currency.parse(" usd ") == USD


@pytest.mark.parametrize(
    ("code", "exponent"),
    [("JPY", 0), ("KRW", 0), ("VND", 0), ("USD", 2), ("EUR", 2), ("ISK", 0)]
    + [(code, 3) for code in sorted(STRIPE_THREE_DECIMAL)],
)
def test_each_currency_has_its_iso_4217_minor_unit(code: str, exponent: int) -> None:
    assert Currency(code).exponent == exponent


def test_adding_two_currencies_is_refused_naming_both() -> None:
    with pytest.raises(InvalidValue, match="Cannot combine USD with EUR"):
        usd("1.00") + Money.of("1.00", EUR)


def test_comparing_two_currencies_is_refused() -> None:
    with pytest.raises(InvalidValue):
        assert usd("1.00") < Money.of("2.00", EUR)


def test_a_sum_of_mixed_currencies_is_refused() -> None:
    with pytest.raises(InvalidValue):
        sum_money([usd("1.00"), Money.of("1.00", EUR)], USD)


def test_the_empty_sum_is_zero_in_the_currency_asked_for() -> None:
    assert sum_money([], JPY) == Money.of(0, JPY)


# -- no floats --------------------------------------------------------------------------------


FLOAT_USES: dict[str, Callable[[], object]] = {
    "Money.of": lambda: Money.of(1.5, "USD"),  # type: ignore[arg-type]
    "Money()": lambda: Money(1.5, USD),  # type: ignore[arg-type]
    "Currency.round": lambda: USD.round(1.5),  # type: ignore[arg-type]
    "Money.times": lambda: usd("10.00").times(1.5),  # type: ignore[arg-type]
    "Money + float": lambda: usd("10.00") + 1.5,  # type: ignore[operator]
    "Money < float": lambda: usd("10.00") < 1.5,  # type: ignore[operator]
    "from_minor_units": lambda: USD.from_minor_units(150.0),  # type: ignore[arg-type]
    "from_stripe_amount": lambda: from_stripe_amount(150.0, USD),  # type: ignore[arg-type]
    "parse_tax_percent": lambda: parse_tax_percent(7.5),  # type: ignore[arg-type]
    "quantity": lambda: check_quantity(1.5),  # type: ignore[arg-type]
    "price": lambda: parse_price(1.5, USD),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("use", FLOAT_USES.values(), ids=FLOAT_USES.keys())
def test_a_float_is_refused_with_a_type_error(use: Callable[[], object]) -> None:
    with pytest.raises(TypeError):
        use()


# -- minor units ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("money", "minor"),
    [(usd("12.34"), 1234), (Money.of(1234, "JPY"), 1234), (Money.of("1.234", "KWD"), 1234)],
)
def test_minor_units_count_the_currencys_smallest_unit(money: Money, minor: int) -> None:
    assert money.minor_units == minor
    assert money.currency.from_minor_units(minor) == money


@pytest.mark.parametrize("code", EVERY_CURRENCY)
def test_every_currency_babel_knows_survives_the_minor_unit_round_trip(code: str) -> None:
    currency = Currency(code)
    amounts = [Decimal(0), Decimal(1), Decimal("-7"), Decimal("123456789.5"), currency.quantum]

    for amount in amounts:
        money = currency.round(amount)

        assert currency.from_minor_units(money.minor_units) == money


@st.composite
def money_in_any_currency(draw: st.DrawFn, *, max_value: int = 10**12) -> Money:
    currency = Currency(draw(st.sampled_from(EVERY_CURRENCY)))
    minor = draw(st.integers(min_value=-max_value, max_value=max_value))
    return Money(Decimal(minor).scaleb(-currency.exponent), currency)


@settings(deadline=None)
@given(money=money_in_any_currency())
def test_any_amount_in_any_currency_survives_the_minor_unit_round_trip(money: Money) -> None:
    minor = money.minor_units

    back = money.currency.from_minor_units(minor)

    assert back == money
    assert isinstance(minor, int)


# -- Stripe's amounts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("money", "units"),
    [
        (usd("12.34"), 1234),
        (Money.of(1234, "JPY"), 1234),
        (Money.of(50000, "KRW"), 50000),
        (Money.of(250000, "VND"), 250000),
        (Money.of("1.230", "KWD"), 1230),
        (Money.of("12.500", "BHD"), 12500),
        (Money.of("7.010", "JOD"), 7010),
        (Money.of("0.990", "OMR"), 990),
        (Money.of("3.000", "TND"), 3000),
        # Stripe still takes ISK in hundredths, always a multiple of 100.
        (Money.of(100, "ISK"), 10000),
    ],
)
def test_stripe_amounts_follow_stripes_decimals(money: Money, units: int) -> None:
    assert to_stripe_amount(money) == units
    assert from_stripe_amount(units, money.currency) == money


@pytest.mark.parametrize("code", sorted(STRIPE_THREE_DECIMAL))
def test_a_three_decimal_amount_not_ending_in_zero_cannot_be_charged(code: str) -> None:
    with pytest.raises(AmountNotChargeable, match=r"multiple of 0\.010"):
        to_stripe_amount(Money.of("1.234", code))


def test_an_isk_amount_from_stripe_with_hundredths_is_refused() -> None:
    with pytest.raises(InvalidValue):
        from_stripe_amount(10050, ISK)


@settings(deadline=None)
@given(money=money_in_any_currency(max_value=10**10))
def test_a_chargeable_amount_survives_the_stripe_round_trip(money: Money) -> None:
    code = money.currency.code
    stripe_exponent = 0 if code in STRIPE_ZERO_DECIMAL else 3 if code in STRIPE_THREE_DECIMAL else 2
    in_stripe_units = money.amount % Decimal(1).scaleb(-stripe_exponent) == 0
    chargeable = in_stripe_units and not (code in STRIPE_THREE_DECIMAL and money.minor_units % 10)

    if not chargeable:
        with pytest.raises(AmountNotChargeable):
            to_stripe_amount(money)
        return
    units = to_stripe_amount(money)

    assert from_stripe_amount(units, money.currency) == money
    if code in STRIPE_THREE_DECIMAL:
        assert units % 10 == 0
    if code == "ISK":
        assert units % 100 == 0
