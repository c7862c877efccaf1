"""The outbox's delivery side: claiming due messages for one worker, and recording how
each delivery went. Safe with several workers and server replicas on one database.

A claim leases up to N due rows to one worker in one short transaction. On PostgreSQL the
rows are picked with ``SELECT ... FOR UPDATE SKIP LOCKED``, so concurrent claims take
disjoint rows without waiting for each other; on SQLite the transaction holds the database's
single write lock (``BEGIN IMMEDIATE``). Either way the lease is then set by an update that
repeats the "due and not leased" test (compare and set), and only the rows that update
changed are handed out. Every later write names the claim's token, so a worker whose lease
ran out and whose rows were taken again cannot overwrite what the new holder records.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from domain.outbox import OutboxMessage
from storage.orm import OutboxRow
from storage.repositories.outbox import message_from_row

CLAIM_TOKEN_LENGTH = 64


@dataclass(frozen=True)
class Claim:
    """Messages leased to one worker until `until`; `token` names the lease in every write."""

    token: str
    until: datetime
    messages: list[OutboxMessage] = field(default_factory=list)


@dataclass(frozen=True)
class OutboxCounts:
    """How many messages are in each state, per kind, and how late the oldest due one is."""

    pending: dict[str, int]
    failed: dict[str, int]
    sent: dict[str, int]
    oldest_due: datetime | None


def _deliverable(now: datetime) -> ColumnElement[bool]:
    """Still to deliver, due, and not leased (or its lease ran out: its worker died)."""
    return and_(
        OutboxRow.sent_at.is_(None),
        OutboxRow.failed_at.is_(None),
        OutboxRow.next_attempt_at <= now,
        or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until <= now),
    )


class SqlOutboxQueue:
    """Claims and records deliveries; each method is its own short transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def claim(
        self,
        worker: str,
        kinds: Collection[str],
        now: datetime,
        *,
        limit: int,
        lease: timedelta,
    ) -> Claim:
        """Lease up to `limit` due messages of `kinds` to `worker` until `now + lease`, the
        longest waiting first. Kinds the worker cannot deliver stay for one that can."""
        token = f"{worker[: CLAIM_TOKEN_LENGTH - 17]}:{secrets.token_hex(8)}"
        until = now + lease
        if not kinds or limit < 1:
            return Claim(token, until)
        due = _deliverable(now) & OutboxRow.kind.in_(sorted(kinds))
        with Session(self._engine) as session, session.begin():
            ids = session.scalars(
                select(OutboxRow.id)
                .where(due)
                .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            if not ids:
                return Claim(token, until)
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_(ids), due)
                .values(claimed_by=token, claimed_until=until)
            )
            rows = session.scalars(
                select(OutboxRow)
                .where(OutboxRow.id.in_(ids), OutboxRow.claimed_by == token)
                .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
            ).all()
            return Claim(token, until, [message_from_row(row) for row in rows])

    def mark_sent(self, claim: Claim, message_id: str, now: datetime) -> bool:
        """Record a delivery; False if the lease was lost to another worker meanwhile."""
        return self._finish(
            claim,
            message_id,
            sent_at=now,
            attempts=OutboxRow.attempts + 1,
            last_error="",
        )

    def mark_attempt_failed(
        self,
        claim: Claim,
        message_id: str,
        now: datetime,
        *,
        error: str,
        retry_at: datetime | None,
    ) -> bool:
        """Record a failed attempt: try again at `retry_at`, or (None) give the message up
        as failed. False if the lease was lost to another worker meanwhile."""
        if retry_at is None:
            return self._finish(
                claim, message_id, failed_at=now, attempts=OutboxRow.attempts + 1, last_error=error
            )
        return self._finish(
            claim,
            message_id,
            next_attempt_at=retry_at,
            attempts=OutboxRow.attempts + 1,
            last_error=error,
        )

    def release(self, claim: Claim, message_ids: Iterable[str]) -> None:
        """Give back leased messages not attempted (the worker is stopping), so that any
        worker may take them at once rather than after the lease."""
        ids = list(message_ids)
        if not ids:
            return
        with self._engine.begin() as connection:
            connection.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.id.in_(ids),
                    OutboxRow.claimed_by == claim.token,
                    OutboxRow.sent_at.is_(None),
                )
                .values(claimed_by=None, claimed_until=None)
            )

    def _finish(self, claim: Claim, message_id: str, **values: object) -> bool:
        with self._engine.begin() as connection:
            result = connection.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.id == message_id,
                    OutboxRow.claimed_by == claim.token,
                    OutboxRow.sent_at.is_(None),
                )
                .values(claimed_by=None, claimed_until=None, **values)
            )
        return bool(result.rowcount)

    def counts(self) -> OutboxCounts:
        """Messages per state and kind, and when the oldest one still to deliver was due."""
        state = case(
            (OutboxRow.sent_at.is_not(None), "sent"),
            (OutboxRow.failed_at.is_not(None), "failed"),
            else_="pending",
        )
        with Session(self._engine) as session:
            rows = session.execute(
                select(state, OutboxRow.kind, func.count()).group_by(state, OutboxRow.kind)
            ).all()
            oldest = session.scalar(
                select(func.min(OutboxRow.next_attempt_at)).where(
                    OutboxRow.sent_at.is_(None), OutboxRow.failed_at.is_(None)
                )
            )
        counts: dict[str, dict[str, int]] = {"pending": {}, "failed": {}, "sent": {}}
        for row_state, kind, count in rows:
            counts[row_state][kind] = count
        return OutboxCounts(counts["pending"], counts["failed"], counts["sent"], oldest)

    def failed(self, limit: int = 50) -> list[OutboxMessage]:
        """The messages given up, the latest first."""
        with Session(self._engine) as session:
            rows = session.scalars(
                select(OutboxRow)
                .where(OutboxRow.failed_at.is_not(None), OutboxRow.sent_at.is_(None))
                .order_by(OutboxRow.failed_at.desc(), OutboxRow.id)
                .limit(limit)
            ).all()
            return [message_from_row(row) for row in rows]

    def retry_failed(self, now: datetime) -> int:
        """Put every failed message back in line, due at once with a fresh set of attempts
        (after the cause was fixed); returns how many."""
        with self._engine.begin() as connection:
            result = connection.execute(
                update(OutboxRow)
                .where(OutboxRow.failed_at.is_not(None), OutboxRow.sent_at.is_(None))
                .values(failed_at=None, attempts=0, next_attempt_at=now, last_error="")
            )
        return int(result.rowcount)
