"""The Help channel end to end: two practices and the vendor's support workspace in the Slack
stand-in, which sends the app the events its manifest subscribes to, as Slack does (the
app's own posts included), against the real server and its outbox worker."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from slack_app_fixture import (
    BACKGROUND_TIMEOUT,
    Seat,
    SlackWorld,
    SupportSeat,
    a_pdf,
    message_text,
    reply_text,
    slack_world,
    view_text,
)
from sqlalchemy import select

from bot import support_views
from bot.hub import COMMAND as BILLING
from helpers import wait_until
from sandbox.slack import Channel, File, Message, User, View
from storage.orm import OutboxRow

WAIT = BACKGROUND_TIMEOUT


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackWorld]:
    path = tmp_path_factory.mktemp("help-world")
    with slack_world(path, f"sqlite:///{path / 'billing.sqlite3'}", support=True) as started:
        yield started


@pytest.fixture(scope="module")
def desk(world: SlackWorld) -> SupportSeat:
    return world.new_support_desk()


def _thread(world: SlackWorld, channel: Channel, root: Message) -> list[Message]:
    return [m for m in world.slack.messages_in(channel) if m.thread_ts == root.ts and m is not root]


def _shown(message: Message) -> str:
    return message_text(message) or message.text


def _wait_in_thread(
    world: SlackWorld, channel: Channel, root: Message, needle: str, *, what: str
) -> Message:
    def found() -> Message | None:
        return next((m for m in _thread(world, channel, root) if needle in _shown(m)), None)

    return wait_until(found, WAIT, what=what)


def _card(world: SlackWorld, desk: SupportSeat, label: str) -> Message:
    def found() -> Message | None:
        return next(
            (
                m
                for m in world.slack.messages_in(desk.channel)
                if m.bot_id and m.blocks and label in message_text(m).split("\n")[0]
            ),
            None,
        )

    return wait_until(found, WAIT, what=f"support's message of {label}")


def _ask(world: SlackWorld, seat: Seat, text: str) -> tuple[Channel, Message]:
    dm = world.slack.dm_with(seat.admin)
    question = world.slack.post_message(seat.admin, dm, text)
    _wait_in_thread(world, dm, question, support_views.RECEIVED, what="the practice's receipt")
    return dm, question


def _number(world: SlackWorld, dm: Channel, question: Message) -> str:
    receipt = _wait_in_thread(world, dm, question, support_views.RECEIVED, what="the receipt")
    return receipt.text.split("(", 1)[1].split(")", 1)[0]


def _outbox_drained(world: SlackWorld) -> bool:
    with world.engine.connect() as connection:
        waiting = connection.execute(
            select(OutboxRow.id).where(OutboxRow.sent_at.is_(None), OutboxRow.failed_at.is_(None))
        ).all()
    return not waiting


def _settled(world: SlackWorld) -> None:
    """Every event delivered and every post of the outbox made."""
    world.slack.wait_for_events(timeout=WAIT)
    wait_until(lambda: _outbox_drained(world), WAIT, what="the outbox to be delivered")
    world.slack.wait_for_events(timeout=WAIT)


def test_a_question_and_its_answers_travel_both_ways(world: SlackWorld, desk: SupportSeat):
    practice = world.new_practice("Practice A")
    installed = time.time()  # installing asked Slack for Ada's time zone
    dm, question = _ask(world, practice, "How do I void an invoice?")
    label = _number(world, dm, question)
    card = _card(world, desk, label)
    assert "How do I void an invoice?" in message_text(card)
    assert "Practice A" in message_text(card)
    assert f"Question from Ada (`{practice.admin.id}`)" in message_text(card)

    for turn in range(1, 4):
        world.slack.post_message(desk.agent, desk.channel, f"Answer {turn}", thread_ts=card.ts)
        copy = _wait_in_thread(world, dm, question, f"Answer {turn}", what=f"answer {turn}")
        assert copy.text.startswith("*Sam from support:*")
        world.slack.post_message(practice.admin, dm, f"Follow-up {turn}", thread_ts=question.ts)
        relayed = _wait_in_thread(
            world, desk.channel, card, f"Follow-up {turn}", what=f"follow-up {turn}"
        )
        assert relayed.text.startswith(f"*Ada at Practice A:* Follow-up {turn}")

    _settled(world)
    # Each message crossed once: the app's own copies (whose events it hears too) never
    # came back as copies of copies.
    practice_side = [m.text for m in _thread(world, dm, question)]
    support_side = [m.text for m in _thread(world, desk.channel, card)]
    assert sum("Answer 1" in text for text in practice_side) == 1
    assert sum("Follow-up 1" in text for text in support_side) == 1
    assert not any("Sam from support" in text for text in support_side)
    assert "*First response*" in message_text(card)
    assert "Sam Rivera" not in message_text(card)
    # Ada's name was asked of her workspace once, not for each of her messages.
    asked = [
        call
        for call in world.slack.calls("users.info")
        if call.args.get("user") == practice.admin.id and call.at >= installed
    ]
    assert len(asked) == 1


def test_files_edits_and_deletes_are_mirrored(world: SlackWorld, desk: SupportSeat):
    practice = world.new_practice("Practice Files", admin="fiona", real_name="Fiona Bell")
    dm, question = _ask(world, practice, "Where is my export?")
    card = _card(world, desk, _number(world, dm, question))
    pdf = a_pdf()
    steps = world.slack.host_file(desk.agent, "steps.pdf", pdf)

    world.slack.post_message(
        desk.agent, desk.channel, "The steps, attached", thread_ts=card.ts, files=[steps]
    )

    def relayed_file() -> Message | None:
        return next((m for m in _thread(world, dm, question) if m.files), None)

    shared = wait_until(relayed_file, WAIT, what="the file in the practice's thread")
    with world.slack.state.lock:
        copy = world.slack.state.files[shared.files[0]]
    assert (copy.name, copy.content, copy.team_id) == ("steps.pdf", pdf, practice.workspace.id)

    typo = world.slack.post_message(practice.admin, dm, "Thnaks", thread_ts=question.ts)
    copy_of_typo = _wait_in_thread(world, desk.channel, card, "Thnaks", what="the typo")
    world.slack.edit_message(typo, "Thanks")
    wait_until(
        lambda: "Thanks" in copy_of_typo.text and copy_of_typo.edited_ts,
        WAIT,
        what="the edit mirrored",
    )

    oops = world.slack.post_message(desk.agent, desk.channel, "Wrong answer", thread_ts=card.ts)
    copy_of_oops = _wait_in_thread(world, dm, question, "Wrong answer", what="the wrong answer")
    world.slack.delete_message(oops)
    wait_until(lambda: copy_of_oops.deleted, WAIT, what="the delete mirrored")
    _settled(world)
    assert not any("Wrong answer" in m.text for m in _thread(world, dm, question))


def test_resolve_rate_and_reopen(world: SlackWorld, desk: SupportSeat):
    practice = world.new_practice("Practice R", admin="rosa", real_name="Rosa Diaz")
    dm, question = _ask(world, practice, "Can I change my currency?")
    label = _number(world, dm, question)
    card = _card(world, desk, label)
    world.slack.post_message(desk.agent, desk.channel, "Yes, before invoicing", thread_ts=card.ts)
    _wait_in_thread(world, dm, question, "before invoicing", what="the answer")

    world.slack.driver.block_action(support_views.RESOLVE, message=card, user=desk.agent)

    prompt = _wait_in_thread(world, dm, question, "How did we do?", what="the rating prompt")
    _wait_in_thread(world, desk.channel, card, "Resolved by support", what="the resolve note")
    wait_until(lambda: "Resolved" in message_text(card), WAIT, what="the card to say Resolved")
    assert "*Resolution*" in message_text(card)

    world.slack.driver.block_action(
        f"{support_views.RATE_PREFIX}great", message=prompt, user=practice.admin
    )
    wait_until(lambda: "Great" in message_text(card), WAIT, what="the rating on the card")
    wait_until(lambda: "Thanks" in prompt.text, WAIT, what="the prompt to thank")

    world.slack.post_message(practice.admin, dm, "Actually, one more thing", thread_ts=question.ts)
    _wait_in_thread(world, desk.channel, card, "one more thing", what="the reopening message")
    wait_until(lambda: "Open" in message_text(card), WAIT, what="the card to say Open again")
    _wait_in_thread(world, dm, question, "Reopened", what="the reopen note")

    world.slack.react(practice.admin, question, "white_check_mark")
    wait_until(lambda: "Resolved" in message_text(card), WAIT, what="✅ to resolve")


def test_two_practices_conversations_never_cross(world: SlackWorld, desk: SupportSeat):
    first = world.new_practice("Practice North", admin="nia", real_name="Nia North")
    second = world.new_practice("Practice South", admin="sol", real_name="Sol South")
    dm_one, one = _ask(world, first, "North's question")
    dm_two, two = _ask(world, second, "South's question")
    card_one = _card(world, desk, _number(world, dm_one, one))
    card_two = _card(world, desk, _number(world, dm_two, two))

    world.slack.post_message(desk.agent, desk.channel, "For North only", thread_ts=card_one.ts)
    world.slack.post_message(desk.agent, desk.channel, "For South only", thread_ts=card_two.ts)
    world.slack.post_message(second.admin, dm_two, "South again", thread_ts=two.ts)
    _wait_in_thread(world, dm_one, one, "For North only", what="North's answer")
    _wait_in_thread(world, dm_two, two, "For South only", what="South's answer")
    _wait_in_thread(world, desk.channel, card_two, "South again", what="South's follow-up")
    _settled(world)

    north = " ".join(m.text for m in world.slack.messages_in(dm_one))
    south = " ".join(m.text for m in world.slack.messages_in(dm_two))
    assert "South" not in north
    assert "North" not in south
    assert not any("South" in m.text for m in _thread(world, desk.channel, card_one))


def test_billing_help_and_the_help_channel_open_conversations(world: SlackWorld, desk: SupportSeat):
    practice = world.new_practice("Practice H", admin="hana", real_name="Hana Ito")
    help_channel = world.slack.create_channel(practice.workspace, "help", members=[practice.admin])
    # Written before the app was in #help: it never heard of it, until someone marks it 🎫.
    older = world.slack.post_message(practice.admin, help_channel, "Older question from before")
    settings = world.open_setting(
        practice.admin, support_views.OPEN_HELP_CHANNEL, channel=practice.general
    )
    saved = world.slack.driver.submit_view(settings, {support_views.HELP_CHANNEL: help_channel.id})
    assert saved.status == 200 and not saved.errors
    wait_until(
        lambda: world.slack.installation(practice.workspace).bot_user_id in help_channel.members,
        WAIT,
        what="the app to join #help",
    )

    command = world.slack.driver.slash_command(
        practice.admin, BILLING, "help Is there a mobile app?", channel=practice.general
    )
    posted = world.slack.post_message(practice.admin, help_channel, "Posted in #help")
    earlier = world.slack.post_message(practice.admin, practice.general, "Not a question")
    world.slack.react(practice.admin, earlier, "ticket")  # #general is not the help channel

    world.slack.react(practice.admin, older, "ticket")

    assert "Sent to support" in command.response.text
    _card(world, desk, "#")
    _wait_in_thread(world, help_channel, older, support_views.RECEIVED, what="the 🎫 receipt")
    _wait_in_thread(world, help_channel, posted, support_views.RECEIVED, what="#help receipt")
    wait_until(
        lambda: any("mobile app" in message_text(m) for m in world.slack.messages_in(desk.channel)),
        WAIT,
        what="the /billing help question at support",
    )
    _settled(world)
    shown_to_support = [message_text(m) for m in world.slack.messages_in(desk.channel)]
    assert any("Older question from before" in text for text in shown_to_support)
    assert not any("Not a question" in text for text in shown_to_support)


def test_only_operators_open_the_support_desk(world: SlackWorld, desk: SupportSeat):
    practice = world.new_practice("Practice Op", admin="otto", real_name="Otto Park")

    in_a_practice = world.slack.driver.slash_command(
        practice.admin, BILLING, "support", channel=practice.general
    )
    by_an_agent = world.slack.driver.slash_command(
        desk.agent, BILLING, "support", channel=desk.channel
    )

    assert "vendor's own workspace" in in_a_practice.response.text
    assert "billing admin" in by_an_agent.response.text
    assert in_a_practice.trigger_id not in {
        c.args.get("trigger_id") for c in world.slack.calls("views.open")
    }
    assert by_an_agent.trigger_id not in {
        c.args.get("trigger_id") for c in world.slack.calls("views.open")
    }


def test_a_retry_storm_of_one_event_relays_one_message(tmp_path, database_url):
    with slack_world(tmp_path, database_url, support=True) as world:
        desk = world.new_support_desk()
        practice = world.new_practice("Practice Storm")
        dm, question = _ask(world, practice, "Storm?")
        card = _card(world, desk, _number(world, dm, question))
        with world.slack.state.lock:
            reply = world.slack.state.add_message(
                Message(
                    team_id=desk.workspace.id,
                    channel_id=desk.channel.id,
                    ts=world.slack.state.next_ts(),
                    text="Only once",
                    blocks=[],
                    user=desk.agent.id,
                    thread_ts=card.ts,
                )
            )
        event: dict[str, Any] = {
            "type": "message",
            "channel": desk.channel.id,
            "channel_type": "channel",
            "user": desk.agent.id,
            "text": reply.text,
            "ts": reply.ts,
            "thread_ts": card.ts,
            "event_ts": reply.ts,
            "team": desk.workspace.id,
        }
        statuses: list[int] = []
        first_sent = int(time.time())

        def deliver(attempt: int) -> Callable[[], None]:
            def send() -> None:
                delivery = world.slack.driver.event(
                    desk.workspace,
                    event,
                    event_id="Ev0STORM",
                    retry_num=attempt or None,
                    # Slack signs each retry when it sends it, seconds to minutes apart; the
                    # storm delivers them all at once.
                    signed_at=first_sent - attempt,
                )
                statuses.append(delivery.status)

            return send

        storm = [threading.Thread(target=deliver(n)) for n in range(8)]
        for thread in storm:
            thread.start()
        for thread in storm:
            thread.join()

        _wait_in_thread(world, dm, question, "Only once", what="the relayed reply")
        _settled(world)
        copies = [m for m in _thread(world, dm, question) if "Only once" in m.text]
        assert len(copies) == 1
        assert all(status == 200 for status in statuses), statuses


def _escalations(world: SlackWorld, desk: SupportSeat, label: str) -> list[Message]:
    """The app's top-level posts in the support channel saying `label` waits unanswered."""
    return [
        m
        for m in world.slack.messages_in(desk.channel)
        if m.bot_id and not m.thread_ts and ":rotating_light:" in m.text and f"{label} " in m.text
    ]


