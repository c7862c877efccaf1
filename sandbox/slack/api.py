"""Answering one Web API call: authenticate, check scopes and rate limits, run, record.

Every method handler takes a `Call` and returns the fields of a successful answer (without
``ok``), or raises `SlackApiError`. Handlers run under the state's lock, so each call sees and
leaves a consistent world.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.slack.errors import SlackApiError
from sandbox.slack.model import Installation, RecordedCall, Token
from sandbox.slack.scopes import METHOD_SCOPES
from sandbox.slack.state import SlackState

Handler = Callable[["Call"], dict[str, Any]]

#: Arguments never recorded in clear.
_SECRET_ARGS = {"token", "client_secret"}
#: Methods a user token may call here; the stand-in's other methods act as the bot.
_USER_TOKEN_METHODS = {"auth.test", "auth.revoke"}
#: Methods only an app-level token may call, and only from the Authorization header.
APP_TOKEN_METHODS = {"apps.connections.open"}


@dataclass
class Call:
    """One Web API request: its arguments and the token that authenticated it."""

    state: SlackState
    method: str
    args: Mapping[str, Any]
    token: Token | None

    @property
    def team_id(self) -> str:
        assert self.token is not None, f"{self.method} is not authenticated"
        return self.token.team_id

    @property
    def installation(self) -> Installation:
        return self.state.installation(self.team_id)

    def text(self, name: str, *, missing: str | None = None) -> str | None:
        """The argument as text; raise error code `missing` when it is absent or empty."""
        value = self.args.get(name)
        if value is None or value == "":
            if missing:
                raise SlackApiError(missing)
            return None
        return str(value)

    def decoded(self, name: str, *, bad_format: str) -> Any:
        """A JSON argument: already decoded in a JSON body, a JSON string in a form body."""
        value = self.args.get(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise SlackApiError(bad_format) from None

    def flag(self, name: str) -> bool:
        value = self.args.get(name)
        return value is True or str(value).lower() in ("1", "true")

    def require_scope(self, *any_of: str) -> None:
        """``missing_scope`` (with Slack's ``needed``/``provided``) unless one is granted."""
        if not any_of:
            return
        assert self.token is not None
        if self.token.scopes & set(any_of):
            return
        raise SlackApiError(
            "missing_scope", needed=",".join(any_of), provided=",".join(sorted(self.token.scopes))
        )

    def has_scope(self, scope: str) -> bool:
        return self.token is not None and scope in self.token.scopes


@dataclass(frozen=True)
class Answer:
    """What goes back over HTTP."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str]


def answer(
    state: SlackState,
    handlers: Mapping[str, Handler],
    unauthenticated: set[str],
    method: str,
    args: Mapping[str, Any],
    bearer: str | None,
) -> Answer:
    """Run `method` and record it; never raises for a Slack-level error."""
    started = time.perf_counter()
    token: Token | None = None
    headers: dict[str, str] = {}
    try:
        handler = handlers.get(method)
        if handler is None:
            raise SlackApiError("unknown_method", req_method=method)
        retry_after = state.take_rate_limit(method)
        if retry_after is not None:
            raise SlackApiError(
                "ratelimited", status=429, headers={"Retry-After": str(retry_after)}
            )
        if method not in unauthenticated:
            if method in APP_TOKEN_METHODS:
                token = state.authenticate(bearer)
            else:
                token = state.authenticate(bearer or _str_or_none(args.get("token")))
            headers = _scope_headers(method, token)
            if not _may_call(token, method):
                raise SlackApiError("not_allowed_token_type")
        call = Call(state, method, args, token)
        call.require_scope(*METHOD_SCOPES.get(method, ()))
        with state.lock:
            body = {"ok": True, **handler(call)}
        status = 200
    except SlackApiError as error:
        body, status = error.body(), error.status
        headers.update(error.headers)
    state.record_call(
        RecordedCall(
            method=method,
            team_id=(token.team_id or None) if token else None,
            args={k: "(redacted)" if k in _SECRET_ARGS else v for k, v in args.items()},
            response=body,
            status=status,
            ms=(time.perf_counter() - started) * 1000,
            at=state.now(),
        )
    )
    return Answer(status, body, headers)


def _may_call(token: Token, method: str) -> bool:
    if token.kind == "app" or method in APP_TOKEN_METHODS:
        return token.kind == "app" and method in APP_TOKEN_METHODS
    return token.kind == "bot" or method in _USER_TOKEN_METHODS


def _scope_headers(method: str, token: Token) -> dict[str, str]:
    # Bolt reads x-oauth-scopes from auth.test to fill context.bot_scopes.
    return {
        "x-oauth-scopes": ",".join(sorted(token.scopes)),
        "x-accepted-oauth-scopes": ",".join(METHOD_SCOPES.get(method, ())),
    }


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)
