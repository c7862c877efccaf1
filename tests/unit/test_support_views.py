"""What the Help channel shows in Slack: support's message of a conversation, the lines
relayed into each thread, and the text that travels between workspaces."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot import support_views as views
from domain.ids import ConversationId, PracticeId
from domain.support import (
    Conversation,
    ConversationStatus,
    Rating,
    SlackRef,
    StripeSummary,
    SupportContext,
)

OPENED = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def a_conversation(**changes: object) -> Conversation:
    values: dict[str, object] = {
        "id": ConversationId("c1"),
        "practice_id": PracticeId("p1"),
        "number": 12,
        "practice_thread": SlackRef("TA", "DA", "1.0"),
        "opened_by": "UADA",
        "question": "Why is <INV-0001> unpaid?",
        "opened_at": OPENED,
        **changes,
    }
    return Conversation(**values)  # type: ignore[arg-type]


CONTEXT = SupportContext(
    practice_id=PracticeId("p1"),
    practice_name="Calm Minds",
    workspace_id="TA",
    stripe=StripeSummary("acct_123", True, False, False),
    invoices=7,
    clients=3,
    conversations_before=1,
)


def _text(blocks: list) -> str:
    return json.dumps([block.to_dict() for block in blocks], ensure_ascii=False)


def test_an_open_card_shows_the_practice_ids_counts_question_and_resolve():
    blocks = views.support_card(a_conversation(), CONTEXT)
    shown = _text(blocks)

    assert "#12 · Calm Minds" in shown
    assert "acct_123` charges on, payouts off" in shown
    assert "7 invoices · 3 clients · 1 earlier conversations" in shown
    assert "Why is &lt;INV-0001&gt; unpaid?" in shown  # the member's words, escaped
    buttons = [e["action_id"] for e in blocks[-1].to_dict()["elements"]]
    assert buttons == [views.ASSIGN, views.RESOLVE]


def test_a_resolved_card_shows_its_times_and_rating_and_offers_reopen():
    conversation = a_conversation(
        status=ConversationStatus.RESOLVED,
        assignee="USAM",
        first_response_at=OPENED + timedelta(minutes=4),
        resolved_at=OPENED + timedelta(hours=1, minutes=2),
        rating=Rating.GREAT,
    )

    blocks = views.support_card(conversation, CONTEXT)
    shown = _text(blocks)

    assert "Resolved" in shown and "<@USAM>" in shown
    assert "4 min" in shown and "1 h 2 min" in shown and "Great" in shown
    buttons = [e["action_id"] for e in blocks[-1].to_dict()["elements"]]
    assert buttons == [views.ASSIGN, views.REOPEN]


def test_text_loses_what_means_nothing_in_the_other_workspace():
    text = "<@UBOT> ask <@U123|ada> in <#C42|billing> or <#C43>"

    assert views.portable_text(text, "UBOT") == "ask @someone in #billing or #a-channel"


def test_support_and_the_practice_are_attributed_by_first_name():
    assert views.from_support("Sam", "Try again") == "*Sam from support:* Try again"
    assert views.from_practice("Calm <Minds>", "Ada", "UADA", "Thanks") == (
        "*Ada at Calm &lt;Minds&gt;:* Thanks"
    )


def test_a_member_whose_name_slack_did_not_give_is_shown_by_id():
    assert views.from_practice("Calm <Minds>", None, "UADA", "Thanks") == (
        "*Calm &lt;Minds&gt;* (`UADA`): Thanks"
    )
    shown = _text(views.support_card(a_conversation(), CONTEXT))
    assert "Question from `UADA`" in shown


def test_the_card_names_the_member_who_asked_with_their_id():
    shown = _text(views.support_card(a_conversation(), CONTEXT, "Ada"))

    assert "Question from Ada (`UADA`)" in shown


def test_the_rating_prompt_offers_one_click_per_rating():
    prompt = views.rating_prompt(a_conversation(status=ConversationStatus.RESOLVED))

    actions = prompt[-1].to_dict()["elements"]
    assert [a["action_id"] for a in actions] == [
        f"{views.RATE_PREFIX}{rating.value}" for rating in Rating
    ]
    assert {a["value"] for a in actions} == {"c1"}
