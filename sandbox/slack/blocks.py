"""Finding blocks and interactive elements, and naming the ones the app left unnamed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sandbox.slack import ids

Block = dict[str, Any]
Element = dict[str, Any]


def with_generated_ids(blocks: list[Block]) -> list[Block]:
    """A copy of `blocks` where every block has a ``block_id`` and every element an ``action_id``.

    Slack invents both when the app omits them, and interaction payloads and
    ``view.state.values`` are keyed by them, so the stand-in has to as well.
    """
    named: list[Block] = json.loads(json.dumps(blocks))  # a deep copy; JSON's is the fastest
    for block in named:
        block.setdefault("block_id", ids.block_id())
    for _, element in interactive_elements(named):
        element.setdefault("action_id", ids.block_id())
    return named


def interactive_elements(blocks: list[Block]) -> Iterator[tuple[Block, Element]]:
    """Every element a user can act on, as ``(block, element)``, in display order."""
    for block in blocks:
        kind = block.get("type")
        if kind == "input" and isinstance(block.get("element"), dict):
            yield block, block["element"]
        elif kind == "actions":
            for element in block.get("elements", []):
                if isinstance(element, dict) and element.get("type") != "image":
                    yield block, element
        elif kind == "section":
            accessory = block.get("accessory")
            if isinstance(accessory, dict) and accessory.get("type") != "image":
                yield block, accessory


def input_blocks(blocks: list[Block]) -> Iterator[tuple[Block, Element]]:
    """The input blocks of a view with their element: what ``view.state.values`` reports."""
    for block, element in interactive_elements(blocks):
        if block.get("type") == "input":
            yield block, element


def find_element(
    blocks: list[Block], key: str, *, block_id: str | None = None
) -> tuple[Block, Element]:
    """The element whose ``action_id`` is `key`, or the input block whose ``block_id`` is `key`.

    Raises `KeyError` naming the ids that do exist, or when `key` is ambiguous (pass
    `block_id` to pick one).
    """
    matches = [
        (block, element)
        for block, element in interactive_elements(blocks)
        if (element.get("action_id") == key or (block.get("block_id") == key))
        and (block_id is None or block.get("block_id") == block_id)
    ]
    if len(matches) == 1:
        return matches[0]
    known = [
        f"{block.get('block_id')}/{element.get('action_id')}"
        for block, element in interactive_elements(blocks)
    ]
    if not matches:
        raise KeyError(f"no element {key!r} here; block_id/action_id pairs: {known}")
    raise KeyError(f"{key!r} names {len(matches)} elements; pass block_id. Known: {known}")
