"""Support conversations: opening, relaying both ways, the rules against loops and repeats,
status changes, rating, escalation and the operator's settings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.errors import NotFound, ValidationError
from domain.ids import PracticeId
from domain.outbox import OutboxKind
from domain.ports import Env
from domain.roles import NotPermitted
from domain.support import (
    ConversationStatus,
    FileCopy,
    NotResolved,
    Rating,
    Side,
    SlackRef,
    duration_words,
)
from domain.usecases.access import InstallApp, install_app
from domain.usecases.support import (
    Ask,
    AskAboutReply,
    Change,
    ChangeStatus,
    Deleted,
    Edited,
    FileDeleted,
    Incoming,
    Outcome,
    Rate,
    SetHelpChannel,
    SetSupportDesk,
    ask_about_reply,
    ask_support,
    change_status,
    conversation_view,
    escalate_unanswered,
    file_copies,
    mirror_delete,
    mirror_edit,
    mirror_file_delete,
    rate_conversation,
    record_file_copy,
    relay_message,
    set_help_channel,
    set_support_desk,
)
from factories import a_client
from fakes import FakeUnitOfWork, FixedClock

SUPPORT_TEAM = "TSUPPORT"
OPERATOR = "UOPERATOR"
AGENT = "UAGENT"


def _install(uow: FakeUnitOfWork, env: Env, team: str, admin: str) -> PracticeId:
    return install_app(InstallApp(team, f"Practice {team}", admin), uow, env).practice.id


@pytest.fixture
def desk(uow: FakeUnitOfWork, env: Env) -> None:
    _install(uow, env, SUPPORT_TEAM, OPERATOR)
    set_support_desk(SetSupportDesk(SUPPORT_TEAM, OPERATOR, "CSUPPORT", "30"), uow, env)


@pytest.fixture
def practice(uow: FakeUnitOfWork, env: Env) -> PracticeId:
    return _install(uow, env, "TA", "UADA")


def _posts(uow: FakeUnitOfWork) -> list[dict[str, Any]]:
    return [
        dict(m.payload)
        for m in sorted(uow.committed.outbox.values(), key=lambda m: m.created_at)
        if m.kind is OutboxKind.SUPPORT
    ]


def _ask(uow: FakeUnitOfWork, env: Env, practice: PracticeId, ts: str = "1.000100", **kw: Any):
    return ask_support(
        Ask(
            practice_id=practice,
            message=SlackRef("TA", "DADA", ts),
            user_id="UADA",
            text=kw.pop("text", "How do I void an invoice?"),
            support_team_id=SUPPORT_TEAM,
            event_id=kw.pop("event_id", f"Ev{ts}"),
            **kw,
        ),
        uow,
        env,
    )


def _posted_in_support(uow: FakeUnitOfWork, env: Env, practice: PracticeId) -> SlackRef:
    """What the delivery of the OPENED post records: where support's thread is."""
    from domain.usecases.support import record_support_thread

    conversation = next(iter(uow.committed.conversations.values()))
    thread = SlackRef(SUPPORT_TEAM, "CSUPPORT", "9.000001")
    record_support_thread(practice, conversation.id, thread, uow)
    return thread


def _reply(side: Side, thread: SlackRef, ts: str, text: str, **kw: Any) -> Incoming:
    return Incoming(
        event_id=kw.pop("event_id", f"Ev-{side}-{ts}"),
        side=side,
        message=SlackRef(thread.team_id, thread.channel_id, ts),
        thread_ts=thread.ts,
        user_id=kw.pop("user_id", AGENT if side is Side.SUPPORT else "UADA"),
        text=text,
        **kw,
    )


def test_a_question_opens_a_numbered_conversation_and_tells_support(uow, env, desk, practice):
    handled = _ask(uow, env, practice)

    assert handled.outcome is Outcome.OPENED
    assert handled.conversation is not None
    assert handled.conversation.number == 1
    assert handled.conversation.status is ConversationStatus.OPEN
    assert [p["post"] for p in _posts(uow)] == ["opened"]