def test_an_unanswered_question_is_escalated_once_and_an_answered_one_never(tmp_path):
    clock = tmp_path / "clock-shift"  # seconds the server's clock runs ahead of ours
    settings = {"TEST_CLOCK_FILE": str(clock), "ESCALATION_CHECK_SECONDS": "1"}
    with slack_world(
        tmp_path, f"sqlite:///{tmp_path / 'billing.sqlite3'}", support=True, extra_settings=settings
    ) as world:
        desk = world.new_support_desk(escalate_after="60")
        practice = world.new_practice("Practice Waiting")
        dm, waiting = _ask(world, practice, "Nobody answers this one")
        _, answered = _ask(world, practice, "Sam answers this one")
        waiting_label = _number(world, dm, waiting)
        answered_label = _number(world, dm, answered)
        card = _card(world, desk, answered_label)
        world.slack.post_message(desk.agent, desk.channel, "Here you go", thread_ts=card.ts)
        _wait_in_thread(world, dm, answered, "Here you go", what="the answer")
        _settled(world)
        assert not _escalations(world, desk, waiting_label), "escalated before its hour"

        clock.write_text(str(61 * 60))
        escalation = wait_until(
            lambda: _escalations(world, desk, waiting_label), WAIT, what="the escalation"
        )[0]
        assert "Practice Waiting has waited 1 h 1 min without an answer" in escalation.text

        # An hour later still, a question asked meanwhile is escalated: the checks went on,
        # and neither the first question nor the answered one was posted again.
        _, later = _ask(world, practice, "A later question")
        later_label = _number(world, dm, later)
        clock.write_text(str(2 * 61 * 60))
        wait_until(lambda: _escalations(world, desk, later_label), WAIT, what="the later one")
        _settled(world)

        assert len(_escalations(world, desk, waiting_label)) == 1
        assert len(_escalations(world, desk, later_label)) == 1
        assert not _escalations(world, desk, answered_label)


