"""Members: the billing role each Slack user holds in a practice."""

from __future__ import annotations

from sqlalchemy import (
    delete,
    insert,
    select,
)
from sqlalchemy.orm import Session

from domain.ids import (
    PracticeId,
)
from domain.roles import Member, Role
from storage.orm import (
    MemberRow,
)


def _member(row: MemberRow) -> Member:
    return Member(
        PracticeId(row.practice_id), row.user_id, Role(row.role), row.granted_by, row.granted_at
    )


class SqlMemberRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, practice_id: PracticeId, user_id: str) -> Member | None:
        row = self._session.get(MemberRow, (practice_id, user_id))
        return _member(row) if row else None

    def list(self, practice_id: PracticeId) -> list[Member]:
        query = select(MemberRow).where(MemberRow.practice_id == practice_id)
        return [_member(row) for row in self._session.scalars(query.order_by(MemberRow.user_id))]

    def save(self, member: Member) -> None:
        self.remove(member.practice_id, member.user_id)
        self._session.execute(
            insert(MemberRow).values(
                practice_id=member.practice_id,
                user_id=member.user_id,
                role=member.role.value,
                granted_by=member.granted_by,
                granted_at=member.granted_at,
            )
        )

    def remove(self, practice_id: PracticeId, user_id: str) -> None:
        self._session.execute(
            delete(MemberRow).where(
                MemberRow.practice_id == practice_id, MemberRow.user_id == user_id
            )
        )
        self._session.expire_all()
