"""Block Kit rules Slack enforces on the server and `slack_sdk.models` does not check.

Limits are taken from Slack's Block Kit reference (docs.slack.dev/reference/block-kit): 50
blocks in a message and 100 in a modal or Home tab, unique `block_id`s per surface, unique
`action_id`s per block, modal title and button texts of at most 24 characters, and the
per-field lengths listed below. Each problem reads like Slack's own,
``"<what is wrong> [json-pointer:/blocks/3/text/text]"``, so a failure names the block.
"""

from __future__ import annotations

import re
from typing import Any, Literal

Surface = Literal["message", "modal", "home"]

MAX_BLOCKS: dict[Surface, int] = {"message": 50, "modal": 100, "home": 100}

_ID_MAX = 255
_BLOCK_TYPES = {
    "actions",
    "context",
    "divider",
    "file",
    "header",
    "image",
    "input",
    "markdown",
    "rich_text",
    "section",
    "video",
}
_ONLY_IN: dict[str, set[Surface]] = {
    # Block and element availability per surface, from the reference's "Available in" tables.
    "file": {"message"},
    "markdown": {"message"},
    "email_text_input": {"modal"},
    "number_input": {"modal"},
    "url_text_input": {"modal"},
    "file_input": {"modal"},
    "rich_text_input": {"modal", "home"},
    "datetimepicker": {"modal", "message"},
    "workflow_button": {"message"},
}
_SELECTS = {
    "static_select",
    "external_select",
    "users_select",
    "conversations_select",
    "channels_select",
}
_MULTI_SELECTS = {f"multi_{kind}" for kind in _SELECTS}
_SECTION_ACCESSORIES = (
    {"button", "checkboxes", "datepicker", "image", "overflow", "radio_buttons", "timepicker"}
    | {"workflow_button"}
    | _SELECTS
    | _MULTI_SELECTS
)
_ACTIONS_ELEMENTS = (
    {"button", "checkboxes", "datepicker", "datetimepicker", "overflow", "radio_buttons"}
    | {"timepicker", "workflow_button", "rich_text_input"}
    | _SELECTS
    | _MULTI_SELECTS
)
_INPUT_ELEMENTS = (
    {"checkboxes", "datepicker", "datetimepicker", "radio_buttons", "timepicker"}
    | {"plain_text_input", "email_text_input", "number_input", "url_text_input"}
    | {"file_input", "rich_text_input"}
    | _SELECTS
    | _MULTI_SELECTS
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def check_message_blocks(blocks: Any) -> list[str]:
    """Problems with the `blocks` of a message (``chat.postMessage``, a response URL...)."""
    checker = _Checker("message")
    checker.blocks(blocks, "/blocks")
    return checker.problems


def check_view(view: Any) -> list[str]:
    """Problems with a modal or Home tab view object, pointers rooted at ``/view``."""
    if not isinstance(view, dict):
        return ["must be an object [json-pointer:/view]"]
    kind = view.get("type")
    if kind not in ("modal", "home"):
        return ['must be "modal" or "home" [json-pointer:/view/type]']
    checker = _Checker(kind)
    checker.view(view)
    return checker.problems


class _Checker:
    """Walks one surface and collects every problem (Slack lists them all, not just the first)."""

    def __init__(self, surface: Surface) -> None:
        self.surface = surface
        self.problems: list[str] = []
        self._block_ids: set[str] = set()

    def fail(self, pointer: str, message: str) -> None:
        self.problems.append(f"{message} [json-pointer:{pointer}]")

    # -- views ---------------------------------------------------------------------------

    def view(self, view: dict[str, Any]) -> None:
        blocks = view.get("blocks")
        self.blocks(blocks, "/view/blocks")
        self.short_string(view, "callback_id", "/view", _ID_MAX)
        self.short_string(view, "external_id", "/view", _ID_MAX)
        self.short_string(view, "private_metadata", "/view", 3000)
        if self.surface != "modal":
            return
        if "title" not in view:
            self.fail("/view/title", "is required for a modal")
        else:
            self.text(view["title"], "/view/title", 24, plain_only=True)
        for button in ("submit", "close"):
            if button in view:
                self.text(view[button], f"/view/{button}", 24, plain_only=True)
        has_input = isinstance(blocks, list) and any(
            isinstance(block, dict) and block.get("type") == "input" for block in blocks
        )
        if has_input and "submit" not in view:
            self.fail("/view/submit", "is required when the view has an input block")

    # -- blocks --------------------------------------------------------------------------

    def blocks(self, blocks: Any, pointer: str) -> None:
        if not isinstance(blocks, list):
            self.fail(pointer, "must be an array of blocks")
            return
        limit = MAX_BLOCKS[self.surface]
        if len(blocks) > limit:
            self.fail(pointer, f"no more than {limit} items allowed in a {self.surface}")
        for index, block in enumerate(blocks):
            self.block(block, f"{pointer}/{index}")

    def block(self, block: Any, pointer: str) -> None:
        if not isinstance(block, dict):
            self.fail(pointer, "must be a block object")
            return
        kind = block.get("type")
        if kind not in _BLOCK_TYPES:
            self.fail(f"{pointer}/type", f"unknown block type {kind!r}")
            return
        self.block_id(block, pointer)
        if not self.allowed_here(kind, pointer):
            return
        getattr(self, f"block_{kind}", _ignore)(block, pointer)

    def block_id(self, block: dict[str, Any], pointer: str) -> None:
        if "block_id" not in block:
            return
        value = block["block_id"]
        if not isinstance(value, str) or not value:
            self.fail(f"{pointer}/block_id", "must be a non-empty string")
        elif len(value) > _ID_MAX:
            self.fail(f"{pointer}/block_id", f"must be at most {_ID_MAX} characters")
        elif value in self._block_ids:
            self.fail(f"{pointer}/block_id", f"duplicate block_id {value!r}")
        else:
            self._block_ids.add(value)

    def allowed_here(self, kind: str, pointer: str) -> bool:
        surfaces = _ONLY_IN.get(kind)
        if surfaces is not None and self.surface not in surfaces:
            allowed = " or ".join(sorted(surfaces))
            self.fail(pointer, f"{kind} is only allowed in a {allowed}, not in a {self.surface}")
            return False
        return True

    def block_section(self, block: dict[str, Any], pointer: str) -> None:
        if "text" not in block and "fields" not in block:
            self.fail(pointer, "a section needs text or fields")
        if "text" in block:
            self.text(block["text"], f"{pointer}/text", 3000)
        if "fields" in block:
            fields = block["fields"]
            if not isinstance(fields, list) or not fields:
                self.fail(f"{pointer}/fields", "must be a non-empty array")
            else:
                if len(fields) > 10:
                    self.fail(f"{pointer}/fields", "no more than 10 items allowed")
                for index, field in enumerate(fields):
                    self.text(field, f"{pointer}/fields/{index}", 2000)
        if "accessory" in block:
            self.element(block["accessory"], f"{pointer}/accessory", _SECTION_ACCESSORIES, set())

    def block_header(self, block: dict[str, Any], pointer: str) -> None:
        self.required_text(block, "text", pointer, 150, plain_only=True)

    def block_context(self, block: dict[str, Any], pointer: str) -> None:
        elements = self.element_list(block, pointer, 10)
        for index, element in enumerate(elements):
            where = f"{pointer}/elements/{index}"
            if isinstance(element, dict) and element.get("type") == "image":
                self.element(element, where, {"image"}, set())
            else:
                self.text(element, where, 3000)

    def block_actions(self, block: dict[str, Any], pointer: str) -> None:
        action_ids: set[str] = set()
        for index, element in enumerate(self.element_list(block, pointer, 25)):
            self.element(element, f"{pointer}/elements/{index}", _ACTIONS_ELEMENTS, action_ids)

    def block_input(self, block: dict[str, Any], pointer: str) -> None:
        self.required_text(block, "label", pointer, 2000, plain_only=True)
        if "hint" in block:
            self.text(block["hint"], f"{pointer}/hint", 2000, plain_only=True)
        if "element" not in block:
            self.fail(f"{pointer}/element", "is required")
            return
        element = block["element"]
        self.element(element, f"{pointer}/element", _INPUT_ELEMENTS, set())
        is_file_input = isinstance(element, dict) and element.get("type") == "file_input"
        if block.get("dispatch_action") and is_file_input:
            self.fail(f"{pointer}/dispatch_action", "cannot be used with a file_input element")

    def block_image(self, block: dict[str, Any], pointer: str) -> None:
        self.image(block, pointer)
        if "title" in block:
            self.text(block["title"], f"{pointer}/title", 2000, plain_only=True)

    def block_rich_text(self, block: dict[str, Any], pointer: str) -> None:
        if not isinstance(block.get("elements"), list):
            self.fail(f"{pointer}/elements", "must be an array")

    def block_markdown(self, block: dict[str, Any], pointer: str) -> None:
        self.short_string(block, "text", pointer, 12000, required=True)

    # -- elements ------------------------------------------------------------------------

    def element_list(self, block: dict[str, Any], pointer: str, limit: int) -> list[Any]:
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            self.fail(f"{pointer}/elements", "must be a non-empty array")
            return []
        if len(elements) > limit:
            self.fail(f"{pointer}/elements", f"no more than {limit} items allowed")
        return elements

    def element(self, element: Any, pointer: str, allowed: set[str], action_ids: set[str]) -> None:
        if not isinstance(element, dict):
            self.fail(pointer, "must be an element object")
            return
        kind = element.get("type")
        if not isinstance(kind, str) or kind not in allowed:
            self.fail(f"{pointer}/type", f"element type {kind!r} is not allowed here")
            return
        if not self.allowed_here(kind, pointer):
            return
        self.action_id(element, pointer, action_ids)
        if "placeholder" in element:
            self.text(element["placeholder"], f"{pointer}/placeholder", 150, plain_only=True)
        if kind in _SELECTS or kind in _MULTI_SELECTS:
            self.select(element, pointer, multi=kind in _MULTI_SELECTS)
        else:
            getattr(self, f"element_{kind}", _ignore)(element, pointer)

    def action_id(self, element: dict[str, Any], pointer: str, action_ids: set[str]) -> None:
        if "action_id" not in element:
            return
        value = element["action_id"]
        if not isinstance(value, str) or not value:
            self.fail(f"{pointer}/action_id", "must be a non-empty string")
        elif len(value) > _ID_MAX:
            self.fail(f"{pointer}/action_id", f"must be at most {_ID_MAX} characters")
        elif value in action_ids:
            self.fail(f"{pointer}/action_id", f"duplicate action_id {value!r} in this block")
        else:
            action_ids.add(value)

    def element_button(self, element: dict[str, Any], pointer: str) -> None:
        self.required_text(element, "text", pointer, 75, plain_only=True)
        self.short_string(element, "value", pointer, 2000)
        self.short_string(element, "url", pointer, 3000)
        if element.get("style") not in (None, "primary", "danger"):
            self.fail(f"{pointer}/style", 'must be "primary" or "danger"')

    def element_overflow(self, element: dict[str, Any], pointer: str) -> None:
        self.options(element.get("options"), f"{pointer}/options", 5, plain_only=True)

    def element_checkboxes(self, element: dict[str, Any], pointer: str) -> None:
        options = self.options(element.get("options"), f"{pointer}/options", 10, plain_only=False)
        self.initial_options(element, pointer, options, multi=True)

    def element_radio_buttons(self, element: dict[str, Any], pointer: str) -> None:
        options = self.options(element.get("options"), f"{pointer}/options", 10, plain_only=False)
        self.initial_options(element, pointer, options, multi=False)

    def element_datepicker(self, element: dict[str, Any], pointer: str) -> None:
        self.pattern(element, "initial_date", pointer, _DATE, "YYYY-MM-DD")

    def element_timepicker(self, element: dict[str, Any], pointer: str) -> None:
        self.pattern(element, "initial_time", pointer, _TIME, "HH:mm")

    def element_plain_text_input(self, element: dict[str, Any], pointer: str) -> None:
        low, high = element.get("min_length", 0), element.get("max_length", 3000)
        if not isinstance(low, int) or not 0 <= low <= 3000:
            self.fail(f"{pointer}/min_length", "must be between 0 and 3000")
        if not isinstance(high, int) or not 1 <= high <= 3000:
            self.fail(f"{pointer}/max_length", "must be between 1 and 3000")
        elif isinstance(low, int) and low > high:
            self.fail(f"{pointer}/min_length", "must not exceed max_length")
        self.short_string(element, "initial_value", pointer, 3000)

    def element_number_input(self, element: dict[str, Any], pointer: str) -> None:
        if not isinstance(element.get("is_decimal_allowed"), bool):
            self.fail(f"{pointer}/is_decimal_allowed", "is required and must be a boolean")

    def element_file_input(self, element: dict[str, Any], pointer: str) -> None:
        max_files = element.get("max_files", 10)
        if not isinstance(max_files, int) or not 1 <= max_files <= 10:
            self.fail(f"{pointer}/max_files", "must be between 1 and 10")
        filetypes = element.get("filetypes", [])
        if not isinstance(filetypes, list) or not all(isinstance(t, str) for t in filetypes):
            self.fail(f"{pointer}/filetypes", "must be an array of strings")

    def element_image(self, element: dict[str, Any], pointer: str) -> None:
        self.image(element, pointer)

    def select(self, element: dict[str, Any], pointer: str, *, multi: bool) -> None:
        if element["type"].endswith("static_select"):
            options = self.static_options(element, pointer)
            self.initial_options(element, pointer, options, multi=multi)
        if multi and "max_selected_items" in element:
            count = element["max_selected_items"]
            if not isinstance(count, int) or count < 1:
                self.fail(f"{pointer}/max_selected_items", "must be at least 1")

    def static_options(self, element: dict[str, Any], pointer: str) -> list[dict[str, Any]]:
        if ("options" in element) == ("option_groups" in element):
            self.fail(pointer, "needs exactly one of options or option_groups")
            return []
        if "options" in element:
            return self.options(element["options"], f"{pointer}/options", 100, plain_only=True)
        groups = element["option_groups"]
        if not isinstance(groups, list) or not groups:
            self.fail(f"{pointer}/option_groups", "must be a non-empty array")
            return []
        if len(groups) > 100:
            self.fail(f"{pointer}/option_groups", "no more than 100 items allowed")
        options: list[dict[str, Any]] = []
        for index, group in enumerate(groups):
            where = f"{pointer}/option_groups/{index}"
            if not isinstance(group, dict):
                self.fail(where, "must be an option group object")
                continue
            self.required_text(group, "label", where, 75, plain_only=True)
            options += self.options(group.get("options"), f"{where}/options", 100, plain_only=True)
        return options

    def options(
        self, options: Any, pointer: str, limit: int, *, plain_only: bool
    ) -> list[dict[str, Any]]:
        if not isinstance(options, list) or not options:
            self.fail(pointer, "must be a non-empty array of options")
            return []
        if len(options) > limit:
            self.fail(pointer, f"no more than {limit} items allowed")
        valid: list[dict[str, Any]] = []
        for index, option in enumerate(options):
            where = f"{pointer}/{index}"
            if not isinstance(option, dict):
                self.fail(where, "must be an option object")
                continue
            self.required_text(option, "text", where, 75, plain_only=plain_only)
            self.short_string(option, "value", where, 150, required=True)
            if "description" in option:
                self.text(option["description"], f"{where}/description", 75, plain_only=plain_only)
            valid.append(option)
        return valid

    def initial_options(
        self, element: dict[str, Any], pointer: str, options: list[dict[str, Any]], *, multi: bool
    ) -> None:
        # Slack refuses an initial option that is not one of the element's options.
        key = "initial_options" if multi else "initial_option"
        if key not in element or not options:
            return
        chosen = element[key] if multi else [element[key]]
        values = {option.get("value") for option in options}
        if not isinstance(chosen, list):
            self.fail(f"{pointer}/{key}", "must be an array of options")
            return
        for option in chosen:
            if not isinstance(option, dict) or option.get("value") not in values:
                self.fail(f"{pointer}/{key}", "must be one of the element's options")

    # -- leaves --------------------------------------------------------------------------

    def image(self, image: dict[str, Any], pointer: str) -> None:
        if "image_url" not in image and "slack_file" not in image:
            self.fail(pointer, "needs image_url or slack_file")
        self.short_string(image, "image_url", pointer, 3000)
        self.short_string(image, "alt_text", pointer, 2000, required=True)

    def required_text(
        self, owner: dict[str, Any], key: str, pointer: str, limit: int, *, plain_only: bool
    ) -> None:
        if key not in owner:
            self.fail(f"{pointer}/{key}", "is required")
        else:
            self.text(owner[key], f"{pointer}/{key}", limit, plain_only=plain_only)

    def text(self, text: Any, pointer: str, limit: int, *, plain_only: bool = False) -> None:
        if not isinstance(text, dict):
            self.fail(pointer, "must be a text object")
            return
        kinds = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
        if text.get("type") not in kinds:
            self.fail(f"{pointer}/type", f"must be {' or '.join(kinds)}")
        value = text.get("text")
        if not isinstance(value, str) or not value:
            self.fail(f"{pointer}/text", "must be more than 0 characters")
        elif len(value) > limit:
            self.fail(f"{pointer}/text", f"must be at most {limit} characters")

    def short_string(
        self, owner: dict[str, Any], key: str, pointer: str, limit: int, *, required: bool = False
    ) -> None:
        if key not in owner:
            if required:
                self.fail(f"{pointer}/{key}", "is required")
            return
        value = owner[key]
        if not isinstance(value, str):
            self.fail(f"{pointer}/{key}", "must be a string")
        elif len(value) > limit:
            self.fail(f"{pointer}/{key}", f"must be at most {limit} characters")

    def pattern(
        self, owner: dict[str, Any], key: str, pointer: str, regex: re.Pattern[str], shape: str
    ) -> None:
        value = owner.get(key)
        if value is not None and (not isinstance(value, str) or not regex.match(value)):
            self.fail(f"{pointer}/{key}", f"must be in the format {shape}")


def _ignore(*_: object) -> None:
    """Blocks and elements with nothing beyond the common checks (divider, video...)."""
