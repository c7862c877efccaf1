"""A person's browser during the OAuth install: app install page → Slack → app redirect URL.

Follows redirects by hand (so every hop is visible to the test), keeps cookies (Bolt ties the
OAuth ``state`` to a cookie set by the install page), and clicks the "Add to Slack" link when
the app shows an install page instead of redirecting. Like a browser, it sends "Secure"
cookies to loopback addresses over plain HTTP.
"""

from __future__ import annotations

import html
import re
import urllib.request
from dataclasses import dataclass
from http.cookiejar import Cookie, CookieJar, DefaultCookiePolicy
from urllib.error import HTTPError
from urllib.parse import urljoin, urlsplit

_MAX_HOPS = 10


@dataclass(frozen=True)
class Hop:
    """One GET the browser made."""

    url: str
    status: int
    location: str | None


@dataclass(frozen=True)
class InstallWalk:
    """Every hop of the install and the page the browser ended on."""

    hops: list[Hop]
    status: int
    body: str

    @property
    def final_url(self) -> str:
        return self.hops[-1].url


class _LoopbackIsSecure(DefaultCookiePolicy):
    # Browsers treat http://127.0.0.1 and localhost as secure contexts and send them
    # "Secure" cookies, such as Bolt's OAuth state cookie; Python's cookie jar does not.
    def return_ok_secure(self, cookie: Cookie, request: urllib.request.Request) -> bool:
        host = urlsplit(request.full_url).hostname
        return host in ("127.0.0.1", "localhost", "::1") or super().return_ok_secure(
            cookie, request
        )


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_: object, **__: object) -> None:
        return None


def walk_install(install_url: str, authorize_url: str, *, timeout: float = 10.0) -> InstallWalk:
    """GET `install_url` and follow the flow through `authorize_url` back to the app."""
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}),
        urllib.request.HTTPCookieProcessor(CookieJar(_LoopbackIsSecure())),
        _KeepRedirects(),
    )
    link = re.compile(r'href="(' + re.escape(html.escape(authorize_url)) + r'[^"]*)"')
    hops: list[Hop] = []
    url, clicked = install_url, False
    for _ in range(_MAX_HOPS):
        status, location, body = _get(opener, url, timeout)
        hops.append(Hop(url, status, location))
        if location is not None and 300 <= status < 400:
            url = urljoin(url, location)
            continue
        found = link.search(body) if status == 200 and not clicked else None
        if found is None:
            return InstallWalk(hops, status, body)
        url, clicked = html.unescape(found.group(1)), True
    raise RuntimeError(f"the install did not settle within {_MAX_HOPS} hops: {hops}")


def _get(
    opener: urllib.request.OpenerDirector, url: str, timeout: float
) -> tuple[int, str | None, str]:
    try:
        with opener.open(url, timeout=timeout) as reply:
            return (
                reply.status,
                reply.headers.get("Location"),
                reply.read().decode(errors="replace"),
            )
    except HTTPError as error:
        return error.code, error.headers.get("Location"), error.read().decode(errors="replace")
