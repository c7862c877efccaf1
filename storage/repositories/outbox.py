"""The outbox's enqueueing side: messages written in the unit of work's own transaction."""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from domain.ids import PracticeId
from domain.outbox import OutboxKind, OutboxMessage
from storage.bulk import rows_insert
from storage.orm import OutboxRow
from storage.repositories.inserts import (
    insert_ignoring_duplicates,
)
from storage.together import session_cursor


class SqlOutbox:
    """Implements `domain.ports.Outbox` over the unit of work's session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, message: OutboxMessage) -> bool:
        # ON CONFLICT DO NOTHING rather than catching the unique violation: on PostgreSQL a
        # violation aborts the whole transaction, which holds the change the message belongs
        # to; and two transactions enqueueing the same key at once then wait for each other
        # instead of one failing.
        return insert_ignoring_duplicates(
            self._session, OutboxRow, _values(message), ["practice_id", "dedupe_key"]
        )

    def add_all(self, messages: Sequence[OutboxMessage]) -> None:
        if not messages:
            return
        # On the driver's cursor (`storage.bulk`): a sweep's batch writes a thousand, and
        # SQLAlchemy's execution path cost more than the database took to store them.
        dialect = self._session.get_bind().dialect
        insert = rows_insert(_OUTBOX, _COLUMNS, ("practice_id", "dedupe_key"), dialect)
        columns = [list(map(attrgetter(name), messages)) for name in _COLUMNS]
        columns[_KIND] = list(map(str, columns[_KIND]))
        with session_cursor(self._session) as cursor:
            insert.run(cursor, columns)

    def get(self, practice_id: PracticeId, dedupe_key: str) -> OutboxMessage | None:
        row = self._session.scalar(
            select(OutboxRow).where(
                OutboxRow.practice_id == practice_id, OutboxRow.dedupe_key == dedupe_key
            )
        )
        return None if row is None else message_from_row(row)


_OUTBOX = cast(Table, OutboxRow.__table__)
# The columns `add_all` writes, each read off an `OutboxMessage` by its own name.
_COLUMNS = (
    "id",
    "practice_id",
    "kind",
    "payload",
    "dedupe_key",
    "created_at",
    "attempts",
    "next_attempt_at",
    "sent_at",
    "failed_at",
    "last_error",
)
_KIND = _COLUMNS.index("kind")


def _values(message: OutboxMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "practice_id": message.practice_id,
        "kind": str(message.kind),
        "payload": dict(message.payload),
        "dedupe_key": message.dedupe_key,
        "created_at": message.created_at,
        "attempts": message.attempts,
        "next_attempt_at": message.next_attempt_at,
        "sent_at": message.sent_at,
        "failed_at": message.failed_at,
        "last_error": message.last_error,
    }


def message_from_row(row: OutboxRow) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,
        practice_id=PracticeId(row.practice_id),
        kind=OutboxKind(row.kind),
        payload=row.payload,
        dedupe_key=row.dedupe_key,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        attempts=row.attempts,
        sent_at=row.sent_at,
        failed_at=row.failed_at,
        last_error=row.last_error,
    )
