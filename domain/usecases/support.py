"""The Help channel: opening support conversations, relaying their messages between the
practice's thread and support's, and what support does with them (assign, resolve, reopen),
the practice's rating, and escalating questions left unanswered.

Every Slack post is an outbox message (kind SUPPORT) enqueued in the same transaction as the
change, so an event handled twice (Slack's retries) or a transaction that rolls back posts
nothing twice or nothing at all. The rules that keep the relay from looping or leaking:

- the app's own posts are never relayed (the bot drops them; `Incoming.from_app` here too);
- a Slack event id is handled once (`remember_event`), and a source message is relayed once
  (`add_relay`), even when Slack sends it as both `message` and `app_mention`;
- a new message in a resolved conversation's thread reopens it;
- support is told the practice's ids and counts (`SupportContext`) and the member's words,
  never a record of the app.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from domain.errors import FieldErrors, NotFound
from domain.ids import ConversationId, PracticeId
from domain.outbox import OutboxKind, OutboxMessage
from domain.ports import Env, UnitOfWork
from domain.roles import NotPermitted, Role
from domain.support import (
    Conversation,
    FileCopy,
    OpenCounts,
    Rating,
    RelayedMessage,
    SharedFile,
    Side,
    SlackRef,
    StripeSummary,
    SupportContext,
    SupportDesk,
    cut_question,
    parse_escalate_after,
)
from domain.usecases._common import audit, load_practice

#: Escalations posted per run of the job at most; the rest wait for the next run.
ESCALATIONS_PER_RUN = 50


class Post(enum.StrEnum):
    """What an outbox message of kind SUPPORT asks the Slack side to post."""

    OPENED = "opened"  # the conversation's message in the support channel, and the ack
    UNAVAILABLE = "unavailable"  # no support desk yet: tell the member
    RELAY = "relay"  # a message written on one side, copied to the other
    EDIT = "edit"  # a relayed message was edited: edit its copy
    DELETE = "delete"  # a relayed message was deleted: delete its copy
    DELETE_FILES = "delete_files"  # a file (or the message sharing it) was deleted: its copies
    CARD = "card"  # redraw the conversation's message in the support channel
    RESOLVED = "resolved"  # tell both threads, and ask the practice for a rating
    REOPENED = "reopened"  # tell both threads
    ESCALATE = "escalate"  # a question waits unanswered: say so in the support channel
    QUOTE = "quote"  # a reply marked 🎫: quote it in a thread of its own, the conversation


class Outcome(enum.StrEnum):
    OPENED = "opened"
    RELAYED = "relayed"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    UNAVAILABLE = "unavailable"
    QUOTED = "quoted"  # a reply marked 🎫 will be quoted, and its quote asked
    ASKED_BEFORE = "asked_before"  # that reply was quoted before


@dataclass(frozen=True, slots=True)
class Handled:
    outcome: Outcome
    conversation: Conversation | None = None


def _ref(ref: SlackRef) -> dict[str, str]:
    return {"team": ref.team_id, "channel": ref.channel_id, "ts": ref.ts}


def ref_from(payload: Any) -> SlackRef:
    """The `SlackRef` an outbox payload carries (as `_ref` wrote it)."""
    return SlackRef(str(payload["team"]), str(payload["channel"]), str(payload["ts"]))


def _files(files: tuple[SharedFile, ...]) -> list[dict[str, str]]:
    return [{"id": f.file_id, "name": f.name, "url": f.url} for f in files]


def files_from(payload: Any) -> tuple[SharedFile, ...]:
    return tuple(
        SharedFile(str(item["id"]), str(item["name"]), str(item["url"])) for item in payload or ()
    )


def _post(
    uow: UnitOfWork,
    env: Env,
    practice_id: PracticeId,
    post: Post,
    dedupe_key: str,
    **payload: Any,
) -> None:
    uow.outbox.add(
        OutboxMessage.new(
            id=env.ids.new_id(),
            practice_id=practice_id,
            kind=OutboxKind.SUPPORT,
            payload={"post": post.value, **payload},
            dedupe_key=f"support:{dedupe_key}"[:200],
            now=env.clock.now(),
        )
    )


def _card(uow: UnitOfWork, env: Env, conversation: Conversation) -> None:
    _post(
        uow,
        env,
        conversation.practice_id,
        Post.CARD,
        f"card:{conversation.id}:{conversation.version}",
        conversation_id=conversation.id,
    )


# -- opening -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ask:
    """A practice member's question: `message` is the thread's root in the practice's Slack
    (their own message, or the app's copy of a `/billing help` question)."""

    practice_id: PracticeId
    message: SlackRef
    user_id: str
    text: str
    support_team_id: str | None
    event_id: str | None = None
    files: tuple[SharedFile, ...] = ()
    #: The message's own words, written by the member (False: the app's post quoting them,
    #: which has nothing of the member's to edit or delete later).
    written_by_member: bool = True


def ask_support(cmd: Ask, uow: UnitOfWork, env: Env) -> Handled:
    """Open a conversation for the member's question and tell support; its thread in the
    practice's Slack is the conversation from now on. A thread that is a conversation
    already, or an event seen before, changes nothing. Without a support desk the member
    is told that support is not available yet."""
    with uow:
        if cmd.event_id and not uow.support.remember_event(cmd.event_id, env.clock.now()):
            return Handled(Outcome.DUPLICATE)
        existing = uow.support.for_practice_thread(cmd.practice_id, cmd.message)
        if existing is not None:
            return Handled(Outcome.DUPLICATE, existing)
        load_practice(uow, cmd.practice_id)
        desk = uow.support_settings.desk(cmd.support_team_id) if cmd.support_team_id else None
        if desk is None:
            _post(
                uow,
                env,
                cmd.practice_id,
                Post.UNAVAILABLE,
                f"unavailable:{cmd.message.team_id}:{cmd.message.channel_id}:{cmd.message.ts}",
                thread=_ref(cmd.message),
                user_id=cmd.user_id,
            )
            uow.commit()
            return Handled(Outcome.UNAVAILABLE)
        conversation = Conversation(
            id=ConversationId(env.ids.new_id()),
            practice_id=cmd.practice_id,
            number=uow.support.next_number(),
            practice_thread=cmd.message,
            opened_by=cmd.user_id,
            question=cut_question(cmd.text) or "(a file)",
            opened_at=env.clock.now(),
        )
        if not uow.support.add(conversation):
            return Handled(Outcome.DUPLICATE)
        if cmd.written_by_member:
            uow.support.add_relay(
                RelayedMessage(conversation.id, cmd.practice_id, cmd.message, Side.PRACTICE)
            )
        _post(
            uow,
            env,
            cmd.practice_id,
            Post.OPENED,
            f"opened:{conversation.id}",
            conversation_id=conversation.id,
            files=_files(cmd.files),
        )
        audit(
            uow,
            env,
            cmd.practice_id,
            cmd.user_id,
            "support.opened",
            "support_conversation",
            conversation.id,
        )
        uow.commit()
        return Handled(Outcome.OPENED, conversation)


@dataclass(frozen=True, slots=True)
class AskAboutReply:
    """A 🎫 on a reply inside a thread of the help channel. A conversation is a thread of its
    own, and the reply's thread is someone else's, so the app quotes the reply in a new
    top-level post whose thread becomes the conversation (`Post.QUOTE`)."""

    practice_id: PracticeId
    reply: SlackRef
    thread: SlackRef
    """The reply's thread (its parent message)."""
    author: str
    text: str
    support_team_id: str | None
    event_id: str
    files: tuple[SharedFile, ...] = ()


def ask_about_reply(cmd: AskAboutReply, uow: UnitOfWork, env: Env) -> Handled:
    """Enqueue the quote of a reply marked 🎫 once, however many people mark it. Nothing is
    quoted when the reply's thread is a conversation already (its replies reach support
    anyway: Handled carries that conversation) or the reply was quoted before (ASKED_BEFORE);
    without a support desk the member is told in the reply's thread."""
    with uow:
        if not uow.support.remember_event(cmd.event_id, env.clock.now()):
            return Handled(Outcome.DUPLICATE)
        existing = uow.support.for_practice_thread(cmd.practice_id, cmd.thread)
        if existing is not None:
            return Handled(Outcome.DUPLICATE, existing)
        load_practice(uow, cmd.practice_id)
        desk = uow.support_settings.desk(cmd.support_team_id) if cmd.support_team_id else None
        if desk is None:
            _post(
                uow,
                env,
                cmd.practice_id,
                Post.UNAVAILABLE,
                f"unavailable:{cmd.reply.team_id}:{cmd.reply.channel_id}:{cmd.reply.ts}",
                thread=_ref(cmd.thread),
                user_id=cmd.author,
            )
            uow.commit()
            return Handled(Outcome.UNAVAILABLE)
        if not uow.support.remember_event(_quoted_key(cmd.reply), env.clock.now()):
            uow.commit()  # the event stays remembered: a retry of it changes nothing
            return Handled(Outcome.ASKED_BEFORE)
        _post(
            uow,
            env,
            cmd.practice_id,
            Post.QUOTE,
            f"quote:{cmd.reply.team_id}:{cmd.reply.channel_id}:{cmd.reply.ts}",
            reply=_ref(cmd.reply),
            thread=_ref(cmd.thread),
            user_id=cmd.author,
            text=cmd.text,
            files=_files(cmd.files),
        )
        uow.commit()
        return Handled(Outcome.QUOTED)


def _quoted_key(reply: SlackRef) -> str:
    # Kept beside Slack's event ids (at most 64 characters), so a reply is quoted once.
    digest = hashlib.sha256(f"{reply.team_id}:{reply.channel_id}:{reply.ts}".encode()).hexdigest()
    return f"quoted:{digest[:48]}"


# -- relaying ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Incoming:
    """A message posted in a thread, as a Slack event told the app. `practice_id` is the
    workspace's practice on the practice's side, None on support's."""

    event_id: str
    side: Side
    message: SlackRef
    thread_ts: str | None
    user_id: str
    text: str
    practice_id: PracticeId | None = None
    files: tuple[SharedFile, ...] = ()
    from_app: bool = False

    @property
    def thread(self) -> SlackRef | None:
        if not self.thread_ts or self.thread_ts == self.message.ts:
            return None
        return SlackRef(self.message.team_id, self.message.channel_id, self.thread_ts)


def _conversation_of_thread(uow: UnitOfWork, cmd: Incoming) -> Conversation | None:
    thread = cmd.thread
    if thread is None:
        return None
    if cmd.side is Side.SUPPORT:
        return uow.support.for_support_thread(thread)
    if cmd.practice_id is None:
        return None
    return uow.support.for_practice_thread(cmd.practice_id, thread)


def relay_message(cmd: Incoming, uow: UnitOfWork, env: Env) -> Handled:
    """Copy a reply in a conversation's thread to the other side's thread. The app's own
    posts, messages outside conversation threads and events seen before are left alone; a
    reply in a resolved conversation reopens it; support's first reply is its first
    response, and its writer takes the conversation if nobody had."""
    if cmd.from_app:
        return Handled(Outcome.IGNORED)
    with uow:
        conversation = _conversation_of_thread(uow, cmd)
        if conversation is None:
            return Handled(Outcome.IGNORED)
        if not uow.support.remember_event(cmd.event_id, env.clock.now()):
            return Handled(Outcome.DUPLICATE, conversation)
        if uow.support.relay_to(cmd.message) is not None:
            return Handled(Outcome.IGNORED, conversation)  # one of the app's copies
        relay = RelayedMessage(conversation.id, conversation.practice_id, cmd.message, cmd.side)
        if not uow.support.add_relay(relay):
            return Handled(Outcome.DUPLICATE, conversation)
        changed = conversation
        if not changed.is_open:
            changed = changed.reopened()
            _post(
                uow,
                env,
                changed.practice_id,
                Post.REOPENED,
                f"reopened:{changed.id}:{changed.version}",
                conversation_id=changed.id,
                by_side=cmd.side.value,
            )
        if cmd.side is Side.SUPPORT:
            changed = changed.answered(env.clock.now(), cmd.user_id)
        _post(
            uow,
            env,
            conversation.practice_id,
            Post.RELAY,
            f"relay:{cmd.message.team_id}:{cmd.message.channel_id}:{cmd.message.ts}",
            conversation_id=conversation.id,
            source=_ref(cmd.message),
            side=cmd.side.value,
            user_id=cmd.user_id,
            text=cmd.text,
            files=_files(cmd.files),
        )
        if changed.version != conversation.version:
            uow.support.update(changed)
            _card(uow, env, changed)
        uow.commit()
        return Handled(Outcome.RELAYED, changed)


@dataclass(frozen=True, slots=True)
class Edited:
    event_id: str
    message: SlackRef
    text: str
    practice_id: PracticeId | None = None
    """The workspace's practice on the practice's side; None on support's."""
    user_id: str = ""


def mirror_edit(cmd: Edited, uow: UnitOfWork, env: Env) -> Handled:
    """A relayed message was edited: its copy is edited too (an edited question redraws
    support's message of the conversation)."""
    with uow:
        found = _relayed(uow, cmd.message, cmd.practice_id)
        if found is None:
            return Handled(Outcome.IGNORED)
        relay, conversation = found
        if not uow.support.remember_event(cmd.event_id, env.clock.now()):
            return Handled(Outcome.DUPLICATE, conversation)
        if relay.source == conversation.practice_thread:
            changed = replace(
                conversation,
                question=cut_question(cmd.text) or "(a file)",
                version=conversation.version + 1,
            )
            uow.support.update(changed)
            _card(uow, env, changed)
        else:
            _post(
                uow,
                env,
                relay.practice_id,
                Post.EDIT,
                f"edit:{cmd.event_id}",
                conversation_id=conversation.id,
                source=_ref(relay.source),
                side=relay.written_on.value,
                user_id=cmd.user_id,
                text=cmd.text,
            )
        uow.commit()
        return Handled(Outcome.RELAYED, conversation)


@dataclass(frozen=True, slots=True)
class Deleted:
    event_id: str
    message: SlackRef
    practice_id: PracticeId | None = None


def mirror_delete(cmd: Deleted, uow: UnitOfWork, env: Env) -> Handled:
    """A relayed message was deleted: its copy is deleted too (a deleted question is struck
    from support's message of the conversation)."""
    with uow:
        found = _relayed(uow, cmd.message, cmd.practice_id)
        if found is None:
            return Handled(Outcome.IGNORED)
        relay, conversation = found
        if not uow.support.remember_event(cmd.event_id, env.clock.now()):
            return Handled(Outcome.DUPLICATE, conversation)
        if relay.source == conversation.practice_thread:
            changed = replace(
                conversation,
                question="(the member deleted the question)",
                version=conversation.version + 1,
            )
            uow.support.update(changed)
            _card(uow, env, changed)
        else:
            _post(
                uow,
                env,
                relay.practice_id,
                Post.DELETE,
                f"delete:{cmd.event_id}",
                conversation_id=conversation.id,
                source=_ref(relay.source),
            )
        # The files the message shared go with it, as in Slack.
        _post(
            uow,
            env,
            relay.practice_id,
            Post.DELETE_FILES,
            f"delete_files:{cmd.event_id}",
            source=_ref(relay.source),
        )
        uow.commit()
        return Handled(Outcome.RELAYED, conversation)


@dataclass(frozen=True, slots=True)
class FileDeleted:
    """Slack's `file_deleted`: a file of workspace `team_id` was deleted. `practice_id` is the
    workspace's practice on the practice's side, None on support's."""

    event_id: str
    team_id: str
    file_id: str
    practice_id: PracticeId | None = None


def mirror_file_delete(cmd: FileDeleted, uow: UnitOfWork, env: Env) -> Handled:
    """A file the app copied into the other thread of a conversation was deleted: its copies
    are deleted too. Any other file is none of the Help channel's business."""
    with uow:
        copies = [
            copy
            for copy in uow.support.file_copies_of_file(cmd.team_id, cmd.file_id)
            # A practice's event can only ever reach its own conversations' files.
            if cmd.practice_id is None or copy.practice_id == cmd.practice_id
        ]
        if not copies:
            return Handled(Outcome.IGNORED)
        if not uow.support.remember_event(cmd.event_id, env.clock.now()):
            return Handled(Outcome.DUPLICATE)
        _post(
            uow,
            env,
            copies[0].practice_id,
            Post.DELETE_FILES,
            f"delete_files:{cmd.event_id}",
            file={"team": cmd.team_id, "id": cmd.file_id},
        )
        uow.commit()
        return Handled(Outcome.RELAYED)


def _relayed(
    uow: UnitOfWork, message: SlackRef, practice_id: PracticeId | None
) -> tuple[RelayedMessage, Conversation] | None:
    relay = uow.support.relay_from(message)
    if relay is None:
        return None
    # A practice's event can only ever reach its own conversations.
    if practice_id is not None and relay.practice_id != practice_id:
        return None
    conversation = uow.support.get(relay.practice_id, relay.conversation_id)
    return None if conversation is None else (relay, conversation)


# -- support's actions, and the practice's rating ------------------------------------------


class Change(enum.StrEnum):
    ASSIGN = "assign"
    RESOLVE = "resolve"
    REOPEN = "reopen"


@dataclass(frozen=True, slots=True)
class ChangeStatus:
    """Support (a button, or a reaction in the support channel) or the practice (a
    reaction in its thread) assigns, resolves or reopens a conversation, named by its id or
    by any message of its threads."""

    change: Change
    user_id: str
    side: Side
    conversation_id: ConversationId | None = None
    message: SlackRef | None = None
    practice_id: PracticeId | None = None
    """The practice's side: the workspace's practice, whose conversations alone it may
    change."""
    event_id: str | None = None


def change_status(cmd: ChangeStatus, uow: UnitOfWork, env: Env) -> Handled:
    """Apply `cmd.change`; resolving tells both threads and asks the practice for a rating,
    reopening tells both threads. Nothing changes (and nothing is posted) when the
    conversation is already as asked."""
    with uow:
        conversation = _find(uow, cmd)
        if conversation is None:
            return Handled(Outcome.IGNORED)
        if cmd.event_id and not uow.support.remember_event(cmd.event_id, env.clock.now()):
            return Handled(Outcome.DUPLICATE, conversation)
        if cmd.change is Change.ASSIGN:
            changed = conversation.assigned(cmd.user_id)
        elif cmd.change is Change.RESOLVE:
            changed = conversation.resolved(env.clock.now())
        else:
            changed = conversation.reopened()
        if changed.version == conversation.version:
            return Handled(Outcome.IGNORED, conversation)
        uow.support.update(changed)
        _card(uow, env, changed)
        if cmd.change is not Change.ASSIGN:
            post = Post.RESOLVED if cmd.change is Change.RESOLVE else Post.REOPENED
            _post(
                uow,
                env,
                changed.practice_id,
                post,
                f"{post.value}:{changed.id}:{changed.version}",
                conversation_id=changed.id,
                by_side=cmd.side.value,
            )
        audit(
            uow,
            env,
            changed.practice_id,
            cmd.user_id,
            f"support.{cmd.change.value}",
            "support_conversation",
            changed.id,
            side=cmd.side.value,
        )
        uow.commit()
        return Handled(Outcome.RELAYED, changed)


def _find(uow: UnitOfWork, cmd: ChangeStatus) -> Conversation | None:
    found: Conversation | None = None
    if cmd.conversation_id is not None:
        found = (
            uow.support.for_support(cmd.conversation_id)
            if cmd.practice_id is None
            else uow.support.get(cmd.practice_id, cmd.conversation_id)
        )
    elif cmd.message is not None:
        found = _conversation_of_message(uow, cmd.message, cmd.side, cmd.practice_id)
    if found is None or (cmd.practice_id is not None and found.practice_id != cmd.practice_id):
        return None
    return found


def _conversation_of_message(
    uow: UnitOfWork, message: SlackRef, side: Side, practice_id: PracticeId | None
) -> Conversation | None:
    """The conversation `message` belongs to: a thread's root, or a relayed message or its
    copy (a reaction names only its message, not the thread)."""
    if side is Side.SUPPORT:
        root = uow.support.for_support_thread(message)
    else:
        root = (
            None if practice_id is None else uow.support.for_practice_thread(practice_id, message)
        )
    if root is not None:
        return root
    relay = uow.support.relay_from(message) or uow.support.relay_to(message)
    if relay is None:
        return None
    return uow.support.get(relay.practice_id, relay.conversation_id)


@dataclass(frozen=True, slots=True)
class Rate:
    practice_id: PracticeId
    conversation_id: ConversationId
    rating: Rating
    user_id: str


def rate_conversation(cmd: Rate, uow: UnitOfWork, env: Env) -> Conversation:
    """The practice's one-click rating of a resolved conversation (clicking again changes
    it). Raises NotFound for another practice's conversation, NotResolved once reopened."""
    with uow:
        conversation = uow.support.get(cmd.practice_id, cmd.conversation_id)
        if conversation is None:
            raise NotFound("support conversation", cmd.conversation_id)
        changed = conversation.rated(cmd.rating)
        if changed.version != conversation.version:
            uow.support.update(changed)
            _card(uow, env, changed)
            audit(
                uow,
                env,
                cmd.practice_id,
                cmd.user_id,
                "support.rated",
                "support_conversation",
                changed.id,
                rating=cmd.rating.value,
            )
            uow.commit()
        return changed


# -- escalation --------------------------------------------------------------------------


def escalate_unanswered(support_team_id: str, uow: UnitOfWork, env: Env) -> list[Conversation]:
    """Post once in the support channel about each question that waited longer than the
    desk's escalation time without an answer. Returns the conversations escalated now."""
    with uow:
        desk = uow.support_settings.desk(support_team_id)
        if desk is None:
            return []
        now = env.clock.now()
        escalated = []
        for conversation in uow.support.waiting_since(
            now - desk.escalate_after, ESCALATIONS_PER_RUN
        ):
            if not conversation.escalation_due(now, desk.escalate_after):
                continue
            changed = conversation.escalated(now)
            uow.support.update(changed)
            _post(
                uow,
                env,
                changed.practice_id,
                Post.ESCALATE,
                f"escalate:{changed.id}",
                conversation_id=changed.id,
            )
            escalated.append(changed)
        uow.commit()
        return escalated


# -- the support workspace's Home ----------------------------------------------------------

#: Open conversations the Home lists (the longest waiting first), and resolved ones.
OPEN_SHOWN = 15
RESOLVED_SHOWN = 5


@dataclass(frozen=True, slots=True)
class DeskEntry:
    conversation: Conversation
    practice_name: str


@dataclass(frozen=True, slots=True)
class DeskOverview:
    """What support's Home shows: the desk, the longest waiting open conversations (`counts`
    counts them all) and the latest resolved, seen at `now`."""

    desk: SupportDesk | None
    open: tuple[DeskEntry, ...]
    counts: OpenCounts
    resolved: tuple[DeskEntry, ...]
    now: datetime


def desk_overview(support_team_id: str, uow: UnitOfWork, env: Env) -> DeskOverview:
    with uow:
        open_ones = uow.support.open_conversations(OPEN_SHOWN)
        resolved = uow.support.recently_resolved(RESOLVED_SHOWN)
        practices = uow.practices.get_many({c.practice_id for c in (*open_ones, *resolved)})

        def entries(conversations: list[Conversation]) -> tuple[DeskEntry, ...]:
            return tuple(
                DeskEntry(
                    c, practices[c.practice_id].billing.name if c.practice_id in practices else "?"
                )
                for c in conversations
            )

        return DeskOverview(
            desk=uow.support_settings.desk(support_team_id),
            open=entries(open_ones),
            counts=uow.support.open_counts(),
            resolved=entries(resolved),
            now=env.clock.now(),
        )


# -- settings ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetSupportDesk:
    """An operator picks the support channel. Operators are the billing admins of the
    vendor's own workspace (`support_team_id`), which installed the app like a practice."""

    support_team_id: str
    user_id: str
    channel_id: str | None
    escalate_after: str


def require_operator(support_team_id: str, user_id: str, uow: UnitOfWork) -> None:
    """NotPermitted unless `user_id` is a billing admin of the vendor's workspace. Call
    inside an open unit of work."""
    practice = uow.practices.for_workspace(support_team_id)
    admins = [] if practice is None else _admins(uow, practice.id)
    if user_id not in admins:
        raise NotPermitted(Role.ADMIN, admins)


def _admins(uow: UnitOfWork, practice_id: PracticeId) -> list[str]:
    return sorted(m.user_id for m in uow.members.list(practice_id) if m.role is Role.ADMIN)


def support_desk(support_team_id: str, user_id: str, uow: UnitOfWork) -> SupportDesk | None:
    """The desk as the operator's settings modal shows it. Raises NotPermitted."""
    with uow:
        require_operator(support_team_id, user_id, uow)
        return uow.support_settings.desk(support_team_id)


def set_support_desk(cmd: SetSupportDesk, uow: UnitOfWork, env: Env) -> SupportDesk:
    """Raises NotPermitted for anyone but an operator, ValidationError (channel,
    escalate_after) for a missing channel or a bad time."""
    errors = FieldErrors()
    errors.require(bool(cmd.channel_id), "channel", "Pick the channel support works in.")
    after = errors.check("escalate_after", lambda: parse_escalate_after(cmd.escalate_after))
    with uow:
        require_operator(cmd.support_team_id, cmd.user_id, uow)
        errors.raise_if_any()
        assert after is not None and cmd.channel_id
        desk = SupportDesk(cmd.support_team_id, cmd.channel_id, after, cmd.user_id, env.clock.now())
        uow.support_settings.save_desk(desk)
        uow.commit()
        return desk


def help_channel(practice_id: PracticeId, uow: UnitOfWork) -> str | None:
    with uow:
        return uow.support_settings.help_channel(practice_id)


@dataclass(frozen=True, slots=True)
class SetHelpChannel:
    practice_id: PracticeId
    user_id: str
    channel_id: str | None


def set_help_channel(cmd: SetHelpChannel, uow: UnitOfWork, env: Env) -> str | None:
    """A billing admin picks (or clears) the practice's help channel. Raises NotPermitted."""
    with uow:
        load_practice(uow, cmd.practice_id)
        if cmd.user_id not in _admins(uow, cmd.practice_id):
            raise NotPermitted(Role.ADMIN, _admins(uow, cmd.practice_id))
        uow.support_settings.set_help_channel(cmd.practice_id, cmd.channel_id or None)
        audit(
            uow,
            env,
            cmd.practice_id,
            cmd.user_id,
            "support.help_channel",
            "practice",
            cmd.practice_id,
        )
        uow.commit()
        return cmd.channel_id or None


# -- what deliveries read ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConversationView:
    """A conversation as its Slack posts show it: with its practice's context for support,
    and the desk whose channel it is posted in."""

    conversation: Conversation
    context: SupportContext
    desk: SupportDesk | None


def conversation_view(
    practice_id: PracticeId,
    conversation_id: ConversationId,
    support_team_id: str | None,
    uow: UnitOfWork,
) -> ConversationView:
    """Raises NotFound when the conversation (or its practice) is gone."""
    with uow:
        conversation = uow.support.get(practice_id, conversation_id)
        if conversation is None:
            raise NotFound("support conversation", conversation_id)
        practice = load_practice(uow, practice_id)
        connection = uow.stripe_connections.get(practice_id)
        stripe = (
            None
            if connection is None
            else StripeSummary(
                connection.account_id,
                connection.status.charges_enabled,
                connection.status.payouts_enabled,
                connection.disconnected_at is not None,
            )
        )
        context = SupportContext(
            practice_id=practice_id,
            practice_name=practice.billing.name,
            workspace_id=practice.workspace_id,
            stripe=stripe,
            invoices=uow.invoices.count(practice_id),
            clients=uow.clients.count(practice_id),
            conversations_before=max(0, uow.support.count(practice_id) - 1),
        )
        desk = uow.support_settings.desk(support_team_id) if support_team_id else None
        return ConversationView(conversation, context, desk)


def record_support_thread(
    practice_id: PracticeId, conversation_id: ConversationId, thread: SlackRef, uow: UnitOfWork
) -> Conversation:
    """Where support's message of the conversation was posted (its thread is support's)."""
    with uow:
        conversation = uow.support.get(practice_id, conversation_id)
        if conversation is None:
            raise NotFound("support conversation", conversation_id)
        if conversation.support_thread == thread:
            return conversation
        changed = replace(
            conversation,
            support_thread=thread,
            version=conversation.version + 1,
        )
        uow.support.update(changed)
        uow.commit()
        return changed


def record_copy(source: SlackRef, copy: SlackRef, uow: UnitOfWork) -> None:
    """Where the copy of a relayed message was posted, so its edits and deletes follow."""
    with uow:
        uow.support.record_copy(source, copy)
        uow.commit()


def relayed_message(source: SlackRef, uow: UnitOfWork) -> RelayedMessage | None:
    with uow:
        return uow.support.relay_from(source)


def record_file_copy(copy: FileCopy, uow: UnitOfWork) -> None:
    """Remember a file the app uploaded into the other thread, so its deletion follows."""
    with uow:
        uow.support.add_file_copy(copy)
        uow.commit()


def file_copies(practice_id: PracticeId, payload: Any, uow: UnitOfWork) -> list[FileCopy]:
    """The copies a DELETE_FILES post names: of a message's files (`source`) or of one file
    (`file`), the practice's only."""
    with uow:
        if "source" in payload:
            found = uow.support.file_copies_of_message(ref_from(payload["source"]))
        else:
            named = payload["file"]
            found = uow.support.file_copies_of_file(str(named["team"]), str(named["id"]))
        return [copy for copy in found if copy.practice_id == practice_id]


def copied_files(source: SlackRef, uow: UnitOfWork) -> set[str]:
    """The files of the message `source` that were copied already (a retried relay skips
    them)."""
    with uow:
        return {copy.source_file for copy in uow.support.file_copies_of_message(source)}
