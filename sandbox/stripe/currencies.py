"""Stripe's currency rules: minor-unit exponents, minimum charge amounts, how to show amounts.

Amounts at Stripe are integers in the currency's smallest unit as *Stripe* counts it, which
is not always ISO 4217's: ``jpy`` and the other zero-decimal currencies have no minor unit,
the three-decimal ones count thousandths, and ``huf`` is sent in fillér (two decimals) even
though Hungary no longer uses them.
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency, list_currencies

ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv"}
    | {"xaf", "xof", "xpf"}
)
THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})

#: Stripe's minimum charge per settlement currency, in minor units ("Minimum and maximum
#: charge amounts" in Stripe's currency documentation). A currency not listed has its
#: minimum after conversion to the settlement currency, which the stand-in does not model.
MINIMUM_CHARGE = {
    "usd": 50,
    "aed": 200,
    "aud": 50,
    "bgn": 100,
    "brl": 50,
    "cad": 50,
    "chf": 50,
    "czk": 1500,
    "dkk": 250,
    "eur": 50,
    "gbp": 30,
    "hkd": 400,
    "huf": 17500,
    "inr": 50,
    "jpy": 50,
    "mxn": 1000,
    "myr": 200,
    "nok": 300,
    "nzd": 50,
    "pln": 200,
    "ron": 200,
    "sek": 300,
    "sgd": 50,
    "thb": 1000,
}

#: Stripe accepts at most eight digits in an amount (``99999999``).
MAXIMUM_AMOUNT = 99_999_999

#: Presentment currencies (lower case, as the API takes them): ISO 4217's current codes,
#: a little wider than the 135 Stripe settles.
SUPPORTED = frozenset(code.lower() for code in list_currencies())


def exponent(currency: str) -> int:
    """How many decimals Stripe's integer amounts carry in `currency`."""
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 2


def major(amount: int, currency: str) -> Decimal:
    """`amount` minor units as a decimal amount of the currency (``1050`` usd → ``10.50``)."""
    return Decimal(amount).scaleb(-exponent(currency))


def display(amount: int, currency: str) -> str:
    """`amount` as a person reads it on the stand-in's pages: ``$10.50``, ``¥500``, ``€0.50``."""
    places = exponent(currency)
    return format_currency(
        major(amount, currency),
        currency.upper(),
        locale="en_US",
        format="¤#,##0" + ("." + "0" * places if places else ""),
        currency_digits=False,
    )


def minimum_charge(currency: str) -> int | None:
    """Stripe's minimum charge in `currency`'s minor units, if it publishes one."""
    return MINIMUM_CHARGE.get(currency)
