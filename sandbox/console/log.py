"""The Requests drawer: what the console sent the app, and what the app asked of "Slack".

Three sources merge into one timeline: requests the console sent to the app's Request URL
(recorded here), Web API calls the stand-in answered (`RecordedCall`), and the app's posts
to response URLs (`ResponseUrlPost`). Values that would be secrets in real Slack (tokens,
the verification token, client secrets) are masked even though the stand-in's are fake, so a
screenshot of the drawer never teaches anyone to paste real ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs

from sandbox.slack import AppResponse, RecordedCall, ResponseUrlPost

Source = Literal["console", "web_api", "response_url", "browser"]
SOURCE_LABELS: Mapping[Source, str] = {
    "console": "Slack \u2192 app",
    "web_api": "app \u2192 Web API",
    "response_url": "app \u2192 response_url",
    "browser": "browser \u2192 app",
}
_SECRET_KEYS = {"token", "access_token", "bot_token", "client_secret", "refresh_token"}
MASK = "(hidden)"


@dataclass(frozen=True)
class Entry:
    """One line of the drawer, expandable to its request and answer."""

    at: float
    team_id: str | None
    source: Source
    title: str
    status: str
    ok: bool
    ms: float | None
    request: Any
    answer: Any

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS[self.source]

    def request_json(self) -> str:
        return _pretty(self.request)

    def answer_json(self) -> str:
        return _pretty(self.answer)


def sent_entry(at: float, team_id: str, title: str, response: AppResponse) -> Entry:
    """A request the console sent the app as Slack, with the app's answer."""
    headers = {key.lower(): value for key, value in response.request.headers.items()}
    return Entry(
        at=at,
        team_id=team_id,
        source="console",
        title=title,
        status=str(response.status),
        ok=response.status == 200,
        ms=response.elapsed * 1000,
        request=masked(_decoded_body(response.request.body, headers.get("content-type", ""))),
        answer=masked(_answer(response)),
    )


def failed_entry(at: float, team_id: str, title: str, request: Any, problem: str) -> Entry:
    """A request the console could not deliver (the app did not answer at all)."""
    return Entry(at, team_id, "console", title, "no answer", False, None, masked(request), problem)


def browser_entry(at: float, team_id: str | None, url: str, status: int) -> Entry:
    """One hop of the OAuth install a browser made (app install page, Slack, redirect back)."""
    return Entry(at, team_id, "browser", f"GET {url}", str(status), status < 400, None, None, None)


def call_entry(call: RecordedCall) -> Entry:
    """A Web API call the app made, as the stand-in recorded it."""
    return Entry(
        at=call.at,
        team_id=call.team_id,
        source="web_api",
        title=call.method,
        status="ok" if call.ok else (call.error or str(call.status)),
        ok=call.ok,
        ms=call.ms,
        request=masked(call.args),
        answer=masked(call.response),
    )


def post_entry(post: ResponseUrlPost) -> Entry:
    """A message the app posted to a response URL."""
    return Entry(
        at=post.at,
        team_id=post.team_id,
        source="response_url",
        title=f"response_url ({post.response_type})",
        status="ok" if post.accepted else (post.error or "refused"),
        ok=post.accepted,
        ms=None,
        request=masked(post.body),
        answer={"ok": post.accepted, **({"error": post.error} if post.error else {})},
    )


def timeline(
    entries: Iterable[Entry], team_id: str | None = None, *, limit: int = 200
) -> list[Entry]:
    """Newest first; with `team_id`, that workspace's entries and the unscoped ones."""
    kept = [e for e in entries if team_id is None or e.team_id in (team_id, None)]
    kept.sort(key=lambda entry: entry.at, reverse=True)
    return kept[:limit]


def masked(value: Any) -> Any:
    """`value` with secret-looking keys replaced, recursively (JSON-like data only)."""
    if isinstance(value, Mapping):
        return {
            key: MASK if key in _SECRET_KEYS and value[key] else masked(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value


def _decoded_body(body: bytes, content_type: str) -> Any:
    text = body.decode("utf-8", errors="replace")
    if content_type.startswith("application/json"):
        return _json_or_text(text)
    form = {key: values[-1] for key, values in parse_qs(text, keep_blank_values=True).items()}
    if "payload" in form:
        # Interactions travel as one form field holding JSON, as Slack sends them.
        return {"payload": _json_or_text(form["payload"])}
    return form


def _answer(response: AppResponse) -> Any:
    if not response.body.strip():
        return "(empty 200: a bare ack)" if response.status == 200 else ""
    return _json_or_text(response.text)


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _pretty(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)
