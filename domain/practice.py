"""A practice (one Slack workspace) and its settings: billing details, tax rates,
invoice settings and reminder policy."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, time
from decimal import Decimal
from functools import cache, partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale
from babel.languages import get_official_languages
from babel.numbers import format_decimal

from domain.errors import FieldErrors, InvalidValue
from domain.ids import PracticeId, TaxRateId
from domain.money import MAX_TYPED_DECIMALS, Currency, Money
from domain.numbers import example, is_known_locale, locale_name, read_number
from domain.text import optional_text, required_text

MAX_TAX_PERCENT_DECIMALS = 4
MAX_REMINDER_OFFSETS = 10
MAX_REMINDER_OFFSET_DAYS = 365
MAX_PAYMENT_TERMS_DAYS = 365
NUMBER_PREFIX_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,11}$")


# CLDR names these two-letter codes too, but they are groupings (EU, EZ, UN, QO), pseudo
# locales (XA, XB) or "Unknown Region" (ZZ), not countries.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"})


@cache
def _country_names() -> dict[str, str]:
    territories = Locale("en").territories
    return {
        code: name
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    }


def parse_country(text: str) -> str:
    """An ISO 3166-1 alpha-2 country code ('us' is US)."""
    code = text.strip().upper()
    if code not in _country_names():
        raise InvalidValue(f"'{text.strip()}' is not a country code. Use two letters such as US.")
    return code


def parse_time_zone(text: str) -> str:
    """An IANA time zone name such as America/New_York."""
    name = text.strip()
    if name not in available_timezones():
        raise InvalidValue(
            f"'{name}' is not a time zone. Use an IANA name such as America/New_York."
        )
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue(f"'{name}' is not a time zone this server knows.") from None
    return name


@cache
def _time_zones() -> tuple[str, ...]:
    # Zones named like places ('Europe/Berlin'); the aliases without a slash (CET, EST5EDT,
    # Zulu) and the 'Etc/' offsets are kept only for exact matches.
    return tuple(sorted(available_timezones()))


def matching_time_zones(typed: str, limit: int) -> list[str]:
    """The IANA zones whose name holds `typed` as a person writes a place ('Berlin' is
    Europe/Berlin, 'new york' America/New_York): zones whose city starts with it first;
    at most `limit`."""
    query = typed.strip().casefold().replace(" ", "_")
    if not query:
        return [zone for zone in _time_zones() if "/" in zone][:limit]

    def rank(zone: str) -> int | None:
        folded = zone.casefold()
        city = folded.rsplit("/", 1)[-1]
        if folded == query:
            return 0
        if "/" not in zone or folded.startswith("etc/"):
            return None
        if city.startswith(query):
            return 1
        if query in folded:
            return 2
        return None

    ranked = [(order, zone) for zone in _time_zones() if (order := rank(zone)) is not None]
    return [zone for _, zone in sorted(ranked)[:limit]]


@dataclass(frozen=True, slots=True)
class Address:
    """A postal address; every part is optional except that a country is a real one."""

    line1: str = ""
    line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""

    def lines(self) -> list[str]:
        locality = " ".join(part for part in (self.city, self.region, self.postal_code) if part)
        country = _country_names().get(self.country, self.country)
        return [part for part in (self.line1, self.line2, locality, country) if part]

    @property
    def is_blank(self) -> bool:
        return not any((self.line1, self.line2, self.city, self.region, self.postal_code))


def check_address(
    errors: FieldErrors,
    *,
    line1: str,
    line2: str,
    city: str,
    region: str,
    postal_code: str,
    country: str,
) -> Address:
    """An address from the parts a person typed; each problem goes into `errors` under its
    field (address_line1, address_line2, city, region, postal_code, country)."""

    def text(field: str, value: str, max_length: int) -> str:
        label = field.replace("_", " ")
        checked = errors.check(
            field, partial(optional_text, value, label=label, max_length=max_length)
        )
        return checked or ""

    code = errors.check("country", partial(parse_country, country)) if country.strip() else ""
    return Address(
        line1=text("address_line1", line1, 120),
        line2=text("address_line2", line2, 120),
        city=text("city", city, 80),
        region=text("region", region, 80),
        postal_code=text("postal_code", postal_code, 20),
        country=code or "",
    )


# The number formats offered first in the billing details; any other locale Babel knows is
# kept when a practice already has it.
PRACTICE_LOCALES = (
    "en_US",
    "en_GB",
    "en_IE",
    "en_CA",
    "en_AU",
    "en_NZ",
    "en_ZA",
    "en_IN",
    "de_DE",
    "de_AT",
    "de_CH",
    "fr_FR",
    "fr_BE",
    "fr_CA",
    "fr_CH",
    "it_IT",
    "it_CH",
    "es_ES",
    "es_MX",
    "pt_PT",
    "pt_BR",
    "nl_NL",
    "nl_BE",
    "sv_SE",
    "da_DK",
    "nb_NO",
    "fi_FI",
    "pl_PL",
    "cs_CZ",
    "ja_JP",
)
# A euro practice that has not said its country: English, with the euro's decimal point as
# Ireland writes it, rather than guessing one of twenty countries' formats.
_EURO_WITHOUT_COUNTRY = "en_IE"
_FALLBACK_LOCALE = "en_US"


def default_locale(currency_code: str, country: str) -> str:
    """The number format a practice most likely writes: its country's official language there
    (DE: de_DE), else the country an ISO 4217 code starts with (GBP: en_GB, CHF: de_CH), else
    en_IE for the euro and en_US for the rest."""
    territory = country or currency_code[:2]
    if currency_code == "EUR" and not country:
        return _EURO_WITHOUT_COUNTRY
    if territory in _country_names():
        for language in get_official_languages(territory, de_facto=True):
            candidate = f"{language}_{territory}"
            if is_known_locale(candidate):
                return candidate
    return _FALLBACK_LOCALE


def parse_practice_locale(text: str) -> str:
    """A locale such as de_DE or en_US ('de-DE' too), whose number format the practice uses."""
    code = text.strip().replace("-", "_")
    if not is_known_locale(code):
        raise InvalidValue(
            f"'{text.strip()}' is not a number format this app knows. Pick one from the list."
        )
    return code


def locale_label(locale: str) -> str:
    """'German (Germany) · 1.250,00': the locale's name and how it writes an amount."""
    return f"{locale_name(locale)} · {example(Decimal(1250), locale, decimals=2)}"


