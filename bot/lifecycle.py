"""Uninstalling: when a workspace removes the app or revokes its tokens, its tokens are
forgotten and the practice is deactivated, with all its records kept."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk.oauth.installation_store import InstallationStore

from bot.edge.deps import BotDeps
from domain.usecases.access import deactivate_workspace

log = logging.getLogger(__name__)


def forget_workspace(deps: BotDeps, store: InstallationStore | None, context: BoltContext) -> None:
    """Drop the workspace's tokens from the installation store and from this process's memory,
    and deactivate its practice (an app_uninstalled listener)."""
    if store is not None:
        store.delete_all(enterprise_id=context.enterprise_id, team_id=context.team_id)
    deps.forget_installation(context.enterprise_id, context.team_id)
    practice = deactivate_workspace(context.team_id or "", deps.uow(), deps.env)
    if deps.recent is not None and context.team_id:
        deps.recent.forget(context.team_id)
    log.info(
        "event=app_uninstalled team=%s practice=%s",
        context.team_id,
        practice.id if practice else None,
    )


def tokens_revoked(
    deps: BotDeps, store: InstallationStore | None, event: dict[str, Any], context: BoltContext
) -> None:
    """Tokens were revoked: forget the workspace as if it uninstalled, if the bot's were."""
    # Only the bot's tokens matter: without them the app cannot act for the practice.
    if (event.get("tokens") or {}).get("bot"):
        forget_workspace(deps, store, context)


def register(app: App, deps: BotDeps) -> None:
    # Bolt passes a listener the arguments its parameters name, so the store is bound here.
    store = app.installation_store
    app.event("app_uninstalled")(partial(forget_workspace, deps, store))
    app.event("tokens_revoked")(partial(tokens_revoked, deps, store))
