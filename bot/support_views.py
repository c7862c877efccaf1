"""What the Help channel shows: support's message of a conversation (with its buttons), the
lines relayed into each thread, the rating prompt, and the two settings modals (the
operator's support desk, a practice's help channel). Pure functions of domain objects."""

from __future__ import annotations

import re
from datetime import UTC

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    ConversationFilter,
    ConversationSelectElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.blocks import escape, note, text_input
from domain.support import (
    Conversation,
    Rating,
    SupportContext,
    SupportDesk,
    duration_words,
)

ASSIGN = "support_assign"
RESOLVE = "support_resolve"
REOPEN = "support_reopen"
RATE_PREFIX = "support_rate_"
RATE = re.compile(f"^{RATE_PREFIX}")

DESK_CALLBACK = "support_desk"
OPEN_DESK = "support_desk_open"
DESK_CHANNEL = "support_channel"
ESCALATE_AFTER = "escalate_after"
DESK_FIELDS = {"channel": DESK_CHANNEL, "escalate_after": ESCALATE_AFTER}

OPEN_HELP_CHANNEL = "open_help_channel"
HELP_CALLBACK = "help_channel"
HELP_CHANNEL = "help_channel"

RECEIVED = "Support has your question"

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")


def portable_text(text: str, bot_user_id: str | None) -> str:
    """A message's text as it may travel to the other workspace: the app's own @-mention
    dropped, other people's and channels' references (which mean nothing there) made plain."""
    if bot_user_id:
        text = text.replace(f"<@{bot_user_id}>", "")
    text = _MENTION.sub("@someone", text)
    text = _CHANNEL.sub(lambda m: f"#{m.group(2) or 'a-channel'}", text)
    return text.strip()


def support_card(
    conversation: Conversation, context: SupportContext, asker: str | None = None
) -> list[Block]:
    """Support's message of a conversation: the practice (ids and counts only), the
    member's question (with their first name, `asker`, when Slack told it), its status and
    timings, and what support can do next."""
    status = ":large_green_circle: Open" if conversation.is_open else ":white_check_mark: Resolved"
    assignee = f"<@{conversation.assignee}>" if conversation.assignee else "nobody yet"
    rating = (
        f"{conversation.rating.emoji} {conversation.rating.label}" if conversation.rating else "—"
    )
    opened = conversation.opened_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    buttons = [ButtonElement(text="Assign to me", action_id=ASSIGN, value=conversation.id)]
    if conversation.is_open:
        buttons.append(
            ButtonElement(text="Resolve", action_id=RESOLVE, value=conversation.id, style="primary")
        )
    else:
        buttons.append(ButtonElement(text="Reopen", action_id=REOPEN, value=conversation.id))
    return [
        HeaderBlock(
            block_id="support_head",
            text=f"{conversation.label} · {context.practice_name}"[:150],
        ),
        SectionBlock(
            block_id="support_status",
            fields=[
                MarkdownTextObject(text=f"*Status*\n{status}"),
                MarkdownTextObject(text=f"*Assignee*\n{assignee}"),
                MarkdownTextObject(text=f"*Opened*\n{opened}"),
                MarkdownTextObject(
                    text=f"*First response*\n{duration_words(conversation.first_response_time)}"
                ),
                MarkdownTextObject(
                    text=f"*Resolution*\n{duration_words(conversation.resolution_time)}"
                ),
                MarkdownTextObject(text=f"*Rating*\n{rating}"),
            ],
        ),
        SectionBlock(
            block_id="support_question",
            text=_quote(
                f"Question from {member_label(asker, conversation.opened_by)}",
                conversation.question,
            ),
        ),
        ContextBlock(
            block_id="support_practice",
            elements=[MarkdownTextObject(text=practice_line(context))],
        ),
        ActionsBlock(block_id="support_actions", elements=buttons),
    ]


def practice_line(context: SupportContext) -> str:
    """The practice's ids and counts, as support's message shows them."""
    if context.stripe is None:
        stripe = "Stripe: not connected"
    elif context.stripe.disconnected:
        stripe = f"Stripe: `{context.stripe.account_id}` disconnected"
    else:
        charges = "on" if context.stripe.charges_enabled else "off"
        payouts = "on" if context.stripe.payouts_enabled else "off"
        stripe = f"Stripe: `{context.stripe.account_id}` charges {charges}, payouts {payouts}"
    return (
        f"Practice `{context.practice_id}` · workspace `{context.workspace_id}` · {stripe} · "
        f"{context.invoices} invoices · {context.clients} clients · "
        f"{context.conversations_before} earlier conversations"
    )


def _quote(title: str, text: str) -> str:
    body = "\n".join(f"> {line}" for line in escape(text).splitlines() or [""])
    return f"*{title}*\n{body}"[:3000]


def card_text(conversation: Conversation, context: SupportContext) -> str:
    """The notification text of support's message (what Slack shows where blocks are not)."""
    state = "open" if conversation.is_open else "resolved"
    return f"Support conversation {conversation.label} from {context.practice_name} ({state})"


def from_support(first_name: str, text: str) -> str:
    """A support reply as the practice's thread shows it."""
    return f"*{escape(first_name)} from support:* {text}".strip()


