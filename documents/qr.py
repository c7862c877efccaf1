"""The pay link as a QR code, for a client who reads the invoice on a computer or on paper and
would rather pay on the phone."""

from __future__ import annotations

import segno
from markupsafe import Markup, escape


def qr_svg(url: str, *, colour: str, label: str) -> Markup:
    """An inline SVG of `url` (with the standard quiet zone), sized by its container.

    Error correction M survives a smudged print or a glare on the screen and still keeps a
    pay link at a size phones read from arm's length."""
    code = segno.make(url, error="m", micro=False)
    svg = code.svg_inline(scale=1, dark=colour, light="#ffffff", omitsize=True, svgclass="qr")
    # The SVG is segno's drawing of the modules (the URL is not written into it as text), so
    # it is safe to embed as it is; only the label is text, escaped here.
    named = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)
    return Markup(named)  # noqa: S704
