"""The fast decoding of Slack's interaction bodies reads exactly what Bolt's own parser reads,
and hands everything else back to Bolt."""

from __future__ import annotations

import json
from urllib.parse import quote_plus, urlencode

from hypothesis import given, settings
from hypothesis import strategies as st
from slack_bolt.request.internals import parse_body

from bot.edge.form import interaction_payload

FORM = "application/x-www-form-urlencoded"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def as_slack_sends(payload: object) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def test_a_home_tab_click_reads_as_bolt_reads_it():
    click = {
        "type": "block_actions",
        "user": {"id": "U1", "name": "Zoë"},
        "view": {
            "type": "home",
            "blocks": [
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": "*Owed* $1,200.50 = 3 + 4% 😀\n"},
                }
            ],
        },
        "actions": [{"action_id": "hub_open", "value": "a&b=c"}],
    }
    body = as_slack_sends(click)

    assert interaction_payload(body) == parse_body(body.decode(), FORM) == click


@settings(max_examples=300)
@given(json_values.map(lambda value: {"value": value}))
def test_any_payload_reads_as_bolt_reads_it(payload):
    body = as_slack_sends(payload)

    assert interaction_payload(body) == parse_body(body.decode(), FORM)


@settings(max_examples=500)
@given(
    json_values.map(lambda value: {"value": value}),
    st.data(),
    st.lists(st.sampled_from(["%", "=", "+", "%2", "%g1", "\n", "&", "%7b", "%C3", "\u00e9"])),
)
def test_a_damaged_body_is_read_as_bolt_reads_it_or_left_to_bolt(payload, data, damage):
    body = as_slack_sends(payload).decode()
    for piece in damage:
        at = data.draw(st.integers(min_value=len("payload="), max_value=len(body)))
        body = body[:at] + piece + body[at:]

    ours = interaction_payload(body.encode())

    assert ours is None or ours == parse_body(body, FORM)


def test_lowercase_escapes_decode_like_uppercase_ones():
    body = b"payload=" + quote_plus('{"a": "\u00e9"}').lower().encode()

    assert interaction_payload(body) == {"a": "\u00e9"}


def test_bodies_it_cannot_read_exactly_are_left_to_bolt():
    assert interaction_payload(b"command=%2Finvoice&text=") is None  # a slash command
    assert interaction_payload(b"payload=%7B%7D&extra=1") is None  # a second field
    assert interaction_payload(b"payload=%7B%22a%22%3A+%22%ZZ%22%7D") is None  # bad escape
    # A raw '=' before hex digits: Bolt keeps "x=41", quoted-printable would read "xA".
    assert parse_body("payload=%7B%22a%22%3A%22x=41%22%7D", FORM) == {"a": "x=41"}
    assert interaction_payload(b"payload=%7B%22a%22%3A%22x=41%22%7D") is None
    assert interaction_payload(b"payload=%7B%7D%") is None  # an escape cut short
    assert interaction_payload(b"payload=%5B1%5D") is None  # JSON, but not an object
    assert interaction_payload(b"payload=%FF%FE") is None  # not UTF-8
