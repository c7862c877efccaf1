"""The Help channel in Slack: a practice member's question (in the app's Messages tab, with
`/billing help`, in the practice's help channel, with an @-mention, or a 🎫 reaction) opens a
support conversation, and the messages of its thread travel to and from a thread in the
vendor's support channel, where support assigns, resolves and reopens it.

Listeners only turn Slack's events and clicks into use cases; what each change posts is
enqueued in the outbox and posted by `bot.support_deliveries`. Events of the vendor's own
workspace (`BotDeps.support_team_id`) are support's side; every other workspace is a
practice's.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import support_home
from bot import support_views as views
from bot.edge.deps import BotDeps, Caller, PracticeNotInstalled, identify
from bot.edge.listen import Saved, action, open_or_push, submission
from bot.edge.respond import apology
from bot.edge.state import ViewState
from domain.errors import DomainError
from domain.ids import ConversationId, PracticeId
from domain.roles import Role
from domain.support import (
    RESOLVE_REACTION,
    TICKET_REACTION,
    Rating,
    SharedFile,
    Side,
    SlackRef,
)
from domain.usecases.support import (
    Ask,
    AskAboutReply,
    Change,
    ChangeStatus,
    Deleted,
    Edited,
    FileDeleted,
    Incoming,
    Outcome,
    Rate,
    SetHelpChannel,
    SetSupportDesk,
    ask_about_reply,
    ask_support,
    change_status,
    help_channel,
    mirror_delete,
    mirror_edit,
    mirror_file_delete,
    rate_conversation,
    relay_message,
    set_help_channel,
    set_support_desk,
    support_desk,
)

log = logging.getLogger(__name__)

#: Message subtypes that are a person's new message (with files, or sent to the channel too).
_NEW = (None, "file_share", "thread_broadcast")


def _from_an_app(message: dict[str, Any]) -> bool:
    # The app's own posts (and any other bot's) are never relayed: that is what keeps two
    # threads from echoing each other forever.
    return bool(message.get("bot_id")) or message.get("subtype") == "bot_message"


def _files(message: dict[str, Any]) -> tuple[SharedFile, ...]:
    return tuple(
        SharedFile(str(f["id"]), str(f.get("name") or "file"), str(f["url_private_download"]))
        for f in message.get("files") or ()
        if f.get("id") and f.get("url_private_download")
    )


# -- events ------------------------------------------------------------------------------


def on_message(
    deps: BotDeps, event: dict[str, Any], body: dict[str, Any], context: BoltContext
) -> None:
    """Every `message` event (message.im, message.channels): new, edited or deleted."""
    if deps.support_team_id is None:
        return
    subtype = event.get("subtype")
    if subtype == "message_changed":
        _edited(deps, event, body, context)
    elif subtype == "message_deleted":
        _deleted(deps, event, body, context)
    elif subtype in _NEW and not _from_an_app(event):
        _posted(deps, event, body, context, mentioned=False)


def on_mention(
    deps: BotDeps, event: dict[str, Any], body: dict[str, Any], context: BoltContext
) -> None:
    """An @-mention of the app: a question where it is top-level, a reply in a thread.
    Slack also sends the same message as a `message` event; the relay takes it once."""
    if deps.support_team_id is None or _from_an_app(event):
        return
    _posted(deps, event, body, context, mentioned=True)


def _posted(
    deps: BotDeps,
    event: dict[str, Any],
    body: dict[str, Any],
    context: BoltContext,
    *,
    mentioned: bool,
) -> None:
    team_id = context.team_id or str(body.get("team_id") or "")
    user_id = str(event.get("user") or "")
    if not team_id or not user_id:
        return
    message = SlackRef(team_id, str(event["channel"]), str(event["ts"]))
    thread_ts = event.get("thread_ts")
    text = views.portable_text(str(event.get("text") or ""), context.bot_user_id)
    files = _files(event)
    event_id = str(body.get("event_id") or f"{message.channel_id}:{message.ts}")
    if support_home.is_support_workspace(deps, team_id):
        handled = relay_message(
            Incoming(event_id, Side.SUPPORT, message, thread_ts, user_id, text, None, files),
            deps.uow(),
            deps.env,
        )
        log.info("event=support_message side=support outcome=%s", handled.outcome)
        deps.deliver_soon()
        return
    try:
        caller = identify(deps, team_id, user_id)
    except PracticeNotInstalled:
        return
    practice_id = caller.practice.id
    top_level = not thread_ts or thread_ts == message.ts
    if not top_level:
        handled = relay_message(
            Incoming(
                event_id, Side.PRACTICE, message, thread_ts, user_id, text, practice_id, files
            ),
            deps.uow(),
            deps.env,
        )
    elif (
        mentioned
        or event.get("channel_type") == "im"
        or message.channel_id == help_channel(practice_id, deps.read())
    ):
        handled = ask_support(
            Ask(practice_id, message, user_id, text, deps.support_team_id, event_id, files),
            deps.uow(),
            deps.env,
        )
    else:
        return
    log.info(
        "event=support_message side=practice practice=%s outcome=%s",
        practice_id,
        handled.outcome,
    )
    deps.deliver_soon()


def _edited(
    deps: BotDeps, event: dict[str, Any], body: dict[str, Any], context: BoltContext
) -> None:
    new = event.get("message") or {}
    previous = event.get("previous_message") or {}
    # Slack also says "changed" when a reply lands in the thread or a file is shared; only
    # a change of the words is an edit.
    if _from_an_app(new) or new.get("text") == previous.get("text"):
        return
    team_id = context.team_id or str(body.get("team_id") or "")
    practice_id = None
    if not support_home.is_support_workspace(deps, team_id):
        try:
            practice_id = identify(deps, team_id, str(new.get("user") or "?")).practice.id
        except PracticeNotInstalled:
            return
    handled = mirror_edit(
        Edited(
            str(body.get("event_id")),
            SlackRef(team_id, str(event["channel"]), str(new.get("ts"))),
            views.portable_text(str(new.get("text") or ""), context.bot_user_id),
            practice_id,
            str(new.get("user") or ""),
        ),
        deps.uow(),
        deps.env,
    )
    log.info("event=support_edit outcome=%s", handled.outcome)
    deps.deliver_soon()


def _deleted(
    deps: BotDeps, event: dict[str, Any], body: dict[str, Any], context: BoltContext
) -> None:
    previous = event.get("previous_message") or {}
    if _from_an_app(previous):
        return
    team_id = context.team_id or str(body.get("team_id") or "")
    practice_id = None
    if not support_home.is_support_workspace(deps, team_id):
        try:
            practice_id = identify(deps, team_id, str(previous.get("user") or "?")).practice.id
        except PracticeNotInstalled:
            return
    handled = mirror_delete(
        Deleted(
            str(body.get("event_id")),
            SlackRef(team_id, str(event["channel"]), str(event.get("deleted_ts"))),
            practice_id,
        ),
        deps.uow(),
        deps.env,
    )
    log.info("event=support_delete outcome=%s", handled.outcome)
    deps.deliver_soon()


def on_file_deleted(
    deps: BotDeps, event: dict[str, Any], body: dict[str, Any], context: BoltContext
) -> None:
    """A file was deleted: if the app had copied it into a conversation's other thread, the
    copy goes too."""
    if deps.support_team_id is None or not event.get("file_id"):
        return
    team_id = context.team_id or str(body.get("team_id") or "")
    practice_id = None
    if not support_home.is_support_workspace(deps, team_id):
        try:
            practice_id = identify(deps, team_id, "?").practice.id
        except PracticeNotInstalled:
            return
    handled = mirror_file_delete(
        FileDeleted(str(body.get("event_id")), team_id, str(event["file_id"]), practice_id),
        deps.uow(),
        deps.env,
    )
    log.info("event=support_file_delete outcome=%s", handled.outcome)
    deps.deliver_soon()


def on_reaction(
    deps: BotDeps,
    event: dict[str, Any],
    body: dict[str, Any],
    context: BoltContext,
    client: WebClient,
) -> None:
    """✅ on a conversation's message resolves it (on either side); 🎫 on a message in the
    practice's help channel makes it a question."""
    item = event.get("item") or {}
    reaction = event.get("reaction")
    if deps.support_team_id is None or item.get("type") != "message":
        return
    if reaction not in (RESOLVE_REACTION, TICKET_REACTION):
        return
    team_id = context.team_id or str(body.get("team_id") or "")
    user_id = str(event.get("user") or "")
    message = SlackRef(team_id, str(item["channel"]), str(item["ts"]))
    event_id = str(body.get("event_id"))
    support = support_home.is_support_workspace(deps, team_id)
    practice_id = None
    if not support:
        try:
            practice_id = identify(deps, team_id, user_id).practice.id
        except PracticeNotInstalled:
            return
    if reaction == RESOLVE_REACTION:
        handled = change_status(
            ChangeStatus(
                Change.RESOLVE,
                user_id,
                Side.SUPPORT if support else Side.PRACTICE,
                message=message,
                practice_id=practice_id,
                event_id=event_id,
            ),
            deps.uow(),
            deps.env,
        )
        log.info("event=support_reaction reaction=resolve outcome=%s", handled.outcome)
        deps.deliver_soon()
    elif practice_id is not None and message.channel_id == help_channel(practice_id, deps.read()):
        deps.later(partial(_ticket, deps, client, practice_id, message, user_id, event_id))


