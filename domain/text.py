"""Checks on free text typed by people: trimmed, bounded, and never blank where required."""

from __future__ import annotations

import unicodedata

from domain.errors import InvalidValue


def required_text(value: str, *, label: str, max_length: int) -> str:
    """Trimmed text that must not be empty nor longer than `max_length` characters."""
    cleaned = value.strip()
    if not cleaned:
        raise InvalidValue(f"Enter the {label}.")
    if len(cleaned) > max_length:
        raise InvalidValue(
            f"The {label} is {len(cleaned)} characters long; keep it to {max_length}."
        )
    return cleaned


def optional_text(value: str | None, *, label: str, max_length: int) -> str:
    """Trimmed text that may be empty but not longer than `max_length` characters."""
    cleaned = (value or "").strip()
    if len(cleaned) > max_length:
        raise InvalidValue(
            f"The {label} is {len(cleaned)} characters long; keep it to {max_length}."
        )
    return cleaned


def search_key(text: str) -> str:
    """`text` as searches compare it: case folded, accents dropped, spaces collapsed, so that
    "zoe" finds "Zoë" and "ZOE", and "muller" finds "Müller".

    NFKD splits an accented letter into its letter and combining marks (and a ligature such
    as "ﬁ" into its letters); the marks are then dropped. Folding comes between two passes
    because folding can itself produce letters that decompose further."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    kept = "".join(char for char in folded if not unicodedata.combining(char))
    return " ".join(kept.split())
