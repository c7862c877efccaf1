"""Small Block Kit builders shared by the feature modules' views."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
)


def text_input(
    block_id: str,
    label: str,
    value: str | None,
    *,
    optional: bool = False,
    multiline: bool = False,
    max_length: int | None = None,
    placeholder: str | None = None,
    hint: str | None = None,
) -> InputBlock:
    """A text field whose block and action share one id, so errors and values line up."""
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=optional,
        hint=hint,
        element=PlainTextInputElement(
            action_id=block_id,
            initial_value=value or None,
            multiline=multiline,
            max_length=max_length,
            placeholder=placeholder,
        ),
    )


def options(pairs: Sequence[tuple[str, str]]) -> list[Option]:
    return [Option(value=value, text=PlainTextObject(text=label)) for value, label in pairs]


def select_input(
    block_id: str,
    label: str,
    pairs: Sequence[tuple[str, str]],
    selected: str | None,
    *,
    optional: bool = False,
    hint: str | None = None,
) -> InputBlock:
    choices = options(pairs)
    initial = next((option for option in choices if option.value == selected), None)
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=optional,
        hint=hint,
        element=StaticSelectElement(action_id=block_id, options=choices, initial_option=initial),
    )


def note(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def escape(text: str) -> str:
    """Text from people, made safe to place inside mrkdwn (no accidental @-mentions or links)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
