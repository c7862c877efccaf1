"""The audit log: who did what to which record, and when."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import bindparam, insert, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from domain.audit import AuditEvent
from domain.ids import (
    AuditEventId,
    PracticeId,
)
from storage.orm import (
    AuditEventRow,
)
from storage.rendered import RenderedStatement

_COLUMNS = ("id", "practice_id", "actor", "action", "subject_type", "subject_id", "at", "details")


@lru_cache(maxsize=8)
def _record(dialect: Dialect) -> RenderedStatement:
    """Rendered once, its values given as parameters, and run on the driver's cursor
    (`storage.rendered`): most changes write an entry, every payment among them."""
    return RenderedStatement(
        insert(AuditEventRow).values({name: bindparam(name) for name in _COLUMNS}), dialect
    )


class SqlAuditLog:
    def __init__(self, session: Session) -> None:
        self._session = session

    def record(self, event: AuditEvent) -> None:
        _record(self._session.get_bind().dialect).in_session(
            self._session,
            id=event.id,
            practice_id=event.practice_id,
            actor=event.actor,
            action=event.action,
            subject_type=event.subject_type,
            subject_id=event.subject_id,
            at=event.at,
            details=dict(event.details),
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
