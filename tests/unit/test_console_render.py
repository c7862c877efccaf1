"""The console's Block Kit and mrkdwn rendering, checked against blocks shaped like the examples
in Slack's Block Kit reference (one per block and element type) and against the app's own
modals: every part shows, interactive controls carry their ids, entered values and field
errors appear, and anything unknown is a visible "unsupported" box, never dropped."""

from __future__ import annotations

import ast
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from bot import clients, hub, invoice_settings, reminders, roles
from bot.edge.respond import notice_modal
from domain.ids import PracticeId
from domain.money import Currency
from domain.practice import Address, BillingDetails, InvoiceSettings, Practice
from sandbox.console.mrkdwn import Names, mrkdwn, plain_text
from sandbox.console.render import (
    BLOCKS,
    ELEMENTS,
    Context,
    render_block,
    render_blocks,
)

NAMES = Names(users={"U0ADA": "Ada Lovelace"}, channels={"C0BILL": "billing"})
PEOPLE = (("U0ADA", "Ada Lovelace"), ("U0BEN", "Ben Okri"))
CHANNELS = (("C0BILL", "#billing"), ("C0GEN", "#general"))


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the page's text, for assertions."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(html: str) -> _Tags:
    tags = _Tags()
    tags.feed(html)
    return tags


def find(html: str, tag: str, **attrs: str) -> list[dict[str, str | None]]:
    wanted = {key.replace("_", "-"): value for key, value in attrs.items()}
    return [
        found
        for name, found in parsed(html).tags
        if name == tag and all(found.get(key) == value for key, value in wanted.items())
    ]


def shown_text(html: str) -> str:
    return " ".join("".join(parsed(html).text).split())


