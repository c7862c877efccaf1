"""Small pieces every use case needs: loading a practice, audit entries, today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.audit import AuditEvent, check_actor
from domain.errors import NotFound
from domain.ids import AuditEventId, PracticeId
from domain.ports import Clock, IdGenerator, UnitOfWork
from domain.practice import Practice


@dataclass(frozen=True, slots=True)
class Env:
    """The non-storage ports a use case may need."""

    clock: Clock
    ids: IdGenerator


def load_practice(uow: UnitOfWork, practice_id: PracticeId) -> Practice:
    practice = uow.practices.get(practice_id)
    if practice is None:
        raise NotFound("practice", practice_id)
    return practice


def practice_today(practice: Practice, env: Env) -> date:
    return practice.today(env.clock.now()).date()


def audit(
    uow: UnitOfWork,
    env: Env,
    practice_id: PracticeId,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    **details: str,
) -> None:
    uow.audit.record(
        AuditEvent(
            id=AuditEventId(env.ids.new_id()),
            practice_id=practice_id,
            actor=check_actor(actor),
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            at=env.clock.now(),
            details=details,
        )
    )
