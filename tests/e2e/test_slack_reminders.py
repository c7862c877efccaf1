"""Reminders in Slack over HTTP against the real server (SQLite, one server for the module,
e-mail to a local SMTP server): the settings with their wording per step and its preview, the
card's "Remind now", "Pause reminders" / "Resume" and history, and the billing channel's
overdue digest with "Remind all 30+" and "Export"."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage as MimeMessage

import pytest
from slack_app_fixture import (
    BACKGROUND_TIMEOUT,
    Seat,
    SlackWorld,
    initial_values,
    slack_world,
    view_text,
)

from bot import reminders
from bot.home import OPEN_REMINDERS
from bot.invoice_card import HISTORY, PAUSE_REMINDERS, REMIND_NOW, RESUME_REMINDERS
from bot.invoice_reminders import EXPORT, REMIND_ALL
from domain.clients import Client
from domain.ids import PracticeId
from domain.invoices import Invoice
from domain.reminders import PracticePlan
from domain.usecases import _effects
from domain.usecases.reminders import post_due_digests
from domain.usecases.settings import (
    ConfigureBillingDetails,
    ConfigureReminders,
    configure_billing_details,
    configure_reminders,
)
from factories import a_client, an_issued_invoice
from helpers import wait_until
from sandbox.slack import Channel, Message


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackWorld]:
    path = tmp_path_factory.mktemp("slack-reminders")
    with slack_world(path, f"sqlite:///{path / 'billing.sqlite3'}", payments=True) as started:
        yield started


def _billing_channel(world: SlackWorld, seat: Seat) -> Channel:
    practice = world.practice(seat.workspace)
    billing = world.slack.create_channel(seat.workspace, "billing", members=[seat.admin])
    world.slack.invite_bot(billing)
    configure_billing_details(
        ConfigureBillingDetails(
            practice.id,
            seat.admin.id,
            practice.billing.name,
            practice.currency.code,
            practice.billing.time_zone,
            billing_channel_id=billing.id,
        ),
        world.uow(),
        world.env,
    )
    return billing


def _reminders_on(world: SlackWorld, seat: Seat) -> None:
    practice = world.practice(seat.workspace)
    configure_reminders(
        ConfigureReminders(practice.id, seat.admin.id, True, "-3, 0, 7", "09:00"),
        world.uow(),
        world.env,
    )


def _client(world: SlackWorld, seat: Seat, name: str, email: str) -> Client:
    return a_client(world.uow(), world.env, world.practice(seat.workspace), name=name, email=email)


def _invoice(world: SlackWorld, seat: Seat, client: Client, days_overdue: int) -> Invoice:
    practice = world.practice(seat.workspace)
    # Overdue by the practice's calendar (Berlin), as the digest counts: in the last hour of
    # a UTC day, Berlin is already on the next one.
    due = world.env.today_at(practice) - timedelta(days=days_overdue)
    return an_issued_invoice(
        world.uow(),
        world.env,
        practice,
        client=client,
        lines=1,
        price="80.00",
        issue_date=due - timedelta(days=14),
        due_date=due,
    )


def _posted(world: SlackWorld, channel: Channel, has: str) -> Message:
    def found() -> Message | None:
        return next(
            (m for m in world.slack.messages_in(channel) if not m.deleted and has in m.text),
            None,
        )

    return wait_until(found, BACKGROUND_TIMEOUT, what=f"a post saying {has}")


def _mails_to(world: SlackWorld, address: str) -> list[MimeMessage]:
    assert world.mail is not None
    return [r.message for r in world.mail.received if address in r.rcpt_tos]


def _actions(message: Message) -> set[str | None]:
    return {e.get("action_id") for b in message.blocks for e in b.get("elements", [])}


# -- the settings --------------------------------------------------------------------------------


def test_wordings_are_previewed_as_typed_and_saved_with_the_schedule(world: SlackWorld) -> None:
    seat = world.new_practice("Preview Clinic")
    form = world.open_setting(seat.admin, OPEN_REMINDERS, channel=seat.general)
    wording = "Dear {first_name}, {balance} of {invoice_number} is still open: {pay_link}"

    world.slack.driver.fill(form, {reminders.OFFSETS: "-3, 0, 7, 14"})
    before = form.hash
    world.slack.driver.block_action(reminders.PREVIEW, view=form)
    world.wait_for_update(form, before)
    world.slack.driver.fill(form, {"wording:14": wording})
    before = form.hash
    world.slack.driver.block_action(reminders.PREVIEW, view=form)
    world.wait_for_update(form, before)
    previewed = view_text(form)
    saved = world.slack.driver.submit_view(
        form,
        {
            reminders.ENABLED: [reminders.ENABLED_ON],
            reminders.REPEAT: "7",
            reminders.QUIET_DAYS: ["5", "6"],
        },
    )

    assert "14 days after the due date · Final notice" in previewed
    assert "Dear Alex, $120.00 of INV-0042 is still open:" in previewed
    assert saved.errors == {}
    policy = world.practice(seat.workspace).reminder_policy
    assert (policy.enabled, policy.offsets, policy.repeat_every_days) == (True, (-3, 0, 7, 14), 7)
    assert policy.quiet_days == frozenset({5, 6})
    assert policy.wordings == ((14, wording),), "only the changed wording is kept"
    reopened = world.open_setting(seat.admin, OPEN_REMINDERS, channel=seat.general)
    assert initial_values(reopened)["wording:14"] == wording
    assert "then every 7 days until paid; none on Saturday, Sunday" in view_text(reopened)


def test_an_unknown_placeholder_is_shown_under_its_wording_and_nothing_is_saved(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Typo Clinic")
    form = world.open_setting(seat.admin, OPEN_REMINDERS, channel=seat.general)
    before = world.practice(seat.workspace).reminder_policy

    refused = world.slack.driver.submit_view(
        form, {reminders.ENABLED: [reminders.ENABLED_ON], "wording:0": "Hi {frist_name}"}
    )

    assert list(refused.errors) == ["wording:0"]
    assert "{frist_name} is not a placeholder" in refused.errors["wording:0"]
    assert world.practice(seat.workspace).reminder_policy == before


# -- the card --------------------------------------------------------------------------------


def test_remind_now_pause_and_resume_from_the_card_and_the_history_lists_them(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Card Clinic")
    billing = _billing_channel(world, seat)
    _reminders_on(world, seat)
    grace = _client(world, seat, "Grace Hopper", "grace@example.org")
    invoice = _invoice(world, seat, grace, days_overdue=3)
    with world.uow() as uow:  # its card is posted, as the Slack form would have it
        _effects.invoice_changed(uow, world.env, invoice)
        uow.commit()
    card = _posted(world, billing, f"Invoice {invoice.number}")

    world.slack.driver.block_action(REMIND_NOW, message=card, user=seat.admin)
    [mail] = wait_until(
        lambda: _mails_to(world, "grace@example.org"), BACKGROUND_TIMEOUT, what="the reminder"
    )
    world.slack.driver.block_action(PAUSE_REMINDERS, message=card, user=seat.admin)
    wait_until(lambda: RESUME_REMINDERS in _actions(card), BACKGROUND_TIMEOUT, what="paused")
    paused_card = str(card.blocks)
    history = world.opened_view(
        world.slack.driver.block_action(HISTORY, message=card, user=seat.admin)
    )
    world.slack.driver.block_action(RESUME_REMINDERS, message=card, user=seat.admin)
    wait_until(lambda: PAUSE_REMINDERS in _actions(card), BACKGROUND_TIMEOUT, what="resumed")

    assert mail["Subject"] == f"Invoice {invoice.number} is overdue"
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    assert "Hi Grace," in body.get_content() and "$80.00" in body.get_content()
    assert "Automatic reminders are paused" in paused_card
    shown = view_text(history)
    assert "Reminder sent by hand" in shown and "Reminders paused" in shown
    assert "Sent by hand" in shown


# -- the digest ------------------------------------------------------------------------------


def _digest_now(world: SlackWorld, seat: Seat) -> None:
    """Make the practice's digest due now and enqueue it, as the morning's sweep would."""
    practice = world.practice(seat.workspace)
    with world.uow() as uow:
        uow.reminders.save_plan(
            practice.id,
            PracticePlan(practice.version, "", datetime.now(UTC) - timedelta(minutes=1)),
        )
        uow.commit()
    post_due_digests(50, world.uow(), world.env)


def test_the_overdue_digest_counts_by_age_and_reminds_all_30_plus_and_exports(
    world: SlackWorld,
) -> None:
    seat = world.new_practice("Digest Clinic")
    billing = _billing_channel(world, seat)
    grace = _client(world, seat, "Grace Hopper", "grace@digest.example")
    alan = _client(world, seat, "Alan Turing", "alan@digest.example")
    recent = _invoice(world, seat, grace, days_overdue=5)
    old = _invoice(world, seat, alan, days_overdue=45)
    oldest = _invoice(world, seat, alan, days_overdue=120)

    _digest_now(world, seat)
    digest = _posted(world, billing, "3 invoices overdue")
    world.slack.driver.block_action(REMIND_ALL, message=digest, user=seat.admin)
    mails = wait_until(
        lambda: _at_least(2, _mails_to(world, "alan@digest.example")),
        BACKGROUND_TIMEOUT,
        what="the reminders to Alan",
    )
    world.slack.driver.block_action(EXPORT, message=digest, user=seat.admin)
    dm = world.slack.dm_with(seat.admin)
    shared = wait_until(
        lambda: next((m for m in world.slack.messages_in(dm) if m.files), None),
        BACKGROUND_TIMEOUT,
        what="the export",
    )

    shown = str(digest.blocks)
    assert "*1–30 days*\\n1 · $80.00" in shown
    assert "*31–60 days*\\n1 · $80.00" in shown and "*90+ days*\\n1 · $80.00" in shown
    assert "A.T." in shown and "G.H." in shown and "Grace" not in shown
    assert sorted(str(m["Subject"]) for m in mails) == sorted(
        f"Invoice {i.number} is overdue" for i in (old, oldest)
    )
    assert _mails_to(world, "grace@digest.example") == [], "5 days overdue is not 30+"
    (file_id,) = shared.files
    content = world.slack.state.files[file_id].content or b""
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert [(r["invoice number"], r["client name"], r["days overdue"]) for r in rows] == [
        (oldest.number, "Alan Turing", "120"),
        (old.number, "Alan Turing", "45"),
        (recent.number, "Grace Hopper", "5"),
    ]


def test_no_digest_is_posted_when_nothing_is_overdue(world: SlackWorld) -> None:
    seat = world.new_practice("Quiet Clinic")
    billing = _billing_channel(world, seat)
    _invoice(world, seat, _client(world, seat, "Grace Hopper", "g@quiet.example"), -5)
    practice = world.practice(seat.workspace)
    key = f"post:digest:{datetime.now(practice.zone).date().isoformat()}"

    _digest_now(world, seat)

    wait_until(
        lambda: _delivered(world, practice.id, key), BACKGROUND_TIMEOUT, what="the digest's turn"
    )
    assert not [m for m in world.slack.messages_in(billing) if "overdue" in m.text]


def _at_least(count: int, found: list[MimeMessage]) -> list[MimeMessage] | None:
    return found if len(found) >= count else None


def _delivered(world: SlackWorld, practice_id: PracticeId, key: str) -> bool:
    with world.uow() as uow:
        message = uow.outbox.get(practice_id, key)
    return message is not None and message.state == "sent"