def test_numbers_count_every_practices_conversations(uow, env, desk, practice):
    other = _install(uow, env, "TB", "UDANA")
    _ask(uow, env, practice)

    second = ask_support(
        Ask(other, SlackRef("TB", "DDANA", "2.0"), "UDANA", "Hello?", SUPPORT_TEAM, "EvB"),
        uow,
        env,
    )

    assert second.conversation is not None and second.conversation.number == 2


def test_without_a_support_desk_the_member_is_told_support_is_unavailable(uow, env, practice):
    handled = _ask(uow, env, practice)

    assert handled.outcome is Outcome.UNAVAILABLE
    assert uow.committed.conversations == {}
    assert [p["post"] for p in _posts(uow)] == ["unavailable"]


def test_the_same_event_or_thread_opens_one_conversation(uow, env, desk, practice):
    _ask(uow, env, practice)

    again = _ask(uow, env, practice)  # Slack's retry: same event id
    mention = _ask(uow, env, practice, event_id="EvMention")  # app_mention of the same message

    assert again.outcome is Outcome.DUPLICATE
    assert mention.outcome is Outcome.DUPLICATE
    assert len(uow.committed.conversations) == 1
    assert len(_posts(uow)) == 1


def test_replies_travel_both_ways_and_the_first_support_reply_is_the_first_response(
    uow, env, clock: FixedClock, desk, practice
):
    _ask(uow, env, practice)
    support_thread = _posted_in_support(uow, env, practice)
    practice_thread = SlackRef("TA", "DADA", "1.000100")
    clock.advance(minutes=4)

    from_support = relay_message(
        _reply(Side.SUPPORT, support_thread, "9.1", "Hi, Sam here"), uow, env
    )
    from_practice = relay_message(
        _reply(Side.PRACTICE, practice_thread, "1.2", "Thanks!", practice_id=practice), uow, env
    )

    assert from_support.outcome is from_practice.outcome is Outcome.RELAYED
    relays = [p for p in _posts(uow) if p["post"] == "relay"]
    assert [(p["side"], p["text"]) for p in relays] == [
        ("support", "Hi, Sam here"),
        ("practice", "Thanks!"),
    ]
    conversation = next(iter(uow.committed.conversations.values()))
    assert conversation.first_response_time == timedelta(minutes=4)
    assert conversation.assignee == AGENT


def test_the_apps_own_posts_and_copies_are_never_relayed(uow, env, desk, practice):
    _ask(uow, env, practice)
    support_thread = _posted_in_support(uow, env, practice)
    relay_message(_reply(Side.SUPPORT, support_thread, "9.1", "Hello"), uow, env)
    from domain.usecases.support import record_copy

    record_copy(SlackRef(SUPPORT_TEAM, "CSUPPORT", "9.1"), SlackRef("TA", "DADA", "1.5"), uow)
    posts_before = len(_posts(uow))

    own = relay_message(
        _reply(
            Side.PRACTICE,
            SlackRef("TA", "DADA", "1.000100"),
            "1.6",
            "x",
            practice_id=practice,
            from_app=True,
        ),
        uow,
        env,
    )
    copy = relay_message(
        _reply(
            Side.PRACTICE,
            SlackRef("TA", "DADA", "1.000100"),
            "1.5",
            "*Sam*: Hello",
            practice_id=practice,
        ),
        uow,
        env,
    )

    assert own.outcome is Outcome.IGNORED
    assert copy.outcome is Outcome.IGNORED
    assert len(_posts(uow)) == posts_before


def test_a_retried_event_is_relayed_once(uow, env, desk, practice):
    _ask(uow, env, practice)
    support_thread = _posted_in_support(uow, env, practice)
    reply = _reply(Side.SUPPORT, support_thread, "9.1", "Once", event_id="EvStorm")

    outcomes = [relay_message(reply, uow, env).outcome for _ in range(5)]

    assert outcomes == [Outcome.RELAYED] + [Outcome.DUPLICATE] * 4
    assert len([p for p in _posts(uow) if p["post"] == "relay"]) == 1


