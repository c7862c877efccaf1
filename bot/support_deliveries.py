"""The outbox's Help channel deliveries: what a support conversation's changes post, in the
practice's workspace and in the vendor's support workspace, each with that workspace's bot
token from the installation store. They run in the outbox worker, after the change
committed, so a failure is retried and a success never posted twice by a repeated event.

Files are relayed by downloading them with the source workspace's token and uploading them
again into the other thread (files.getUploadURLExternal / completeUploadExternal, as the
export does); a file over `MAX_RELAYED_FILE` is named instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import support_views as views
from bot.blocks import escape
from bot.deliveries import workspace_client
from bot.edge.deps import BotDeps
from bot.edge.files import FileNotFetched, slack_file_fetcher
from bot.slack_names import SlackNames
from domain.errors import NotFound
from domain.ids import ConversationId, PracticeId
from domain.outbox import OutboxMessage, PermanentDeliveryError, TransientDeliveryError
from domain.support import Conversation, FileCopy, SharedFile, Side, SlackRef, duration_words
from domain.usecases.support import (
    Ask,
    ConversationView,
    Post,
    ask_support,
    conversation_view,
    copied_files,
    file_copies,
    files_from,
    record_copy,
    record_file_copy,
    record_support_thread,
    ref_from,
    relayed_message,
)

log = logging.getLogger(__name__)

MAX_RELAYED_FILE = 20 * 1024 * 1024
#: files.delete's answers for a copy that is gone already (or was never the app's to delete).
_FILE_GONE = frozenset({"file_not_found", "file_deleted", "cant_delete_file"})
_FOR_GOOD = frozenset(
    {"channel_not_found", "is_archived", "account_inactive", "invalid_auth", "not_in_channel"}
)


class SupportDeliveries:
    """Posts what one outbox message of kind SUPPORT asks for."""

    def __init__(self, app: App, deps: BotDeps) -> None:
        self._app = app
        self._deps = deps
        self._fetch = slack_file_fetcher(deps.slack_api_url, limit=MAX_RELAYED_FILE, timeout=30)
        self._names = SlackNames()

    def __call__(self, message: OutboxMessage) -> None:
        payload = message.payload
        post = Post(str(payload["post"]))
        try:
            if post is Post.UNAVAILABLE:
                self._unavailable(payload)
                return
            if post is Post.QUOTE:
                self._quote(message.practice_id, payload)
                return
            if post is Post.DELETE_FILES:
                self._delete_files(message.practice_id, payload)
                return
            view = conversation_view(
                message.practice_id,
                ConversationId(str(payload["conversation_id"])),
                self._deps.support_team_id,
                self._deps.read(),
            )
            handlers: dict[Post, Callable[[ConversationView, Any], None]] = {
                Post.OPENED: self._opened,
                Post.RELAY: self._relay,
                Post.EDIT: self._edit,
                Post.DELETE: self._delete,
                Post.CARD: self._card,
                Post.RESOLVED: self._resolved,
                Post.REOPENED: self._reopened,
                Post.ESCALATE: self._escalate,
            }
            handlers[post](view, payload)
        except SlackApiError as error:
            code = str(error.response.get("error") or error.response.status_code)
            if code in _FOR_GOOD:
                raise PermanentDeliveryError(f"slack refused: {code}") from None
            raise TransientDeliveryError(f"slack answered {code}") from None
        except NotFound:
            raise PermanentDeliveryError("the conversation is gone") from None
        except OSError as error:
            raise TransientDeliveryError(f"slack unreachable: {type(error).__name__}") from None

    # -- the two workspaces ----------------------------------------------------------------

    def _support(self, view: ConversationView) -> tuple[WebClient, str]:
        """The support workspace's client and the desk's channel."""
        if view.desk is None or self._deps.support_team_id is None:
            raise TransientDeliveryError("no support desk is set up")
        return workspace_client(self._app, self._deps.support_team_id), view.desk.channel_id

    def _practice(self, view: ConversationView) -> WebClient:
        return workspace_client(self._app, view.context.workspace_id)

    def _support_thread(self, view: ConversationView) -> SlackRef:
        thread = view.conversation.support_thread
        if thread is None:
            # Its OPENED post has not gone out yet (it is retried first).
            raise TransientDeliveryError("support's message of the conversation is not posted yet")
        return thread

    # -- each post -------------------------------------------------------------------------

    def _unavailable(self, payload: Any) -> None:
        thread = ref_from(payload["thread"])
        client = workspace_client(self._app, thread.team_id)
        client.chat_postMessage(
            channel=thread.channel_id, thread_ts=thread.ts, text=views.UNAVAILABLE_TEXT
        )

    def _quote(self, practice_id: PracticeId, payload: Any) -> None:
        """Quote a reply marked 🎫 in a post of its own, open the conversation there, and
        say where it went in the reply's thread."""
        reply, thread = ref_from(payload["reply"]), ref_from(payload["thread"])
        author = str(payload.get("user_id") or "")
        text = str(payload.get("text") or "")
        client = workspace_client(self._app, reply.team_id)
        posted = client.chat_postMessage(
            channel=reply.channel_id, text=views.quoted_question(author, text)
        )
        handled = ask_support(
            Ask(
                practice_id,
                SlackRef(reply.team_id, str(posted["channel"]), str(posted["ts"])),
                author,
                text,
                self._deps.support_team_id,
                files=files_from(payload.get("files")),
                written_by_member=False,
            ),
            self._deps.uow(),
            self._deps.env,
        )
        self._deps.deliver_soon()
        if handled.conversation is not None:
            client.chat_postMessage(
                channel=thread.channel_id,
                thread_ts=thread.ts,
                text=views.quoted_note(handled.conversation),
            )

    def _opened(self, view: ConversationView, payload: Any) -> None:
        conversation = view.conversation
        support, channel = self._support(view)
        thread = conversation.support_thread
        if thread is None:
            posted = support.chat_postMessage(
                channel=channel,
                text=views.card_text(conversation, view.context),
                blocks=self._card_blocks(view),
            )
            thread = SlackRef(
                self._deps.support_team_id or "", str(posted["channel"]), str(posted["ts"])
            )
            conversation = record_support_thread(
                conversation.practice_id, conversation.id, thread, self._deps.uow()
            )
        practice = self._practice(view)
        files = files_from(payload.get("files"))
        if files:
            self._copy_files(view, files, conversation.practice_thread, support, thread)
        place = conversation.practice_thread
        practice.chat_postMessage(
            channel=place.channel_id, thread_ts=place.ts, text=views.received_text(conversation)
        )

    def _relay(self, view: ConversationView, payload: Any) -> None:
        source = ref_from(payload["source"])
        side = Side(str(payload["side"]))
        text = str(payload.get("text") or "")
        files = files_from(payload.get("files"))
        client, target = self._target(view, side)
        relay = relayed_message(source, self._deps.read())
        if relay is None or relay.copy is None:  # else posted by an earlier try
            line = self._attributed(
                view, side, str(payload.get("user_id") or ""), text, bool(files)
            )
            posted = client.chat_postMessage(
                channel=target.channel_id, thread_ts=target.ts, text=line
            )
            record_copy(
                source,
                SlackRef(target.team_id, str(posted["channel"]), str(posted["ts"])),
                self._deps.uow(),
            )
        if files:
            self._copy_files(view, files, source, client, target)

    def _target(self, view: ConversationView, written_on: Side) -> tuple[WebClient, SlackRef]:
        """Where a message written on one side goes: the other side's thread."""
        if written_on is Side.PRACTICE:
            support, _ = self._support(view)
            return support, self._support_thread(view)
        return self._practice(view), view.conversation.practice_thread

    def _attributed(
        self, view: ConversationView, side: Side, user_id: str, text: str, has_files: bool
    ) -> str:
        shown = text or ("shared a file" if has_files else "")
        if side is Side.PRACTICE:
            member = self._member_name(view, user_id)
            return views.from_practice(view.context.practice_name, member, user_id, shown)
        return views.from_support(self._agent_name(user_id), shown)

    def _agent_name(self, user_id: str) -> str:
        """Support's own name as the practice reads it: the agent's first name."""
        if not user_id or self._deps.support_team_id is None:
            return "Someone"
        client = workspace_client(self._app, self._deps.support_team_id)
        return self._names.first_name(client, self._deps.support_team_id, user_id) or "Someone"

    def _member_name(self, view: ConversationView, user_id: str) -> str | None:
        """A practice member's first name, asked of the practice's workspace (None: support
        sees their id instead)."""
        workspace = view.context.workspace_id
        return self._names.first_name(workspace_client(self._app, workspace), workspace, user_id)

    def _card_blocks(self, view: ConversationView) -> Any:
        asker = self._member_name(view, view.conversation.opened_by)
        return views.support_card(view.conversation, view.context, asker)

    def _copy_files(
        self,
        view: ConversationView,
        files: tuple[SharedFile, ...],
        source: SlackRef,
        client: WebClient,
        target: SlackRef,
    ) -> None:
        """Upload `files`, shared by the message `source`, into the thread `target`, each
        remembered as a copy of its original (and skipped when an earlier try copied it)."""
        bot = self._bot_token(source.team_id)
        done = copied_files(source, self._deps.read())
        for shared in files:
            if shared.file_id in done:
                continue
            try:
                content = self._fetch(shared.url, bot)
            except FileNotFetched as problem:
                raise TransientDeliveryError(f"file {shared.file_id} not fetched") from problem
            if len(content) > MAX_RELAYED_FILE:
                client.chat_postMessage(
                    channel=target.channel_id,
                    thread_ts=target.ts,
                    text=f"(A file too large to relay: {escape(shared.name)})",
                )
                continue
            uploaded = client.files_upload_v2(
                channel=target.channel_id,
                thread_ts=target.ts,
                content=content,
                filename=shared.name,
                title=shared.name,
            )
            for copy in uploaded.get("files") or []:
                record_file_copy(
                    FileCopy(
                        view.conversation.id,
                        view.conversation.practice_id,
                        source,
                        shared.file_id,
                        target.team_id,
                        str(copy["id"]),
                    ),
                    self._deps.uow(),
                )

    def _delete_files(self, practice_id: PracticeId, payload: Any) -> None:
        """Delete the app's copies of a deleted file, or of a deleted message's files. The
        app uploaded each copy, so its own token may delete it."""
        for copy in file_copies(practice_id, payload, self._deps.read()):
            client = workspace_client(self._app, copy.copy_team)
            try:
                client.files_delete(file=copy.copy_file)
            except SlackApiError as error:
                if error.response.get("error") not in _FILE_GONE:
                    raise

    def _bot_token(self, team_id: str) -> str:
        store = self._app.installation_store
        if store is None:
            return str(self._app.client.token or "")
        bot = store.find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            raise PermanentDeliveryError("the workspace has no bot token (uninstalled)")
        return str(bot.bot_token)

    def _edit(self, view: ConversationView, payload: Any) -> None:
        source = ref_from(payload["source"])
        relay = relayed_message(source, self._deps.read())
        if relay is None:
            return
        if relay.copy is None:
            raise TransientDeliveryError("the edited message's copy is not posted yet")
        client = workspace_client(self._app, relay.copy.team_id)
        line = self._attributed(
            view,
            relay.written_on,
            str(payload.get("user_id") or ""),
            str(payload.get("text") or ""),
            False,
        )
        client.chat_update(channel=relay.copy.channel_id, ts=relay.copy.ts, text=line)

    def _delete(self, view: ConversationView, payload: Any) -> None:
        relay = relayed_message(ref_from(payload["source"]), self._deps.read())
        if relay is None:
            return
        if relay.copy is None:
            raise TransientDeliveryError("the deleted message's copy is not posted yet")
        client = workspace_client(self._app, relay.copy.team_id)
        try:
            client.chat_delete(channel=relay.copy.channel_id, ts=relay.copy.ts)
        except SlackApiError as error:
            if error.response.get("error") != "message_not_found":
                raise

    def _card(self, view: ConversationView, payload: Any) -> None:
        support, _ = self._support(view)
        thread = self._support_thread(view)
        support.chat_update(
            channel=thread.channel_id,
            ts=thread.ts,
            text=views.card_text(view.conversation, view.context),
            blocks=self._card_blocks(view),
        )

    def _resolved(self, view: ConversationView, payload: Any) -> None:
        by_side = str(payload.get("by_side") or "support")
        support, _ = self._support(view)
        thread = self._support_thread(view)
        support.chat_postMessage(
            channel=thread.channel_id,
            thread_ts=thread.ts,
            text=views.resolved_text_for_support(by_side),
        )
        conversation = view.conversation
        if conversation.is_open:
            return  # reopened meanwhile: no rating to ask for
        place = conversation.practice_thread
        self._practice(view).chat_postMessage(
            channel=place.channel_id,
            thread_ts=place.ts,
            text=views.RATING_ASK_TEXT,
            blocks=views.rating_prompt(conversation),
        )

    def _reopened(self, view: ConversationView, payload: Any) -> None:
        text = views.reopened_text(str(payload.get("by_side") or "support"))
        support, _ = self._support(view)
        thread = self._support_thread(view)
        support.chat_postMessage(channel=thread.channel_id, thread_ts=thread.ts, text=text)
        place = view.conversation.practice_thread
        self._practice(view).chat_postMessage(
            channel=place.channel_id, thread_ts=place.ts, text=text
        )

    def _escalate(self, view: ConversationView, payload: Any) -> None:
        conversation: Conversation = view.conversation
        if not conversation.is_open or conversation.first_response_at is not None:
            return  # answered meanwhile
        support, channel = self._support(view)
        waited = duration_words(
            (conversation.escalated_at or conversation.opened_at) - conversation.opened_at
        )
        support.chat_postMessage(
            channel=channel, text=views.escalation_text(conversation, view.context, waited)
        )


def support_handler(app: App, deps: BotDeps) -> Callable[[OutboxMessage], None]:
    return SupportDeliveries(app, deps)
