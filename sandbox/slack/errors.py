"""The one way a Web API method refuses: raise `SlackApiError`, answered as Slack answers."""

from __future__ import annotations

from typing import Any


class SlackApiError(Exception):
    """A Web API error: ``{"ok": false, "error": code, **extra}`` with `status` (200, as Slack).

    Slack answers nearly every error with HTTP 200; only rate limiting uses 429.
    """

    def __init__(
        self,
        code: str,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(code)
        self.code = code
        self.status = status
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON body Slack sends for this error."""
        return {"ok": False, "error": self.code, **self.extra}


def invalid_blocks(messages: list[str]) -> SlackApiError:
    """``invalid_blocks`` as chat methods answer it: bare `errors` plus ``[ERROR]`` messages."""
    return SlackApiError(
        "invalid_blocks",
        errors=messages,
        response_metadata={"messages": [f"[ERROR] {message}" for message in messages]},
    )


def invalid_arguments(messages: list[str]) -> SlackApiError:
    """``invalid_arguments`` as views methods answer a bad view."""
    return SlackApiError(
        "invalid_arguments",
        response_metadata={"messages": [f"[ERROR] {message}" for message in messages]},
    )
