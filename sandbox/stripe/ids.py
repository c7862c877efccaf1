"""Identifiers and secrets in the formats Stripe uses (``acct_1Pgaf…``, ``cs_test_a1…``).

Ids are random rather than sequential so that a test which hard-codes one, or mixes up two
accounts, fails instead of passing by coincidence.
"""

from __future__ import annotations

import random
import secrets
import string

_ALPHABET = string.digits + string.ascii_letters
# Ids need to be unpredictable to tests, not to attackers (see sandbox/slack/ids.py); keys
# and link tokens still come from `secrets`.
_ids = random.Random(secrets.randbits(128))  # noqa: S311 - ids for tests, not secrets


def _drawn(length: int) -> str:
    return "".join(_ids.choices(_ALPHABET, k=length))


def object_id(prefix: str) -> str:
    """An id such as ``pi_3PgafyB7WZ01zgkWSjxsAJo3``: `prefix`, an underscore, 24 characters."""
    return f"{prefix}_{_ids.choice('123')}{_drawn(23)}"


def account_id() -> str:
    """A connected account id, ``acct_1`` then 15 letters and digits."""
    return f"acct_1{_drawn(15)}"


def application_id() -> str:
    """A Connect application's client id, ``ca_`` then 32 letters and digits."""
    return f"ca_{_drawn(32)}"


def checkout_session_id() -> str:
    """A test-mode Checkout Session id, ``cs_test_a1`` then 56 letters and digits."""
    return f"cs_test_a1{_drawn(56)}"


def request_id() -> str:
    """A ``Request-Id`` header value, ``req_`` then 14 letters and digits."""
    return f"req_{_drawn(14)}"


def secret_key() -> str:
    """A test-mode secret key, ``sk_test_51`` then 96 letters and digits."""
    return "sk_test_51" + "".join(secrets.choice(_ALPHABET) for _ in range(96))


def webhook_secret() -> str:
    """A webhook endpoint's signing secret, ``whsec_`` then 32 letters and digits."""
    return "whsec_" + "".join(secrets.choice(_ALPHABET) for _ in range(32))


def link_token() -> str:
    """The unguessable part of an Account Link, login link or receipt URL."""
    return secrets.token_urlsafe(12)