def _ticket(
    deps: BotDeps,
    client: WebClient,
    practice_id: PracticeId,
    message: SlackRef,
    reacted_by: str,
    event_id: str,
) -> None:
    """A 🎫 on a help channel message: its words (read from Slack, since the reaction names
    only the message) become the question, asked by the message's author. A top-level
    message's thread becomes the conversation; a reply is quoted in a post of its own, whose
    thread becomes the conversation."""
    found = _read_message(client, message)
    if found is None or _from_an_app(found):
        return
    text = views.portable_text(str(found.get("text") or ""), None)
    author = str(found.get("user") or reacted_by)
    thread_ts = str(found.get("thread_ts") or message.ts)
    if thread_ts != message.ts:
        _ticket_reply(deps, client, practice_id, message, thread_ts, found, reacted_by, event_id)
        return
    handled = ask_support(
        Ask(practice_id, message, author, text, deps.support_team_id, event_id, _files(found)),
        deps.uow(),
        deps.env,
    )
    log.info("event=support_reaction reaction=ticket outcome=%s", handled.outcome)
    deps.deliver_soon()


def _ticket_reply(
    deps: BotDeps,
    client: WebClient,
    practice_id: PracticeId,
    reply: SlackRef,
    thread_ts: str,
    found: dict[str, Any],
    reacted_by: str,
    event_id: str,
) -> None:
    thread = SlackRef(reply.team_id, reply.channel_id, thread_ts)
    handled = ask_about_reply(
        AskAboutReply(
            practice_id,
            reply,
            thread,
            str(found.get("user") or reacted_by),
            views.portable_text(str(found.get("text") or ""), None),
            deps.support_team_id,
            event_id,
            _files(found),
        ),
        deps.uow(),
        deps.env,
    )
    log.info("event=support_reaction reaction=ticket_reply outcome=%s", handled.outcome)
    deps.deliver_soon()
    if handled.conversation is not None:
        told = views.already_a_conversation(handled.conversation)
    elif handled.outcome is Outcome.ASKED_BEFORE:
        told = views.ALREADY_QUOTED
    else:
        return
    try:
        client.chat_postEphemeral(
            channel=reply.channel_id, user=reacted_by, thread_ts=thread_ts, text=told
        )
    except SlackApiError as error:
        log.info("event=support_ticket_answer_failed error=%s", error.response.get("error"))