def test_a_ticket_on_a_reply_in_a_thread_quotes_it_as_a_question_of_its_own(
    world: SlackWorld, desk: SupportSeat
):
    practice = world.new_practice("Practice Q", admin="quinn", real_name="Quinn Ray")
    bo = world.slack.create_user(practice.workspace, "bo", real_name="Bo Chen")
    help_channel = world.slack.create_channel(
        practice.workspace, "help", members=[practice.admin, bo]
    )
    # A thread from before the app was in #help, so not a conversation.
    chat = world.slack.post_message(practice.admin, help_channel, "Lunch plans?")
    settings = world.open_setting(
        practice.admin, support_views.OPEN_HELP_CHANNEL, channel=practice.general
    )
    world.slack.driver.submit_view(settings, {support_views.HELP_CHANNEL: help_channel.id})
    wait_until(
        lambda: world.slack.installation(practice.workspace).bot_user_id in help_channel.members,
        WAIT,
        what="the app to join #help",
    )
    reply = world.slack.post_message(
        bo, help_channel, "Why does my invoice show the wrong tax?", thread_ts=chat.ts
    )

    world.slack.react(practice.admin, reply, "ticket")

    def quote() -> Message | None:
        return next(
            (
                m
                for m in world.slack.messages_in(help_channel)
                if m.bot_id and not m.thread_ts and "Question for support" in m.text
            ),
            None,
        )

    quoted = wait_until(quote, WAIT, what="the reply quoted in #help")
    assert "> Why does my invoice show the wrong tax?" in quoted.text
    assert f"<@{bo.id}>" in quoted.text
    receipt = _wait_in_thread(world, help_channel, quoted, support_views.RECEIVED, what="receipt")
    label = receipt.text.split("(", 1)[1].split(")", 1)[0]
    _wait_in_thread(world, help_channel, chat, f"Sent to support as {label}", what="the pointer")
    card = _card(world, desk, label)
    assert "Why does my invoice show the wrong tax?" in message_text(card)
    assert f"Question from Bo (`{bo.id}`)" in message_text(card)
    world.slack.post_message(desk.agent, desk.channel, "Tax is set per line", thread_ts=card.ts)
    _wait_in_thread(world, help_channel, quoted, "Tax is set per line", what="the answer")

    # Marking the same reply again, or a reply inside a conversation, opens nothing more:
    # the person who marked it is told why, and only they see it.
    world.slack.react(bo, reply, "ticket")
    follow_up = world.slack.post_message(bo, help_channel, "Thanks!", thread_ts=quoted.ts)
    world.slack.react(practice.admin, follow_up, "ticket")
    wait_until(
        lambda: any("sent to support already" in m.text for m in _ephemerals(world, bo)),
        WAIT,
        what="Bo told the reply was sent already",
    )
    wait_until(
        lambda: any(
            f"support conversation {label} already" in m.text
            for m in _ephemerals(world, practice.admin)
        ),
        WAIT,
        what="Quinn told the thread is a conversation",
    )
    _settled(world)
    quotes = [
        m
        for m in world.slack.messages_in(help_channel)
        if not m.thread_ts and "Question for support" in m.text
    ]
    assert len(quotes) == 1
    assert sum(label in message_text(m) for m in world.slack.messages_in(desk.channel)) == 1