def a_context(**overrides: Any) -> Context:
    return Context(
        **{"surface": "modal", "names": NAMES, "users": PEOPLE, "channels": CHANNELS, **overrides}
    )


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def md(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def option(label: str, value: str, description: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"text": plain(label), "value": value}
    if description:
        found["description"] = plain(description)
    return found


# -- blocks, as in the reference's examples --------------------------------------------------


def test_section_shows_its_text_and_every_field() -> None:
    block = {
        "type": "section",
        "block_id": "request",
        "text": md("A request for *new equipment*:"),
        "fields": [md("*Type:*\nLaptop"), md("*When:*\nSubmitted Aug 10"), md("*Reason:*\nBroken")],
    }

    html = render_block(block, a_context())

    assert "<b>new equipment</b>" in html
    assert len(find(html, "div", **{"class": "bk-field"})) == 3
    assert "Submitted Aug 10" in shown_text(html)


def test_section_button_accessory_sends_its_action() -> None:
    block = {
        "type": "section",
        "block_id": "sb",
        "text": md("This is a section block with a button."),
        "accessory": {
            "type": "button",
            "text": plain("Click Me"),
            "value": "click_me_123",
            "action_id": "button-action",
        },
    }

    html = render_block(block, a_context(surface="message"))

    (button,) = find(html, "button", data_action_id="button-action")
    assert button["data-block-id"] == "sb"
    assert button["data-value"] == "click_me_123"
    assert button["data-dispatch"] == "1"
    assert "Click Me" in shown_text(html)


@pytest.mark.parametrize(
    ("style", "css"), [("primary", "bk-button-primary"), ("danger", "bk-button-danger")]
)
def test_button_styles_show(style: str, css: str) -> None:
    block = {
        "type": "actions",
        "block_id": "a",
        "elements": [{"type": "button", "text": plain("Go"), "action_id": "go", "style": style}],
    }

    (button,) = find(render_block(block, a_context()), "button", data_action_id="go")

    assert css in (button["class"] or "")


def test_button_with_confirm_carries_the_dialog() -> None:
    block = {
        "type": "actions",
        "block_id": "a",
        "elements": [
            {
                "type": "button",
                "text": plain("Delete"),
                "action_id": "delete",
                "style": "danger",
                "confirm": {
                    "title": plain("Are you sure?"),
                    "text": md("Wouldn't you prefer a good game of _chess_?"),
                    "confirm": plain("Do it"),
                    "deny": plain("Stop, I've changed my mind!"),
                },
            }
        ],
    }

    (button,) = find(render_block(block, a_context()), "button", data_action_id="delete")

    assert '"confirm": "Do it"' in (button["data-confirm"] or "")


def test_section_image_accessory_shows_the_image() -> None:
    block = {
        "type": "section",
        "text": md("This is a section block with an accessory image."),
        "accessory": {
            "type": "image",
            "image_url": "https://example.com/cat.png",
            "alt_text": "cute cat",
        },
    }

    (image,) = find(render_block(block, a_context()), "img")

    assert image["alt"] == "cute cat"


def test_overflow_lists_each_option_with_its_value() -> None:
    block = {
        "type": "section",
        "block_id": "sec",
        "text": md("This is a section block with an overflow menu."),
        "accessory": {
            "type": "overflow",
            "action_id": "overflow-action",
            "options": [option(f"*this is plain_text text* {n}", f"value-{n}") for n in range(3)],
        },
    }

    html = render_block(block, a_context())

    (menu,) = find(html, "details", data_action_id="overflow-action")
    assert menu["data-type"] == "overflow"
    values = [item["data-value"] for item in find(html, "button", **{"class": "bk-menu-item"})]
    assert values == ["value-0", "value-1", "value-2"]


def test_datepicker_accessory_starts_at_its_initial_date() -> None:
    block = {
        "type": "section",
        "block_id": "section1234",
        "text": md("Pick a date for the deadline."),
        "accessory": {
            "type": "datepicker",
            "action_id": "datepicker123",
            "initial_date": "1990-04-28",
            "placeholder": plain("Select a date"),
        },
    }

    (field,) = find(render_block(block, a_context()), "input", data_action_id="datepicker123")

    assert field["type"] == "date"
    assert field["value"] == "1990-04-28"
    assert field["data-dispatch"] == "1"


def test_actions_block_with_a_select_and_a_button() -> None:
    block = {
        "type": "actions",
        "block_id": "actions1",
        "elements": [
            {
                "type": "static_select",
                "placeholder": plain("Which witch is the witchiest witch?"),
                "action_id": "select_2",
                "options": [
                    option("Matilda", "matilda"),
                    option("Glinda", "glinda"),
                    option("Granny Weatherwax", "grannyWeatherwax"),
                    option("Hermione", "hermione"),
                ],
            },
            {"type": "button", "text": plain("Cancel"), "value": "cancel", "action_id": "button_1"},
        ],
    }

    html = render_block(block, a_context())

    (select,) = find(html, "select", data_action_id="select_2")
    assert select["data-block-id"] == "actions1"
    assert [o["value"] for o in find(html, "option")] == [
        "",
        "matilda",
        "glinda",
        "grannyWeatherwax",
        "hermione",
    ]
    assert "Which witch is the witchiest witch?" in shown_text(html)
    assert find(html, "button", data_action_id="button_1")


def test_context_block_shows_images_and_text() -> None:
    block = {
        "type": "context",
        "elements": [
            {"type": "image", "image_url": "https://example.com/face.png", "alt_text": "images"},
            md("Location: *Dogpatch*"),
        ],
    }

    html = render_block(block, a_context())

    assert find(html, "img", alt="images")
    assert "<b>Dogpatch</b>" in html


def test_divider_and_header() -> None:
    html = render_blocks(
        [{"type": "header", "text": plain("Budget Performance")}, {"type": "divider"}], a_context()
    )

    assert find(html, "h3", **{"class": "bk-block bk-header"})
    assert find(html, "hr")
    assert shown_text(html) == "Budget Performance"


def test_image_block_shows_title_and_alt_text() -> None:
    block = {
        "type": "image",
        "title": plain("Please enjoy this photo of a kitten"),
        "block_id": "image4",
        "image_url": "https://example.com/kitten.jpg",
        "alt_text": "An incredibly cute kitten.",
    }

    html = render_block(block, a_context())

    assert find(html, "img", alt="An incredibly cute kitten.")
    assert "Please enjoy this photo of a kitten" in shown_text(html)


# -- input blocks and their elements ---------------------------------------------------------


def an_input(element: dict[str, Any], **block: Any) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block.pop("block_id", "in"),
        "label": plain(block.pop("label", "Label")),
        "element": {"action_id": "act", **element},
        **block,
    }


