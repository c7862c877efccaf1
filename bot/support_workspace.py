"""The vendor's support workspace is not a practice: it has the app installed (its billing
admins are the operators) but no billing of its own. This module gives it what makes sense
there: `/billing` opens the support settings (the support desk, and who the operators are),
and every billing command, button or form answers that billing lives in each practice's own
Slack, instead of offering billing setup. Its Home tab is `bot.support_home`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse
from slack_sdk import WebClient
from slack_sdk.models.blocks import ButtonElement, MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View

from bot import home, roles, support_home, support_views
from bot.blocks import note
from bot.edge.deps import BotDeps, Caller
from bot.edge.listen import action, open_or_push
from bot.edge.respond import notice_modal
from domain.roles import Role
from domain.usecases.support import support_desk

log = logging.getLogger(__name__)

SETTINGS_CALLBACK = "support_settings"

NOT_A_PRACTICE = (
    "This is Billing Bot's support workspace, not a practice: invoices, clients and "
    "appointments are kept in each practice's own Slack. Here, the Billing Bot Home tab lists "
    "the open support conversations, and `/billing` opens the support settings (operators)."
)

USAGE = (
    "*Billing Bot Support*\n"
    "• Every practice's questions arrive in the support channel, one message each: reply in "
    "its thread to answer the practice, and use *Assign to me*, *Resolve* and *Reopen* there.\n"
    "• The Billing Bot Home tab lists the open conversations with their age, assignee and "
    "first-response time.\n"
    "• `/billing` opens the support settings: the support channel, when unanswered questions "
    "are escalated, and the operators (this workspace's billing admins).\n"
    "This workspace is the support desk, not a practice: billing lives in each practice's own "
    "Slack."
)

#: What the support workspace may use: support's own buttons and forms, and the Roles modal
#: (its billing admins are the operators). Anything else is a practice's billing.
_COMMANDS = frozenset({"/billing"})
_ACTIONS = frozenset(
    {
        support_views.ASSIGN,
        support_views.RESOLVE,
        support_views.REOPEN,
        support_views.OPEN_DESK,
        support_home.REFRESH,
        support_home.OPEN_SUPPORT_SETTINGS,
        home.OPEN_HUB,
        home.OPEN_ROLES,
    }
)
_VIEWS = frozenset({support_views.DESK_CALLBACK, roles.CALLBACK_ID, SETTINGS_CALLBACK})


def settings_modal() -> View:
    """The support workspace's `/billing`: its two settings, for operators."""
    sections = (
        (
            "Support desk",
            "The channel every practice's questions arrive in, and when unanswered ones are "
            "escalated",
            support_views.OPEN_DESK,
        ),
        (
            "Operators",
            "Who may change these settings: this workspace's billing admins",
            home.OPEN_ROLES,
        ),
    )
    return View(
        type="modal",
        callback_id=SETTINGS_CALLBACK,
        title="Support settings",
        close="Done",
        blocks=[
            note("Settings of *Billing Bot Support*"),
            *(
                SectionBlock(
                    block_id=action_id,
                    text=MarkdownTextObject(text=f"*{title}*\n{explain}"),
                    accessory=ButtonElement(text="Open", action_id=action_id),
                )
                for title, explain, action_id in sections
            ),
        ],
    )


def billing_command(
    deps: BotDeps, caller: Caller, text: str, body: dict[str, Any], client: WebClient, ack: Ack
) -> None:
    """`/billing` in the support workspace: the support settings for an operator, the usage
    for anyone else (and for any text but `support`, which `bot.hub` sends to the desk)."""
    if text or caller.role is not Role.ADMIN:
        ack(USAGE)
        return
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=settings_modal())


def open_settings(caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    open_or_push(client, body, settings_modal())


def open_desk(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    """The Support desk modal, from the support settings (operators only: NotPermitted)."""
    desk = support_desk(str(deps.support_team_id or ""), caller.user_id, deps.read())
    open_or_push(client, body, support_views.desk_modal(desk))


def refresh(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    support_home.publish(client, deps, caller.user_id)


def guard(deps: BotDeps) -> Callable[..., BoltResponse | None]:
    """A Bolt middleware: in the support workspace, a billing command, button or form is
    answered with `NOT_A_PRACTICE` and goes no further."""

    def middleware(
        body: dict[str, Any],
        context: BoltContext,
        next: Callable[[], None],  # Bolt passes these by name
        ack: Ack,
        client: WebClient,
    ) -> BoltResponse | None:
        if not support_home.is_support_workspace(deps, context.team_id):
            next()
            return None
        refused = _refused(body)
        if refused is None:
            next()
            return None
        log.info("event=support_workspace_refused kind=%s", refused)
        if refused == "view_submission":
            return ack(response_action="update", view=notice_modal("Billing Bot", NOT_A_PRACTICE))
        if refused == "block_suggestion":
            return ack(options=[])
        if refused == "block_actions":
            answer = ack()
            trigger = body.get("trigger_id")
            if trigger:
                deps.later(
                    partial(
                        client.views_open,
                        trigger_id=trigger,
                        view=notice_modal("Billing Bot", NOT_A_PRACTICE),
                    )
                )
            return answer
        return ack(NOT_A_PRACTICE)

    return middleware


def _refused(body: dict[str, Any]) -> str | None:
    """What kind of request `body` is, when the support workspace may not make it."""
    if "command" in body:
        return None if body["command"] in _COMMANDS else "command"
    kind = str(body.get("type") or "")
    if kind in ("block_actions", "block_suggestion"):
        named: Iterable[Any] = (
            [a.get("action_id") for a in body.get("actions") or []]
            if kind == "block_actions"
            else [body.get("action_id")]
        )
        return None if set(named) <= _ACTIONS else kind
    if kind == "view_submission":
        callback = (body.get("view") or {}).get("callback_id")
        return None if callback in _VIEWS else kind
    return None


def register(app: App, deps: BotDeps) -> None:
    app.use(guard(deps))
    app.action(support_home.REFRESH)(action(deps, None, partial(refresh, deps)))
    app.action(support_home.OPEN_SUPPORT_SETTINGS)(action(deps, Role.ADMIN, open_settings))
    app.action(support_views.OPEN_DESK)(action(deps, Role.ADMIN, partial(open_desk, deps)))
