"""Checks on free text typed by people: trimmed, bounded, and never blank where required."""

from __future__ import annotations

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
