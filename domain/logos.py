"""Invoice logos: images checked by their content, not by the name they were uploaded under."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.errors import InvalidValue

MAX_LOGO_BYTES = 1_000_000
_SVG_ROOT = re.compile(rb"<svg[\s>]", re.IGNORECASE)
_SVG_SCRIPT = re.compile(rb"<script|javascript:|\son[a-z]+\s*=", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Logo:
    content_type: str
    content: bytes


def _sniff(content: bytes) -> str | None:
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    head = content[:2048].lstrip()
    if head.startswith((b"<?xml", b"<svg", b"<!--", b"<!DOCTYPE svg")) and _SVG_ROOT.search(head):
        return "image/svg+xml"
    return None


def check_logo(filename: str, content: bytes) -> Logo:
    """A PNG, JPEG or SVG under 1 MB, told apart by its first bytes.

    Raises InvalidValue saying what is wrong (too big, not an image, a script in an SVG)."""
    if len(content) > MAX_LOGO_BYTES:
        raise InvalidValue(
            f"{filename} is {len(content) / 1_000_000:.1f} MB; a logo must be under 1 MB."
        )
    if not content:
        raise InvalidValue(f"{filename} is empty. Upload a PNG, JPEG or SVG image.")
    kind = _sniff(content)
    if kind is None:
        raise InvalidValue(
            f"{filename} is not a PNG, JPEG or SVG image (whatever its name says). "
            "Upload the logo as one of those."
        )
    # The logo is shown on the client's invoice page: an SVG that runs script there
    # would run it on our origin.
    if kind == "image/svg+xml" and _SVG_SCRIPT.search(content):
        raise InvalidValue(f"{filename} contains script; upload an SVG without it, or a PNG.")
    return Logo(kind, content)
