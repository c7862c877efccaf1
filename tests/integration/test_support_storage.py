"""Support conversations on SQLite and PostgreSQL: the round trip, the unique keys that make
a repeated Slack event or a second copy a no-op, and a practice's conversations kept to it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from domain.errors import StaleEdit
from domain.ids import ConversationId, PracticeId
from domain.ports import Env
from domain.support import (
    Conversation,
    FileCopy,
    OpenCounts,
    Rating,
    RelayedMessage,
    Side,
    SlackRef,
    SupportDesk,
)
from domain.usecases.access import InstallApp, install_app
from domain.usecases.support import (
    Ask,
    Change,
    ChangeStatus,
    Incoming,
    Outcome,
    SetSupportDesk,
    ask_support,
    change_status,
    desk_overview,
    escalate_unanswered,
    file_copies,
    record_copy,
    record_file_copy,
    record_support_thread,
    relay_message,
    set_support_desk,
)

SUPPORT = "TSUPPORT"


def _install(new_uow, env, team: str, admin: str) -> PracticeId:
    return install_app(InstallApp(team, f"Practice {team}", admin), new_uow(), env).practice.id


@pytest.fixture
def practices(new_uow, env) -> tuple[PracticeId, PracticeId]:
    _install(new_uow, env, SUPPORT, "UOPS")
    set_support_desk(SetSupportDesk(SUPPORT, "UOPS", "CDESK", "45"), new_uow(), env)
    return _install(new_uow, env, "TA", "UADA"), _install(new_uow, env, "TB", "UDANA")


def _ask(new_uow, env, practice: PracticeId, team: str, ts: str, event: str):
    return ask_support(
        Ask(practice, SlackRef(team, "DQ", ts), "UASK", "Why?", SUPPORT, event), new_uow(), env
    )


def test_a_conversation_and_its_relays_survive_a_round_trip(new_uow, env, practices):
    practice, _ = practices
    opened = _ask(new_uow, env, practice, "TA", "1.1", "Ev1").conversation
    assert opened is not None
    thread = SlackRef(SUPPORT, "CDESK", "9.9")
    record_support_thread(practice, opened.id, thread, new_uow())
    reply = Incoming("Ev2", Side.SUPPORT, SlackRef(SUPPORT, "CDESK", "9.10"), "9.9", "UAGENT", "Hi")
    relay_message(reply, new_uow(), env)
    record_copy(reply.message, SlackRef("TA", "DQ", "1.2"), new_uow())

    with new_uow() as uow:
        stored = uow.support.get(practice, opened.id)
        by_thread = uow.support.for_support_thread(thread)
        relay = uow.support.relay_from(reply.message)
        by_copy = uow.support.relay_to(SlackRef("TA", "DQ", "1.2"))
        desk = uow.support_settings.desk(SUPPORT)

    assert stored is not None and stored == by_thread
    assert stored.support_thread == thread
    assert stored.assignee == "UAGENT"
    assert stored.first_response_at == env.clock.now()
    assert (
        relay
        == by_copy
        == RelayedMessage(
            opened.id, practice, reply.message, Side.SUPPORT, SlackRef("TA", "DQ", "1.2")
        )
    )
    assert desk == SupportDesk(SUPPORT, "CDESK", timedelta(minutes=45), "UOPS", env.clock.now())


def test_numbers_run_over_every_practice(new_uow, env, practices):
    first, second = practices

    a = _ask(new_uow, env, first, "TA", "1.1", "Ev1").conversation
    b = _ask(new_uow, env, second, "TB", "1.1", "Ev2").conversation

    assert (a.number, b.number) == (1, 2)


def test_a_repeated_event_and_a_second_copy_are_refused_by_the_database(new_uow, env, practices):
    practice, _ = practices
    _ask(new_uow, env, practice, "TA", "1.1", "Ev1")

    again = _ask(new_uow, env, practice, "TA", "1.1", "Ev1")
    with new_uow() as uow:
        first = uow.support.remember_event("EvX", env.clock.now())
        second = uow.support.remember_event("EvX", env.clock.now())
        relay = uow.support.relay_from(SlackRef("TA", "DQ", "1.1"))
        assert relay is not None
        duplicate = uow.support.add_relay(relay)

    assert again.outcome is Outcome.DUPLICATE
    assert (first, second, duplicate) == (True, False, False)


def test_two_copies_at_one_place_are_refused(new_uow, env, practices):
    practice, _ = practices
    opened = _ask(new_uow, env, practice, "TA", "1.1", "Ev1").conversation
    with new_uow() as uow:
        uow.support.add_relay(
            RelayedMessage(opened.id, practice, SlackRef("TA", "DQ", "1.2"), Side.PRACTICE)
        )
        uow.commit()
    record_copy(SlackRef("TA", "DQ", "1.1"), SlackRef(SUPPORT, "CDESK", "5.5"), new_uow())

    with pytest.raises(IntegrityError):
        record_copy(SlackRef("TA", "DQ", "1.2"), SlackRef(SUPPORT, "CDESK", "5.5"), new_uow())


def test_a_practice_reads_only_its_own_conversations(new_uow, env, practices):
    first, second = practices
    opened = _ask(new_uow, env, first, "TA", "1.1", "Ev1").conversation

    with new_uow() as uow:
        stolen = uow.support.get(second, opened.id)
        by_thread = uow.support.for_practice_thread(second, SlackRef("TA", "DQ", "1.1"))
        counted = uow.support.count(second)

    assert (stolen, by_thread, counted) == (None, None, 0)


def test_a_stale_update_is_refused(new_uow, env, practices):
    practice, _ = practices
    opened = _ask(new_uow, env, practice, "TA", "1.1", "Ev1").conversation
    change_status(
        ChangeStatus(Change.ASSIGN, "UAGENT", Side.SUPPORT, conversation_id=opened.id),
        new_uow(),
        env,
    )

    with new_uow() as uow, pytest.raises(StaleEdit):
        uow.support.update(replace(opened, rating=Rating.GREAT, version=opened.version + 1))


def test_only_waiting_questions_are_escalated(new_uow, env, practices):
    practice, other = practices
    waiting = _ask(new_uow, env, practice, "TA", "1.1", "Ev1").conversation
    answered = _ask(new_uow, env, other, "TB", "1.1", "Ev2").conversation
    with new_uow() as uow:
        uow.support.update(
            replace(answered, first_response_at=env.clock.now(), version=answered.version + 1)
        )
        uow.commit()
    an_hour_later = Env(clock=_Later(env.clock.now() + timedelta(hours=1)), ids=env.ids)

    early = escalate_unanswered(SUPPORT, new_uow(), env)
    escalated = escalate_unanswered(SUPPORT, new_uow(), an_hour_later)
    again = escalate_unanswered(SUPPORT, new_uow(), an_hour_later)

    assert early == []
    assert [c.id for c in escalated] == [waiting.id]
    assert again == []


class _Later:
    def __init__(self, moment: datetime) -> None:
        self._moment = moment

    def now(self) -> datetime:
        return self._moment


def test_help_channels_are_set_changed_and_cleared(new_uow, env, practices):
    practice, other = practices
    with new_uow() as uow:
        uow.support_settings.set_help_channel(practice, "CHELP")
        uow.support_settings.set_help_channel(practice, "CHELP2")
        uow.support_settings.set_help_channel(other, "COTHER")
        uow.support_settings.set_help_channel(other, None)
        uow.commit()

    with new_uow() as uow:
        assert uow.support_settings.help_channel(practice) == "CHELP2"
        assert uow.support_settings.help_channel(other) is None


def test_a_conversation_of_an_unknown_practice_is_refused(new_uow, env, practices):
    stray = Conversation(
        ConversationId("c1"),
        PracticeId("nope"),
        99,
        SlackRef("TZ", "D", "1.0"),
        "U1",
        "?",
        env.clock.now(),
    )

    with new_uow() as uow, pytest.raises(IntegrityError):  # noqa: PT012 - refused at either step
        uow.support.add(stray)
        uow.commit()


def test_file_copies_are_found_by_file_and_by_message_and_recorded_once(new_uow, env, practices):
    practice, other = practices
    opened = _ask(new_uow, env, practice, "TA", "1.1", "EvF").conversation
    assert opened is not None
    shared = SlackRef("TA", "DQ", "1.3")
    copy = FileCopy(opened.id, practice, shared, "FSTEPS", SUPPORT, "FCOPY1")

    record_file_copy(copy, new_uow())
    record_file_copy(copy, new_uow())  # a retried delivery
    record_file_copy(replace(copy, source_file="FMORE", copy_file="FCOPY2"), new_uow())

    by_file = file_copies(practice, {"file": {"team": "TA", "id": "FSTEPS"}}, new_uow())
    by_message = file_copies(
        practice, {"source": {"team": "TA", "channel": "DQ", "ts": "1.3"}}, new_uow()
    )
    for_other = file_copies(
        other, {"source": {"team": "TA", "channel": "DQ", "ts": "1.3"}}, new_uow()
    )
    assert by_file == [copy]
    assert sorted(c.copy_file for c in by_message) == ["FCOPY1", "FCOPY2"]
    assert for_other == []


def test_supports_home_reads_every_practices_open_ones_by_age_and_the_latest_resolved(
    new_uow, env, practices
):
    first, second = practices
    start = env.clock.now()
    asked = []
    for minutes, (practice, team, ts) in enumerate(
        ((second, "TB", "1.1"), (first, "TA", "1.2"), (first, "TA", "1.3"))
    ):
        then = Env(clock=_Later(start + timedelta(minutes=10 * minutes)), ids=env.ids)
        asked.append(_ask(new_uow, then, practice, team, ts, f"Ev{ts}").conversation)
    oldest, middle, newest = asked
    assert oldest is not None and middle is not None and newest is not None
    change_status(ChangeStatus(Change.RESOLVE, "UAGENT", Side.SUPPORT, middle.id), new_uow(), env)
    later = Env(clock=_Later(start + timedelta(hours=2)), ids=env.ids)
    escalate_unanswered(SUPPORT, new_uow(), later)

    overview = desk_overview(SUPPORT, new_uow(), later)

    assert [e.conversation.id for e in overview.open] == [oldest.id, newest.id]
    assert [e.practice_name for e in overview.open] == ["Practice TB", "Practice TA"]
    assert [e.conversation.id for e in overview.resolved] == [middle.id]
    assert overview.counts == OpenCounts(open=2, unanswered=2, escalated=2)
