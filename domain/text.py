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


# Letters with a stroke, ligatures and the like that Unicode does not decompose into a base
# letter and marks, so NFKD leaves them whole: a person types "lodz" for "Łódź" and "oberg"
# for "Øberg" all the same. Lower case only: they are replaced after case folding (which
# already turns "ß" and "ẞ" into "ss").
_UNDECOMPOSED = str.maketrans(
    {
        "ł": "l",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
        "ħ": "h",
        "ı": "i",
        "ŧ": "t",
        "ŋ": "n",
    }
)


def search_key(text: str) -> str:
    """`text` as searches compare it: case folded, accents dropped, spaces collapsed, so that
    "zoe" finds "Zoë" and "ZOE", "muller" finds "Müller", and "lodz" "Łódź".

    NFKD splits an accented letter into its letter and combining marks (and a ligature such
    as "ﬁ" into its letters); the marks are then dropped. Folding comes between two passes
    because folding can itself produce letters that decompose further. Letters NFKD keeps
    whole (Ł, Ø, Đ, Æ, Œ, Þ...) are then spelled in Latin letters (`_UNDECOMPOSED`).

    Stored keys are made by this function: a change to it needs a revision that recomputes
    them (as 0009_search_key_letters does), with its own copy of it."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    kept = "".join(char for char in folded if not unicodedata.combining(char))
    return " ".join(kept.translate(_UNDECOMPOSED).split())
