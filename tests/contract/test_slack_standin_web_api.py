"""The stand-in answers the unmodified `slack_sdk.WebClient` as Slack's Web API does."""

from __future__ import annotations

import json
import time
import urllib.request
import zoneinfo
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from slack_scenario import Practice, a_practice
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.models.blocks import DividerBlock, SectionBlock

from sandbox.slack import DEFAULT_BOT_SCOPES, SlackStandIn


def _error(call: Callable[[], object]) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value


# -- tokens ------------------------------------------------------------------------------


def test_auth_test_names_the_bot_of_the_tokens_workspace(practice: Practice) -> None:
    answer = practice.client.auth_test()

    assert answer["team_id"] == practice.workspace.id
    assert answer["team"] == "Sunrise Therapy"
    assert answer["user_id"] == practice.installation.bot_user_id
    assert answer["bot_id"] == practice.installation.bot_id
    assert answer["url"] == "https://sunrise-therapy.slack.com/"
    assert "chat:write" in answer.headers["x-oauth-scopes"]


def test_an_unknown_token_is_invalid_auth(slack: SlackStandIn) -> None:
    client = WebClient(token="xoxb-0-0-not-a-token", base_url=slack.api_url)

    error = _error(client.auth_test)

    assert error.response.status_code == 200
    assert error.response["error"] == "invalid_auth"


def test_a_call_without_a_token_is_not_authed(slack: SlackStandIn) -> None:
    error = _error(WebClient(base_url=slack.api_url).auth_test)

    assert error.response["error"] == "not_authed"


def test_a_revoked_token_is_refused(slack: SlackStandIn, practice: Practice) -> None:
    slack.revoke_tokens(practice.workspace, notify=False)

    error = _error(practice.client.auth_test)

    assert error.response["error"] == "token_revoked"


def test_reinstalling_after_an_uninstall_issues_a_new_token(
    slack: SlackStandIn, practice: Practice
) -> None:
    slack.uninstall(practice.workspace, notify=False)

    reinstalled = slack.install(practice.workspace, practice.admin)

    fresh = WebClient(token=reinstalled.bot_token, base_url=slack.api_url)
    assert reinstalled.bot_token != practice.installation.bot_token
    assert reinstalled.bot_user_id == practice.installation.bot_user_id
    assert fresh.auth_test()["ok"] is True
    assert _error(practice.client.auth_test).response["error"] == "token_revoked"


def test_a_token_in_a_form_field_works_like_the_bearer_header(
    slack: SlackStandIn, practice: Practice
) -> None:
    body = f"token={practice.installation.bot_token}".encode()
    request = urllib.request.Request(f"{slack.api_url}auth.test", data=body, method="POST")

    with urllib.request.urlopen(request) as reply:
        answer = json.loads(reply.read())

    assert answer["ok"] is True
    assert answer["team_id"] == practice.workspace.id


def test_a_token_never_reveals_another_workspace(slack: SlackStandIn, practice: Practice) -> None:
    other = a_practice(slack, "Harbor Physio")

    user_error = _error(lambda: practice.client.users_info(user=other.admin.id))
    channel_error = _error(lambda: practice.client.conversations_info(channel=other.billing.id))
    post_error = _error(
        lambda: practice.client.chat_postMessage(channel=other.billing.id, text="x")
    )

    assert user_error.response["error"] == "user_not_found"
    assert channel_error.response["error"] == "channel_not_found"
    assert post_error.response["error"] == "channel_not_found"
    assert slack.messages_in(other.billing) == []


# -- chat --------------------------------------------------------------------------------


def test_a_message_to_a_channel_the_bot_is_in_is_posted(
    slack: SlackStandIn, practice: Practice
) -> None:
    blocks = [SectionBlock(text="*Invoice* INV-1 sent"), DividerBlock()]

    answer = practice.client.chat_postMessage(
        channel=practice.billing.id, text="Invoice sent", blocks=blocks
    )

    [message] = slack.messages_in(practice.billing)
    assert answer["channel"] == practice.billing.id
    assert answer["ts"] == message.ts
    assert answer["message"]["bot_id"] == practice.installation.bot_id
    assert message.text == "Invoice sent"
    assert message.blocks[0]["text"]["text"] == "*Invoice* INV-1 sent"
    assert all("block_id" in block for block in message.blocks)


def test_a_message_to_a_public_channel_the_bot_has_not_joined_is_not_in_channel(
    slack: SlackStandIn, practice: Practice
) -> None:
    random = slack.create_channel(practice.workspace, "random", members=[practice.admin])

    error = _error(lambda: practice.client.chat_postMessage(channel=random.id, text="hi"))

    assert error.response["error"] == "not_in_channel"
    assert slack.messages_in(random) == []


def test_chat_write_public_lets_the_bot_post_without_joining(slack: SlackStandIn) -> None:
    practice = a_practice(slack, scopes=DEFAULT_BOT_SCOPES | {"chat:write.public"})
    random = slack.create_channel(practice.workspace, "random")

    practice.client.chat_postMessage(channel=random.id, text="hi")

    assert [m.text for m in slack.messages_in(random)] == ["hi"]