def test_input_labels_its_control_and_shows_hint_and_optional() -> None:
    block = an_input(
        {"type": "plain_text_input", "placeholder": plain("Write something")},
        label="Practice name",
        hint=plain("As on your invoices"),
        optional=True,
    )

    html = render_block(block, a_context())

    (field,) = find(html, "input", data_action_id="act")
    (label,) = find(html, "label")
    assert label["for"] == field["id"]
    assert field["placeholder"] == "Write something"
    assert field["data-stateful"] == "1"
    assert "data-dispatch" not in field  # an input block sends nothing until submitted
    assert "Practice name (optional)" in shown_text(html)
    assert "As on your invoices" in shown_text(html)


def test_multiline_plain_text_input_is_a_text_area_with_its_initial_value() -> None:
    block = an_input({"type": "plain_text_input", "multiline": True, "initial_value": "a & b"})

    html = render_block(block, a_context())

    assert find(html, "textarea", data_action_id="act")
    assert "a &amp; b" in html


def test_dispatch_action_input_sends_actions() -> None:
    block = an_input({"type": "plain_text_input"}, dispatch_action=True)

    (field,) = find(render_block(block, a_context()), "input", data_action_id="act")

    assert field["data-dispatch"] == "1"


def test_entered_value_wins_over_the_initial_one() -> None:
    block = an_input({"type": "plain_text_input", "initial_value": "USD"}, block_id="currency")
    entered = {"currency": {"act": {"type": "plain_text_input", "value": "XYZ"}}}

    (field,) = find(render_block(block, a_context(values=entered)), "input", data_action_id="act")

    assert field["value"] == "XYZ"


def test_field_error_shows_under_its_input_and_marks_it_invalid() -> None:
    block = an_input({"type": "plain_text_input"}, block_id="currency")

    html = render_block(block, a_context(errors={"currency": "'XYZ' is not a currency code."}))

    (error,) = find(html, "div", role="alert")
    (field,) = find(html, "input", data_action_id="act")
    assert field["aria-invalid"] == "true"
    assert field["aria-describedby"] == error["id"]
    assert "'XYZ' is not a currency code." in shown_text(html)


@pytest.mark.parametrize(
    ("element", "kind", "mode"),
    [
        (
            {"type": "number_input", "is_decimal_allowed": False, "initial_value": "30"},
            "text",
            "numeric",
        ),
        ({"type": "number_input", "is_decimal_allowed": True}, "text", "decimal"),
        ({"type": "email_text_input"}, "email", None),
        ({"type": "url_text_input"}, "url", None),
        ({"type": "timepicker", "initial_time": "13:37"}, "time", None),
        ({"type": "datetimepicker", "initial_date_time": 1628633820}, "datetime-local", None),
    ],
)
def test_typed_inputs(element: dict[str, Any], kind: str, mode: str | None) -> None:
    (field,) = find(render_block(an_input(element), a_context()), "input", data_action_id="act")

    assert field["type"] == kind
    assert field.get("inputmode") == mode
    assert field["data-type"] == element["type"]


def test_checkboxes_show_descriptions_and_initial_choices() -> None:
    element = {
        "type": "checkboxes",
        "options": [
            option("*a*", "A1", "*this is plain_text text*"),
            option("*b*", "A2"),
            option("*c*", "A3"),
        ],
        "initial_options": [option("*b*", "A2")],
    }

    html = render_block(an_input(element), a_context())

    boxes = find(html, "input", type="checkbox")
    assert [box["value"] for box in boxes] == ["A1", "A2", "A3"]
    assert [box["value"] for box in boxes if "checked" in box] == ["A2"]
    assert "this is plain_text text" in shown_text(html)
    (group,) = find(html, "div", role="group")
    assert group["data-type"] == "checkboxes"