@dataclass(frozen=True, slots=True)
class BillingDetails:
    """What identifies the practice on its invoices, and how it writes numbers (`locale`,
    derived from the currency and country when not given)."""

    name: str
    currency: Currency
    address: Address
    time_zone: str
    tax_number: str = ""
    licence_number: str = ""
    locale: str = ""

    def __post_init__(self) -> None:
        if not self.locale:
            derived = default_locale(self.currency.code, self.address.country)
            object.__setattr__(self, "locale", derived)


class InvoiceTemplate(enum.StrEnum):
    CLASSIC = "classic"
    MODERN = "modern"
    MINIMAL = "minimal"


class InvoiceTheme(enum.StrEnum):
    SLATE = "slate"
    OCEAN = "ocean"
    FOREST = "forest"
    PLUM = "plum"
    SUNSET = "sunset"


@dataclass(frozen=True, slots=True)
class InvoiceSettings:
    """How invoices look and read."""

    template: InvoiceTemplate = InvoiceTemplate.CLASSIC
    theme: InvoiceTheme = InvoiceTheme.SLATE
    logo_ref: str | None = None
    details: str = ""
    payment_terms_days: int = 14
    footer: str = ""
    number_prefix: str = "INV-"

    def format_number(self, sequence: int) -> str:
        """The invoice number shown to people: prefix plus at least four digits."""
        return f"{self.number_prefix}{sequence:04d}"


def parse_number_prefix(text: str) -> str:
    prefix = text.strip()
    if prefix and not NUMBER_PREFIX_PATTERN.match(prefix):
        raise InvalidValue(
            "Use up to 12 letters, digits or - / _ . for the prefix, starting with a letter or "
            "digit (e.g. INV-)."
        )
    return prefix


def parse_payment_terms(value: int) -> int:
    if not 0 <= value <= MAX_PAYMENT_TERMS_DAYS:
        raise InvalidValue(f"Payment terms are 0 to {MAX_PAYMENT_TERMS_DAYS} days; got {value}.")
    return value


