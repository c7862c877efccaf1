"""The Home tab of the vendor's support workspace: the support desk at a glance (every
practice's open conversations with their status, age, assignee and first-response time, and
the latest resolved), in place of a practice's billing screens, which mean nothing there.

Each open conversation offers *Assign to me*; operators (the workspace's billing admins) also
get the support settings. The tab is drawn afresh whenever someone opens it, after a click on
it, and on *Refresh*.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.blocks import escape, note
from bot.edge.deps import BotDeps, PracticeNotInstalled, identify
from bot.support_views import ASSIGN
from domain.roles import Role
from domain.support import Conversation, duration_words
from domain.usecases.support import DeskEntry, DeskOverview, desk_overview

log = logging.getLogger(__name__)

REFRESH = "support_home_refresh"
OPEN_SUPPORT_SETTINGS = "support_settings_open"
#: How much of a question the Home quotes (the card in the channel has all of it).
QUESTION_SHOWN = 140


def is_support_workspace(deps: BotDeps, team_id: str | None) -> bool:
    return bool(deps.support_team_id) and team_id == deps.support_team_id


def support_home_view(
    overview: DeskOverview, viewer: str, operator: bool, operators: tuple[str, ...] = ()
) -> View:
    """The support workspace's Home for `viewer`; pure, so tests assert on its blocks."""
    blocks: list[Block] = [HeaderBlock(text="Billing Bot Support")]
    desk = overview.desk
    if desk is None:
        blocks.append(
            note(
                "No support channel is chosen yet, so practices' questions are answered with "
                '"support isn\'t available". '
                + (
                    "Choose it under *Support settings* below."
                    if operator
                    else f"An operator ({_people(operators)}) chooses it."
                )
            )
        )
    else:
        minutes = int(desk.escalate_after.total_seconds() // 60)
        blocks.append(
            note(
                f"Every practice's questions arrive in <#{desk.channel_id}>: reply in a "
                "question's thread to answer the practice. Unanswered questions are posted "
                f"again there after {minutes} min."
            )
        )
    counts = overview.counts
    longest = (
        duration_words(overview.now - overview.open[0].conversation.opened_at)
        if overview.open
        else "—"
    )
    blocks.append(
        SectionBlock(
            block_id="support_home_totals",
            fields=[
                MarkdownTextObject(text=f"*Open*\n{counts.open}"),
                MarkdownTextObject(text=f"*Longest open*\n{longest}"),
                MarkdownTextObject(text=f"*Waiting for a first answer*\n{counts.unanswered}"),
                MarkdownTextObject(text=f"*Escalated, no answer yet*\n{counts.escalated}"),
            ],
        )
    )
    blocks.append(HeaderBlock(text="Open conversations"))
    if not overview.open:
        blocks.append(note("No open conversations. :tada:"))
    for entry in overview.open:
        blocks.append(_open_entry(entry, overview, viewer))
    hidden = counts.open - len(overview.open)
    if hidden > 0:
        blocks.append(note(f"…and {hidden} more open, newer ones: see the support channel."))
    if overview.resolved:
        blocks.append(DividerBlock())
        blocks.append(HeaderBlock(text="Recently resolved"))
        blocks.extend(_resolved_entry(entry) for entry in overview.resolved)
    buttons = [ButtonElement(text="Refresh", action_id=REFRESH)]
    if operator:
        buttons.append(ButtonElement(text="Support settings", action_id=OPEN_SUPPORT_SETTINGS))
    blocks += [DividerBlock(), ActionsBlock(block_id="support_home_actions", elements=buttons)]
    if not operator:
        blocks.append(
            note(f"Operators ({_people(operators)}) choose the support channel and who operates.")
        )
    return View(type="home", blocks=blocks)


def _open_entry(entry: DeskEntry, overview: DeskOverview, viewer: str) -> SectionBlock:
    conversation = entry.conversation
    if conversation.first_response_at is not None:
        status = ":speech_balloon: Answered"
    elif conversation.escalated_at is not None:
        status = ":rotating_light: Escalated, no answer yet"
    else:
        status = ":hourglass_flowing_sand: Waiting for a first answer"
    assignee = f"<@{conversation.assignee}>" if conversation.assignee else "nobody yet"
    return SectionBlock(
        block_id=f"support_home_open:{conversation.id}",
        text=MarkdownTextObject(
            text=f"*{conversation.label} · {escape(entry.practice_name)}*\n{_excerpt(conversation)}"
        ),
        fields=[
            MarkdownTextObject(text=f"*Status*\n{status}"),
            MarkdownTextObject(
                text=f"*Age*\n{duration_words(overview.now - conversation.opened_at)}"
            ),
            MarkdownTextObject(text=f"*Assignee*\n{assignee}"),
            MarkdownTextObject(
                text=f"*First response*\n{duration_words(conversation.first_response_time)}"
            ),
        ],
        accessory=(
            None
            if conversation.assignee == viewer
            else ButtonElement(text="Assign to me", action_id=ASSIGN, value=conversation.id)
        ),
    )


def _resolved_entry(entry: DeskEntry) -> SectionBlock:
    conversation = entry.conversation
    rating = (
        f"{conversation.rating.emoji} {conversation.rating.label}"
        if conversation.rating
        else "not rated"
    )
    return SectionBlock(
        block_id=f"support_home_resolved:{conversation.id}",
        text=MarkdownTextObject(
            text=f"*{conversation.label} · {escape(entry.practice_name)}* · resolved in "
            f"{duration_words(conversation.resolution_time)} · first response "
            f"{duration_words(conversation.first_response_time)} · {rating}"
        ),
    )


def _excerpt(conversation: Conversation) -> str:
    words = " ".join(conversation.question.split())
    if len(words) > QUESTION_SHOWN:
        words = words[: QUESTION_SHOWN - 1] + "…"
    return f"> {escape(words)}"


def _people(user_ids: tuple[str, ...]) -> str:
    return ", ".join(f"<@{user_id}>" for user_id in user_ids) or "the workspace's billing admins"


def publish(client: WebClient, deps: BotDeps, user_id: str) -> None:
    """Publish `user_id`'s support Home (the caller checked it is the support workspace)."""
    if deps.support_team_id is None:
        return
    try:
        caller = identify(deps, deps.support_team_id, user_id)
    except PracticeNotInstalled:
        return
    overview = desk_overview(deps.support_team_id, deps.read(), deps.env)
    client.views_publish(
        user_id=user_id,
        view=support_home_view(overview, user_id, caller.role is Role.ADMIN, caller.admins),
    )