def test_radio_buttons_start_on_the_initial_option() -> None:
    element = {
        "type": "radio_buttons",
        "options": [option("Yes", "yes"), option("No", "no")],
        "initial_option": option("No", "no"),
    }

    html = render_block(an_input(element), a_context())

    radios = find(html, "input", type="radio")
    assert [r["value"] for r in radios if "checked" in r] == ["no"]
    assert find(html, "div", role="radiogroup")


def test_multi_static_select_with_option_groups() -> None:
    element = {
        "type": "multi_static_select",
        "placeholder": plain("Select items"),
        "option_groups": [
            {"label": plain("Group 1"), "options": [option("One", "1"), option("Two", "2")]},
            {"label": plain("Group 2"), "options": [option("Three", "3")]},
        ],
        "initial_options": [option("Three", "3")],
    }

    html = render_block(an_input(element), a_context())

    (select,) = find(html, "select", data_action_id="act")
    assert "multiple" in select
    assert [g["label"] for g in find(html, "optgroup")] == ["Group 1", "Group 2"]
    assert [o["value"] for o in find(html, "option") if "selected" in o] == ["3"]


@pytest.mark.parametrize(
    ("element", "chosen"),
    [
        ({"type": "users_select", "initial_user": "U0BEN"}, ["U0BEN"]),
        ({"type": "multi_users_select", "initial_users": ["U0ADA", "U0BEN"]}, ["U0ADA", "U0BEN"]),
        ({"type": "conversations_select", "initial_conversation": "C0GEN"}, ["C0GEN"]),
        ({"type": "channels_select", "initial_channel": "C0BILL"}, ["C0BILL"]),
        ({"type": "multi_conversations_select", "initial_conversations": ["C0GEN"]}, ["C0GEN"]),
        ({"type": "multi_channels_select", "initial_channels": ["C0BILL"]}, ["C0BILL"]),
    ],
)
def test_pickers_offer_the_workspace_and_start_on_the_initial_pick(
    element: dict[str, Any], chosen: list[str]
) -> None:
    html = render_block(an_input(element), a_context())

    options = [o for o in find(html, "option") if o["value"]]
    assert len(options) == 2
    assert [o["value"] for o in options if "selected" in o] == chosen


def test_file_input_is_a_file_chooser_for_its_types() -> None:
    element = {"type": "file_input", "filetypes": ["jpg", "png"], "max_files": 1}
    entered = {"in": {"act": {"type": "file_input", "files": [{"id": "F01", "name": "logo.png"}]}}}

    html = render_block(an_input(element), a_context(values=entered, files={"F01": "logo.png"}))

    (chooser,) = find(html, "input", type="file")
    assert chooser["accept"] == ".jpg,.png"
    assert "multiple" not in chooser
    (group,) = find(html, "div", data_type="file_input")
    assert group["data-files"] == '["F01"]'
    assert "logo.png" in shown_text(html)


# -- what the console cannot draw shows as a box naming it -----------------------------------


def test_unknown_block_is_a_visible_unsupported_box() -> None:
    html = render_block({"type": "video", "title": plain("A video")}, a_context())

    (box,) = find(html, "div", data_unsupported="video")
    assert "Unsupported block: video" in shown_text(html)
    assert box["role"] == "note"


def test_unknown_element_is_a_visible_unsupported_box() -> None:
    block = {
        "type": "actions",
        "elements": [{"type": "workflow_button", "text": plain("Run"), "action_id": "w"}],
    }

    html = render_block(block, a_context())

    assert find(html, "div", data_unsupported="workflow_button")
    assert "Unsupported element: workflow_button" in shown_text(html)


def test_every_block_and_element_type_the_app_uses_is_supported() -> None:
    used_blocks = {"section", "divider", "header", "context", "image", "actions", "input"}
    used_elements = {
        "button",
        "static_select",
        "multi_static_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "datepicker",
        "timepicker",
        "checkboxes",
        "radio_buttons",
        "plain_text_input",
        "number_input",
        "email_text_input",
        "file_input",
        "overflow",
        "image",
    }

    assert used_blocks <= set(BLOCKS)
    assert used_elements <= set(ELEMENTS)