def _ephemerals(world: SlackWorld, user: User) -> list[Message]:
    return world.slack.ephemeral_messages_for(user)


def _copied_file(world: SlackWorld, channel: Channel, root: Message, name: str) -> File | None:
    """The app's copy of file `name`, shared in the thread of `root`."""
    with world.slack.state.lock:
        return next(
            (
                world.slack.state.files[file_id]
                for message in _thread(world, channel, root)
                if message.bot_id
                for file_id in message.files
                if world.slack.state.files[file_id].name == name
            ),
            None,
        )


def test_a_deleted_file_or_message_takes_the_copied_file_with_it(
    world: SlackWorld, desk: SupportSeat
):
    practice = world.new_practice("Practice Del", admin="dora", real_name="Dora Lee")
    dm, question = _ask(world, practice, "Which export do you need?")
    card = _card(world, desk, _number(world, dm, question))
    steps = world.slack.host_file(desk.agent, "steps.pdf", a_pdf())
    world.slack.post_message(desk.agent, desk.channel, "Steps", thread_ts=card.ts, files=[steps])
    steps_copy = wait_until(
        lambda: _copied_file(world, dm, question, "steps.pdf"), WAIT, what="steps.pdf copied"
    )

    world.slack.delete_file(desk.agent, steps)

    wait_until(lambda: steps_copy.deleted, WAIT, what="the practice's copy of steps.pdf deleted")
    assert steps_copy.team_id == practice.workspace.id

    export = world.slack.host_file(practice.admin, "export.csv", b"number,total\nINV-1,10\n")
    shared = world.slack.post_message(
        practice.admin, dm, "My export", thread_ts=question.ts, files=[export]
    )
    export_copy = wait_until(
        lambda: _copied_file(world, desk.channel, card, "export.csv"), WAIT, what="export copied"
    )
    words_copy = _wait_in_thread(world, desk.channel, card, "My export", what="its words")

    world.slack.delete_message(shared)

    wait_until(lambda: export_copy.deleted, WAIT, what="support's copy of export.csv deleted")
    wait_until(lambda: words_copy.deleted, WAIT, what="support's copy of the words deleted")
    _settled(world)
    shown = [
        world.slack.state.files[file_id].name
        for side, root in ((dm, question), (desk.channel, card))
        for message in _thread(world, side, root)
        for file_id in message.files
    ]
    assert shown == []
    assert not export.deleted  # the practice's own file is the practice's to delete


