"""Slack's ``mrkdwn`` text as HTML: what Slack's client shows for a text object.

Handles what Slack documents under "Formatting message text": ``*bold*``, ``_italic_``,
``~strike~``, `` `code` ``, fenced code, ``>`` quotes, line breaks, ``<url|label>`` links,
``<@U…>`` and ``<#C…>`` mentions, ``<!here>``-style special mentions, ``<!date^…|fallback>``,
Slack's three HTML entities, and ``:emoji:`` shortcodes (and the emoji characters themselves):
the marks the app uses are drawn (`sandbox.console.emoji`), other known ones become Unicode
emoji, unknown ones stay as their shortcode. Every character of the input ends up
HTML-escaped unless it is markup we produced.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from sandbox.console.emoji import glyph

# Common shortcodes; anything else is shown as the shortcode itself, which is still readable.
EMOJI: Mapping[str, str] = {
    "white_check_mark": "\u2705",
    "heavy_check_mark": "\u2714\ufe0f",
    "ballot_box_with_check": "\u2611\ufe0f",
    "white_square": "\u2b1c",
    "white_large_square": "\u2b1c",
    "black_square": "\u2b1b",
    "x": "\u274c",
    "warning": "\u26a0\ufe0f",
    "information_source": "\u2139\ufe0f",
    "bell": "\U0001f514",
    "no_bell": "\U0001f515",
    "moneybag": "\U0001f4b0",
    "money_with_wings": "\U0001f4b8",
    "dollar": "\U0001f4b5",
    "euro": "\U0001f4b6",
    "pound": "\U0001f4b7",
    "credit_card": "\U0001f4b3",
    "receipt": "\U0001f9fe",
    "page_facing_up": "\U0001f4c4",
    "memo": "\U0001f4dd",
    "calendar": "\U0001f4c6",
    "date": "\U0001f4c5",
    "spiral_calendar_pad": "\U0001f5d3\ufe0f",
    "clock1": "\U0001f550",
    "hourglass": "\u231b",
    "hourglass_flowing_sand": "\u23f3",
    "lock": "\U0001f512",
    "unlock": "\U0001f513",
    "gear": "\u2699\ufe0f",
    "wrench": "\U0001f527",
    "bust_in_silhouette": "\U0001f464",
    "busts_in_silhouette": "\U0001f465",
    "wave": "\U0001f44b",
    "tada": "\U0001f389",
    "rocket": "\U0001f680",
    "star": "\u2b50",
    "sparkles": "\u2728",
    "heart": "\u2764\ufe0f",
    "thumbsup": "\U0001f44d",
    "+1": "\U0001f44d",
    "thumbsdown": "\U0001f44e",
    "-1": "\U0001f44e",
    "smile": "\U0001f604",
    "slightly_smiling_face": "\U0001f642",
    "eyes": "\U0001f440",
    "mag": "\U0001f50d",
    "link": "\U0001f517",
    "email": "\U0001f4e7",
    "envelope": "\u2709\ufe0f",
    "bank": "\U0001f3e6",
    "hospital": "\U0001f3e5",
    "red_circle": "\U0001f534",
    "large_green_circle": "\U0001f7e2",
    "large_yellow_circle": "\U0001f7e1",
    "arrow_right": "\u27a1\ufe0f",
    "arrows_counterclockwise": "\U0001f504",
    "chart_with_upwards_trend": "\U0001f4c8",
    "bar_chart": "\U0001f4ca",
    "pushpin": "\U0001f4cc",
    "bulb": "\U0001f4a1",
    "question": "\u2753",
    "exclamation": "\u2757",
    "no_entry": "\u26d4",
    "double_vertical_bar": "\u23f8\ufe0f",
    "leftwards_arrow_with_hook": "\u21a9\ufe0f",
    "lower_left_fountain_pen": "\U0001f58b\ufe0f",
    # The Help channel's marks: tickets, escalations, answers and the practice's ratings.
    "ticket": "\U0001f3ab",
    "rotating_light": "\U0001f6a8",
    "speech_balloon": "\U0001f4ac",
    "star-struck": "\U0001f929",
    "neutral_face": "\U0001f610",
    "disappointed": "\U0001f61e",
}

_SAFE_SCHEMES = ("http://", "https://", "mailto:", "tel:")
# Placeholders stand in for links, mentions and code while formatting runs over the rest;
# NUL never survives Slack's API, so it cannot clash with real text.
_HOLE = "\x00"
_HOLE_RE = re.compile(_HOLE + r"(\d+)" + _HOLE)
_TOKENS = re.compile(r"```(?P<pre>.+?)```|`(?P<code>[^`\n]+)`|<(?P<angle>[^<>\n]+)>", re.DOTALL)
_EMOJI_RE = re.compile(r":([a-z+\-][a-z0-9_+\-]*):")
# The characters of known emoji (with or without the emoji presentation selector), so an
# emoji the app wrote as a character is drawn like its shortcode.
_SHORTCODE_OF = {char.removesuffix("\ufe0f"): code for code, char in reversed(list(EMOJI.items()))}
_EMOJI_CHAR_RE = re.compile(
    "(" + "|".join(sorted(map(re.escape, _SHORTCODE_OF), key=len, reverse=True)) + ")\ufe0f?"
)
# Slack's rule: a marker opens after a start, space or opening punctuation, and closes before
# an end, space or closing punctuation; the text between neither starts nor ends with a space.
# The text is HTML-escaped by then, so a quote is an entity ending in ";" or starting with "&".
_OPEN = r"(?:^|(?<=[\s(\[{;\x00]))"
_CLOSE = r"(?=$|[\s.,;:!?)\]}&\x00])"


def _marker(symbol: str, tag: str) -> tuple[re.Pattern[str], str]:
    quoted = re.escape(symbol)
    pattern = re.compile(_OPEN + quoted + r"(?=\S)([^\n]*?\S)" + quoted + _CLOSE)
    return pattern, f"<{tag}>\\1</{tag}>"


_FORMATS = (_marker("*", "b"), _marker("_", "i"), _marker("~", "s"))


@dataclass(frozen=True)
class Names:
    """How mentions are shown: user and channel ids to names (unknown ids show as ids)."""

    users: Mapping[str, str] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)


def mrkdwn(text: str, names: Names | None = None) -> Markup:
    """`text` in Slack's mrkdwn, as safe HTML."""
    names = names or Names()
    holes: list[str] = []

    def hole(rendered: str) -> str:
        holes.append(rendered)
        return f"{_HOLE}{len(holes) - 1}{_HOLE}"

    def token(match: re.Match[str]) -> str:
        if match["pre"] is not None:
            body = match["pre"].strip("\n")
            return hole(f'<pre class="mk-pre">{_plain(body)}</pre>')
        if match["code"] is not None:
            return hole(f'<code class="mk-code">{_plain(match["code"])}</code>')
        return hole(_angle(match["angle"], names))

    text = text.replace(_HOLE, "")
    marked = _TOKENS.sub(token, text)
    escaped = _plain(marked)
    for pattern, replacement in _FORMATS:
        escaped = pattern.sub(replacement, escaped)
    escaped = _emojis(escaped)
    body = _lines(escaped)
    # Safe: the text was escaped above, and the holes hold markup built from escaped parts.
    return Markup(_HOLE_RE.sub(lambda m: holes[int(m[1])], body))  # noqa: S704