@pytest.mark.parametrize(
    "view",
    [
        hub.hub_modal("Practice A"),
        invoice_settings.invoice_settings_modal(InvoiceSettings(logo_ref="logo-1")),
        reminders.reminders_modal(
            Practice(
                PracticeId("p-1"),
                "T0PRACTICE",
                BillingDetails("Calm Minds", Currency("USD"), Address(), "Europe/London"),
            ),
            today=date(2025, 3, 14),
        ),
        roles.roles_modal([]),
        clients.add_client_modal("GB"),
        notice_modal("Not saved", "You need the *billing admin* role."),
    ],
    ids=lambda view: view.callback_id or "notice",
)
def test_the_apps_own_modals_render_without_gaps(view: Any) -> None:
    html = render_blocks(view.to_dict()["blocks"], a_context())

    assert "bk-unsupported" not in html


# -- mrkdwn ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("*bold* _italic_ ~strike~", "<b>bold</b> <i>italic</i> <s>strike</s>"),
        ("a `*not bold*` b", 'a <code class="mk-code">*not bold*</code> b'),
        ("snake_case_name and 2*3*4", "snake_case_name and 2*3*4"),
        ("line one\nline two", "line one<br>line two"),
        ("&gt; quoted\nnot", '<blockquote class="mk-quote">quoted</blockquote>not'),
        ("1 &lt; 2 &amp;&amp; 3 &gt; 2", "1 &lt; 2 &amp;&amp; 3 &gt; 2"),
        ("```code\n*x*```", '<pre class="mk-pre">code\n*x*</pre>'),
    ],
)
def test_mrkdwn_formatting(source: str, expected: str) -> None:
    assert str(mrkdwn(source)) == expected


def test_mrkdwn_links_and_mentions() -> None:
    html = mrkdwn(
        "See <https://example.com/?a=1&amp;b=2|the docs>, <@U0ADA>, <#C0BILL>, <#C9|other> "
        "and <!here>; <!date^1392734382^{date}|Feb 18, 2014>.",
        NAMES,
    )

    (link,) = find(html, "a")
    assert link["href"] == "https://example.com/?a=1&b=2"
    assert shown_text(html) == (
        "See the docs, @Ada Lovelace, #billing, #other and @here; Feb 18, 2014."
    )


def test_mrkdwn_emoji_shortcodes_become_emoji_or_stay_readable() -> None:
    html = mrkdwn(":tada: :white_check_mark: done :no_such_emoji:")

    assert "\U0001f389" in shown_text(html)
    assert ":no_such_emoji:" in shown_text(html)
    # A mark the app uses is drawn, so it shows on a machine without an emoji font.
    (drawn,) = find(html, "span", role="img")
    assert drawn["aria-label"] == ":white_check_mark:"
    assert len(find(html, "svg")) == 1


def test_every_emoji_shortcode_the_app_writes_is_shown_as_an_emoji() -> None:
    written: set[str] = set()
    for module in (Path(__file__).resolve().parents[2] / "bot").rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                written |= set(re.findall(r":([a-z][a-z0-9_]+):", node.value))

    shown_as_text = [
        code for code in sorted(written) if f":{code}:" in shown_text(mrkdwn(f":{code}:"))
    ]

    assert shown_as_text == []


def test_an_emoji_written_as_a_character_is_drawn_like_its_shortcode() -> None:
    html = mrkdwn("Setup \u2705 and \u26a0\ufe0f")

    assert [span["aria-label"] for span in find(html, "span", role="img")] == [
        ":white_check_mark:",
        ":warning:",
    ]
    assert "\u2705" not in html


def test_mrkdwn_never_passes_markup_or_script_links_through() -> None:
    html = mrkdwn("<script>alert(1)</script> <javascript:alert(1)|click> <b>x</b>")

    assert not find(html, "script")
    assert not find(html, "a")
    assert not find(html, "b")
    assert "<script>alert(1)</script>" in shown_text(html)


def test_plain_text_is_escaped_and_keeps_line_breaks() -> None:
    html = plain_text("<b>\nnext :tada:")

    assert html.startswith("&lt;b&gt;<br>next ")
    assert shown_text(html) == "<b>next \U0001f389"
    assert str(plain_text(":tada:", emoji=False)) == ":tada:"
