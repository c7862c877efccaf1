"""Money: exact Decimal amounts in an ISO 4217 currency, and their minor-unit forms.

Rounding to a currency's minor unit is half-up and happens only in `Currency.round`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache

from babel.numbers import (
    format_currency,
    get_currency_name,
    get_currency_precision,
    get_currency_symbol,
    list_currencies,
)

from domain.errors import InvalidValue
from domain.numbers import amount_forms, example, read_number

# Stripe takes these currencies in whole units (https://docs.stripe.com/currencies#zero-decimal).
STRIPE_ZERO_DECIMAL = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)
# Stripe takes these in thousandths, but only amounts whose last digit is 0 can be charged.
STRIPE_THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
# Numbers typed outside an amount or a rate (Money.of in code) keep at most this many decimals.
MAX_TYPED_DECIMALS = 12


def _require_exact(value: object, what: str) -> None:
    if isinstance(value, float):
        raise TypeError(f"{what} must be a Decimal, not a float: floats cannot hold money exactly")


@cache
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


@dataclass(frozen=True, slots=True)
class Currency:
    """An ISO 4217 currency that Babel's CLDR data knows."""

    code: str
    # Looked up once: money arithmetic asks for them on every operation.
    exponent: int = field(init=False, repr=False, compare=False)
    """Digits after the decimal point in the currency's minor unit (JPY 0, USD 2, KWD 3)."""
    quantum: Decimal = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or self.code not in _known_currencies():
            raise InvalidValue(
                f"'{self.code}' is not a currency code. Use a three-letter ISO 4217 code such "
                "as USD, EUR or GBP."
            )
        exponent = _exponent(self.code)
        object.__setattr__(self, "exponent", exponent)
        object.__setattr__(self, "quantum", Decimal(1).scaleb(-exponent))

    @classmethod
    def parse(cls, text: str) -> Currency:
        """Read a code as a person types it (' usd ' is USD)."""
        return cls(text.strip().upper())

    @property
    def name(self) -> str:
        return str(get_currency_name(self.code, locale="en"))

    def round(self, amount: Decimal | int) -> Money:
        """Round an exact amount half-up to this currency's minor unit: the one rounding rule."""
        _require_exact(amount, "amount")
        if not isinstance(amount, (Decimal, int)):
            raise TypeError(f"amount must be a Decimal or int, not {type(amount).__name__}")
        return Money(Decimal(amount).quantize(self.quantum, rounding=ROUND_HALF_UP), self)

    def zero(self) -> Money:
        return Money(Decimal(0).quantize(self.quantum), self)

    def from_minor_units(self, minor: int) -> Money:
        """The amount stored as an integer count of minor units (cents for USD)."""
        if not isinstance(minor, int) or isinstance(minor, bool):
            raise TypeError("minor units must be an int")
        return Money(Decimal(minor).scaleb(-self.exponent), self)

    def __str__(self) -> str:
        return self.code


@cache
def _exponent(code: str) -> int:
    return int(get_currency_precision(code))


