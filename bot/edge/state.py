"""Reading a submitted modal's `view.state.values` by input id."""

from __future__ import annotations

from typing import Any


class ViewState:
    """Typed access to what the user entered, by the input's id: its block and action share
    that id, or the block carries it with a form's generation (`blocks.form_generation`)."""

    def __init__(self, view: dict[str, Any]) -> None:
        self._values: dict[str, dict[str, Any]] = view.get("state", {}).get("values", {})

    def _element(self, input_id: str) -> dict[str, Any]:
        block = self._values.get(input_id)
        if block is None:
            block = next((b for b in self._values.values() if input_id in b), {})
        return block.get(input_id) or next(iter(block.values()), {})

    def input_ids(self, prefix: str) -> list[str]:
        """The ids of the inputs whose id starts with `prefix` (a modal's repeated fields)."""
        return [
            action_id
            for block in self._values.values()
            for action_id in block
            if action_id.startswith(prefix)
        ]

    def text(self, block_id: str) -> str:
        return str(self._element(block_id).get("value") or "")

    def selected(self, block_id: str) -> str | None:
        option = self._element(block_id).get("selected_option")
        return str(option["value"]) if option else None

    def checked(self, block_id: str) -> set[str]:
        return {
            str(option["value"]) for option in self._element(block_id).get("selected_options") or []
        }

    def conversation(self, block_id: str) -> str | None:
        element = self._element(block_id)
        value = element.get("selected_conversation") or element.get("selected_channel")
        return str(value) if value else None

    def user(self, block_id: str) -> str | None:
        value = self._element(block_id).get("selected_user")
        return str(value) if value else None

    def time(self, block_id: str) -> str | None:
        value = self._element(block_id).get("selected_time")
        return str(value) if value else None

    def date(self, block_id: str) -> str | None:
        value = self._element(block_id).get("selected_date")
        return str(value) if value else None

    def files(self, block_id: str) -> list[dict[str, Any]]:
        return list(self._element(block_id).get("files") or [])
