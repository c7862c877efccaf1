"""(being written) invoice settings settings in Slack."""

from __future__ import annotations

from slack_bolt import App

from billing_bot.bot.deps import BotDeps


def register(app: App, deps: BotDeps) -> None:
    return None
