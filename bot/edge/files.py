"""Downloading a file a user gave the app through Slack, sending the bot token to Slack only."""

from __future__ import annotations

import threading
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
        # urllib's timeout bounds each socket operation, not the download: a server sending
        # a byte now and then held a modal's ack for 16 s. So the download runs on a thread
        # of its own and is waited for `timeout` at most; left behind, it stops at its next
        # read, within one more `timeout`.
        download = _Download(opener, request, limit, time.monotonic() + timeout, timeout)
        download.start()
        download.join(timeout)
        if download.is_alive():
            raise FileNotFetched(TOO_SLOW)
        return download.result()

    return fetch


TOO_SLOW = "Slack took too long to send the file; try again."


class _Download(threading.Thread):
    """Reads at most `limit` + 1 bytes of the file, and stops once `deadline` is past."""

    def __init__(
        self,
        opener: urllib.request.OpenerDirector,
        request: urllib.request.Request,
        limit: int,
        deadline: float,
        timeout: float,
    ) -> None:
        super().__init__(name="slack-file-download", daemon=True)
        self._opener, self._request = opener, request
        self._limit, self._deadline, self._timeout = limit, deadline, timeout
        self._content = b""
        self._failure: FileNotFetched | None = None

    def result(self) -> bytes:
        """The file's bytes, once the download has ended. Raises FileNotFetched."""
        if self._failure is not None:
            raise self._failure
        return self._content

    def run(self) -> None:
        try:
            self._content = self._read()
        except FileNotFetched as failure:
            self._failure = failure

    def _read(self) -> bytes:
        received = bytearray()
        try:
            with self._opener.open(self._request, timeout=self._timeout) as response:
                while len(received) <= self._limit:
                    # read1 returns what has arrived, where read waits for the whole amount.
                    chunk = response.read1(min(CHUNK, self._limit + 1 - len(received)))
                    if not chunk:
                        break
                    received += chunk
                    if time.monotonic() > self._deadline:
                        raise FileNotFetched(TOO_SLOW)
        except urllib.error.HTTPError as error:
            raise FileNotFetched(
                f"Slack didn't let me fetch the file (HTTP {error.code}); try again."
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError):
            raise FileNotFetched("I couldn't reach Slack to fetch the file; try again.") from None
        return bytes(received)