class AmountNotChargeable(InvalidValue):
    """Stripe cannot charge this exact amount in this currency."""


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in a currency, always at the currency's minor unit."""

    amount: Decimal
    currency: Currency

    def __post_init__(self) -> None:
        amount = self.amount
        if type(amount) is Decimal and type(self.currency) is Currency:
            exponent = amount.as_tuple().exponent
            if exponent == -self.currency.exponent:
                return  # already canonical: the common case in arithmetic
        _require_exact(self.amount, "Money.amount")
        if isinstance(self.amount, int) and not isinstance(self.amount, bool):
            object.__setattr__(self, "amount", Decimal(self.amount))
        if not isinstance(self.amount, Decimal):
            raise TypeError(f"Money.amount must be a Decimal, not {type(self.amount).__name__}")
        if not isinstance(self.currency, Currency):
            raise TypeError("Money.currency must be a Currency")
        if not self.amount.is_finite():
            raise InvalidValue("An amount must be a finite number.")
        exponent = self.amount.as_tuple().exponent
        assert isinstance(exponent, int)
        if -exponent > self.currency.exponent:
            raise InvalidValue(
                f"{self.currency.code} amounts have at most {self.currency.exponent} decimal "
                f"places; round {self.amount} with Currency.round first."
            )
        # One canonical scale, so 5 and 5.00 USD compare, hash and print alike.
        object.__setattr__(self, "amount", self.amount.quantize(self.currency.quantum))

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: Currency | str) -> Money:
        """Build from a Decimal, int or decimal string; refuses floats and extra decimals."""
        _require_exact(amount, "amount")
        if isinstance(currency, str):
            currency = Currency(currency)
        if isinstance(amount, str):
            amount = parse_decimal(amount)
        return cls(Decimal(amount), currency)

    # Arithmetic keeps the currency and never rounds silently: only multiplication by a
    # ratio produces extra digits, and it goes through Currency.round.
    def _same_currency(self, other: object) -> Money:
        if not isinstance(other, Money):
            _require_exact(other, "operand")
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise InvalidValue(
                f"Cannot combine {self.currency.code} with {other.currency.code}; an invoice "
                "has one currency."
            )
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same_currency(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same_currency(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same_currency(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same_currency(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same_currency(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same_currency(other).amount

    def times(self, factor: Decimal | int) -> Money:
        """Multiply by an exact factor (a quantity, a rate) and round half-up once."""
        _require_exact(factor, "factor")
        if not isinstance(factor, (Decimal, int)):
            raise TypeError(f"factor must be a Decimal or int, not {type(factor).__name__}")
        return self.currency.round(self.amount * Decimal(factor))

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    @property
    def is_negative(self) -> bool:
        return self.amount < 0

    @property
    def minor_units(self) -> int:
        """The amount as an integer count of minor units, as it is stored."""
        return int(self.amount.scaleb(self.currency.exponent))

    def format(self, locale: str) -> str:
        """The amount as people of `locale` read it ('$1,234.50' in en_US, '1.234,50 €' in
        de_DE): every amount a person sees is written here, in the practice's locale."""
        return _formatted(str(self.amount), self.currency.code, locale)

    def typed(self, locale: str) -> str:
        """The amount as a person of `locale` types it into a form, without grouping or a
        currency ('1250,50' in de_DE, '1250.50' in en_US): a form's default value, which the
        practice's own parsing reads back as shown."""
        return example(self.amount, locale, decimals=self.currency.exponent, grouped=False)

    def __str__(self) -> str:
        # For logs and debugging only; people see `format` in their practice's locale.
        return f"{self.amount} {self.currency.code}"


# Lists and totals format the same few amounts (session prices, their sums) on every view,
# and Babel takes longer to format one than the rest of a row. Keyed by the amount's text,
# since equal Decimals such as 0.00 and -0.00 need not print alike.
@lru_cache(maxsize=4096)
def _formatted(amount: str, code: str, locale: str) -> str:
    return str(format_currency(Decimal(amount), code, locale=locale))


def sum_money(amounts: list[Money] | tuple[Money, ...], currency: Currency) -> Money:
    """Sum amounts of one currency; the empty sum is that currency's zero."""
    total = currency.zero()
    for amount in amounts:
        total = total + amount
    return total


def parse_decimal(text: str, locale: str = "en_US") -> Decimal:
    """Read a number typed by a person as `locale` writes it ('1,250.50' in en_US, '1.250,50'
    in de_DE); floats never enter. A form the locale does not write is refused, not guessed."""
    return read_number(
        text,
        locale,
        forms=f"Write it as {example(Decimal('1250.5'), locale, decimals=1)}.",
        max_decimals=MAX_TYPED_DECIMALS,
        too_precise=f"use at most {MAX_TYPED_DECIMALS} decimals.",
    )


@cache
def _currency_marks(code: str, locale: str) -> tuple[str, ...]:
    """What may stand beside an amount in `code`: its code and its symbols ('$', 'US$'),
    longest first so 'US$' goes before '$'."""
    marks = {code, str(get_currency_symbol(code, locale)), str(get_currency_symbol(code, "en"))}
    return tuple(sorted(marks, key=len, reverse=True))


def _without_currency(text: str, currency: Currency, locale: str, forms: str) -> str:
    stripped = text.strip()
    upper = stripped.upper()
    for mark in _currency_marks(currency.code, locale):
        if upper.startswith(mark.upper()):
            return stripped[len(mark) :].strip()
        if upper.endswith(mark.upper()):
            return stripped[: len(stripped) - len(mark)].strip()
    symbol = any(unicodedata.category(char) == "Sc" for char in stripped)
    code = any(word in _known_currencies() for word in re.findall(r"[A-Z]{3}", upper))
    if symbol or code:
        raise InvalidValue(
            f"'{stripped}' is not an amount in {currency.code}, this practice's currency. {forms}"
        )
    return stripped


def parse_amount(text: str, currency: Currency, locale: str, noun: str = "amount") -> Decimal:
    """An amount typed as the practice writes it (`locale`), e.g. '89,50' or '€ 1.250,00' in
    de_DE, '$1,250.00' in en_US, with at most the currency's decimals.

    The currency's code or symbol may be typed; another currency's is refused. Every refusal
    says how to type one ('Type the price as 1.250,00 or 1250,00.'). Raises InvalidValue."""
    forms = amount_forms(locale, currency.exponent, f"the {noun}")
    return read_number(
        _without_currency(text, currency, locale, forms),
        locale,
        forms=forms,
        max_decimals=currency.exponent,
        too_precise=f"{currency.code} {noun}s have at most {currency.exponent} decimals.",
    )


def _stripe_exponent(currency: Currency) -> int:
    if currency.code in STRIPE_ZERO_DECIMAL:
        return 0
    if currency.code in STRIPE_THREE_DECIMAL:
        return 3
    # Everything else, ISK included, is sent in hundredths: ISK became zero-decimal, but for
    # backwards compatibility Stripe still takes it as a two-decimal amount ending in 00.
    return 2


def to_stripe_amount(money: Money) -> int:
    """The integer `amount` Stripe expects for this money, or AmountNotChargeable."""
    exponent = _stripe_exponent(money.currency)
    scaled = money.amount.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise AmountNotChargeable(
            f"Stripe cannot charge {money}: {money.currency.code} is charged in "
            f"units of {Decimal(1).scaleb(-exponent)}."
        )
    units = int(scaled)
    if money.currency.code in STRIPE_THREE_DECIMAL and units % 10:
        raise AmountNotChargeable(
            f"Stripe cannot charge {money}: {money.currency.code} amounts must be a "
            "multiple of 0.010."
        )
    return units


def from_stripe_amount(units: int, currency: Currency) -> Money:
    """The money that a Stripe integer `amount` in `currency` stands for."""
    if not isinstance(units, int) or isinstance(units, bool):
        raise TypeError("a Stripe amount is an int")
    return Money(Decimal(units).scaleb(-_stripe_exponent(currency)).normalize(), currency)


def currency_label(code: str) -> str:
    """'EUR · Euro': how a currency is listed for people to pick."""
    return f"{code} · {get_currency_name(code, locale='en')}"


def matching_currencies(typed: str, limit: int) -> list[str]:
    """The currency codes whose code or English name holds `typed` ('euro', 'EUR', 'Swiss'),
    the exact code first, then codes starting with it, then names; at most `limit`."""
    query = typed.strip().casefold()
    codes = sorted(_known_currencies())
    if not query:
        return codes[:limit]

    def rank(code: str) -> int | None:
        name = str(get_currency_name(code, locale="en")).casefold()
        if code.casefold() == query:
            return 0
        if code.casefold().startswith(query):
            return 1
        if name.startswith(query):
            return 2
        if query in name:
            return 3
        return None

    ranked = [(order, code) for code in codes if (order := rank(code)) is not None]
    return [code for _, code in sorted(ranked)[:limit]]
