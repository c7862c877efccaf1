"""Emoji the console draws itself, as small inline SVG, so they show on a machine without an
emoji font (a fresh install has none; Slack's client ships its own images for the same reason).

Only the marks the app uses to say something (done / not done, warnings, errors, status
dots) are drawn: a few hundred bytes each, where serving an emoji font would add megabytes to
the repository. Any other emoji stays a character; on a machine without a colour emoji font the
page's script shows its ``:shortcode:`` instead (see ``console.js``), which still reads.
"""

from __future__ import annotations

from collections.abc import Mapping

from markupsafe import Markup

_CHECK = '<path d="M9 18.5l6 6 12-13" fill="none" stroke="{}" stroke-width="4.5" {}/>'
_ROUND = 'stroke-linecap="round" stroke-linejoin="round"'
_CROSS = '<path d="M{0} {0}L{1} {1}M{1} {0}L{0} {1}" stroke="{2}" stroke-width="{3}" {4}/>'


def _box(fill: str, stroke: str = "none") -> str:
    return f'<rect x="2" y="2" width="32" height="32" rx="6" fill="{fill}" stroke="{stroke}"/>'


def _dot(fill: str) -> str:
    return f'<circle cx="18" cy="18" r="16" fill="{fill}"/>'


#: The SVG drawing (a 36×36 view box, like Twemoji's) for each shortcode drawn here.
GLYPHS: Mapping[str, str] = {
    "white_check_mark": _box("#77b255") + _CHECK.format("#fff", _ROUND),
    "heavy_check_mark": _CHECK.format("#31373d", _ROUND),
    "ballot_box_with_check": _box("#fff", "#31373d") + _CHECK.format("#31373d", _ROUND),
    "white_square": _box("#e6e7e8", "#99aab5"),
    "white_large_square": _box("#e6e7e8", "#99aab5"),
    "black_square": _box("#31373d"),
    "x": _CROSS.format(7, 29, "#dd2e44", 6, _ROUND),
    "warning": '<path d="M18 3L34 32H2z" fill="#ffcc4d" stroke="#ffcc4d" stroke-width="2" '
    f'{_ROUND}/><path d="M18 13v9" stroke="#231f20" stroke-width="4" {_ROUND}/>'
    '<circle cx="18" cy="27.5" r="2.2" fill="#231f20"/>',
    "no_entry": _dot("#dd2e44") + '<rect x="7" y="15" width="22" height="6" fill="#fff"/>',
    "information_source": _box("#3b88c3")
    + '<circle cx="18" cy="10" r="2.6" fill="#fff"/>'
    + '<rect x="15.5" y="15" width="5" height="13" rx="1" fill="#fff"/>',
    # The card's and the History's "reminders are paused".
    "double_vertical_bar": _box("#3b88c3")
    + '<rect x="11" y="9" width="5" height="18" rx="1" fill="#fff"/>'
    + '<rect x="20" y="9" width="5" height="18" rx="1" fill="#fff"/>',
    "red_circle": _dot("#dd2e44"),
    "large_green_circle": _dot("#78b159"),
    "large_yellow_circle": _dot("#fdcb58"),
    "exclamation": '<path d="M18 5v18" stroke="#dd2e44" stroke-width="6" stroke-linecap="round"/>'
    '<circle cx="18" cy="30" r="3.5" fill="#dd2e44"/>',
}


def glyph(shortcode: str, label: str) -> Markup | None:
    """The drawn emoji for `shortcode` (named `label` for screen readers), if drawn here."""
    drawing = GLYPHS.get(shortcode)
    if drawing is None:
        return None
    return Markup(
        '<span class="mk-emoji mk-emoji-drawn" role="img" aria-label="{label}" title="{label}">'
        '<svg viewBox="0 0 36 36" aria-hidden="true">{drawing}</svg></span>'
    ).format(label=label, drawing=Markup(drawing))  # noqa: S704 - our own constant drawing
