"""Downloading a file a user gave the app through Slack, sending the bot token to Slack only."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

FILES_ORIGIN = "https://files.slack.com"
CHUNK = 64 * 1024

Origin = tuple[str, str, int]
FileFetcher = Callable[[str, str], bytes]
"""(url, bot token) -> at most the fetcher's limit plus one byte of the file."""


class FileNotFetched(Exception):
    """The file could not be downloaded; the message says so in words a user can act on."""


def origin_of(url: str) -> Origin | None:
    """(scheme, host, port) of an http(s) URL, with the default port filled in."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or (443 if scheme == "https" else 80)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # urllib copies the Authorization header onto a redirect, wherever it points; Slack
    # redirects a download only to its sign-in page, so a redirect is a failure anyway.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def slack_file_fetcher(api_url: str, *, limit: int, timeout: float = 2.0) -> FileFetcher:
    """A fetcher that sends the token only to the Web API's origin or files.slack.com, stops
    after `limit` + 1 bytes, and gives up after `timeout` seconds in all (the modal's ack
    has three). Raises FileNotFetched."""
    allowed = {origin for origin in (origin_of(api_url), origin_of(FILES_ORIGIN)) if origin}
    opener = urllib.request.build_opener(_NoRedirects())

    def fetch(url: str, token: str) -> bytes:
        if origin_of(url) not in allowed:
            raise FileNotFetched("That file isn't stored on Slack, so I won't fetch it.")
        if not token:
            raise FileNotFetched("I have no Slack token to fetch the file with; try again.")
        # The scheme and host were checked against the allowed origins above.
        request = urllib.request.Request(  # noqa: S310
            url, headers={"Authorization": f"Bearer {token}"}
        )
        deadline = time.monotonic() + timeout
        received = bytearray()
        try:
            with opener.open(request, timeout=timeout) as response:
                while len(received) <= limit:
                    chunk = response.read(min(CHUNK, limit + 1 - len(received)))
                    if not chunk:
                        break
                    received += chunk
                    if time.monotonic() > deadline:
                        raise FileNotFetched("Slack took too long to send the file; try again.")
        except urllib.error.HTTPError as error:
            raise FileNotFetched(
                f"Slack didn't let me fetch the file (HTTP {error.code}); try again."
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError):
            raise FileNotFetched("I couldn't reach Slack to fetch the file; try again.") from None
        return bytes(received)

    return fetch
