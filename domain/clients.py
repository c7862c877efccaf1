"""Clients of a practice: the people invoices are addressed to."""

from __future__ import annotations

from dataclasses import dataclass, field

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from domain.errors import InvalidValue
from domain.ids import ClientId, PracticeId
from domain.practice import Address


def parse_email(text: str) -> str:
    """A deliverable-looking address, normalised (the domain part lower-cased).

    Deliverability (a DNS lookup) is not checked: the app must work offline and a
    practice's client may use an intranet domain.
    """
    candidate = text.strip()
    if not candidate:
        raise InvalidValue("Enter the client's e-mail address.")
    try:
        checked = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as problem:
        raise InvalidValue(f"'{candidate}' is not an e-mail address: {problem}") from None
    return str(checked.normalized)


def parse_phone(text: str | None, default_region: str | None) -> str:
    """A phone number in E.164 form ('' when none was given).

    Numbers without a leading + are read as local to `default_region` (the practice's
    country).
    """
    candidate = (text or "").strip()
    if not candidate:
        return ""
    try:
        number = phonenumbers.parse(candidate, default_region or None)
    except phonenumbers.NumberParseException:
        raise InvalidValue(
            f"'{candidate}' is not a phone number. Include the country code, e.g. +1 415 555 0100."
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidValue(
            f"'{candidate}' is not a valid phone number. Check the digits and the country code."
        )
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


@dataclass(frozen=True, slots=True)
class Client:
    """A client of the practice; a person, not a Slack user."""

    id: ClientId
    practice_id: PracticeId
    name: str
    email: str
    phone: str = ""
    address: Address = field(default_factory=Address)
    notes: str = ""
    version: int = 1

    @property
    def initials(self) -> str:
        """What channel posts show instead of the name while privacy mode is on."""
        return initials_of(self.name)


def initials_of(name: str) -> str:
    """ "Ada Lovelace" is "A.L.": how channel posts name a client while privacy mode is on."""
    parts = [part for part in name.replace("-", " ").split() if part[:1].isalpha()]
    if not parts:
        return "?"
    letters = parts[0][0] + (parts[-1][0] if len(parts) > 1 else "")
    return ".".join(letter.upper() for letter in letters) + "."