def test_messages_outside_conversation_threads_are_left_alone(uow, env, desk, practice):
    _ask(uow, env, practice)

    chatter = relay_message(
        _reply(Side.SUPPORT, SlackRef(SUPPORT_TEAM, "CSUPPORT", "5.0"), "5.1", "lunch?"), uow, env
    )

    assert chatter.outcome is Outcome.IGNORED


def test_a_practice_never_reaches_another_practices_conversation(uow, env, desk, practice):
    other = _install(uow, env, "TB", "UDANA")
    _ask(uow, env, practice)

    stray = relay_message(
        _reply(Side.PRACTICE, SlackRef("TA", "DADA", "1.000100"), "1.9", "hi", practice_id=other),
        uow,
        env,
    )
    conversation = next(iter(uow.committed.conversations.values()))

    assert stray.outcome is Outcome.IGNORED
    with pytest.raises(NotFound):
        rate_conversation(Rate(other, conversation.id, Rating.GREAT, "UDANA"), uow, env)


def test_resolving_closes_both_sides_and_asks_for_a_rating(uow, env, clock, desk, practice):
    conversation = _ask(uow, env, practice).conversation
    assert conversation is not None
    clock.advance(minutes=20)

    resolved = change_status(
        ChangeStatus(Change.RESOLVE, AGENT, Side.SUPPORT, conversation_id=conversation.id), uow, env
    )
    again = change_status(
        ChangeStatus(Change.RESOLVE, AGENT, Side.SUPPORT, conversation_id=conversation.id), uow, env
    )

    assert resolved.conversation is not None
    assert resolved.conversation.status is ConversationStatus.RESOLVED
    assert resolved.conversation.resolution_time == timedelta(minutes=20)
    assert again.outcome is Outcome.IGNORED
    assert [p["post"] for p in _posts(uow)] == ["opened", "card", "resolved"]


def test_a_check_mark_on_any_relayed_message_resolves(uow, env, desk, practice):
    _ask(uow, env, practice)

    resolved = change_status(
        ChangeStatus(
            Change.RESOLVE,
            "UADA",
            Side.PRACTICE,
            message=SlackRef("TA", "DADA", "1.000100"),
            practice_id=practice,
            event_id="EvReact",
        ),
        uow,
        env,
    )

    assert resolved.conversation is not None and not resolved.conversation.is_open


def test_a_new_message_in_a_resolved_thread_reopens_it_and_clears_the_rating(
    uow, env, desk, practice
):
    conversation = _ask(uow, env, practice).conversation
    assert conversation is not None
    change_status(
        ChangeStatus(Change.RESOLVE, AGENT, Side.SUPPORT, conversation_id=conversation.id), uow, env
    )
    rate_conversation(Rate(practice, conversation.id, Rating.GREAT, "UADA"), uow, env)

    handled = relay_message(
        _reply(
            Side.PRACTICE,
            SlackRef("TA", "DADA", "1.000100"),
            "1.7",
            "One more thing",
            practice_id=practice,
        ),
        uow,
        env,
    )

    assert handled.conversation is not None
    assert handled.conversation.is_open
    assert handled.conversation.rating is None
    assert "reopened" in [p["post"] for p in _posts(uow)]


def test_an_open_conversation_cannot_be_rated(uow, env, desk, practice):
    conversation = _ask(uow, env, practice).conversation
    assert conversation is not None

    with pytest.raises(NotResolved):
        rate_conversation(Rate(practice, conversation.id, Rating.POOR, "UADA"), uow, env)


def test_edits_and_deletes_follow_the_relayed_message(uow, env, desk, practice):
    _ask(uow, env, practice)
    thread = SlackRef("TA", "DADA", "1.000100")
    relay_message(_reply(Side.PRACTICE, thread, "1.2", "typo", practice_id=practice), uow, env)

    edit = mirror_edit(Edited("EvE", SlackRef("TA", "DADA", "1.2"), "fixed", practice), uow, env)
    delete = mirror_delete(Deleted("EvD", SlackRef("TA", "DADA", "1.2"), practice), uow, env)
    unknown = mirror_edit(Edited("EvX", SlackRef("TA", "DADA", "7.7"), "x", practice), uow, env)

    assert (edit.outcome, delete.outcome, unknown.outcome) == (
        Outcome.RELAYED,
        Outcome.RELAYED,
        Outcome.IGNORED,
    )
    # The message's files (copied on delivery, if any) go with it.
    assert [p["post"] for p in _posts(uow)][-3:] == ["edit", "delete", "delete_files"]