def member_label(name: str | None, user_id: str) -> str:
    """A practice member as support reads them: their first name, with the id to look them
    up by; the id alone when Slack did not say their name."""
    return f"{escape(name)} (`{user_id}`)" if name else f"`{user_id}`"


def from_practice(practice_name: str, member: str | None, user_id: str, text: str) -> str:
    """A practice member's message as support's thread shows it: "*Ada at Calm Minds:* …",
    or the practice's name and the member's id when Slack did not say their name."""
    if member:
        return f"*{escape(member)} at {escape(practice_name)}:* {text}".strip()
    return f"*{escape(practice_name)}* (`{user_id}`): {text}".strip()


def received_text(conversation: Conversation) -> str:
    return (
        f":ticket: {RECEIVED} ({conversation.label}). Support's answers will appear in this "
        "thread; reply here to add anything."
    )


def quoted_question(author: str, text: str) -> str:
    """The app's post quoting a reply marked 🎫: its thread is the conversation."""
    body = "\n".join(f"> {line}" for line in escape(text).splitlines() or ["(a file)"])
    return f":ticket: *Question for support* from <@{author}>, from a thread:\n{body}"


def quoted_note(conversation: Conversation) -> str:
    """Said in the reply's thread once its quote is a conversation."""
    return (
        f":ticket: Sent to support as {conversation.label}. The conversation continues in the "
        "thread of its own post in this channel, *Question for support*."
    )


def already_a_conversation(conversation: Conversation) -> str:
    return (
        f"This thread is support conversation {conversation.label} already: every reply in it "
        "reaches support."
    )


ALREADY_QUOTED = "That reply was sent to support already; its conversation has a thread of its own."


UNAVAILABLE_TEXT = (
    "Support isn't available in Billing Bot yet, so this question was not sent. "
    "Please try again later."
)


def resolved_text_for_support(by_side: str) -> str:
    who = "the practice" if by_side == "practice" else "support"
    return f":white_check_mark: Resolved by {who}."


def reopened_text(by_side: str) -> str:
    who = "the practice" if by_side == "practice" else "support"
    return f":arrows_counterclockwise: Reopened by {who}."


def escalation_text(conversation: Conversation, context: SupportContext, waited: str) -> str:
    return (
        f":rotating_light: {conversation.label} from {escape(context.practice_name)} has waited "
        f"{waited} without an answer. Reply in its thread."
    )


def rating_prompt(conversation: Conversation) -> list[Block]:
    """The practice's one-click rating, after support resolved the conversation."""
    return [
        SectionBlock(
            block_id="support_rating_ask",
            text=(
                f":white_check_mark: Support marked {conversation.label} as resolved. "
                "How did we do? Write here again if anything is still open."
            ),
        ),
        ActionsBlock(
            block_id="support_rating",
            elements=[
                ButtonElement(
                    text=f"{rating.label}",
                    action_id=f"{RATE_PREFIX}{rating.value}",
                    value=conversation.id,
                )
                for rating in Rating
            ],
        ),
    ]


RATING_ASK_TEXT = "Support marked this as resolved. How did we do?"


def rated_text(conversation: Conversation, rating: Rating) -> str:
    return f"{rating.emoji} Thanks! You rated {conversation.label}: *{rating.label}*."


def desk_modal(desk: SupportDesk | None) -> View:
    """The operator's settings: the support channel and the escalation time."""
    minutes = int(desk.escalate_after.total_seconds() // 60) if desk else 60
    return View(
        type="modal",
        callback_id=DESK_CALLBACK,
        title="Support desk",
        submit="Save",
        close="Cancel",
        blocks=[
            note(
                "Every practice's Help channel questions arrive in this channel as one "
                "message each; replies in its thread go back to the practice."
            ),
            InputBlock(
                block_id=DESK_CHANNEL,
                label="Support channel",
                element=ConversationSelectElement(
                    action_id=DESK_CHANNEL,
                    initial_conversation=desk.channel_id if desk else None,
                    filter=ConversationFilter(include=["public"], exclude_bot_users=True),
                ),
            ),
            text_input(
                ESCALATE_AFTER,
                "Escalate unanswered questions after (minutes)",
                str(minutes),
                max_length=5,
            ),
        ],
    )


def help_channel_modal(channel_id: str | None, support_offered: bool) -> View:
    """A practice's help channel: posts there (or a 🎫 on one) become support questions."""
    explain = (
        "Ask support by writing to Billing Bot in its Messages tab, with `/billing help` "
        "followed by your question, or in the help channel below: each new post there (or a "
        ":ticket: reaction on one) becomes a conversation with support in its thread."
    )
    if not support_offered:
        explain = "Support is not set up on this Billing Bot yet. " + explain
    return View(
        type="modal",
        callback_id=HELP_CALLBACK,
        title="Help channel",
        submit="Save",
        close="Cancel",
        blocks=[
            SectionBlock(text=explain),
            InputBlock(
                block_id=HELP_CHANNEL,
                label="Help channel",
                optional=True,
                element=ConversationSelectElement(
                    action_id=HELP_CHANNEL,
                    initial_conversation=channel_id,
                    filter=ConversationFilter(include=["public"], exclude_bot_users=True),
                ),
            ),
        ],
    )
