"""Slack's request signature: ``v0=`` + HMAC-SHA256 of ``v0:{timestamp}:{body}``."""

from __future__ import annotations

import hashlib
import hmac


def signature(signing_secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Slack-Signature`` value Slack sends with `body` at `timestamp`."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