def test_editing_the_question_redraws_supports_message(uow, env, desk, practice):
    _ask(uow, env, practice)

    mirror_edit(
        Edited("EvQ", SlackRef("TA", "DADA", "1.000100"), "Better words", practice), uow, env
    )

    conversation = next(iter(uow.committed.conversations.values()))
    assert conversation.question == "Better words"
    assert _posts(uow)[-1]["post"] == "card"


def test_an_unanswered_question_is_escalated_once_past_the_desks_time(
    uow, env, clock, desk, practice
):
    _ask(uow, env, practice)
    clock.advance(minutes=29)
    early = escalate_unanswered(SUPPORT_TEAM, uow, env)
    clock.advance(minutes=1)

    due = escalate_unanswered(SUPPORT_TEAM, uow, env)
    later = escalate_unanswered(SUPPORT_TEAM, uow, env)

    assert early == []
    assert [c.number for c in due] == [1]
    assert later == []
    assert [p["post"] for p in _posts(uow)].count("escalate") == 1


def test_an_answered_question_is_not_escalated(uow, env, clock, desk, practice):
    _ask(uow, env, practice)
    support_thread = _posted_in_support(uow, env, practice)
    relay_message(_reply(Side.SUPPORT, support_thread, "9.1", "On it"), uow, env)
    clock.advance(hours=2)

    assert escalate_unanswered(SUPPORT_TEAM, uow, env) == []


def test_only_operators_set_the_support_desk_and_bad_input_is_named(uow, env, desk, practice):
    with pytest.raises(NotPermitted):
        set_support_desk(SetSupportDesk(SUPPORT_TEAM, "USTRANGER", "C1", "30"), uow, env)
    with pytest.raises(ValidationError) as refused:
        set_support_desk(SetSupportDesk(SUPPORT_TEAM, OPERATOR, None, "soon"), uow, env)

    assert set(refused.value.errors) == {"channel", "escalate_after"}
    assert uow.committed.desks[SUPPORT_TEAM].escalate_after == timedelta(minutes=30)


def test_only_a_billing_admin_picks_the_help_channel(uow, env, practice):
    with pytest.raises(NotPermitted):
        set_help_channel(SetHelpChannel(practice, "UCLEO", "CHELP"), uow, env)

    set_help_channel(SetHelpChannel(practice, "UADA", "CHELP"), uow, env)

    assert uow.committed.help_channels[practice] == "CHELP"


def test_support_sees_ids_and_counts_never_a_clients_record(uow, env, desk, practice):
    from domain.usecases._common import load_practice

    with uow:
        stored = load_practice(uow, practice)
    client = a_client(uow, env, stored, name="Zelda Quist", email="zelda@example.com")
    conversation = _ask(uow, env, practice).conversation
    assert conversation is not None

    view = conversation_view(practice, conversation.id, SUPPORT_TEAM, uow)

    assert view.context.clients == 1
    assert client.name not in repr(view)
    assert "zelda@example.com" not in repr(view)


@pytest.mark.parametrize(
    ("span", "words"),
    [
        (timedelta(seconds=40), "40 s"),
        (timedelta(minutes=4), "4 min"),
        (timedelta(hours=2, minutes=5), "2 h 5 min"),
        (timedelta(days=3, hours=1), "3 d 1 h"),
        (None, "—"),
    ],
)
def test_durations_read_at_a_glance(span, words):
    assert duration_words(span) == words


