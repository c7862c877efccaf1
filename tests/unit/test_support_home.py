"""The vendor's support workspace: its Home (the desk at a glance instead of billing), and
what it answers to a practice's billing commands, buttons and forms."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot import home, roles, support_views, support_workspace
from bot.support_home import OPEN_SUPPORT_SETTINGS, support_home_view
from domain.ids import ConversationId, PracticeId
from domain.ports import Env
from domain.support import (
    Conversation,
    ConversationStatus,
    OpenCounts,
    Rating,
    SlackRef,
    SupportDesk,
)
from domain.usecases.access import InstallApp, install_app
from domain.usecases.support import (
    Ask,
    DeskEntry,
    DeskOverview,
    SetSupportDesk,
    ask_support,
    desk_overview,
    set_support_desk,
)
from fakes import FakeUnitOfWork

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
DESK = SupportDesk("TSUPPORT", "CSUPPORT", timedelta(minutes=45))


def _conversation(number: int, **changes: object) -> Conversation:
    values: dict[str, object] = {
        "id": ConversationId(f"c{number}"),
        "practice_id": PracticeId("p1"),
        "number": number,
        "practice_thread": SlackRef("TA", "DA", f"{number}.0"),
        "opened_by": "UADA",
        "question": "How do I <void> an invoice?",
        "opened_at": NOW - timedelta(hours=2, minutes=5),
        **changes,
    }
    return Conversation(**values)  # type: ignore[arg-type]


def _shown(view) -> str:
    return json.dumps(view.to_dict()["blocks"], ensure_ascii=False)


def _buttons(view) -> list[str]:
    found = []
    for block in view.to_dict()["blocks"]:
        found += [e["action_id"] for e in block.get("elements", []) if "action_id" in e]
        if "accessory" in block:
            found.append(block["accessory"]["action_id"])
    return found


def _overview(*open_ones: Conversation, resolved=(), counts=None) -> DeskOverview:
    return DeskOverview(
        desk=DESK,
        open=tuple(DeskEntry(c, "Calm Minds") for c in open_ones),
        counts=counts or OpenCounts(len(open_ones), len(open_ones), 0),
        resolved=tuple(DeskEntry(c, "Calm Minds") for c in resolved),
        now=NOW,
    )


def test_each_open_conversation_shows_its_status_age_assignee_and_first_response():
    waiting = _conversation(12)
    answered = _conversation(
        13,
        assignee="USAM",
        first_response_at=NOW - timedelta(hours=2),
        opened_at=NOW - timedelta(hours=2, minutes=4),
    )

    view = support_home_view(_overview(waiting, answered), "USAM", operator=False)
    shown = _shown(view)

    assert "#12 · Calm Minds" in shown and "&lt;void&gt;" in shown
    assert "Waiting for a first answer" in shown and "2 h 5 min" in shown
    assert "nobody yet" in shown and "<@USAM>" in shown and "4 min" in shown
    assert "Answered" in shown
    # Sam has #13 already: only #12 offers Assign to me.
    assert _buttons(view).count(support_views.ASSIGN) == 1
    assert "<#CSUPPORT>" in shown and "45 min" in shown


def test_operators_get_the_support_settings_and_others_are_told_who_the_operators_are():
    operator = support_home_view(_overview(), "UOLGA", operator=True, operators=("UOLGA",))
    agent = support_home_view(_overview(), "USAM", operator=False, operators=("UOLGA",))

    assert OPEN_SUPPORT_SETTINGS in _buttons(operator)
    assert OPEN_SUPPORT_SETTINGS not in _buttons(agent)
    assert "Operators (<@UOLGA>)" in _shown(agent)
    assert "No open conversations" in _shown(agent)


def test_no_billing_screen_is_offered_on_supports_home():
    view = support_home_view(_overview(_conversation(1)), "UOLGA", operator=True)

    billing = {home.NEW_INVOICE, home.OPEN_HUB, home.OPEN_BILLING_DETAILS, home.STRIPE_SETUP}
    assert not billing & set(_buttons(view))
    assert "Setup" not in _shown(view)


def test_more_open_conversations_than_shown_are_counted_and_resolved_ones_timed():
    resolved = _conversation(
        9,
        status=ConversationStatus.RESOLVED,
        first_response_at=NOW - timedelta(hours=2),
        resolved_at=NOW - timedelta(minutes=3),
        rating=Rating.GREAT,
    )

    view = support_home_view(
        _overview(_conversation(1), resolved=(resolved,), counts=OpenCounts(20, 7, 2)),
        "USAM",
        operator=False,
    )
    shown = _shown(view)

    assert "…and 19 more open" in shown
    assert "*Open*\\n20" in shown and "*Waiting for a first answer*\\n7" in shown
    assert "#9 · Calm Minds* · resolved in 2 h 2 min" in shown and "Great" in shown


def test_without_a_desk_the_home_says_who_chooses_the_support_channel():
    overview = DeskOverview(None, (), OpenCounts(), (), NOW)

    operator = _shown(support_home_view(overview, "UOLGA", operator=True))
    agent = _shown(support_home_view(overview, "USAM", operator=False, operators=("UOLGA",)))

    assert "No support channel is chosen yet" in operator and "Support settings" in operator
    assert "An operator (<@UOLGA>) chooses it" in agent


def test_the_overview_lists_every_practices_open_conversations_the_longest_waiting_first(
    uow: FakeUnitOfWork, env: Env, clock
):
    install_app(InstallApp("TSUPPORT", "Support", "UOLGA"), uow, env)
    set_support_desk(SetSupportDesk("TSUPPORT", "UOLGA", "CSUPPORT", "45"), uow, env)
    first = install_app(InstallApp("TA", "Calm Minds", "UADA"), uow, env).practice.id
    second = install_app(InstallApp("TB", "Harbor Physio", "UBO"), uow, env).practice.id
    for practice, team, ts in ((second, "TB", "2.0"), (first, "TA", "1.0")):
        asked = Ask(practice, SlackRef(team, "D", ts), "UASKER", "Hi?", "TSUPPORT", ts)
        ask_support(asked, uow, env)
        clock.advance(minutes=5)

    overview = desk_overview("TSUPPORT", uow, env)

    assert [e.practice_name for e in overview.open] == ["Harbor Physio", "Calm Minds"]
    assert overview.counts == OpenCounts(2, 2, 0)
    assert overview.desk is not None and overview.desk.channel_id == "CSUPPORT"


def test_billing_commands_buttons_and_forms_are_refused_in_the_support_workspace():
    refused = support_workspace._refused

    assert refused({"command": "/invoice"}) == "command"
    assert refused({"command": "/billing"}) is None
    assert refused({"type": "block_actions", "actions": [{"action_id": home.NEW_INVOICE}]})
    assert refused({"type": "view_submission", "view": {"callback_id": "billing_details"}})
    assert refused({"type": "block_suggestion", "action_id": "client"}) == "block_suggestion"
    for allowed in (support_views.ASSIGN, support_views.OPEN_DESK, home.OPEN_ROLES):
        assert refused({"type": "block_actions", "actions": [{"action_id": allowed}]}) is None
    assert refused({"type": "view_submission", "view": {"callback_id": roles.CALLBACK_ID}}) is None
    assert refused({"type": "event_callback"}) is None
