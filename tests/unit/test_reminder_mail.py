"""A reminder's e-mail, written when the outbox delivers it: the step's wording with the
client's details, the balance as it is then, and nothing at all once the invoice is paid."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from documents.client_mail import compose_client_email
from domain.outbox import OutboxKind
from domain.reminders import ReminderState, SkipReason
from domain.usecases.reminders import PauseReminders, RemindNow, pause_reminders, remind_now
from domain.usecases.settings import ConfigureReminders, configure_reminders
from factories import ACTOR, a_client, a_payment, a_practice, an_env, an_issued_invoice
from fakes import FakeUnitOfWork
from reminder_scenario import an_open_invoice, history, reminders_on, sweep

BASE = "https://billing.example.com"
DUE = date(2026, 6, 5)


def _one_reminder_sent(wording: str | None = None):
    uow = FakeUnitOfWork()
    env, clock = an_env(datetime(2026, 6, 1, 11, 0, tzinfo=UTC))
    practice = reminders_on(uow, env, a_practice(uow, env, time_zone="Europe/London"))
    if wording is not None:
        practice = configure_reminders(
            ConfigureReminders(
                practice.id, ACTOR, True, "-3, 0, 7", "09:00", wordings={-3: wording}
            ),
            uow,
            env,
        )
    client = a_client(uow, env, practice, name="Ada <b>Lovelace</b>", email="ada@example.com")
    invoice = an_open_invoice(uow, env, practice, DUE, client=client, price="120.00")
    sweep(lambda: uow, env)
    clock.set(datetime(2026, 6, 2, 8, 0, 5, tzinfo=UTC))
    sweep(lambda: uow, env)
    [entry, _next] = history(uow, practice.id, invoice.id)
    [message] = [m for m in uow.committed.outbox.values() if m.kind is OutboxKind.CLIENT_EMAIL]
    return uow, env, practice, invoice, entry, message


def _skipped_then(uow, practice, invoice, entry, reason: SkipReason) -> list:
    """The invoice's history after `entry`, which must be there first, skipped for `reason`."""
    [after, *rest] = history(uow, practice.id, invoice.id)
    assert (after.id, after.state, after.reason) == (entry.id, ReminderState.SKIPPED, reason)
    return rest


def test_a_reminder_reads_its_steps_default_wording_with_the_clients_details() -> None:
    uow, env, practice, invoice, entry, message = _one_reminder_sent()

    email = compose_client_email(practice.id, message.payload, uow, env, BASE, lambda: uow)

    assert email is not None
    assert email.to_address == "ada@example.com"
    assert email.subject == f"Reminder: invoice {invoice.number} is due on Jun 5, 2026"
    link = f"{BASE}/pay/{uow.committed.pay_links[(practice.id, invoice.id)].token}"
    assert email.text.startswith(
        f"Hi Ada,\n\nA friendly reminder that invoice {invoice.number} for $120.00 is due on "
        f"Jun 5, 2026. You can pay it online here: {link}"
    )
    assert email.html is not None
    assert f'<a href="{link}"' in email.html
    assert "<b>Lovelace</b>" not in email.html
    assert entry.state is ReminderState.SENT


def test_a_practices_own_wording_is_used_with_its_placeholders_filled() -> None:
    wording = "Dear {first_name}, {balance} is still open on {invoice_number}: {pay_link}"
    uow, env, practice, invoice, _entry, message = _one_reminder_sent(wording)

    email = compose_client_email(practice.id, message.payload, uow, env, BASE, lambda: uow)

    assert email is not None
    assert email.text.startswith(f"Dear Ada, $120.00 is still open on {invoice.number}: {BASE}")


def test_the_balance_is_the_one_on_the_day_the_email_is_written() -> None:
    uow, env, practice, invoice, _entry, message = _one_reminder_sent()
    a_payment(uow, env, practice, invoice, "20.00")

    email = compose_client_email(practice.id, message.payload, uow, env, BASE, lambda: uow)

    assert email is not None and "for $100.00 is due" in email.text