def _ticket_reply(uow: FakeUnitOfWork, env: Env, practice: PracticeId, event_id: str, **kw: Any):
    return ask_about_reply(
        AskAboutReply(
            practice_id=practice,
            reply=kw.pop("reply", SlackRef("TA", "CHELP", "5.000200")),
            thread=kw.pop("thread", SlackRef("TA", "CHELP", "5.000100")),
            author="UBO",
            text="Why is the tax wrong?",
            support_team_id=SUPPORT_TEAM,
            event_id=event_id,
        ),
        uow,
        env,
    )


def test_a_ticket_on_a_reply_asks_for_its_quote_once_however_many_mark_it(uow, env, desk, practice):
    first = _ticket_reply(uow, env, practice, "EvT1")
    retry = _ticket_reply(uow, env, practice, "EvT1")
    another = _ticket_reply(uow, env, practice, "EvT2")

    assert (first.outcome, retry.outcome, another.outcome) == (
        Outcome.QUOTED,
        Outcome.DUPLICATE,
        Outcome.ASKED_BEFORE,
    )
    quotes = [p for p in _posts(uow) if p["post"] == "quote"]
    assert len(quotes) == 1
    assert quotes[0]["user_id"] == "UBO" and quotes[0]["text"] == "Why is the tax wrong?"
    assert quotes[0]["thread"] == {"team": "TA", "channel": "CHELP", "ts": "5.000100"}
    assert uow.committed.conversations == {}  # the quote's thread opens it, once posted


def test_a_ticket_on_a_reply_in_a_conversation_names_that_conversation(uow, env, desk, practice):
    asked = _ask(uow, env, practice, ts="5.000100")

    handled = _ticket_reply(uow, env, practice, "EvT3", thread=SlackRef("TA", "DADA", "5.000100"))

    assert handled.conversation == asked.conversation
    assert [p["post"] for p in _posts(uow)] == ["opened"]


def test_a_ticket_on_a_reply_without_a_desk_says_support_is_unavailable(uow, env, practice):
    handled = _ticket_reply(uow, env, practice, "EvT4")

    assert handled.outcome is Outcome.UNAVAILABLE
    posts = _posts(uow)
    assert [p["post"] for p in posts] == ["unavailable"]
    assert posts[0]["thread"]["ts"] == "5.000100"  # the reply's thread, not the reply


def _copied(uow: FakeUnitOfWork, practice: PracticeId, source: SlackRef, file_id: str) -> None:
    conversation = next(iter(uow.committed.conversations.values()))
    record_file_copy(
        FileCopy(conversation.id, practice, source, file_id, SUPPORT_TEAM, f"FCOPY-{file_id}"),
        uow,
    )


def test_a_deleted_file_that_was_copied_has_its_copies_deleted_once(uow, env, desk, practice):
    _ask(uow, env, practice)
    shared = SlackRef("TA", "DADA", "1.5")
    _copied(uow, practice, shared, "FEXPORT")

    first = mirror_file_delete(FileDeleted("EvF1", "TA", "FEXPORT", practice), uow, env)
    retry = mirror_file_delete(FileDeleted("EvF1", "TA", "FEXPORT", practice), uow, env)
    other = mirror_file_delete(FileDeleted("EvF2", "TA", "FOTHER", practice), uow, env)

    assert (first.outcome, retry.outcome, other.outcome) == (
        Outcome.RELAYED,
        Outcome.DUPLICATE,
        Outcome.IGNORED,
    )
    [post] = [p for p in _posts(uow) if p["post"] == "delete_files"]
    copies = file_copies(practice, post, uow)
    assert [c.copy_file for c in copies] == ["FCOPY-FEXPORT"]


def test_another_practices_file_event_deletes_nothing(uow, env, desk, practice):
    other = _install(uow, env, "TB", "UDANA")
    _ask(uow, env, practice)
    _copied(uow, practice, SlackRef("TA", "DADA", "1.5"), "FEXPORT")

    handled = mirror_file_delete(FileDeleted("EvF3", "TA", "FEXPORT", other), uow, env)

    assert handled.outcome is Outcome.IGNORED
    assert not [p for p in _posts(uow) if p["post"] == "delete_files"]
    assert file_copies(other, {"file": {"team": "TA", "id": "FEXPORT"}}, uow) == []
