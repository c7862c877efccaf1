"""The OAuth v2 install: Slack's authorize page (approved by whoever the test chose) and the
``oauth.v2.access`` exchange of its one-time code for a bot token.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sandbox.slack import ids
from sandbox.slack.api import Call
from sandbox.slack.errors import SlackApiError
from sandbox.slack.model import OAuthGrant, PendingInstall
from sandbox.slack.state import OAUTH_CODE_SECONDS, SlackState


@dataclass(frozen=True)
class AuthorizeOutcome:
    """Either a redirect back to the app (`location`) or an error page Slack would show."""

    status: int
    location: str | None = None
    page: str = ""


def authorize(state: SlackState, query: Mapping[str, str]) -> AuthorizeOutcome:
    """``GET /oauth/v2/authorize``: redirect to ``redirect_uri`` with a ``code`` or an ``error``.

    The approving workspace and user come from the ``team``/``user`` query parameters (the
    demo console) or else from the next `PendingInstall` a test queued.
    """
    redirect_uri = query.get("redirect_uri") or next(iter(state.app.redirect_urls), "")
    oauth_state = query.get("state", "")
    if not redirect_uri:
        return AuthorizeOutcome(400, page="redirect_uri is missing and the app configures none")
    if state.app.redirect_urls and not any(
        redirect_uri.startswith(allowed) for allowed in state.app.redirect_urls
    ):
        return AuthorizeOutcome(400, page=f"bad_redirect_uri: {redirect_uri}")
    if query.get("client_id") != state.app.client_id:
        return _back(redirect_uri, error="invalid_client_id", state=oauth_state)
    chosen = _approver(state, query)
    if chosen is None:
        return AuthorizeOutcome(
            400, page="nobody is signed in: queue an install with next_install(team, user)"
        )
    if not chosen.approve:
        return _back(redirect_uri, error="access_denied", state=oauth_state)
    with state.lock:
        try:
            state.user(chosen.team_id, chosen.user_id)
        except SlackApiError:
            return AuthorizeOutcome(400, page=f"no user {chosen.user_id} in {chosen.team_id}")
        grant = OAuthGrant(
            code=ids.oauth_code(),
            client_id=state.app.client_id,
            team_id=chosen.team_id,
            user_id=chosen.user_id,
            scopes=_scopes(query.get("scope")),
            user_scopes=_scopes(query.get("user_scope")),
            redirect_uri=query.get("redirect_uri"),
            issued_at=state.now(),
        )
        state.grants[grant.code] = grant
    return _back(redirect_uri, code=grant.code, state=oauth_state)


def oauth_v2_access(call: Call) -> dict[str, Any]:
    """Exchange a code once for the bot token (and a user token if user scopes were asked)."""
    state = call.state
    if call.args.get("client_id") != state.app.client_id:
        raise SlackApiError("invalid_client_id")
    if call.args.get("client_secret") != state.app.client_secret:
        raise SlackApiError("bad_client_secret")
    grant = state.grants.get(str(call.args.get("code", "")))
    if grant is None or state.now() - grant.issued_at > OAUTH_CODE_SECONDS:
        raise SlackApiError("invalid_code")
    if grant.used:
        raise SlackApiError("code_already_used")
    redirect_uri = call.args.get("redirect_uri")
    if grant.redirect_uri and redirect_uri and redirect_uri != grant.redirect_uri:
        raise SlackApiError("bad_redirect_uri")
    grant.used = True
    installation = state.install(grant.team_id, grant.user_id, grant.scopes, grant.user_scopes)
    workspace = state.workspace(grant.team_id)
    authed_user: dict[str, Any] = {"id": grant.user_id}
    if installation.user_token:
        authed_user.update(
            scope=",".join(sorted(installation.user_scopes)),
            access_token=installation.user_token,
            token_type="user",  # noqa: S106 - the kind of token, not a secret
        )
    return {
        "access_token": installation.bot_token,
        "token_type": "bot",
        "scope": ",".join(sorted(installation.scopes)),
        "bot_user_id": installation.bot_user_id,
        "app_id": state.app.app_id,
        "team": {"id": workspace.id, "name": workspace.name},
        "enterprise": None,
        "authed_user": authed_user,
        "is_enterprise_install": False,
    }


def _approver(state: SlackState, query: Mapping[str, str]) -> PendingInstall | None:
    if query.get("team") and query.get("user"):
        return PendingInstall(query["team"], query["user"])
    with state.lock:
        return state.pending_installs.popleft() if state.pending_installs else None


def _back(redirect_uri: str, **params: str) -> AuthorizeOutcome:
    separator = "&" if "?" in redirect_uri else "?"
    return AuthorizeOutcome(302, location=f"{redirect_uri}{separator}{urlencode(params)}")


def _scopes(raw: str | None) -> frozenset[str]:
    return frozenset(scope for scope in re.split(r"[,\s]+", raw or "") if scope)