MAX_REPEAT_DAYS = 365
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKEND = frozenset({5, 6})


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    """When payment reminders go out: days relative to the due date, at a local time, then
    optionally every `repeat_every_days` after the last step until paid; never on
    `quiet_days` (weekday numbers, Monday 0), which move a reminder to the next sending day.

    `wordings` holds the practice's own wording of some steps (by offset); the others read
    as their tone's default. The overdue digest goes to the billing channel at
    `digest_time` when `digest_enabled`."""

    enabled: bool = False
    offsets: tuple[int, ...] = (-3, 0, 7)
    send_time: time = time(9, 0)
    repeat_every_days: int | None = None
    quiet_days: frozenset[int] = WEEKEND
    wordings: tuple[tuple[int, str], ...] = ()
    digest_enabled: bool = True
    digest_time: time = time(8, 30)

    def __post_init__(self) -> None:
        object.__setattr__(self, "offsets", validate_offsets(self.offsets))
        for moment in (self.send_time, self.digest_time):
            if moment.tzinfo is not None:
                raise InvalidValue("The send time is a local time of day, without a time zone.")
        if self.repeat_every_days is not None:
            object.__setattr__(self, "repeat_every_days", parse_repeat_days(self.repeat_every_days))
        object.__setattr__(self, "quiet_days", validate_quiet_days(self.quiet_days))
        kept = {offset: text for offset, text in self.wordings if text.strip()}
        object.__setattr__(self, "wordings", tuple(sorted(kept.items())))

    def wording_for(self, offset: int) -> str | None:
        """The practice's own wording of the step `offset` days from the due date, if any."""
        return next((text for step, text in self.wordings if step == offset), None)

    @staticmethod
    def parse_offsets(text: str) -> tuple[int, ...]:
        """Read a schedule typed as '-3, 0, 7' (days before the due date are negative)."""
        pieces = [piece.strip() for piece in re.split(r"[,\s]+", text.strip()) if piece.strip()]
        offsets: list[int] = []
        for piece in pieces:
            if not re.fullmatch(r"[+-]?\d{1,4}", piece):
                raise InvalidValue(
                    f"'{piece}' is not a whole number of days. Write the schedule like -3, 0, 7."
                )
            offsets.append(int(piece))
        return validate_offsets(tuple(offsets))

    @staticmethod
    def parse_send_time(text: str) -> time:
        """Read a local time of day written as HH:MM in 24-hour form."""
        match = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise InvalidValue(f"'{text.strip()}' is not a time of day. Use HH:MM, e.g. 09:00.")
        return time(int(match[1]), int(match[2]))


def parse_repeat_days(value: int | str) -> int:
    """Days between repeats after the last step: a whole number from 1 to 365."""
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"\d{1,4}", text):
            raise InvalidValue(f"'{text}' is not a whole number of days. Write e.g. 7.")
        value = int(text)
    if isinstance(value, bool) or not 1 <= value <= MAX_REPEAT_DAYS:
        raise InvalidValue(f"Repeat every 1 to {MAX_REPEAT_DAYS} days; got {value}.")
    return value


def validate_quiet_days(days: frozenset[int] | set[int] | tuple[int, ...]) -> frozenset[int]:
    """Weekdays (Monday 0 to Sunday 6) on which no reminder goes out; at least one day of
    the week must stay a sending day."""
    chosen = frozenset(days)
    if any(isinstance(day, bool) or day not in range(7) for day in chosen):
        raise InvalidValue("Non-sending days are weekdays, Monday (0) to Sunday (6).")
    if len(chosen) == 7:
        raise InvalidValue("Leave at least one day of the week for sending reminders.")
    return chosen


def validate_offsets(offsets: tuple[int, ...]) -> tuple[int, ...]:
    """Sorted, unique offsets: at most 10, each within a year of the due date."""
    if any(isinstance(offset, bool) or not isinstance(offset, int) for offset in offsets):
        raise TypeError("reminder offsets are whole numbers of days")
    if len(offsets) > MAX_REMINDER_OFFSETS:
        raise InvalidValue(
            f"A schedule has at most {MAX_REMINDER_OFFSETS} reminders; this one has {len(offsets)}."
        )
    for offset in offsets:
        if abs(offset) > MAX_REMINDER_OFFSET_DAYS:
            raise InvalidValue(
                f"{offset} days is too far from the due date; use -{MAX_REMINDER_OFFSET_DAYS} "
                f"to {MAX_REMINDER_OFFSET_DAYS}."
            )
    if len(set(offsets)) != len(offsets):
        raise InvalidValue("Each day appears once in the schedule; remove the repeated days.")
    return tuple(sorted(offsets))


