"""Payment reminders: the sweep that plans and sends them, "Remind now", pausing, the
history, and the overdue digest.

The sweep (`billing_bot.scheduler` runs it every minute in each serving process) is three
use cases, each in transactions of its own: `plan_practice` plans the next reminder of every
open invoice of a practice whose settings changed; `send_due_reminders` claims a batch of
due reminders and, in the same transaction, writes the e-mail of each to the outbox (or
records why it was skipped) and plans the invoice's next one; `post_due_digests` enqueues
the billing channel's overdue digest of each practice whose morning came. Issuing an
invoice, reopening one by a refund and resuming its reminders plan its next reminder at
once (`plan_invoices`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TypeVar

from domain.clients import Client
from domain.errors import Conflict, InvalidValue, InvoiceIsVoid, InvoiceStateConflict, NotFound
from domain.ids import InvoiceId, PracticeId
from domain.invoices import Invoice
from domain.online_payments import PayLink
from domain.outbox import OutboxKind, OutboxMessage
from domain.ports import Env, UnitOfWork
from domain.practice import (
    Practice,
    ReminderPolicy,
    parse_repeat_days,
    validate_quiet_days,
)
from domain.reminder_wording import DEFAULT_WORDING, Tone, parse_wording
from domain.reminders import (
    REMIND_ALL_AFTER_DAYS,
    Decision,
    InvoiceReminders,
    NewReminder,
    OverdueDigest,
    OverdueInvoice,
    PlannedReminder,
    PracticePlan,
    ReminderEntry,
    ReminderKey,
    ReminderState,
    ReminderTarget,
    SettledReminder,
    SkipReason,
    decide,
    digest_fingerprint,
    next_digest_at,
    overdue_digest,
    plan_fingerprint,
    preview_schedule,
    skip_reason,
    stops_the_schedule,
    tone_of,
    wording_of,
)
from domain.usecases import _effects
from domain.usecases._common import audit, load_practice
from domain.usecases._reminder_plans import (
    WantedReminder,
    plan_afresh,
    plan_invoices,
    schedule_next,
)
from domain.usecases.invoicing import load_invoice
from domain.usecases.pay_links import PayLinkToken

T = TypeVar("T")

#: Reminders one claim takes at most: one transaction's worth of e-mails written to the
#: outbox. Kept well under a second's work (see bench/reminders_bench.py), since on SQLite
#: the transaction holds the database's write lock and requests wait for it.
BATCH_SIZE = 200


class ReminderClaimLost(Conflict):
    """Another transaction settled a reminder this one had claimed: the batch is rolled back
    (nothing sent twice) and the sweep tries again."""


# -- planning --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Planned:
    practice_id: PracticeId
    replanned: bool
    """Whether the scheduled reminders were planned anew (the schedule's settings changed)."""
    scheduled: int


def practices_to_plan(limit: int, uow: UnitOfWork) -> list[PracticeId]:
    with uow:
        return uow.reminders.practices_to_plan(limit)


def plan_practice(practice_id: PracticeId, uow: UnitOfWork, env: Env) -> Planned | None:
    """Bring a practice's planned reminders in line with its settings: when the schedule's
    settings changed, every open invoice's next reminder is planned anew from now; the next
    digest's moment is set. None when another process is at it."""
    with uow:
        if not uow.reminders.hold_practice(practice_id):
            return None
        practice = uow.practices.get(practice_id)
        if practice is None:
            return None
        now = env.clock.now()
        before = uow.reminders.plan_of(practice_id)
        fingerprint = f"{plan_fingerprint(practice)}#{digest_fingerprint(practice)}"
        reminders_part, digest_part = fingerprint.split("#")
        old_reminders, _, old_digest = (before.fingerprint if before else "#").partition("#")
        scheduled = 0
        replanned = before is None or old_reminders != reminders_part
        if replanned:
            uow.reminders.drop_scheduled(practice_id)
            facts = uow.reminders.plan_facts(practice_id)
            scheduled = len(plan_afresh(uow, env, practice, facts))
        digest_at = before.digest_at if before else None
        if before is None or old_digest != digest_part or digest_at is None:
            digest_at = next_digest_at(practice, now)
        uow.reminders.save_plan(practice_id, PracticePlan(practice.version, fingerprint, digest_at))
        uow.commit()
        return Planned(practice_id, replanned, scheduled)


# -- sending ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SentBatch:
    claimed: int
    sent: int
    skipped: int


def reminder_email(
    env: Env, practice_id: PracticeId, invoice_id: str, reminder_id: str, now: datetime
) -> OutboxMessage:
    """The outbox message of a reminder decided at `now` (its transaction's moment): the
    e-mail is written from the records when it is delivered (`documents.client_mail`), so it
    quotes the balance as it is then."""
    # Built directly rather than by `OutboxMessage.new`: the payload is plain strings, and
    # the copy `new` makes through JSON cost a tenth of a sweep's batch.
    return OutboxMessage(
        env.ids.new_id(),
        practice_id,
        OutboxKind.CLIENT_EMAIL,
        {"template": "reminder", "invoice_id": invoice_id, "reminder_id": reminder_id},
        f"mail:reminder:{reminder_id}",
        now,  # created at
        now,  # next attempt at
    )


def _missing_links(env: Env, targets: Sequence[ReminderTarget], now: datetime) -> list[PayLink]:
    return [
        PayLink(target.practice_id, target.invoice_id, PayLinkToken.new(), created_at=now)
        for target in targets
        if not target.has_pay_link
    ]


def send_due_reminders(limit: int, uow: UnitOfWork, env: Env) -> SentBatch:
    """Claim up to `limit` due reminders and, in the same transaction, write each one's
    e-mail to the outbox or record why it was skipped, and plan each invoice's next
    reminder. Raises ReminderClaimLost, with nothing kept, if another transaction settled one
    of them meanwhile.

    Only the reminders are read (see `decide`): a claim costs the same among a million
    invoices as among ten thousand. The e-mail is written from the invoice when the outbox
    delivers it (`reminder_mail`), which skips it then if the invoice was paid or paused."""
    with uow:
        now = env.clock.now()
        due = uow.reminders.claim_due(now, limit)
        if not due:
            return SentBatch(0, 0, 0)
        practices = uow.practices.get_many({item.practice_id for item in due})
        decisions = []
        seen: set[InvoiceId] = set()
        for item in due:
            if item.invoice_id in seen:
                # Two due reminders of one invoice (planned by two processes at one moment):
                # the client gets one.
                decisions.append(Decision(item, ReminderState.SKIPPED, SkipReason.DUPLICATE, None))
                continue
            seen.add(item.invoice_id)
            decisions.append(decide(item, practices.get(item.practice_id), now))
        sent = [d.reminder for d in decisions if d.state is ReminderState.SENT]
        uow.outbox.add_all(
            [
                reminder_email(env, reminder.practice_id, reminder.invoice_id, reminder.id, now)
                for reminder in sent
            ]
        )
        settled = [SettledReminder(d.reminder.id, d.state, d.reason, now) for d in decisions]
        if uow.reminders.settle(settled) != len(settled):
            raise ReminderClaimLost("A reminder of this batch was settled by another sweep.")
        _plan_following(uow, env, practices, decisions, now)
        uow.commit()
        return SentBatch(len(due), len(sent), len(decisions) - len(sent))


def _plan_following(
    uow: UnitOfWork,
    env: Env,
    practices: Mapping[PracticeId, Practice],
    decisions: Sequence[Decision],
    now: datetime,
) -> None:
    wanted = []
    for reminder, _, _, planned in decisions:
        if planned is None:
            continue
        practice = practices.get(reminder.practice_id)
        if practice is not None:
            wanted.append(
                WantedReminder(
                    practice, reminder.invoice_id, reminder.due_date, planned, (reminder.key,)
                )
            )
    schedule_next(uow, env, wanted, now)


# -- by hand ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RemindNow:
    practice_id: PracticeId
    actor: str
    invoice_id: InvoiceId


@dataclass(frozen=True, slots=True)
class Reminded:
    invoice: Invoice
    to: str


class AlreadyRemindedToday(Conflict):
    """A reminder sent by hand goes out at most once a day per invoice."""


def _refuse(invoice: Invoice, reason: SkipReason) -> Conflict:
    if reason is SkipReason.PAID:
        return InvoiceStateConflict(
            f"{invoice.number} is paid in full; there is nothing to remind of."
        )
    if reason is SkipReason.VOID:
        return InvoiceIsVoid(f"{invoice.number} is void; there is nothing to remind of.")
    if reason is SkipReason.NOT_ISSUED:
        return InvoiceStateConflict(f"{invoice.number} is a draft. Issue it first.")
    if reason is SkipReason.PAUSED:
        return Conflict(f"Reminders of {invoice.number} are paused. Resume them first.")
    if reason is SkipReason.NO_ADDRESS:
        return Conflict(
            f"The client of {invoice.number} has no e-mail address. Add one to the client "
            "record, or send the payment link to an address."
        )
    return Conflict(f"{invoice.number} cannot be reminded of now ({reason.words}).")


def _send_by_hand(
    uow: UnitOfWork,
    env: Env,
    practice: Practice,
    targets: Sequence[ReminderTarget],
    actor: str,
) -> list[ReminderTarget]:
    """Store a sent reminder for each target (today's by-hand key) and enqueue its e-mail;
    returns the targets that got one (the others were reminded by hand today already)."""
    now = env.clock.now()
    key = ReminderKey.by_hand(env.today_at(practice))
    rows = {env.ids.new_id(): target for target in targets}
    messages = {
        row_id: reminder_email(env, practice.id, target.invoice_id, row_id, now)
        for row_id, target in rows.items()
    }
    inserted = uow.reminders.add(
        [
            NewReminder(
                id=row_id,
                practice_id=practice.id,
                invoice_id=target.invoice_id,
                key=key,
                due_at=now,
                due_date=target.due_date,
                state=ReminderState.SENT,
                actor=actor,
                created_at=now,
                decided_at=now,
            )
            for row_id, target in rows.items()
        ]
    )
    done = [target for row_id, target in rows.items() if row_id in inserted]
    uow.pay_links.add_all(_missing_links(env, done, now))
    uow.outbox.add_all([messages[row_id] for row_id in rows if row_id in inserted])
    return done


def remind_now(cmd: RemindNow, uow: UnitOfWork, env: Env) -> Reminded:
    """E-mail the client a reminder of the invoice's balance now ("Remind now" on its
    card): refused for an invoice paid, void, a draft, paused or without an address, and
    when one went out by hand today already."""
    with uow:
        practice = load_practice(uow, cmd.practice_id)
        invoice = load_invoice(uow, practice.id, cmd.invoice_id)
        targets = uow.reminders.targets(practice.id, [invoice.id])
        target = targets[0] if targets else None
        reason = (
            skip_reason(
                practice, target.status, paused=target.paused, has_address=target.has_address
            )
            if target
            else SkipReason.NOT_ISSUED
        )
        if reason is not None or target is None:
            raise _refuse(invoice, reason or SkipReason.NOT_ISSUED)
        if not _send_by_hand(uow, env, practice, [target], cmd.actor):
            raise AlreadyRemindedToday(
                f"A reminder of {invoice.number} went to the client by hand today already."
            )
        audit(uow, env, practice.id, cmd.actor, "reminder.sent", "invoice", invoice.id)
        to = _address(uow, practice.id, invoice)
        uow.commit()
        return Reminded(invoice, to)


def _address(uow: UnitOfWork, practice_id: PracticeId, invoice: Invoice) -> str:
    link = uow.pay_links.for_invoice(practice_id, invoice.id)
    if link is not None and link.last_sent_to:
        return link.last_sent_to
    client = uow.clients.get(practice_id, invoice.client_id)
    return client.email if client else ""


@dataclass(frozen=True, slots=True)
class RemindOverdue:
    practice_id: PracticeId
    actor: str
    after_days: int = REMIND_ALL_AFTER_DAYS


@dataclass(frozen=True, slots=True)
class RemindedOverdue:
    sent: int
    already_today: int
    skipped: dict[SkipReason, int]


def remind_overdue(cmd: RemindOverdue, uow: UnitOfWork, env: Env) -> RemindedOverdue:
    """ "Remind all 30+" in the digest: a reminder by hand to the client of every invoice more
    than `after_days` past its due date; paused ones and those without an address are
    counted, not reminded, and none gets two in a day."""
    with uow:
        practice = load_practice(uow, cmd.practice_id)
        today = env.today_at(practice)
        overdue = [
            invoice
            for invoice in uow.reminders.overdue(practice.id, today)
            if invoice.days_overdue(today) > cmd.after_days
        ]
        targets = uow.reminders.targets(practice.id, [invoice.id for invoice in overdue])
        skipped: dict[SkipReason, int] = {}
        ready = []
        for target in targets:
            reason = skip_reason(
                practice, target.status, paused=target.paused, has_address=target.has_address
            )
            if reason is None:
                ready.append(target)
            else:
                skipped[reason] = skipped.get(reason, 0) + 1
        done = _send_by_hand(uow, env, practice, ready, cmd.actor)
        audit(
            uow,
            env,
            practice.id,
            cmd.actor,
            "reminders.sent_overdue",
            "practice",
            practice.id,
            sent=str(len(done)),
        )
        uow.commit()
        return RemindedOverdue(len(done), len(ready) - len(done), skipped)


@dataclass(frozen=True, slots=True)
class PauseReminders:
    practice_id: PracticeId
    actor: str
    invoice_id: InvoiceId
    paused: bool


def pause_reminders(cmd: PauseReminders, uow: UnitOfWork, env: Env) -> Invoice:
    """Pause ("Pause reminders") or resume ("Resume") an invoice's automatic reminders;
    resuming plans its next one from now, so what fell due while paused is not caught up."""
    with uow:
        practice = load_practice(uow, cmd.practice_id)
        invoice = load_invoice(uow, practice.id, cmd.invoice_id)
        if cmd.paused:
            changed = uow.reminders.pause(practice.id, invoice.id, cmd.actor, env.clock.now())
        else:
            changed = uow.reminders.resume(practice.id, invoice.id)
            if changed:
                plan_invoices(uow, env, practice, [invoice.id])
        if changed:
            action = "reminders.paused" if cmd.paused else "reminders.resumed"
            audit(uow, env, practice.id, cmd.actor, action, "invoice", invoice.id)
        uow.commit()
        return invoice


# -- reads -----------------------------------------------------------------------------------


def invoice_reminders(
    practice_id: PracticeId, invoice_id: InvoiceId, uow: UnitOfWork
) -> InvoiceReminders:
    """The invoice's reminders, oldest first, and whether they are paused."""
    with uow:
        return InvoiceReminders(
            uow.reminders.is_paused(practice_id, invoice_id),
            tuple(uow.reminders.of_invoice(practice_id, invoice_id)),
        )


def practice_overdue_digest(
    practice_id: PracticeId, uow: UnitOfWork, env: Env
) -> tuple[Practice, OverdueDigest]:
    """What is overdue at the practice today (its time zone), for the digest."""
    with uow:
        practice = load_practice(uow, practice_id)
        today = env.today_at(practice)
        return practice, overdue_digest(uow.reminders.overdue(practice_id, today), today)


def overdue_invoices(
    practice_id: PracticeId, uow: UnitOfWork, env: Env
) -> tuple[Practice, date, list[OverdueInvoice]]:
    """Every unpaid invoice past its due date, longest overdue first (the digest's Export)."""
    with uow:
        practice = load_practice(uow, practice_id)
        today = env.today_at(practice)
        found = uow.reminders.overdue(practice_id, today)
    return practice, today, sorted(found, key=lambda i: (i.due_date, i.number))


# -- the digest ------------------------------------------------------------------------------


def post_due_digests(limit: int, uow: UnitOfWork, env: Env) -> int:
    """Enqueue the overdue digest of each practice whose digest time came (once a day: the
    dedupe key holds the practice's date), and set its next one. Returns how many practices
    were due (a full `limit`: there may be more)."""
    with uow:
        now = env.clock.now()
        due = uow.reminders.digests_due(now, limit)
        for practice_id in due:
            practice = uow.practices.get(practice_id)
            plan = uow.reminders.plan_of(practice_id)
            if practice is None or plan is None:
                continue
            if practice.reminder_policy.digest_enabled and practice.active:
                day = env.today_at(practice).isoformat()
                _effects.billing_channel_news(
                    uow, env, practice_id, "overdue_digest", f"digest:{day}", day=day
                )
            uow.reminders.save_plan(
                practice_id, replace(plan, digest_at=next_digest_at(practice, now))
            )
        uow.commit()
        return len(due)


# -- the e-mail, when it is delivered --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReminderMail:
    """What a reminder's e-mail is written from, read when it is delivered."""

    practice: Practice
    invoice: Invoice
    client: Client | None
    pay_link: PayLink | None
    to: str
    tone: Tone
    wording: str
    today: date


def reminder_mail(
    practice_id: PracticeId, invoice_id: InvoiceId, reminder_id: str, uow: UnitOfWork, env: Env
) -> ReminderMail | SkipReason:
    """The records a reminder's e-mail is written from, as they are now; or why it must not
    be written after all: the invoice was paid or voided, its reminders paused or its
    client has no address (the claim decides none of these, see `send_due_reminders`)."""
    with uow:
        practice = load_practice(uow, practice_id)
        invoice = load_invoice(uow, practice_id, invoice_id)
        entry = uow.reminders.get(practice_id, reminder_id)
        client = uow.clients.get(practice_id, invoice.client_id)
        link = uow.pay_links.for_invoice(practice_id, invoice_id)
        paused = uow.reminders.is_paused(practice_id, invoice_id)
    to = (link.last_sent_to if link else None) or (client.email if client else "")
    reason = skip_reason(practice, invoice.status, paused=paused, has_address=bool(to.strip()))
    if reason is not None:
        return reason
    today = env.today_at(practice)
    tone, wording = _wording(practice, invoice, entry, today)
    return ReminderMail(practice, invoice, client, link, to, tone, wording, today)


def reminder_pay_link(
    practice_id: PracticeId, invoice_id: InvoiceId, uow: UnitOfWork, env: Env
) -> PayLink:
    """The invoice's pay link for its reminder, made now if it has none (an invoice whose
    link was never sent): the claim leaves that to the e-mail, as it reads no invoice."""
    with uow:
        uow.pay_links.add_all(
            [PayLink(practice_id, invoice_id, PayLinkToken.new(), created_at=env.clock.now())]
        )
        # Another delivery may have made one first: its link is the invoice's.
        link = uow.pay_links.for_invoice(practice_id, invoice_id)
        uow.commit()
    if link is None:
        raise NotFound("pay link of invoice", invoice_id)
    return link


def _wording(
    practice: Practice, invoice: Invoice, entry: ReminderEntry | None, today: date
) -> tuple[Tone, str]:
    policy = practice.reminder_policy
    offset = entry.key.offset if entry is not None else None
    if offset is not None:
        occurrence = entry.key.occurrence if entry is not None else 0
        return tone_of(policy, offset, occurrence), wording_of(policy, offset, occurrence)
    # By hand: the wording of the step that fits where the invoice stands (the last one
    # reached on its side of the due date, or the first one after it once overdue).
    days = (today - invoice.due_date).days
    if days < 0:
        fitting, fallback = [s for s in policy.offsets if s <= days], Tone.FRIENDLY
    elif days == 0:
        fitting, fallback = [s for s in policy.offsets if s == 0], Tone.DUE_TODAY
    else:
        after = [s for s in policy.offsets if s > 0]
        fitting, fallback = [s for s in after if s <= days] or after[:1], Tone.OVERDUE
    if fitting:
        return tone_of(policy, fitting[-1]), wording_of(policy, fitting[-1])
    return fallback, DEFAULT_WORDING[fallback]


def skip_undelivered_reminder(
    practice_id: PracticeId,
    invoice_id: InvoiceId,
    reminder_id: str,
    reason: SkipReason,
    uow: UnitOfWork,
    env: Env,
) -> None:
    """Record that a sent reminder's e-mail was not written after all; unless the reason
    may pass (no address yet), the invoice's next reminder goes too: a paid or paused
    invoice has no schedule (resuming or reopening it plans one afresh)."""
    with uow:
        uow.reminders.skip_sent(practice_id, reminder_id, reason, env.clock.now())
        if stops_the_schedule(reason):
            uow.reminders.drop_scheduled(practice_id, [invoice_id])
        uow.commit()


# -- the settings form -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReminderDraft:
    """The reminder settings as typed in the form, before they are saved."""

    enabled: bool
    offsets: str
    send_time: str
    repeat_every_days: str
    quiet_days: frozenset[int]
    wordings: dict[int, str]
    digest_enabled: bool
    digest_time: str


@dataclass(frozen=True, slots=True)
class StepWording:
    """One step of the form: its tone and wording, or what is wrong with the wording."""

    offset: int
    tone: Tone
    wording: str
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class ReminderPreview:
    """What the form shows for a draft: the policy it makes (or the saved one, with the
    problems that keep the draft from making one), each step's wording, and an example
    invoice's reminders."""

    policy: ReminderPolicy
    problems: dict[str, str]
    steps: tuple[StepWording, ...]
    example_due: date
    example: tuple[PlannedReminder, ...]


def draft_of(policy: ReminderPolicy) -> ReminderDraft:
    """The saved settings as the form shows them."""
    return ReminderDraft(
        enabled=policy.enabled,
        offsets=", ".join(str(offset) for offset in policy.offsets),
        send_time=f"{policy.send_time:%H:%M}",
        repeat_every_days=str(policy.repeat_every_days or ""),
        quiet_days=policy.quiet_days,
        wordings={offset: wording_of(policy, offset) for offset in policy.offsets},
        digest_enabled=policy.digest_enabled,
        digest_time=f"{policy.digest_time:%H:%M}",
    )


def preview_reminders(practice: Practice, draft: ReminderDraft, today: date) -> ReminderPreview:
    """Check a draft as saving it would, without saving: the steps it names (the saved ones
    while its schedule cannot be read), each with its wording as typed (the tone's default
    for a new step) and what is wrong with it, and the reminders of an example invoice due in
    ten days."""
    saved = practice.reminder_policy
    problems: dict[str, str] = {}

    def check(field: str, parse: Callable[[], T]) -> T | None:
        try:
            return parse()
        except InvalidValue as problem:
            problems[field] = str(problem)
            return None

    offsets = check("offsets", lambda: ReminderPolicy.parse_offsets(draft.offsets))
    send_time = check("send_time", lambda: ReminderPolicy.parse_send_time(draft.send_time))
    repeat = check(
        "repeat_every_days",
        lambda: (
            parse_repeat_days(draft.repeat_every_days) if draft.repeat_every_days.strip() else None
        ),
    )
    quiet = check("quiet_days", lambda: validate_quiet_days(draft.quiet_days))
    policy = replace(
        saved,
        enabled=draft.enabled,
        offsets=offsets if offsets is not None else saved.offsets,
        send_time=send_time or saved.send_time,
        repeat_every_days=repeat if "repeat_every_days" not in problems else None,
        quiet_days=quiet if quiet is not None else saved.quiet_days,
        wordings=(),
    )
    steps = []
    for offset in policy.offsets:
        typed = draft.wordings.get(offset)
        tone = tone_of(policy, offset)
        if typed is None or not typed.strip():
            steps.append(StepWording(offset, tone, wording_of(policy, offset)))
            continue
        try:
            steps.append(StepWording(offset, tone, parse_wording(typed)))
        except InvalidValue as problem:
            steps.append(StepWording(offset, tone, typed, str(problem)))
            problems[f"wording.{offset}"] = str(problem)
    example_due = today + timedelta(days=10)
    example = preview_schedule(policy, practice.billing.time_zone, example_due, limit=8)
    return ReminderPreview(policy, problems, tuple(steps), example_due, tuple(example))
