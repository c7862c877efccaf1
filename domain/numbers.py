"""Numbers as a practice writes them: read strictly in its locale (CLDR data through Babel),
and the forms it expects, for error messages that show how to type one.

A number is never guessed: '1,250' is 1.25 in German and 1250 in American English, so each
is read only the way the practice's locale writes it, and a form that does not fit is
refused with the forms that do."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.numbers import (
    NumberFormatError,
    format_decimal,
    get_decimal_symbol,
    get_group_symbol,
    get_minus_sign_symbol,
    get_plus_sign_symbol,
    parse_decimal,
)

from domain.errors import InvalidValue

# Typed numbers have at most this many digits before the decimal point.
MAX_TYPED_INTEGER_DIGITS = 15
# People type an ordinary space where CLDR groups with a no-break space (fr_FR, sv_SE), and a
# typographic apostrophe where it groups with a straight one (de_CH).
_SPACES = frozenset({" ", "\u00a0", "\u202f", "\u2009"})
_APOSTROPHES = frozenset({"'", "\u2019"})


@cache
def locale_name(locale: str) -> str:
    """The locale's name in English, e.g. 'German (Germany)'."""
    return str(Locale.parse(locale).get_display_name("en"))


def is_known_locale(locale: str) -> bool:
    """Whether Babel has CLDR data for `locale` (such as de_DE), with a territory."""
    try:
        parsed = Locale.parse(locale)
    except (UnknownLocaleError, ValueError, TypeError):
        return False
    return parsed.territory is not None and str(parsed) == locale


def example(value: Decimal, locale: str, *, decimals: int, grouped: bool = True) -> str:
    """`value` written in `locale` with exactly `decimals` decimals, grouped or not."""
    fraction = "." + "0" * decimals if decimals else ""
    pattern = ("#,##0" if grouped else "0") + fraction
    return str(format_decimal(value, format=pattern, locale=locale))


def written(value: Decimal, locale: str) -> str:
    """`value` as `locale` writes a number, with the decimals it has and no more ('1,5' in
    de_DE): a quantity shown beside amounts in that locale."""
    return str(format_decimal(value.normalize(), locale=locale, decimal_quantization=False))


def amount_forms(locale: str, decimals: int, noun: str) -> str:
    """How to type an amount in `locale`: 'Type the price as 1.250,00 or 1250,00.'"""
    grouped = example(Decimal(1250), locale, decimals=decimals)
    plain = example(Decimal(1250), locale, decimals=decimals, grouped=False)
    return f"Type {noun} as {grouped} or {plain}."


def _normalised(text: str, locale: str) -> str:
    group = get_group_symbol(locale)
    if group in _SPACES:
        return "".join(group if char in _SPACES else char for char in text)
    if group in _APOSTROPHES:
        return "".join(group if char in _APOSTROPHES else char for char in text)
    return text


@cache
def _allowed(locale: str) -> re.Pattern[str]:
    symbols = {
        get_decimal_symbol(locale),
        get_group_symbol(locale),
        get_minus_sign_symbol(locale),
        get_plus_sign_symbol(locale),
        "-",
        "+",
        ".",
        ",",
    }
    return re.compile("[0-9" + "".join(re.escape(symbol) for symbol in symbols) + "]+")


def read_number(
    text: str, locale: str, *, forms: str, max_decimals: int, too_precise: str
) -> Decimal:
    """Read `text` as `locale` writes numbers, exactly, keeping the decimals typed.

    `forms` tells how to type one ('Type the price as 1.250,00 or 1250,00.') and ends every
    refusal; `too_precise` says why more than `max_decimals` decimals are refused. Raises
    InvalidValue for an empty text, a form `locale` does not write (such as '1,250.00' in
    de_DE), letters or exponents, too many decimals, or more than 15 integer digits.
    """
    typed = text.strip()
    if not typed:
        raise InvalidValue(f"Enter a number. {forms}")
    normalised = _normalised(typed, locale)
    if not _allowed(locale).fullmatch(normalised):
        raise InvalidValue(f"'{typed}' is not a number. {forms}")
    try:
        value = parse_decimal(normalised, locale=locale, strict=True)
    except NumberFormatError:
        raise InvalidValue(
            f"'{typed}' does not match the practice's number format "
            f"({locale_name(locale)}). {forms}"
        ) from None
    if not value.is_finite():
        raise InvalidValue(f"'{typed}' is not a number. {forms}")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent > max_decimals:
        raise InvalidValue(f"'{typed}' has {-exponent} decimals; {too_precise} {forms}")
    # No bill comes near a quadrillion; refusing such input here keeps later rounding within
    # Decimal's 28 significant digits.
    if value.adjusted() >= MAX_TYPED_INTEGER_DIGITS:
        raise InvalidValue(f"'{typed}' is too large. Check the number.")
    return value
