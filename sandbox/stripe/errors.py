"""Stripe's error answers: ``{"error": {"type", "code", "message", "param"}}`` and a status.

Handlers raise `StripeError`; the API pipeline turns it into the JSON body the SDK reads
(its exception class follows the HTTP status: 400/404 `InvalidRequestError`, 402
`CardError`, 401 `AuthenticationError`, 403 `PermissionError`, 429 `RateLimitError`,
anything else `APIError`).
"""

from __future__ import annotations

from typing import Any


class StripeError(Exception):
    """An error answer: HTTP `status` and the fields of Stripe's ``error`` object."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.extra = extra

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param is not None:
            error["param"] = self.param
        error.update(self.extra)
        return {"error": error}


def invalid(message: str, *, param: str | None = None, code: str | None = None) -> StripeError:
    """400 ``invalid_request_error``: a request Stripe refuses as it is."""
    return StripeError(400, message, param=param, code=code)


def no_such(noun: str, object_id: str, *, param: str = "id") -> StripeError:
    """404 ``resource_missing``, also for an object that lives on another account."""
    return StripeError(404, f"No such {noun}: '{object_id}'", code="resource_missing", param=param)


def no_access(account_id: str, secret_key: str) -> StripeError:
    """403: the key may not act for `account_id` (unknown, or the platform was disconnected)."""
    return StripeError(
        403,
        f"The provided key '{redacted(secret_key)}' does not have access to account"
        f" '{account_id}' (or that account does not exist). Application access may have"
        " been revoked.",
        code="account_invalid",
    )


def redacted(key: str) -> str:
    """A key as Stripe quotes it in errors: prefix, stars, last four characters."""
    prefix = key[:8] if key.startswith(("sk_", "rk_")) else ""
    return f"{prefix}{'*' * 24}{key[-4:]}"