def test_a_message_to_an_unknown_or_hidden_channel_is_channel_not_found(
    slack: SlackStandIn, practice: Practice
) -> None:
    private = slack.create_channel(practice.workspace, "owners", private=True)

    unknown = _error(lambda: practice.client.chat_postMessage(channel="C0NOSUCH00", text="x"))
    hidden = _error(lambda: practice.client.chat_postMessage(channel=private.id, text="x"))

    assert unknown.response["error"] == "channel_not_found"
    assert hidden.response["error"] == "channel_not_found"


def test_a_message_to_a_user_id_lands_in_their_direct_message(
    slack: SlackStandIn, practice: Practice
) -> None:
    answer = practice.client.chat_postMessage(channel=practice.admin.id, text="Welcome")

    dm = slack.dm_with(practice.admin)
    assert answer["channel"] == dm.id
    assert [m.text for m in slack.messages_in(dm)] == ["Welcome"]


def test_fifty_blocks_are_posted_and_fifty_one_are_invalid_blocks(
    slack: SlackStandIn, practice: Practice
) -> None:
    divider = {"type": "divider"}

    practice.client.chat_postMessage(channel=practice.billing.id, text="ok", blocks=[divider] * 50)
    error = _error(
        lambda: practice.client.chat_postMessage(
            channel=practice.billing.id, text="too many", blocks=[divider] * 51
        )
    )

    assert error.response["error"] == "invalid_blocks"
    assert error.response["response_metadata"]["messages"] == [
        "[ERROR] no more than 50 items allowed in a message [json-pointer:/blocks]"
    ]
    assert len(slack.messages_in(practice.billing)) == 1


def test_json_and_form_bodies_are_both_accepted(slack: SlackStandIn, practice: Practice) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "from JSON"}}]

    practice.client.api_call(
        "chat.postMessage", json={"channel": practice.billing.id, "text": "a", "blocks": blocks}
    )
    practice.client.api_call(
        "chat.postMessage",
        params={"channel": practice.billing.id, "text": "b", "blocks": json.dumps(blocks)},
    )

    posted = slack.messages_in(practice.billing)
    assert [m.text for m in posted] == ["a", "b"]
    assert posted[0].blocks[0]["text"] == posted[1].blocks[0]["text"]


def test_only_the_bots_own_messages_can_be_updated_or_deleted(
    slack: SlackStandIn, practice: Practice
) -> None:
    posted = practice.client.chat_postMessage(channel=practice.billing.id, text="Draft")

    practice.client.chat_update(channel=practice.billing.id, ts=posted["ts"], text="Final")
    [message] = slack.messages_in(practice.billing)
    practice.client.chat_delete(channel=practice.billing.id, ts=posted["ts"])
    missing = _error(
        lambda: practice.client.chat_update(channel=practice.billing.id, ts=posted["ts"], text="x")
    )

    assert message.text == "Final"
    assert message.edited_ts is not None
    assert slack.messages_in(practice.billing) == []
    assert missing.response["error"] == "message_not_found"


def test_an_ephemeral_message_needs_the_user_in_the_channel(
    slack: SlackStandIn, practice: Practice
) -> None:
    outsider = slack.create_user(practice.workspace, "cleo")

    practice.client.chat_postEphemeral(
        channel=practice.billing.id, user=practice.staff.id, text="Only you can see this"
    )
    error = _error(
        lambda: practice.client.chat_postEphemeral(
            channel=practice.billing.id, user=outsider.id, text="x"
        )
    )

    assert error.response["error"] == "user_not_in_channel"
    assert [m.text for m in slack.ephemeral_messages_for(practice.staff)] == [
        "Only you can see this"
    ]
    assert slack.messages_in(practice.billing) == []


# -- users and conversations -------------------------------------------------------------


def test_users_info_reports_time_zone_admin_flag_and_names(practice: Practice) -> None:
    user = practice.client.users_info(user=practice.admin.id)["user"]

    berlin_now = datetime.now(UTC).astimezone(zoneinfo.ZoneInfo("Europe/Berlin"))
    offset = berlin_now.utcoffset()
    assert offset is not None
    assert user["tz"] == "Europe/Berlin"
    assert user["tz_offset"] == int(offset.total_seconds())
    assert user["is_admin"] is True
    assert user["is_bot"] is False
    assert user["profile"]["real_name"] == "Ada Lovelace"
    assert user["team_id"] == practice.workspace.id


def test_scopes_decide_what_the_bot_may_read(slack: SlackStandIn) -> None:
    practice = a_practice(slack, scopes={"chat:write", "users:read"})

    user = practice.client.users_info(user=practice.admin.id)["user"]
    error = _error(lambda: practice.client.conversations_open(users=practice.admin.id))

    assert "email" not in user["profile"]
    assert error.response["error"] == "missing_scope"
    assert error.response["needed"] == "im:write,mpim:write"
    assert error.response["provided"] == "chat:write,users:read"


