"""Block Kit rules Slack enforces that `slack_sdk.models` does not check."""

from __future__ import annotations

from typing import Any

import pytest
from slack_scenario import a_modal, a_text_input
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)

from sandbox.slack.blockkit_limits import check_message_blocks, check_view


def _text(text: str, kind: str = "plain_text") -> dict[str, str]:
    return {"type": kind, "text": text}


def _button(action_id: str, text: str = "Open") -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": _text(text)}


def _options(count: int) -> list[dict[str, Any]]:
    return [{"text": _text(f"Option {n}"), "value": f"v{n}"} for n in range(count)]


def test_blocks_built_with_slack_sdk_models_pass() -> None:
    blocks = [
        HeaderBlock(text="Invoice INV-1"),
        SectionBlock(text=MarkdownTextObject(text="*Total* €120.00"), fields=["A", "B"]),
        ContextBlock(elements=[MarkdownTextObject(text="Due in 14 days")]),
        ActionsBlock(
            elements=[
                ButtonElement(text="Send", action_id="send", value="INV-1", style="primary"),
                StaticSelectElement(
                    action_id="status",
                    options=[Option(text="Paid", value="paid"), Option(text="Open", value="open")],
                ),
            ]
        ),
    ]

    assert check_message_blocks([block.to_dict() for block in blocks]) == []


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        pytest.param(
            [{"type": "header", "text": _text("x" * 151)}],
            "must be at most 150 characters [json-pointer:/blocks/0/text/text]",
            id="header over 150",
        ),
        pytest.param(
            [{"type": "section", "text": _text("x" * 3001, "mrkdwn")}],
            "must be at most 3000 characters [json-pointer:/blocks/0/text/text]",
            id="section text over 3000",
        ),
        pytest.param(
            [{"type": "section", "fields": [_text("f")] * 11}],
            "no more than 10 items allowed [json-pointer:/blocks/0/fields]",
            id="11 fields",
        ),
        pytest.param(
            [{"type": "divider", "block_id": "a"}, {"type": "divider", "block_id": "a"}],
            "duplicate block_id 'a' [json-pointer:/blocks/1/block_id]",
            id="duplicate block_id",
        ),
        pytest.param(
            [{"type": "actions", "elements": [_button("go"), _button("go")]}],
            "duplicate action_id 'go' in this block [json-pointer:/blocks/0/elements/1/action_id]",
            id="duplicate action_id in a block",
        ),
        pytest.param(
            [{"type": "actions", "elements": [_button(f"b{n}") for n in range(26)]}],
            "no more than 25 items allowed [json-pointer:/blocks/0/elements]",
            id="26 actions",
        ),
        pytest.param(
            [{"type": "actions", "elements": [_button("go", "x" * 76)]}],
            "must be at most 75 characters [json-pointer:/blocks/0/elements/0/text/text]",
            id="button text over 75",
        ),
        pytest.param(
            [
                {
                    "type": "section",
                    "text": _text("Pick"),
                    "accessory": {
                        "type": "static_select",
                        "action_id": "s",
                        "options": _options(101),
                    },
                }
            ],
            "no more than 100 items allowed [json-pointer:/blocks/0/accessory/options]",
            id="101 options",
        ),
        pytest.param(
            [
                {
                    "type": "section",
                    "text": _text("More"),
                    "accessory": {"type": "overflow", "action_id": "o", "options": _options(6)},
                }
            ],
            "no more than 5 items allowed [json-pointer:/blocks/0/accessory/options]",
            id="overflow with 6 options",
        ),
        pytest.param(
            [
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "static_select",
                            "action_id": "s",
                            "options": _options(2),
                            "initial_option": {"text": _text("Gone"), "value": "gone"},
                        }
                    ],
                }
            ],
            "must be one of the element's options "
            "[json-pointer:/blocks/0/elements/0/initial_option]",
            id="initial option not offered",
        ),
        pytest.param(
            [
                {
                    "type": "input",
                    "label": _text("Email"),
                    "element": {"type": "email_text_input", "action_id": "e"},
                }
            ],
            "email_text_input is only allowed in a modal, not in a message "
            "[json-pointer:/blocks/0/element]",
            id="modal-only element in a message",
        ),
        pytest.param(
            [{"type": "table"}],
            "unknown block type 'table' [json-pointer:/blocks/0/type]",
            id="unknown block type",
        ),
        pytest.param(
            [{"type": "section", "text": _text("")}],
            "must be more than 0 characters [json-pointer:/blocks/0/text/text]",
            id="empty text",
        ),
    ],
)
def test_a_message_breaking_a_limit_names_the_block(blocks: list[Any], expected: str) -> None:
    assert expected in check_message_blocks(blocks)


def test_every_problem_is_reported_not_just_the_first() -> None:
    blocks = [{"type": "header", "text": _text("x" * 151)}, {"type": "section", "text": _text("")}]

    assert len(check_message_blocks(blocks)) == 2


def test_a_modal_built_with_slack_sdk_models_passes() -> None:
    view = a_modal(
        InputBlock(
            block_id="practice_name",
            label="Practice name",
            element=PlainTextInputElement(action_id="value", max_length=80),
        ).to_dict(),
        {
            "type": "input",
            "label": _text("Logo"),
            "element": {"type": "file_input", "max_files": 1},
        },
    )

    assert check_view(view) == []


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        pytest.param(
            a_modal(close=_text("x" * 25)),
            "must be at most 24 characters [json-pointer:/view/close/text]",
            id="close over 24",
        ),
        pytest.param(
            a_modal(callback_id="x" * 256),
            "must be at most 255 characters [json-pointer:/view/callback_id]",
            id="callback_id over 255",
        ),
        pytest.param(
            a_modal(a_text_input("name", max_length=3001)),
            "must be between 1 and 3000 [json-pointer:/view/blocks/0/element/max_length]",
            id="max_length over 3000",
        ),
        pytest.param(
            a_modal(
                {
                    "type": "input",
                    "dispatch_action": True,
                    "label": _text("Logo"),
                    "element": {"type": "file_input"},
                }
            ),
            "cannot be used with a file_input element "
            "[json-pointer:/view/blocks/0/dispatch_action]",
            id="file_input with dispatch_action",
        ),
        pytest.param(
            {"type": "home", "blocks": [{"type": "divider"}] * 101},
            "no more than 100 items allowed in a home [json-pointer:/view/blocks]",
            id="home with 101 blocks",
        ),
        pytest.param(
            {
                "type": "home",
                "blocks": [
                    {
                        "type": "input",
                        "label": _text("L"),
                        "element": {"type": "number_input", "is_decimal_allowed": False},
                    }
                ],
            },
            "number_input is only allowed in a modal, not in a home "
            "[json-pointer:/view/blocks/0/element]",
            id="modal-only element on Home",
        ),
    ],
)
def test_a_view_breaking_a_limit_names_the_field(view: dict[str, Any], expected: str) -> None:
    assert expected in check_view(view)


def test_a_home_tab_needs_no_title() -> None:
    assert check_view({"type": "home", "blocks": [{"type": "divider"}] * 100}) == []