def test_supports_home_lists_the_desk_and_never_offers_billing(
    world: SlackWorld, desk: SupportSeat
):
    practice = world.new_practice("Practice Home", admin="hugo", real_name="Hugo Hale")
    dm, question = _ask(world, practice, "Where do I see my payouts?")
    label = _number(world, dm, question)
    card = _card(world, desk, label)

    home = world.open_home(desk.agent)
    shown = view_text(home)
    assert "Billing Bot Support" in shown
    assert f"{label} · Practice Home" in shown
    assert "Where do I see my payouts?" in shown
    assert "Waiting for a first answer" in shown and "nobody yet" in shown
    assert "Support settings" not in shown  # Sam is no operator
    for billing in ("Setup", "New invoice", "Billing details", "Stripe"):
        assert billing not in shown

    entry = _entry(home, label)
    assert "*Assignee*\nnobody yet" in entry and "*First response*\n—" in entry
    assert "*Age*\n" in entry

    before = world.publishes_for(desk.agent)
    world.slack.driver.block_action(
        support_views.ASSIGN, view=home, block_id=_entry_id(home, label)
    )
    home = world.wait_for_home_refresh(desk.agent, before)
    assert f"*Assignee*\n<@{desk.agent.id}>" in _entry(home, label)
    wait_until(lambda: desk.agent.id in message_text(card), WAIT, what="the card's assignee")
    world.slack.post_message(desk.agent, desk.channel, "Under Payouts", thread_ts=card.ts)
    _wait_in_thread(world, dm, question, "Under Payouts", what="the answer")
    _settled(world)
    entry = _entry(world.open_home(desk.agent), label)
    assert ":speech_balloon: Answered" in entry
    assert "*First response*\n—" not in entry

    assert "Support settings" in view_text(world.open_home(desk.operator))

    invoice = world.slack.driver.slash_command(desk.agent, "/invoice", "new", channel=desk.channel)
    billing = world.slack.driver.slash_command(desk.operator, BILLING, channel=desk.channel)
    usage = world.slack.driver.slash_command(desk.agent, BILLING, "help", channel=desk.channel)
    assert "support workspace, not a practice" in reply_text(invoice)
    assert "Billing Bot Support" in reply_text(usage)
    settings = world.opened_view(billing)
    assert settings.callback_id == "support_settings"
    desk_modal = world.opened_view(
        world.slack.driver.block_action(support_views.OPEN_DESK, view=settings)
    )
    assert desk_modal.callback_id == support_views.DESK_CALLBACK