def test_the_bot_opens_dms_and_joins_public_channels(
    slack: SlackStandIn, practice: Practice
) -> None:
    lobby = slack.create_channel(practice.workspace, "lobby", members=[practice.admin])

    opened = practice.client.conversations_open(users=practice.staff.id)
    again = practice.client.conversations_open(users=practice.staff.id)
    joined = practice.client.conversations_join(channel=lobby.id)
    info = practice.client.conversations_info(channel=lobby.id)["channel"]
    members = practice.client.conversations_members(channel=lobby.id)["members"]

    assert opened["channel"]["id"].startswith("D")
    assert again["channel"]["id"] == opened["channel"]["id"]
    assert again["already_open"] is True
    assert joined["channel"]["is_member"] is True
    assert info["is_member"] is True
    assert info["name"] == "lobby"
    assert set(members) == {practice.admin.id, practice.installation.bot_user_id}


def test_the_bot_cannot_join_a_private_channel(slack: SlackStandIn, practice: Practice) -> None:
    owners = slack.create_channel(practice.workspace, "owners", private=True, with_bot=True)

    error = _error(lambda: practice.client.conversations_join(channel=owners.id))

    assert error.response["error"] == "method_not_supported_for_channel_type"


def test_a_reply_is_read_from_its_thread_not_from_the_channels_history(
    slack: SlackStandIn, practice: Practice
) -> None:
    root = slack.post_message(practice.admin, practice.billing, "Lunch?")
    first = slack.post_message(practice.staff, practice.billing, "Yes", thread_ts=root.ts)
    second = slack.post_message(practice.admin, practice.billing, "Noon", thread_ts=root.ts)
    client = practice.client

    history = client.conversations_history(channel=practice.billing.id)["messages"]
    whole = client.conversations_replies(channel=practice.billing.id, ts=second.ts)["messages"]
    from_second = client.conversations_replies(
        channel=practice.billing.id, ts=second.ts, oldest=second.ts, inclusive=True
    )["messages"]
    after_first = client.conversations_replies(
        channel=practice.billing.id, ts=root.ts, oldest=first.ts
    )["messages"]

    assert [m["ts"] for m in history] == [root.ts]
    assert [m["ts"] for m in whole] == [root.ts, first.ts, second.ts]
    # The parent comes first whatever `oldest` leaves out.
    assert [m["ts"] for m in from_second] == [root.ts, second.ts]
    assert [m["ts"] for m in after_first] == [root.ts, second.ts]


def test_lists_page_with_slacks_cursor(slack: SlackStandIn, practice: Practice) -> None:
    for name in ("cleo", "dev", "eli"):
        slack.create_user(practice.workspace, name)

    # The SDK's iterator reuses one response object, so read each page as it comes.
    pages = [page["members"] for page in practice.client.users_list(limit=2)]

    assert [len(members) for members in pages] == [2, 2, 2]
    names = {member["name"] for members in pages for member in members}
    assert names == {"ada", "ben", "billing_bot", "cleo", "dev", "eli"}
    listed = practice.client.conversations_list(types="public_channel")["channels"]
    assert [channel["name"] for channel in listed] == ["billing"]


# -- rate limits and recording -----------------------------------------------------------


def test_a_rate_limited_call_is_429_with_retry_after(
    slack: SlackStandIn, practice: Practice
) -> None:
    slack.rate_limit("chat.postMessage", calls=1, retry_after=30)

    error = _error(lambda: practice.client.chat_postMessage(channel=practice.billing.id, text="x"))

    assert error.response.status_code == 429
    assert error.response["error"] == "ratelimited"
    assert error.response.headers["Retry-After"] == "30"
    assert slack.messages_in(practice.billing) == []


def test_the_sdk_rate_limit_retry_handler_retries_until_it_succeeds(
    slack: SlackStandIn, practice: Practice
) -> None:
    # Retry-After: 0 so the SDK's own wait (0 s + up to 1 s of jitter) stays short.
    slack.rate_limit("chat.postMessage", calls=2, retry_after=0)
    client = WebClient(
        token=practice.installation.bot_token,
        base_url=slack.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)],
    )

    answer = client.chat_postMessage(channel=practice.billing.id, text="eventually")

    assert answer["ok"] is True
    statuses = [call.status for call in slack.calls("chat.postMessage")]
    assert statuses == [429, 429, 200]


def test_calls_are_recorded_with_tokens_redacted(slack: SlackStandIn, practice: Practice) -> None:
    started = time.time()
    form = {"token": practice.installation.bot_token, "channel": "C0NOSUCH00", "text": "x"}
    request = urllib.request.Request(
        f"{slack.api_url}chat.postMessage", data=urlencode(form).encode(), method="POST"
    )

    with urllib.request.urlopen(request) as reply:
        reply.read()

    [call] = slack.calls("chat.postMessage", practice.workspace)
    assert call.args == {"token": "(redacted)", "channel": "C0NOSUCH00", "text": "x"}
    assert call.error == "channel_not_found"
    assert call.status == 200
    assert call.ms >= 0
    assert call.at >= started - 1