def test_an_invoice_paid_before_the_email_is_written_gets_none_and_no_further_reminder() -> None:
    uow, env, practice, invoice, entry, message = _one_reminder_sent()
    a_payment(uow, env, practice, invoice, "120.00")

    email = compose_client_email(practice.id, message.payload, uow, env, BASE, lambda: uow)

    assert email is None
    # The step planned after it when it was claimed goes too: a paid invoice has no schedule.
    assert _skipped_then(uow, practice, invoice, entry, SkipReason.PAID) == []


def test_reminders_paused_before_the_email_is_written_stop_until_resumed() -> None:
    uow, env, practice, invoice, entry, message = _one_reminder_sent()
    pause_reminders(PauseReminders(practice.id, ACTOR, invoice.id, paused=True), uow, env)

    email = compose_client_email(practice.id, message.payload, uow, env, BASE, lambda: uow)

    assert email is None
    assert _skipped_then(uow, practice, invoice, entry, SkipReason.PAUSED) == []
    pause_reminders(PauseReminders(practice.id, ACTOR, invoice.id, paused=False), uow, env)
    assert [e.state for e in history(uow, practice.id, invoice.id)] == [
        ReminderState.SKIPPED,
        ReminderState.SCHEDULED,
    ]


def test_a_client_without_an_address_misses_this_reminder_but_not_the_next() -> None:
    uow, env, practice, invoice, entry, message = _one_reminder_sent()
    # A client record from before addresses were required (the form asks for one now).
    with uow:
        client = uow.clients.get(practice.id, invoice.client_id)
        assert client is not None
        uow.staged().clients[client.id] = replace(client, email="")
        uow.commit()

    email = compose_client_email(practice.id, message.payload, uow, env, BASE, lambda: uow)

    assert email is None
    [following] = _skipped_then(uow, practice, invoice, entry, SkipReason.NO_ADDRESS)
    assert following.state is ReminderState.SCHEDULED


def test_an_invoice_whose_link_was_never_sent_gets_one_when_its_reminder_is_written() -> None:
    uow, env, practice, invoice, _entry, message = _one_reminder_sent()
    assert (practice.id, invoice.id) not in uow.committed.pay_links

    email = compose_client_email(practice.id, message.payload, uow, env, BASE, lambda: uow)
    again = compose_client_email(practice.id, message.payload, uow, env, BASE, lambda: uow)

    link = uow.committed.pay_links[(practice.id, invoice.id)]
    assert email is not None and again is not None
    assert f"{BASE}/pay/{link.token}" in email.text
    assert f"{BASE}/pay/{link.token}" in again.text


def test_a_reminder_by_hand_reads_as_the_invoices_place_in_its_schedule() -> None:
    uow = FakeUnitOfWork()
    env, _clock = an_env(datetime(2026, 6, 1, 11, 0, tzinfo=UTC))
    practice = reminders_on(uow, env, a_practice(uow, env, time_zone="Europe/London"))
    client = a_client(uow, env, practice)
    early = an_open_invoice(uow, env, practice, date(2026, 6, 20), client=client)
    late = an_issued_invoice(
        uow,
        env,
        practice,
        client=client,
        lines=1,
        issue_date=date(2026, 5, 1),
        due_date=date(2026, 5, 20),
    )

    subjects = []
    for invoice in (early, late):
        remind_now(RemindNow(practice.id, ACTOR, invoice.id), uow, env)
        [message] = [
            m for m in uow.committed.outbox.values() if m.payload.get("invoice_id") == invoice.id
        ]
        email = compose_client_email(practice.id, message.payload, uow, env, BASE, lambda: uow)
        assert email is not None
        subjects.append(email.subject)

    assert subjects == [
        f"Reminder: invoice {early.number} is due on Jun 20, 2026",
        f"Invoice {late.number} is overdue",
    ]