def _entry_block(home: View, label: str) -> dict[str, Any]:
    """`label`'s entry among the open conversations on support's Home."""
    for block in home.blocks:
        entry = str(block.get("block_id", "")).startswith("support_home_open:")
        if entry and f"*{label} · " in json.dumps(block, ensure_ascii=False):
            return block
    raise AssertionError(f"{label} is not on the Home")


def _entry_id(home: View, label: str) -> str:
    return str(_entry_block(home, label)["block_id"])


def _entry(home: View, label: str) -> str:
    """What `label`'s entry on support's Home shows."""
    block = _entry_block(home, label)
    return "\n".join([block["text"]["text"], *(field["text"] for field in block["fields"])])


def test_a_reply_whose_file_upload_slack_refused_once_arrives_once_with_its_file(tmp_path):
    settings = {"OUTBOX_RETRY_SECONDS": "1"}
    with slack_world(
        tmp_path, f"sqlite:///{tmp_path / 'billing.sqlite3'}", support=True, extra_settings=settings
    ) as world:
        desk = world.new_support_desk()
        practice = world.new_practice("Practice Retry")
        dm, question = _ask(world, practice, "Can you send the form?")
        card = _card(world, desk, _number(world, dm, question))
        form = world.slack.host_file(desk.agent, "form.pdf", a_pdf())
        world.slack.rate_limit("files.getUploadURLExternal", calls=1)

        world.slack.post_message(
            desk.agent, desk.channel, "Here is the form", thread_ts=card.ts, files=[form]
        )

        wait_until(
            lambda: _copied_file(world, dm, question, "form.pdf"), WAIT, what="the form, retried"
        )
        _settled(world)
        words = [m for m in _thread(world, dm, question) if "Here is the form" in m.text]
        files = [f for m in _thread(world, dm, question) for f in m.files]
        assert len(words) == 1, "the retry posted the words again"
        assert len(files) == 1
        refused = world.slack.calls("files.getUploadURLExternal")
        assert [call.status for call in refused] == [429, 200]
