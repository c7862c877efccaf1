"""Identifiers, tokens and timestamps in the formats Slack uses.

Ids are random rather than sequential so that a test which hard-codes an id, or mixes up two
workspaces, fails instead of passing by coincidence.
"""

from __future__ import annotations

import random
import secrets
import string

_ID_ALPHABET = string.digits + string.ascii_uppercase
_HASH_ALPHABET = string.ascii_letters + string.digits
# Ids need to be unpredictable to tests, not to attackers: one generator seeded from the OS
# draws a whole id at once, where `secrets` would read the OS once per character (a view
# alone needs dozens of ids). Tokens and codes still come from `secrets`.
_ids = random.Random(secrets.randbits(128))  # noqa: S311 - ids for tests, not secrets


def _drawn(alphabet: str, length: int) -> str:
    return "".join(_ids.choices(alphabet, k=length))


def slack_id(prefix: str, length: int = 10) -> str:
    """An id such as ``T04ABCD1234``: `prefix` then upper-case letters and digits."""
    return prefix + _drawn(_ID_ALPHABET, length)


def bot_token() -> str:
    """A bot token, ``xoxb-<digits>-<digits>-<24 letters and digits>``."""
    return f"xoxb-{_digits(12)}-{_digits(13)}-{secrets.token_urlsafe(18)[:24]}"


def user_token() -> str:
    """A user token, ``xoxp-<digits>-<digits>-<digits>-<32 hex digits>``."""
    return f"xoxp-{_digits(12)}-{_digits(12)}-{_digits(13)}-{secrets.token_hex(16)}"


def app_token(app_id: str) -> str:
    """An app-level token, ``xapp-1-<app id>-<digits>-<64 hex digits>``."""
    return f"xapp-1-{app_id}-{_digits(13)}-{secrets.token_hex(32)}"


def trigger_id() -> str:
    """A trigger id, ``<digits>.<digits>.<32 hex digits>`` like the ones Slack sends."""
    return f"{_digits(13)}.{_digits(12)}.{secrets.token_hex(16)}"


def view_hash(now: float) -> str:
    """A view hash, ``<epoch seconds>.<8 letters>``."""
    return f"{int(now)}.{_drawn(_HASH_ALPHABET, 8)}"


def oauth_code() -> str:
    """A temporary OAuth code, ``<digits>.<digits>.<64 hex digits>``."""
    return f"{_digits(12)}.{_digits(13)}.{secrets.token_hex(32)}"


def opaque(length: int = 24) -> str:
    """An unguessable url-safe string for response URLs and upload URLs."""
    return secrets.token_urlsafe(length)


def block_id() -> str:
    """A block id for a block that has none; Slack invents short random ones (``hspI``)."""
    return _drawn(_HASH_ALPHABET, 5)


def _digits(count: int) -> str:
    return str(secrets.randbelow(9) + 1) + "".join(
        secrets.choice(string.digits) for _ in range(count - 1)
    )