def _read_message(client: WebClient, message: SlackRef) -> dict[str, Any] | None:
    """The message as Slack has it: from the channel's history, or, for a reply inside a
    thread (which the history leaves out), from its thread."""
    answer = client.conversations_history(
        channel=message.channel_id, latest=message.ts, inclusive=True, limit=1
    )
    for found in answer.get("messages") or []:
        if found.get("ts") == message.ts:
            return dict(found)
    try:
        # The parent comes first whatever `oldest` says; the reply is the next one.
        answer = client.conversations_replies(
            channel=message.channel_id, ts=message.ts, oldest=message.ts, inclusive=True, limit=2
        )
    except SlackApiError as error:
        if error.response.get("error") == "thread_not_found":
            return None
        raise
    for found in answer.get("messages") or []:
        if found.get("ts") == message.ts:
            return dict(found)
    return None


# -- support's buttons, and the practice's rating ---------------------------------------


def support_button(change: Change, deps: BotDeps) -> Any:
    """Assign to me / Resolve / Reopen on support's message (Assign to me also on support's
    Home): only from the vendor's workspace, whose people are support."""

    def listener(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        if not support_home.is_support_workspace(deps, context.team_id):
            return
        value = str((body.get("actions") or [{}])[0].get("value") or "")
        user_id = str(context.user_id or "")
        from_home = (body.get("view") or {}).get("type") == "home"

        def act() -> None:
            try:
                handled = change_status(
                    ChangeStatus(change, user_id, Side.SUPPORT, ConversationId(value)),
                    deps.uow(),
                    deps.env,
                )
                log.info("event=support_%s outcome=%s", change.value, handled.outcome)
                deps.deliver_soon()
            except DomainError as error:
                log.info("event=support_%s_refused reason=%s", change.value, type(error).__name__)
            if from_home:  # the Home shows the change at once
                support_home.publish(client, deps, user_id)

        deps.later(act)

    return listener


def rate(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    """One click on the rating prompt in the practice's thread."""
    clicked = (body.get("actions") or [{}])[0]
    rating = Rating(str(clicked.get("action_id", "")).removeprefix(views.RATE_PREFIX))
    conversation = rate_conversation(
        Rate(caller.practice.id, ConversationId(str(clicked.get("value"))), rating, caller.user_id),
        deps.uow(),
        deps.env,
    )
    deps.deliver_soon()
    container = body.get("container") or {}
    client.chat_update(
        channel=str(container.get("channel_id")),
        ts=str(container.get("message_ts")),
        text=views.rated_text(conversation, rating),
        blocks=[],
    )


# -- settings ----------------------------------------------------------------------------


def open_desk(
    deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient, ack: Ack
) -> None:
    """`/billing support` in the vendor's workspace: the operator's support desk modal."""
    if (
        not support_home.is_support_workspace(deps, caller.practice.workspace_id)
        or deps.support_team_id is None
    ):
        ack(
            "`/billing support` chooses the support channel, in the vendor's own workspace. "
            "To ask support a question, type `/billing help` followed by it."
        )
        return
    desk = support_desk(deps.support_team_id, caller.user_id, deps.read())
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=views.desk_modal(desk))


def save_desk(deps: BotDeps, caller: Caller, view: dict[str, Any], client: WebClient) -> Saved:
    state = ViewState(view)
    desk = set_support_desk(
        SetSupportDesk(
            str(deps.support_team_id or ""),
            caller.user_id,
            state.conversation(views.DESK_CHANNEL),
            state.text(views.ESCALATE_AFTER),
        ),
        deps.uow(),
        deps.env,
    )

    def join() -> None:
        try:
            client.conversations_join(channel=desk.channel_id)
            client.chat_postMessage(
                channel=desk.channel_id,
                text=(
                    ":wave: Billing Bot will post every practice's Help channel questions here. "
                    "Reply in a question's thread to answer the practice."
                ),
            )
        except SlackApiError as error:
            log.info("event=support_desk_join_failed error=%s", error.response.get("error"))

    return Saved(then=join)


def ask_command(deps: BotDeps, caller: Caller, question: str, client: WebClient, ack: Ack) -> Any:
    """`/billing help <question>`: the question, quoted by the app in the member's messages
    with it, becomes a conversation there."""
    if deps.support_team_id is None:
        ack(views.UNAVAILABLE_TEXT)
        return None
    ack(":ticket: Sent to support. Follow the conversation in your messages with Billing Bot.")

    def post() -> None:
        try:
            dm = client.conversations_open(users=caller.user_id)["channel"]["id"]
            posted = client.chat_postMessage(
                channel=dm,
                text=f"*Your question to support:*\n> {question}",
            )
            ask_support(
                Ask(
                    caller.practice.id,
                    SlackRef(caller.practice.workspace_id, dm, str(posted["ts"])),
                    caller.user_id,
                    question,
                    deps.support_team_id,
                    written_by_member=False,
                ),
                deps.uow(),
                deps.env,
            )
            deps.deliver_soon()
        except Exception as error:  # logged with an id; the ack already answered
            apology(error)

    return post


def open_help_channel(
    deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient
) -> None:
    current = help_channel(caller.practice.id, deps.read())
    open_or_push(client, body, views.help_channel_modal(current, deps.support_team_id is not None))


def save_help_channel(
    deps: BotDeps, caller: Caller, view: dict[str, Any], client: WebClient
) -> Saved:
    channel = ViewState(view).conversation(views.HELP_CHANNEL)
    set_help_channel(
        SetHelpChannel(caller.practice.id, caller.user_id, channel), deps.uow(), deps.env
    )
    if channel is None:
        return Saved()

    def join() -> None:
        try:
            client.conversations_join(channel=channel)
            client.chat_postMessage(
                channel=channel,
                text=(
                    ":ticket: This is the practice's help channel: each new post here (or a "
                    ":ticket: reaction on one) goes to Billing Bot's support team, and their "
                    "answers arrive in its thread."
                ),
            )
        except SlackApiError as error:
            log.info("event=help_channel_join_failed error=%s", error.response.get("error"))

    return Saved(then=join)


def register(app: App, deps: BotDeps) -> None:
    app.event("message")(partial(on_message, deps))
    app.event("app_mention")(partial(on_mention, deps))
    app.event("reaction_added")(partial(on_reaction, deps))
    app.event("file_deleted")(partial(on_file_deleted, deps))
    app.action(views.ASSIGN)(support_button(Change.ASSIGN, deps))
    app.action(views.RESOLVE)(support_button(Change.RESOLVE, deps))
    app.action(views.REOPEN)(support_button(Change.REOPEN, deps))
    app.action(views.RATE)(action(deps, None, partial(rate, deps), changes=True))
    app.view(views.DESK_CALLBACK)(
        submission(deps, Role.ADMIN, views.DESK_FIELDS, partial(save_desk, deps))
    )
    app.action(views.OPEN_HELP_CHANNEL)(action(deps, Role.ADMIN, partial(open_help_channel, deps)))
    app.view(views.HELP_CALLBACK)(
        submission(
            deps, Role.ADMIN, {"channel": views.HELP_CHANNEL}, partial(save_help_channel, deps)
        )
    )
