"""Practices with reminders on and open invoices, made through the real use cases, and the
sweep as a serving process runs it, for the reminders' tests and benchmark."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal

from billing_bot.reminder_sweep import ReminderSweep, SweepReport
from domain.clients import Client
from domain.ids import InvoiceId, InvoiceLineId, PracticeId
from domain.invoices import Invoice, InvoiceLine
from domain.money import Money
from domain.outbox import OutboxMessage
from domain.ports import Env, UnitOfWork
from domain.practice import Practice
from domain.reminders import ReminderEntry
from domain.usecases.settings import ConfigureReminders, configure_reminders
from factories import ACTOR, a_client, an_issued_invoice


def reminders_on(
    uow: UnitOfWork,
    env: Env,
    practice: Practice,
    *,
    offsets: str = "-3, 0, 7",
    send_time: str = "09:00",
    quiet_days: tuple[int, ...] = (),
    repeat: str = "",
    digest: bool = False,
) -> Practice:
    return configure_reminders(
        ConfigureReminders(
            practice.id,
            ACTOR,
            True,
            offsets,
            send_time,
            repeat_every_days=repeat,
            quiet_days=quiet_days,
            digest_enabled=digest,
        ),
        uow,
        env,
    )


def an_open_invoice(
    uow: UnitOfWork,
    env: Env,
    practice: Practice,
    due: date,
    *,
    client: Client | None = None,
    price: str = "100.00",
) -> Invoice:
    return an_issued_invoice(
        uow,
        env,
        practice,
        client=client or a_client(uow, env, practice),
        lines=1,
        price=price,
        issue_date=min(due, env.today_at(practice)),
        due_date=due,
    )


def sweep(new_uow: Callable[[], UnitOfWork], env: Env, **options: int) -> SweepReport:
    return ReminderSweep(new_uow, env, **options).run_once()


def history(uow: UnitOfWork, practice_id: PracticeId, invoice_id: InvoiceId) -> list[ReminderEntry]:
    with uow:
        return uow.reminders.of_invoice(practice_id, invoice_id)


def reminder_mail(uow: UnitOfWork, practice_id: PracticeId, entry: ReminderEntry) -> OutboxMessage:
    with uow:
        message = uow.outbox.get(practice_id, f"mail:reminder:{entry.id}")
    assert message is not None, f"no e-mail enqueued for reminder {entry.id}"
    return message


def many_open_invoices(
    uow: UnitOfWork,
    env: Env,
    practice: Practice,
    client: Client,
    count: int,
    due: date,
    *,
    price: str = "100.00",
) -> list[InvoiceId]:
    """`count` issued one-line invoices of `client`, all due on `due`, stored in one
    transaction through the repository (fast: no use case per invoice, no reminder planned
    for them; the practice's next sweep plans them)."""
    now = env.clock.now()
    issue = min(due, env.today_at(practice))
    ids = []
    with uow:
        for _ in range(count):
            sequence = uow.invoices.next_sequence(practice.id)
            draft = Invoice(
                id=InvoiceId(env.ids.new_id()),
                practice_id=practice.id,
                number=practice.invoice_settings.format_number(sequence),
                sequence=sequence,
                client_id=client.id,
                currency=practice.currency,
                issue_date=issue,
                due_date=due,
                lines=(
                    InvoiceLine(
                        InvoiceLineId(env.ids.new_id()),
                        issue,
                        "Session",
                        Decimal(1),
                        Money.of(price, practice.currency),
                    ),
                ),
                created_at=now,
                created_by=ACTOR,
            )
            uow.invoices.add(replace(draft.issue(now), version=1))
            ids.append(draft.id)
        uow.commit()
    return ids
