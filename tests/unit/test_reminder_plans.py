"""Planning reminders when a practice's settings change: every open invoice ends with one
next reminder by the new settings, even when a sweep planned one by the old settings while
the new plan was being made."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime

from domain.ids import InvoiceId, PracticeId
from domain.reminders import NewReminder, PlanFacts, ReminderKey, ReminderState
from domain.usecases.reminders import plan_practice
from domain.usecases.settings import ConfigureReminders, configure_reminders
from factories import ACTOR, a_practice, an_env
from fakes import FakeReminderRepository, FakeUnitOfWork
from reminder_scenario import an_open_invoice, history, reminders_on, sweep


class _SweepInBetween(FakeReminderRepository):
    """Reads the open invoices just after a sweep, racing the plan, stored a next reminder
    by the old settings for one of them."""

    stray: tuple[PracticeId, InvoiceId] | None = None

    def plan_facts(
        self, practice_id: PracticeId, invoice_ids: Collection[InvoiceId] | None = None
    ) -> list[PlanFacts]:
        facts = super().plan_facts(practice_id, invoice_ids)
        if self.stray is not None:
            practice, invoice = self.stray
            self.add(
                [
                    NewReminder(
                        "stray",
                        practice,
                        invoice,
                        ReminderKey("+7"),
                        datetime(2026, 6, 12, 8, 0, tzinfo=UTC),
                        date(2026, 6, 5),
                        ReminderState.SCHEDULED,
                        "schedule",
                        datetime(2026, 6, 1, 11, 0, tzinfo=UTC),
                    )
                ]
            )
            self.stray = None
        return facts


def test_a_next_reminder_planned_by_the_old_settings_meanwhile_is_dropped() -> None:
    uow = FakeUnitOfWork()
    racing = _SweepInBetween(uow)
    uow.reminders = racing
    env, _clock = an_env(datetime(2026, 6, 1, 11, 0, tzinfo=UTC))
    practice = reminders_on(uow, env, a_practice(uow, env, time_zone="Europe/London"))
    invoice = an_open_invoice(uow, env, practice, date(2026, 6, 5))
    sweep(lambda: uow, env)

    configure_reminders(ConfigureReminders(practice.id, ACTOR, True, "0, 14", "17:00"), uow, env)
    racing.stray = (practice.id, invoice.id)
    plan_practice(practice.id, uow, env)

    [entry] = history(uow, practice.id, invoice.id)
    assert (entry.key, entry.state) == (ReminderKey("0"), ReminderState.SCHEDULED)
    assert entry.due_at == datetime(2026, 6, 5, 16, 0, tzinfo=UTC)
