"""Planning an invoice's next reminder inside another use case's unit of work: when it is
issued, reopened by a refund, or its reminders resumed (see `domain.usecases.reminders`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import NamedTuple

from domain.ids import InvoiceId
from domain.invoices import UNPAID_STATUSES, Invoice
from domain.ports import Env, UnitOfWork
from domain.practice import Practice
from domain.reminders import (
    SCHEDULE_ACTOR,
    NewReminder,
    PlanFacts,
    PlannedReminder,
    ReminderKey,
    ReminderState,
    plan_next,
)

#: How often planning may find a key taken before the invoice is left unplanned (each try
#: adds the taken key to those skipped).
_PLAN_TRIES = 3


class WantedReminder(NamedTuple):
    """An invoice's next reminder to store, and the keys it must not take (a named tuple, as
    the records of `domain.reminders` a sweep makes by the thousand)."""

    practice: Practice
    invoice_id: InvoiceId
    due_date: date
    planned: PlannedReminder
    used: Collection[ReminderKey]


def schedule_next(
    uow: UnitOfWork, env: Env, wanted: Sequence[WantedReminder], now: datetime
) -> set[str]:
    """Store each invoice's planned next reminder (one statement for them all); one whose key
    turns out taken is planned again past it. Returns the ids of those stored."""
    stored: set[str] = set()
    pending = list(wanted)
    for _ in range(_PLAN_TRIES):
        if not pending:
            break
        rows = {env.ids.new_id(): item for item in pending}
        # Positional: a named tuple made from keywords takes three times as long, and a
        # sweep's batch makes a thousand.
        inserted = uow.reminders.add(
            [
                NewReminder(
                    row_id,
                    item.practice.id,
                    item.invoice_id,
                    item.planned.key,
                    item.planned.at,
                    item.due_date,
                    ReminderState.SCHEDULED,
                    SCHEDULE_ACTOR,
                    now,
                )
                for row_id, item in rows.items()
            ]
        )
        stored |= inserted
        if len(inserted) == len(rows):
            break
        conflicts = [item for row_id, item in rows.items() if row_id not in inserted]
        pending = _past_taken_keys(uow, conflicts, now)
    return stored


def _past_taken_keys(
    uow: UnitOfWork, conflicts: Sequence[WantedReminder], now: datetime
) -> list[WantedReminder]:
    """The reminders to plan again after their keys turned out taken: by a reminder decided
    earlier (plan past it), or by the same next reminder another process planned at the
    same moment (leave that one be)."""
    again: list[WantedReminder] = []
    by_practice: dict[str, list[WantedReminder]] = {}
    for item in conflicts:
        by_practice.setdefault(item.practice.id, []).append(item)
    for items in by_practice.values():
        practice = items[0].practice
        planned_already = uow.reminders.with_scheduled(
            practice.id, [item.invoice_id for item in items]
        )
        for item in items:
            if item.invoice_id in planned_already:
                continue
            taken = frozenset(item.used) | {item.planned.key}
            following = plan_next(
                practice.reminder_policy,
                practice.billing.time_zone,
                item.due_date,
                after=item.planned.at,
                not_before=now,
                used=taken,
            )
            if following is not None:
                again.append(
                    WantedReminder(practice, item.invoice_id, item.due_date, following, taken)
                )
    return again


def plan_invoices(
    uow: UnitOfWork, env: Env, practice: Practice, invoice_ids: Collection[InvoiceId]
) -> int:
    """Plan the next reminder of these invoices from now (inside the caller's unit of work:
    an invoice just issued, reopened by a refund, or resumed). Those not open, or paused,
    get none. Returns how many were planned."""
    if not invoice_ids:
        return 0
    uow.reminders.drop_scheduled(practice.id, invoice_ids)
    if not (practice.reminder_policy.enabled and practice.active):
        return 0
    facts = uow.reminders.plan_facts(practice.id, invoice_ids)
    return len(plan_afresh(uow, env, practice, facts, invoice_ids))


def plan_afresh(
    uow: UnitOfWork,
    env: Env,
    practice: Practice,
    facts: Sequence[PlanFacts],
    invoice_ids: Collection[InvoiceId] | None = None,
) -> set[str]:
    """Store the next reminder of each invoice of `facts` that is not paused, then drop any
    other scheduled reminder of these invoices (all the practice's, without `invoice_ids`):
    one a sweep planned by the old settings while this ran. Returns the ids stored."""
    stored = plan_from_facts(uow, env, practice, facts)
    uow.reminders.drop_scheduled(practice.id, invoice_ids, keep=stored)
    return stored


def plan_from_facts(
    uow: UnitOfWork, env: Env, practice: Practice, facts: Sequence[PlanFacts]
) -> set[str]:
    """Store the next reminder of each invoice of `facts` that is not paused; the ids
    stored."""
    now = env.clock.now()
    policy, zone = practice.reminder_policy, practice.billing.time_zone
    if not (policy.enabled and practice.active):
        return set()
    wanted = []
    for fact in facts:
        if fact.paused:
            continue
        planned = plan_next(
            policy, zone, fact.due_date, after=fact.last_decided_at, not_before=now, used=fact.used
        )
        if planned is not None:
            wanted.append(
                WantedReminder(practice, fact.invoice_id, fact.due_date, planned, fact.used)
            )
    return schedule_next(uow, env, wanted, now)


def invoice_changed(uow: UnitOfWork, env: Env, before: Invoice | None, after: Invoice) -> None:
    """Plan the next reminder of an invoice that just became unpaid: issued, or reopened by
    a refund. Nothing for any other change."""
    was_unpaid = before is not None and before.status in UNPAID_STATUSES
    if after.status not in UNPAID_STATUSES or was_unpaid:
        return
    practice = uow.practices.get(after.practice_id)
    if practice is not None:
        plan_invoices(uow, env, practice, [after.id])
