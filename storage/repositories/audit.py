"""The audit log: who did what to which record, and when."""

from __future__ import annotations

from typing import cast

from sqlalchemy import (
    Table,
    insert,
    select,
)
from sqlalchemy.orm import Session

from domain.audit import AuditEvent
from domain.ids import (
    AuditEventId,
    PracticeId,
)
from storage.orm import (
    AuditEventRow,
)

# Built once, its values given as parameters: most changes write an entry.
_RECORD = insert(cast(Table, AuditEventRow.__table__))


class SqlAuditLog:
    def __init__(self, session: Session) -> None:
        self._session = session

    def record(self, event: AuditEvent) -> None:
        self._session.execute(
            _RECORD,
            {
                "id": event.id,
                "practice_id": event.practice_id,
                "actor": event.actor,
                "action": event.action,
                "subject_type": event.subject_type,
                "subject_id": event.subject_id,
                "at": event.at,
                "details": dict(event.details),
            },
        )

    def for_subject(self, practice_id: PracticeId, subject_id: str) -> list[AuditEvent]:
        rows = self._session.scalars(
            select(AuditEventRow)
            .where(AuditEventRow.practice_id == practice_id, AuditEventRow.subject_id == subject_id)
            .order_by(AuditEventRow.seq)
        )
        return [
            AuditEvent(
                AuditEventId(row.id),
                PracticeId(row.practice_id),
                row.actor,
                row.action,
                row.subject_type,
                row.subject_id,
                row.at,
                dict(row.details),
            )
            for row in rows
        ]
