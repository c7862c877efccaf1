"""What a payment reminder says: the tone of each step, its default wording, and the
placeholders a practice may write into its own wording.

A wording is plain text in which `{first_name}`, `{invoice_number}`, `{balance}`,
`{due_date}` and `{pay_link}` stand for the client's details; they are filled in when the
e-mail is written, from the records as they are then. Any other `{word}` is refused when the
wording is saved, so a typo never reaches a client as a literal `{frist_name}`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass

from domain.errors import InvalidValue

MAX_WORDING_LENGTH = 2000

PLACEHOLDERS: dict[str, str] = {
    "first_name": "the client's first name",
    "invoice_number": "the invoice's number",
    "balance": "what is left to pay",
    "due_date": "the due date",
    "pay_link": "the invoice's pay link",
}
_PLACEHOLDER = re.compile(r"\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}")


class Tone(enum.StrEnum):
    """How a reminder reads, from its place in the schedule."""

    FRIENDLY = "friendly"  # before the due date
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    FINAL = "final"  # the last step after the due date, and its repeats

    @property
    def label(self) -> str:
        return {
            Tone.FRIENDLY: "Friendly reminder",
            Tone.DUE_TODAY: "Due today",
            Tone.OVERDUE: "Overdue",
            Tone.FINAL: "Final notice",
        }[self]


DEFAULT_WORDING: dict[Tone, str] = {
    Tone.FRIENDLY: (
        "Hi {first_name},\n\n"
        "A friendly reminder that invoice {invoice_number} for {balance} is due on "
        "{due_date}. You can pay it online here: {pay_link}\n\n"
        "If you have already paid, thank you, and please ignore this message."
    ),
    Tone.DUE_TODAY: (
        "Hi {first_name},\n\n"
        "Invoice {invoice_number} for {balance} is due today, {due_date}. You can pay it "
        "online here: {pay_link}\n\n"
        "Thank you!"
    ),
    Tone.OVERDUE: (
        "Hi {first_name},\n\n"
        "Invoice {invoice_number} was due on {due_date}, and {balance} is still unpaid. "
        "Please pay it here: {pay_link}\n\n"
        "If you have already paid, please ignore this message. If anything is unclear, "
        "just reply to this e-mail."
    ),
    Tone.FINAL: (
        "Hi {first_name},\n\n"
        "This is a final notice: invoice {invoice_number}, due on {due_date}, still has "
        "{balance} unpaid. Please pay it now: {pay_link}\n\n"
        "If you cannot pay in full, or think this is a mistake, please reply to this e-mail "
        "so that we can sort it out together."
    ),
}

_SUBJECTS: dict[Tone, str] = {
    Tone.FRIENDLY: "Reminder: invoice {invoice_number} is due on {due_date}",
    Tone.DUE_TODAY: "Invoice {invoice_number} is due today",
    Tone.OVERDUE: "Invoice {invoice_number} is overdue",
    Tone.FINAL: "Final notice: invoice {invoice_number}",
}


def parse_wording(text: str) -> str:
    """A wording as typed: trimmed, at most `MAX_WORDING_LENGTH` characters, naming only
    known placeholders. Empty means "the default wording of the step"."""
    cleaned = "\n".join(line.rstrip() for line in text.strip().splitlines())
    if len(cleaned) > MAX_WORDING_LENGTH:
        raise InvalidValue(
            f"The wording is {len(cleaned)} characters long; keep it to {MAX_WORDING_LENGTH}."
        )
    unknown = sorted({name for name in _PLACEHOLDER.findall(cleaned) if name not in PLACEHOLDERS})
    if unknown:
        names = ", ".join("{" + name + "}" for name in unknown)
        known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
        raise InvalidValue(f"{names} is not a placeholder. Use {known}.")
    return cleaned


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of a filled-in wording: plain text, or the value of a placeholder."""

    text: str
    placeholder: str | None = None


def fill(text: str, values: Mapping[str, str]) -> list[Segment]:
    """`text` with its placeholders replaced by `values`, as segments, so that an HTML
    rendering can make the pay link a link and escape the rest."""
    segments: list[Segment] = []
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        name = match[1]
        if name not in PLACEHOLDERS:
            continue
        if match.start() > position:
            segments.append(Segment(text[position : match.start()]))
        segments.append(Segment(values.get(name, ""), name))
        position = match.end()
    if position < len(text):
        segments.append(Segment(text[position:]))
    return segments


def fill_text(text: str, values: Mapping[str, str]) -> str:
    return "".join(segment.text for segment in fill(text, values))


def subject_for(tone: Tone, values: Mapping[str, str]) -> str:
    return " ".join(fill_text(_SUBJECTS[tone], values).split())


def first_name(full_name: str) -> str:
    """The word a reminder greets the client by; "there" ("Hi there,") without a name."""
    words = full_name.split()
    return words[0] if words else "there"
