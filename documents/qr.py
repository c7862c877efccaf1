"""The pay link as a QR code, for a client who reads the invoice on a computer or on paper and
would rather pay on the phone."""

from __future__ import annotations

from functools import lru_cache

import segno
from markupsafe import Markup, escape


def qr_svg(url: str, *, colour: str, label: str) -> Markup:
    """An inline SVG of `url` (with the standard quiet zone), sized by its container.

    Error correction M survives a smudged print or a glare on the screen and still keeps a
    pay link at a size phones read from arm's length."""
    # The SVG is segno's drawing of the modules (the URL is not written into it as text), so
    # it is safe to embed as it is; only the label is text, escaped here.
    named = _drawn(url, colour).replace(
        "<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1
    )
    return Markup(named)  # noqa: S704


@lru_cache(maxsize=512)
def _drawn(url: str, colour: str) -> str:
    """Kept for the page's next views (a mail scanner's, the client's, a reload): choosing
    the code's best mask costs about 7 ms of CPU, three quarters of the page's."""
    code = segno.make(url, error="m", micro=False)
    return str(code.svg_inline(scale=1, dark=colour, light="#ffffff", omitsize=True, svgclass="qr"))
