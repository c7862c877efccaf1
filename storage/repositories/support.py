"""Support conversations, their relayed messages, the Slack events handled, and the settings
of the Help channel (the vendor's support desk, each practice's help channel)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from domain.errors import StaleEdit
from domain.ids import ConversationId, PracticeId
from domain.support import (
    Conversation,
    ConversationStatus,
    FileCopy,
    OpenCounts,
    Rating,
    RelayedMessage,
    Side,
    SlackRef,
    SupportDesk,
)
from storage.orm import (
    HelpChannelRow,
    SupportConversationRow,
    SupportDeskRow,
    SupportEventRow,
    SupportFileCopyRow,
    SupportRelayRow,
)
from storage.repositories.inserts import insert_ignoring_duplicates


class SqlSupportConversations:
    def __init__(self, session: Session) -> None:
        self._session = session

    def next_number(self) -> int:
        # The unique number refuses a second conversation that read the same maximum
        # concurrently: its transaction fails and Slack's retry of the event takes the next.
        highest = self._session.scalar(select(func.max(SupportConversationRow.number)))
        return int(highest or 0) + 1

    def add(self, conversation: Conversation) -> bool:
        thread = conversation.practice_thread
        return insert_ignoring_duplicates(
            self._session,
            SupportConversationRow,
            {
                "id": conversation.id,
                "practice_id": conversation.practice_id,
                "number": conversation.number,
                "practice_team": thread.team_id,
                "practice_channel": thread.channel_id,
                "practice_ts": thread.ts,
                "opened_by": conversation.opened_by,
                "opened_at": conversation.opened_at,
                **_changing(conversation),
            },
            ["practice_id", "practice_team", "practice_channel", "practice_ts"],
        )

    def get(self, practice_id: PracticeId, conversation_id: ConversationId) -> Conversation | None:
        row = self._session.get(SupportConversationRow, conversation_id)
        return None if row is None or row.practice_id != practice_id else _conversation(row)

    def for_support(self, conversation_id: ConversationId) -> Conversation | None:
        row = self._session.get(SupportConversationRow, conversation_id)
        return None if row is None else _conversation(row)

    def for_practice_thread(self, practice_id: PracticeId, thread: SlackRef) -> Conversation | None:
        row = self._session.scalar(
            select(SupportConversationRow).where(
                SupportConversationRow.practice_id == practice_id,
                SupportConversationRow.practice_team == thread.team_id,
                SupportConversationRow.practice_channel == thread.channel_id,
                SupportConversationRow.practice_ts == thread.ts,
            )
        )
        return None if row is None else _conversation(row)

    def for_support_thread(self, thread: SlackRef) -> Conversation | None:
        row = self._session.scalar(
            select(SupportConversationRow).where(
                SupportConversationRow.support_channel == thread.channel_id,
                SupportConversationRow.support_ts == thread.ts,
                SupportConversationRow.support_team == thread.team_id,
            )
        )
        return None if row is None else _conversation(row)

    def update(self, conversation: Conversation) -> None:
        result = self._session.execute(
            update(SupportConversationRow)
            .where(
                SupportConversationRow.id == conversation.id,
                SupportConversationRow.practice_id == conversation.practice_id,
                SupportConversationRow.version == conversation.version - 1,
            )
            .values(**_changing(conversation))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleEdit("The conversation changed meanwhile; try again.")

    def count(self, practice_id: PracticeId) -> int:
        return int(
            self._session.scalar(
                select(func.count())
                .select_from(SupportConversationRow)
                .where(SupportConversationRow.practice_id == practice_id)
            )
            or 0
        )

    def waiting_since(self, before: datetime, limit: int) -> list[Conversation]:
        rows = self._session.scalars(
            select(SupportConversationRow)
            .where(
                SupportConversationRow.status == ConversationStatus.OPEN.value,
                SupportConversationRow.first_response_at.is_(None),
                SupportConversationRow.escalated_at.is_(None),
                SupportConversationRow.opened_at <= before,
            )
            .order_by(SupportConversationRow.opened_at, SupportConversationRow.id)
            .limit(limit)
        )
        return [_conversation(row) for row in rows]

    def open_conversations(self, limit: int) -> list[Conversation]:
        rows = self._session.scalars(
            select(SupportConversationRow)
            .where(SupportConversationRow.status == ConversationStatus.OPEN.value)
            .order_by(SupportConversationRow.opened_at, SupportConversationRow.id)
            .limit(limit)
        )
        return [_conversation(row) for row in rows]

    def open_counts(self) -> OpenCounts:
        row = SupportConversationRow
        unanswered = row.first_response_at.is_(None)
        counted = self._session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((unanswered, 1), else_=0)), 0),
                func.coalesce(
                    func.sum(case((unanswered & row.escalated_at.is_not(None), 1), else_=0)), 0
                ),
            ).where(row.status == ConversationStatus.OPEN.value)
        ).one()
        return OpenCounts(int(counted[0]), int(counted[1]), int(counted[2]))

    def recently_resolved(self, limit: int) -> list[Conversation]:
        rows = self._session.scalars(
            select(SupportConversationRow)
            .where(SupportConversationRow.status == ConversationStatus.RESOLVED.value)
            .order_by(SupportConversationRow.resolved_at.desc(), SupportConversationRow.id)
            .limit(limit)
        )
        return [_conversation(row) for row in rows]

    def remember_event(self, event_id: str, received_at: datetime) -> bool:
        return insert_ignoring_duplicates(
            self._session,
            SupportEventRow,
            {"event_id": event_id, "received_at": received_at},
            ["event_id"],
        )

    def add_relay(self, relay: RelayedMessage) -> bool:
        copy = relay.copy
        return insert_ignoring_duplicates(
            self._session,
            SupportRelayRow,
            {
                "source_team": relay.source.team_id,
                "source_channel": relay.source.channel_id,
                "source_ts": relay.source.ts,
                "practice_id": relay.practice_id,
                "conversation_id": relay.conversation_id,
                "written_on": relay.written_on.value,
                "copy_team": copy.team_id if copy else None,
                "copy_channel": copy.channel_id if copy else None,
                "copy_ts": copy.ts if copy else None,
            },
            ["source_team", "source_channel", "source_ts"],
        )

    def relay_from(self, source: SlackRef) -> RelayedMessage | None:
        row = self._session.get(SupportRelayRow, (source.team_id, source.channel_id, source.ts))
        return None if row is None else _relay(row)

    def relay_to(self, copy: SlackRef) -> RelayedMessage | None:
        row = self._session.scalar(
            select(SupportRelayRow).where(
                SupportRelayRow.copy_team == copy.team_id,
                SupportRelayRow.copy_channel == copy.channel_id,
                SupportRelayRow.copy_ts == copy.ts,
            )
        )
        return None if row is None else _relay(row)

    def record_copy(self, source: SlackRef, copy: SlackRef) -> None:
        self._session.execute(
            update(SupportRelayRow)
            .where(
                SupportRelayRow.source_team == source.team_id,
                SupportRelayRow.source_channel == source.channel_id,
                SupportRelayRow.source_ts == source.ts,
            )
            .values(copy_team=copy.team_id, copy_channel=copy.channel_id, copy_ts=copy.ts)
            .execution_options(synchronize_session=False)
        )

    def add_file_copy(self, copy: FileCopy) -> bool:
        source = copy.source_message
        return insert_ignoring_duplicates(
            self._session,
            SupportFileCopyRow,
            {
                "copy_team": copy.copy_team,
                "copy_file": copy.copy_file,
                "practice_id": copy.practice_id,
                "conversation_id": copy.conversation_id,
                "source_team": source.team_id,
                "source_channel": source.channel_id,
                "source_ts": source.ts,
                "source_file": copy.source_file,
            },
            ["copy_team", "copy_file"],
        )

    def file_copies_of_file(self, team_id: str, file_id: str) -> list[FileCopy]:
        rows = self._session.scalars(
            select(SupportFileCopyRow).where(
                SupportFileCopyRow.source_team == team_id,
                SupportFileCopyRow.source_file == file_id,
            )
        )
        return [_file_copy(row) for row in rows]

    def file_copies_of_message(self, message: SlackRef) -> list[FileCopy]:
        rows = self._session.scalars(
            select(SupportFileCopyRow).where(
                SupportFileCopyRow.source_team == message.team_id,
                SupportFileCopyRow.source_channel == message.channel_id,
                SupportFileCopyRow.source_ts == message.ts,
            )
        )
        return [_file_copy(row) for row in rows]


def _file_copy(row: SupportFileCopyRow) -> FileCopy:
    return FileCopy(
        conversation_id=ConversationId(row.conversation_id),
        practice_id=PracticeId(row.practice_id),
        source_message=SlackRef(row.source_team, row.source_channel, row.source_ts),
        source_file=row.source_file,
        copy_team=row.copy_team,
        copy_file=row.copy_file,
    )


def _changing(conversation: Conversation) -> dict[str, object]:
    support = conversation.support_thread
    return {
        "support_team": support.team_id if support else None,
        "support_channel": support.channel_id if support else None,
        "support_ts": support.ts if support else None,
        "question": conversation.question,
        "status": conversation.status.value,
        "assignee": conversation.assignee,
        "first_response_at": conversation.first_response_at,
        "resolved_at": conversation.resolved_at,
        "escalated_at": conversation.escalated_at,
        "rating": conversation.rating.value if conversation.rating else None,
        "version": conversation.version,
    }


def _conversation(row: SupportConversationRow) -> Conversation:
    support = (
        SlackRef(row.support_team, row.support_channel, row.support_ts)
        if row.support_team and row.support_channel and row.support_ts
        else None
    )
    return Conversation(
        id=ConversationId(row.id),
        practice_id=PracticeId(row.practice_id),
        number=row.number,
        practice_thread=SlackRef(row.practice_team, row.practice_channel, row.practice_ts),
        opened_by=row.opened_by,
        question=row.question,
        opened_at=row.opened_at,
        status=ConversationStatus(row.status),
        support_thread=support,
        assignee=row.assignee,
        first_response_at=row.first_response_at,
        resolved_at=row.resolved_at,
        escalated_at=row.escalated_at,
        rating=Rating(row.rating) if row.rating else None,
        version=row.version,
    )


def _relay(row: SupportRelayRow) -> RelayedMessage:
    copy = (
        SlackRef(row.copy_team, row.copy_channel, row.copy_ts)
        if row.copy_team and row.copy_channel and row.copy_ts
        else None
    )
    return RelayedMessage(
        conversation_id=ConversationId(row.conversation_id),
        practice_id=PracticeId(row.practice_id),
        source=SlackRef(row.source_team, row.source_channel, row.source_ts),
        written_on=Side(row.written_on),
        copy=copy,
    )


class SqlSupportSettings:
    def __init__(self, session: Session) -> None:
        self._session = session

    def desk(self, team_id: str) -> SupportDesk | None:
        row = self._session.get(SupportDeskRow, team_id)
        if row is None:
            return None
        return SupportDesk(
            row.team_id,
            row.channel_id,
            timedelta(seconds=row.escalate_after_s),
            row.set_by,
            row.set_at,
        )

    def save_desk(self, desk: SupportDesk) -> None:
        row = self._session.get(SupportDeskRow, desk.team_id)
        if row is None:
            row = SupportDeskRow(team_id=desk.team_id)
            self._session.add(row)
        row.channel_id = desk.channel_id
        row.escalate_after_s = int(desk.escalate_after.total_seconds())
        row.set_by = desk.set_by
        row.set_at = desk.set_at
        self._session.flush()

    def help_channel(self, practice_id: PracticeId) -> str | None:
        row = self._session.get(HelpChannelRow, practice_id)
        return None if row is None else row.channel_id

    def set_help_channel(self, practice_id: PracticeId, channel_id: str | None) -> None:
        row = self._session.get(HelpChannelRow, practice_id)
        if channel_id is None:
            if row is not None:
                self._session.delete(row)
        elif row is None:
            self._session.add(HelpChannelRow(practice_id=practice_id, channel_id=channel_id))
        else:
            row.channel_id = channel_id
        self._session.flush()