def plain_text(text: str, *, emoji: bool = True) -> Markup:
    """A ``plain_text`` object's text: escaped, line breaks kept, shortcodes as emoji."""
    escaped = _plain(text)
    if emoji:
        escaped = _emojis(escaped)
    return Markup(escaped.replace("\n", "<br>"))  # noqa: S704 - escaped above


def emoji_for(shortcode: str) -> str | None:
    """The Unicode emoji for a shortcode without colons, if the console knows it."""
    return EMOJI.get(shortcode)


def _plain(text: str) -> str:
    # Slack's own escaping (&amp; &lt; &gt;) first, so "&lt;" shows as "<", not "&lt;".
    return str(escape(_unescape_slack(text)))


def _unescape_slack(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _emojis(escaped: str) -> str:
    as_codes = _EMOJI_CHAR_RE.sub(lambda m: f":{_SHORTCODE_OF[m[1]]}:", escaped)
    return _EMOJI_RE.sub(_emoji, as_codes)


def _emoji(match: re.Match[str]) -> str:
    drawn = glyph(match[1], match[0])
    if drawn is not None:
        return str(drawn)
    found = EMOJI.get(match[1])
    if found is None:
        return f'<span class="mk-emoji-code">{match[0]}</span>'
    # data-code: what the page shows instead when the machine has no colour emoji font.
    return f'<span class="mk-emoji" title="{match[0]}" data-code="{match[0]}">{found}</span>'


def _lines(escaped: str) -> str:
    """Line breaks, and runs of lines starting with ``>`` as one block quote."""
    out: list[str] = []
    quote: list[str] = []
    for line in escaped.split("\n"):
        if line.startswith("&gt;"):
            quote.append(line.removeprefix("&gt;").removeprefix(" "))
            continue
        if quote:
            out.append('<blockquote class="mk-quote">' + "<br>".join(quote) + "</blockquote>")
            quote = []
        out.append(line + "<br>")
    if quote:
        out.append('<blockquote class="mk-quote">' + "<br>".join(quote) + "</blockquote>")
    joined = "".join(out)
    return joined.removesuffix("<br>")


def _angle(inner: str, names: Names) -> str:
    """``<…>``: a link, a mention, a special mention or a date, per Slack's syntax."""
    target, _, label = inner.partition("|")
    handlers: dict[str, Callable[[str, str, Names], str]] = {
        "@": _user_mention,
        "#": _channel_mention,
        "!": _special_mention,
    }
    handler = handlers.get(target[:1])
    if handler is not None:
        return handler(target[1:], label, names)
    if target.lower().startswith(_SAFE_SCHEMES):
        href = _unescape_slack(target)
        shown = _plain(label) if label else _plain(target)
        return (
            f'<a class="mk-link" href="{escape(href)}" target="_blank" '
            f'rel="noopener noreferrer">{shown}</a>'
        )
    # Not something Slack would turn into markup: show it as the text it is.
    return _plain(f"<{inner}>")


def _user_mention(user_id: str, label: str, names: Names) -> str:
    name = names.users.get(user_id) or label or user_id
    return f'<span class="mk-mention" data-user-id="{escape(user_id)}">@{_plain(name)}</span>'


def _channel_mention(channel_id: str, label: str, names: Names) -> str:
    name = names.channels.get(channel_id) or label or channel_id
    return (
        f'<span class="mk-mention mk-channel" data-channel-id="{escape(channel_id)}">'
        f"#{_plain(name)}</span>"
    )


def _special_mention(command: str, label: str, _names: Names) -> str:
    kind, _, rest = command.partition("^")
    if kind in ("here", "channel", "everyone"):
        return f'<span class="mk-mention mk-special">@{kind}</span>'
    if kind == "subteam":
        shown = label.lstrip("@") if label else rest
        return f'<span class="mk-mention">@{_plain(shown)}</span>'
    if kind == "date":
        # The client formats the timestamp in the reader's zone; the fallback is what Slack
        # itself shows when it cannot, and it is what the app wrote for people.
        return _plain(label or rest)
    return _plain(label or f"<!{command}>")


__all__ = ["EMOJI", "Names", "emoji_for", "mrkdwn", "plain_text"]