def parse_tax_percent(value: Decimal | str, locale: str = "en_US") -> Decimal:
    """A tax percentage from 0 to 100 with at most four decimals, typed as `locale` writes
    numbers ('7.25' in en_US, '7,25 %' in de_DE)."""
    if isinstance(value, float):
        raise TypeError("a tax percentage must be a Decimal or text, not a float")
    forms = (
        f"Type the rate as a percent, e.g. {example(Decimal(19), locale, decimals=0)} or "
        f"{example(Decimal('7.5'), locale, decimals=1)}."
    )
    percent = (
        read_number(
            value.strip().rstrip("%").rstrip(),
            locale,
            forms=forms,
            # Trailing zeros past the fourth decimal change nothing, and are checked below.
            max_decimals=MAX_TYPED_DECIMALS,
            too_precise=f"a tax rate has at most {MAX_TAX_PERCENT_DECIMALS} decimals.",
        )
        if isinstance(value, str)
        else value
    )
    if not isinstance(percent, Decimal) or not percent.is_finite():
        raise InvalidValue(f"Enter the rate as a number. {forms}")
    if percent < 0 or percent > 100:
        raise InvalidValue(f"A tax rate is between 0 and 100 %; got {format_percent(percent)}.")
    exponent = percent.as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent > MAX_TAX_PERCENT_DECIMALS and percent != percent.quantize(Decimal("0.0001")):
        raise InvalidValue(
            f"A tax rate has at most {MAX_TAX_PERCENT_DECIMALS} decimals; got "
            f"{format_percent(percent, locale)}. {forms}"
        )
    return percent.quantize(Decimal("0.0001"))


@dataclass(frozen=True, slots=True)
class TaxRate:
    """A named tax rate of one practice; archived, never deleted, once it has been used."""

    id: TaxRateId
    practice_id: PracticeId
    name: str
    percent: Decimal
    archived_at: datetime | None = None

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def tax_on(self, net: Money) -> Money:
        return tax_on(net, self.percent)

    @property
    def label(self) -> str:
        return self.label_in("en_US")

    def label_in(self, locale: str) -> str:
        """'VAT (7,5 %)' as `locale` writes the percentage."""
        return f"{self.name} ({format_percent(self.percent, locale)})"


def tax_on(net: Money, percent: Decimal) -> Money:
    """Tax on a net amount at a percentage, rounded half-up to the minor unit."""
    return net.times(percent.scaleb(-2))


def format_percent(percent: Decimal, locale: str = "en_US") -> str:
    """'7.5 %' (en_US) or '7,5 %' (de_DE): as the practice types a rate back in."""
    text = format_decimal(percent, format="0.####", locale=locale)
    return f"{text} %"


def parse_tax_rate_name(text: str) -> str:
    return required_text(text, label="tax rate name", max_length=50)


@dataclass(frozen=True, slots=True)
class Practice:
    """One practice: a Slack workspace that installed the app, with all its settings."""

    id: PracticeId
    workspace_id: str
    billing: BillingDetails
    invoice_settings: InvoiceSettings = field(default_factory=InvoiceSettings)
    reminder_policy: ReminderPolicy = field(default_factory=ReminderPolicy)
    default_tax_rate_id: TaxRateId | None = None
    privacy_mode: bool = True
    billing_channel_id: str | None = None
    # False once the workspace uninstalled the app: its data stays, its jobs stop.
    active: bool = True
    version: int = 1

    @property
    def currency(self) -> Currency:
        return self.billing.currency

    @property
    def locale(self) -> str:
        """How the practice writes numbers and amounts, e.g. de_DE."""
        return self.billing.locale

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.billing.time_zone)

    def with_changes(self, **changes: Any) -> Practice:
        """A copy with some settings changed and the version moved on."""
        return replace(self, version=self.version + 1, **changes)

    def today(self, now: datetime) -> datetime:
        """`now` in the practice's time zone (its date is the practice's today)."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        return now.astimezone(self.zone)


def parse_practice_name(text: str) -> str:
    return required_text(text, label="practice name", max_length=120)


def parse_registration_number(text: str | None, label: str) -> str:
    return optional_text(text, label=label, max_length=60)
