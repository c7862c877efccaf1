"""Small pieces the use cases share: loading a practice, audit entries. Private to
`domain.usecases`; the ports they take, `Env` among them, live in `domain.ports`."""

from __future__ import annotations

from domain.audit import AuditEvent, check_actor
from domain.errors import NotFound
from domain.ids import AuditEventId, PracticeId
from domain.ports import Env, UnitOfWork
from domain.practice import Practice


def load_practice(uow: UnitOfWork, practice_id: PracticeId) -> Practice:
    practice = uow.practices.get(practice_id)
    if practice is None:
        raise NotFound("practice", practice_id)
    return practice


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
