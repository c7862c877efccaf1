"""Links the app hands out for a person to follow later (Stripe onboarding from a Slack
button), signed so that nobody can forge one for another practice or user."""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

# A Home tab is redrawn whenever it is opened, so a week-old button is a stale tab's.
MAX_AGE_SECONDS = 7 * 24 * 3600


class InvalidLink(ValueError):
    """The link was altered, made with another secret, or is too old."""


class LinkSigner:
    def __init__(self, secret: str) -> None:
        self._secret = secret

    def sign(self, purpose: str, values: dict[str, str]) -> str:
        return URLSafeTimedSerializer(self._secret, salt=purpose).dumps(values)

    def read(self, purpose: str, token: str, max_age: int = MAX_AGE_SECONDS) -> dict[str, Any]:
        try:
            values = URLSafeTimedSerializer(self._secret, salt=purpose).loads(
                token, max_age=max_age
            )
        except BadSignature:
            raise InvalidLink("This link is not valid or has expired.") from None
        if not isinstance(values, dict):
            raise InvalidLink("This link is not valid or has expired.")
        return values
