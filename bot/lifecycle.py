"""Uninstalling: when a workspace removes the app or revokes its tokens, its tokens are
forgotten and the practice is deactivated, with all its records kept."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext

from bot.edge.deps import BotDeps
from domain.usecases.access import deactivate_workspace

log = logging.getLogger(__name__)


def register(app: App, deps: BotDeps) -> None:
    store = app.installation_store

    def forget(context: BoltContext) -> None:
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

    @app.event("app_uninstalled")
    def uninstalled(context: BoltContext) -> None:
        forget(context)

    @app.event("tokens_revoked")
    def revoked(event: dict[str, Any], context: BoltContext) -> None:
        # Only the bot's tokens matter: without them the app cannot act for the practice.
        if (event.get("tokens") or {}).get("bot"):
            forget(context)
