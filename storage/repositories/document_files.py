"""Rendered PDFs, one per owner (an invoice or a payment's receipt), replaced when stale."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from domain.ids import PracticeId
from storage.orm import DocumentFileRow


class SqlDocumentFiles:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, practice_id: PracticeId, owner: str, fingerprint: str) -> bytes | None:
        return self._session.scalar(
            select(DocumentFileRow.content).where(
                DocumentFileRow.practice_id == practice_id,
                DocumentFileRow.owner == owner,
                DocumentFileRow.fingerprint == fingerprint,
            )
        )

    def put(self, practice_id: PracticeId, owner: str, fingerprint: str, content: bytes) -> None:
        # Two processes rendering the same new version at once both write the same bytes;
        # the upsert makes the second a harmless overwrite instead of a unique violation.
        dialect = self._session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(DocumentFileRow).values(
            practice_id=practice_id,
            owner=owner,
            fingerprint=fingerprint,
            content=content,
            rendered_at=datetime.now(UTC),
        )
        self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["practice_id", "owner"],
                set_={
                    "fingerprint": statement.excluded.fingerprint,
                    "content": statement.excluded.content,
                    "rendered_at": statement.excluded.rendered_at,
                },
            )
        )
