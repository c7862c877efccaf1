"""Block Kit as HTML, the way Slack's client draws messages, App Home tabs and modals.

One function per block type (`BLOCKS`) and per element type (`ELEMENTS`); text objects go
through `mrkdwn`. A block, element or text object this module does not know is drawn as a
visible "unsupported" box naming its type, so a gap in the console can never hide part of
what the app sent.

Interactive controls carry ``data-type``, ``data-block-id`` and ``data-action-id`` so the
console's script can send Slack's interaction payload for them; ``data-dispatch`` marks the
ones that send ``block_actions`` as soon as they change (everything outside input blocks, and
inputs with ``dispatch_action``), as in Slack.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from markupsafe import Markup

from sandbox.console.mrkdwn import Names, mrkdwn, plain_text

Block = Mapping[str, Any]
Element = Mapping[str, Any]
Surface = Literal["modal", "home", "message"]


@dataclass(frozen=True)
class Context:
    """What a surface needs besides its blocks: names for mentions, pickers' choices, and,
    in a modal, what the user entered so far and the app's field errors."""

    surface: Surface = "message"
    names: Names = field(default_factory=Names)
    #: ``{block_id: {action_id: state}}`` in Slack's ``view.state.values`` shape.
    values: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)
    #: ``{block_id: message}`` from ``response_action: errors`` or Slack's own client checks.
    errors: Mapping[str, str] = field(default_factory=dict)
    #: ``(id, name)`` choices for user pickers and conversation pickers.
    users: Sequence[tuple[str, str]] = ()
    channels: Sequence[tuple[str, str]] = ()
    #: Names of files the user attached to file inputs, by file id.
    files: Mapping[str, str] = field(default_factory=dict)
    #: Where the person's files are opened (an image block's ``slack_file`` by id).
    file_base: str = ""


# -- entry points ----------------------------------------------------------------------------


def render_blocks(blocks: Sequence[Block], ctx: Context) -> Markup:
    """Every block in order, as HTML."""
    return Markup("").join(render_block(block, ctx) for block in blocks)


def render_block(block: Block, ctx: Context) -> Markup:
    """One block; an unknown type becomes an "unsupported block" box."""
    kind = str(block.get("type"))
    renderer = BLOCKS.get(kind)
    if renderer is None:
        return unsupported("block", kind)
    return renderer(block, ctx)


def render_element(element: Element, block: Block, ctx: Context) -> Markup:
    """One element of `block`; an unknown type becomes an "unsupported element" box."""
    kind = str(element.get("type"))
    renderer = ELEMENTS.get(kind)
    if renderer is None:
        return unsupported("element", kind)
    return renderer(element, block, ctx)


def text(obj: Any, ctx: Context | None = None) -> Markup:
    """A text object (``plain_text`` or ``mrkdwn``); a bare string is taken as plain text."""
    names = ctx.names if ctx is not None else Names()
    if obj is None:
        return Markup("")
    if isinstance(obj, str):
        return plain_text(obj)
    kind = obj.get("type")
    if kind == "plain_text":
        return plain_text(str(obj.get("text", "")), emoji=obj.get("emoji", True) is not False)
    if kind == "mrkdwn":
        return mrkdwn(str(obj.get("text", "")), names)
    return unsupported("text object", str(kind))


def plain(obj: Any) -> str:
    """A text object's raw text, for attributes and option labels."""
    if isinstance(obj, Mapping):
        return str(obj.get("text", ""))
    return "" if obj is None else str(obj)


def unsupported(what: str, kind: str) -> Markup:
    """The visible box for anything the console cannot draw."""
    return Markup(
        '<div class="bk-unsupported" role="note" data-unsupported="{kind}">'
        "Unsupported {what}: <code>{kind}</code></div>"
    ).format(what=what, kind=kind)


# -- blocks ----------------------------------------------------------------------------------


def section(block: Block, ctx: Context) -> Markup:
    parts = Markup("")
    if block.get("text"):
        parts += Markup('<div class="bk-text">{}</div>').format(text(block["text"], ctx))
    if block.get("fields"):
        fields = Markup("").join(
            Markup('<div class="bk-field">{}</div>').format(text(item, ctx))
            for item in block["fields"]
        )
        parts += Markup('<div class="bk-fields">{}</div>').format(fields)
    accessory = Markup("")
    if isinstance(block.get("accessory"), Mapping):
        accessory = Markup('<div class="bk-accessory">{}</div>').format(
            render_element(block["accessory"], block, ctx)
        )
    return Markup(
        '<div class="bk-block bk-section" data-block-id="{id}">'
        '<div class="bk-section-body">{parts}</div>{accessory}</div>'
    ).format(id=block.get("block_id", ""), parts=parts, accessory=accessory)


def divider(block: Block, _ctx: Context) -> Markup:
    return Markup('<hr class="bk-block bk-divider" data-block-id="{}">').format(
        block.get("block_id", "")
    )


def header(block: Block, ctx: Context) -> Markup:
    return Markup('<h3 class="bk-block bk-header" data-block-id="{}">{}</h3>').format(
        block.get("block_id", ""), text(block.get("text"), ctx)
    )


def context(block: Block, ctx: Context) -> Markup:
    items = Markup("")
    for item in block.get("elements", []):
        if item.get("type") == "image":
            items += Markup('<img class="bk-context-image" src="{}" alt="{}">').format(
                _image_url(item, ctx), item.get("alt_text", "")
            )
        else:
            items += Markup('<span class="bk-context-text">{}</span>').format(text(item, ctx))
    return Markup('<div class="bk-block bk-context" data-block-id="{}">{}</div>').format(
        block.get("block_id", ""), items
    )


def image(block: Block, ctx: Context) -> Markup:
    title = Markup("")
    if block.get("title"):
        title = Markup('<figcaption class="bk-image-title">{}</figcaption>').format(
            text(block["title"], ctx)
        )
    return Markup(
        '<figure class="bk-block bk-image" data-block-id="{id}">{title}'
        '<img src="{src}" alt="{alt}" loading="lazy"></figure>'
    ).format(
        id=block.get("block_id", ""), title=title, src=_image_url(block, ctx), alt=block["alt_text"]
    )


def actions(block: Block, ctx: Context) -> Markup:
    elements = Markup("").join(
        render_element(element, block, ctx) for element in block.get("elements", [])
    )
    return Markup('<div class="bk-block bk-actions" data-block-id="{}">{}</div>').format(
        block.get("block_id", ""), elements
    )


def input_block(block: Block, ctx: Context) -> Markup:
    element = block.get("element") or {}
    block_id = str(block.get("block_id", ""))
    control_id = _control_id(block, element)
    optional = (
        Markup(' <span class="bk-optional">(optional)</span>') if block.get("optional") else ""
    )
    # Groups (checkboxes, radios, files) are labelled by id; single controls by `for`.
    label = Markup(
        '<label class="bk-label" id="{id}-label" for="{id}">{text}{optional}</label>'
    ).format(id=control_id, text=text(block.get("label"), ctx), optional=optional)
    hint = Markup("")
    if block.get("hint"):
        hint = Markup('<div class="bk-hint">{}</div>').format(text(block["hint"], ctx))
    error = Markup("")
    if block_id in ctx.errors:
        error = Markup('<div class="bk-error" role="alert" id="{}-error">{}</div>').format(
            control_id, ctx.errors[block_id]
        )
    invalid = " bk-invalid" if block_id in ctx.errors else ""
    return Markup(
        '<div class="bk-block bk-input{invalid}" data-block-id="{id}">{label}'
        '<div class="bk-input-control">{element}</div>{error}{hint}</div>'
    ).format(
        invalid=invalid,
        id=block_id,
        label=label,
        element=render_element(element, block, ctx),
        error=error,
        hint=hint,
    )


BLOCKS: dict[str, Callable[[Block, Context], Markup]] = {
    "section": section,
    "divider": divider,
    "header": header,
    "context": context,
    "image": image,
    "actions": actions,
    "input": input_block,
}


# -- elements --------------------------------------------------------------------------------


def button(element: Element, block: Block, ctx: Context) -> Markup:
    style = element.get("style")
    css = f"bk-button bk-button-{style}" if style in ("primary", "danger") else "bk-button"
    extra = _attrs(
        {"data-url": element.get("url"), "data-value": element.get("value")}
        | _confirm_attr(element)
    )
    return Markup('<button type="button" class="{css}"{common}{extra}>{label}</button>').format(
        css=css,
        common=_common(element, block, dispatch=True),
        extra=extra,
        label=text(element.get("text"), ctx),
    )


def static_select(element: Element, block: Block, ctx: Context) -> Markup:
    selected = _selected_option_value(element, block, ctx)
    options = _options_html(element, {selected} if selected is not None else set())
    return _select(element, block, ctx, options, multiple=False)


def external_select(element: Element, block: Block, ctx: Context) -> Markup:
    """A search box above a menu: typing asks the app for options (console.js, through the
    stand-in's `block_suggestion`); the menu holds the matches, or what was picked."""
    chosen = _entered(block, element, ctx, "selected_option", element.get("initial_option"))
    current = Markup("")
    if isinstance(chosen, Mapping):
        current = Markup('<option value="{}" selected>{}</option>').format(
            chosen.get("value", ""), plain(chosen.get("text"))
        )
    search = Markup(
        '<input type="search" class="bk-text-input bk-suggest" placeholder="{placeholder}"'
        ' aria-label="Search" autocomplete="off" data-suggest-for="{id}" data-min="{least}">'
    ).format(
        placeholder=plain(element.get("placeholder")) or "Type to search",
        id=_control_id(block, element),
        least=int(element.get("min_query_length", 3)),
    )
    menu = _select(element, block, ctx, current, multiple=False)
    return Markup('<div class="bk-external">{}{}</div>').format(search, menu)


def multi_static_select(element: Element, block: Block, ctx: Context) -> Markup:
    chosen = set(_selected_option_values(element, block, ctx))
    return _select(element, block, ctx, _options_html(element, chosen), multiple=True)


def users_select(element: Element, block: Block, ctx: Context) -> Markup:
    chosen = _entered(block, element, ctx, "selected_user", element.get("initial_user"))
    return _select(element, block, ctx, _choices(ctx.users, {chosen}), multiple=False)


def multi_users_select(element: Element, block: Block, ctx: Context) -> Markup:
    chosen = _entered(block, element, ctx, "selected_users", element.get("initial_users"))
    return _select(element, block, ctx, _choices(ctx.users, set(chosen or [])), multiple=True)


def conversations_select(element: Element, block: Block, ctx: Context) -> Markup:
    chosen = _entered(
        block, element, ctx, "selected_conversation", element.get("initial_conversation")
    )
    return _select(element, block, ctx, _choices(ctx.channels, {chosen}), multiple=False)


def multi_conversations_select(element: Element, block: Block, ctx: Context) -> Markup:
    chosen = _entered(
        block, element, ctx, "selected_conversations", element.get("initial_conversations")
    )
    return _select(element, block, ctx, _choices(ctx.channels, set(chosen or [])), multiple=True)


def channels_select(element: Element, block: Block, ctx: Context) -> Markup:
    chosen = _entered(block, element, ctx, "selected_channel", element.get("initial_channel"))
    return _select(element, block, ctx, _choices(ctx.channels, {chosen}), multiple=False)


def multi_channels_select(element: Element, block: Block, ctx: Context) -> Markup:
    chosen = _entered(block, element, ctx, "selected_channels", element.get("initial_channels"))
    return _select(element, block, ctx, _choices(ctx.channels, set(chosen or [])), multiple=True)


def overflow(element: Element, block: Block, ctx: Context) -> Markup:
    items = Markup("")
    for option in element.get("options", []):
        items += Markup(
            '<button type="button" class="bk-menu-item" role="menuitem" data-value="{value}"'
            "{url}>{label}</button>"
        ).format(
            value=option.get("value", ""),
            url=_attrs({"data-url": option.get("url")}),
            label=text(option.get("text"), ctx),
        )
    return Markup(
        '<details class="bk-overflow"{common}{confirm}><summary class="bk-overflow-button" '
        'aria-label="More actions">\u22ef</summary><div class="bk-menu" role="menu">{items}</div>'
        "</details>"
    ).format(
        common=_common(element, block, dispatch=True),
        confirm=_attrs(_confirm_attr(element)),
        items=items,
    )


def datepicker(element: Element, block: Block, ctx: Context) -> Markup:
    value = _entered(block, element, ctx, "selected_date", element.get("initial_date"))
    return _input("date", element, block, ctx, value)


def timepicker(element: Element, block: Block, ctx: Context) -> Markup:
    value = _entered(block, element, ctx, "selected_time", element.get("initial_time"))
    return _input("time", element, block, ctx, value)


def datetimepicker(element: Element, block: Block, ctx: Context) -> Markup:
    # Shown in UTC: the console has no reader's time zone to format it in.
    epoch = _entered(block, element, ctx, "selected_date_time", element.get("initial_date_time"))
    value = None
    if epoch is not None:
        value = datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M")
    return _input("datetime-local", element, block, ctx, value)


def checkboxes(element: Element, block: Block, ctx: Context) -> Markup:
    chosen = set(_selected_option_values(element, block, ctx))
    return _choice_group("checkbox", element, block, ctx, chosen)


def radio_buttons(element: Element, block: Block, ctx: Context) -> Markup:
    selected = _selected_option_value(element, block, ctx)
    return _choice_group("radio", element, block, ctx, {selected} if selected else set())


def plain_text_input(element: Element, block: Block, ctx: Context) -> Markup:
    value = _entered(block, element, ctx, "value", element.get("initial_value"))
    if element.get("multiline"):
        return Markup(
            '<textarea class="bk-textarea" id="{id}" rows="4"{common}{extra}>{value}</textarea>'
        ).format(
            id=_control_id(block, element),
            common=_common(element, block, dispatch=_dispatches(block), stateful=True),
            extra=_attrs(_aria(block, element, ctx) | _placeholder(element)),
            value=value or "",
        )
    return _input("text", element, block, ctx, value)


def number_input(element: Element, block: Block, ctx: Context) -> Markup:
    value = _entered(block, element, ctx, "value", element.get("initial_value"))
    # A text box, not type=number: Slack's client lets people type anything and then says
    # what is wrong, and the browser's number box would silently drop letters instead.
    mode = "decimal" if element.get("is_decimal_allowed") else "numeric"
    return _input("text", element, block, ctx, value, {"inputmode": mode})


def email_text_input(element: Element, block: Block, ctx: Context) -> Markup:
    value = _entered(block, element, ctx, "value", element.get("initial_value"))
    return _input("email", element, block, ctx, value)


def url_text_input(element: Element, block: Block, ctx: Context) -> Markup:
    value = _entered(block, element, ctx, "value", element.get("initial_value"))
    return _input("url", element, block, ctx, value)


def file_input(element: Element, block: Block, ctx: Context) -> Markup:
    entered = _entered(block, element, ctx, "files", None) or []
    chosen = [str(item.get("id")) for item in entered if isinstance(item, Mapping)]
    names = Markup("").join(
        Markup('<li class="bk-file-chip">{}</li>').format(ctx.files.get(file_id, file_id))
        for file_id in chosen
    )
    kinds = element.get("filetypes") or []
    accept = ",".join(f".{kind}" for kind in kinds) or None
    many = element.get("max_files", 10) != 1
    control_id = _control_id(block, element)
    # The label's `for` names the chooser itself, so the chooser is what the label labels.
    return Markup(
        '<div class="bk-file-input"{common}'
        ' data-files="{files}">'
        '<input type="file" id="{id}" class="bk-file-chooser"{extra}>'
        '<ul class="bk-file-list">{names}</ul></div>'
    ).format(
        id=control_id,
        common=_common(element, block, dispatch=False, stateful=True),
        files=json.dumps(chosen),
        extra=_attrs({"accept": accept, "multiple": many}),
        names=names,
    )


def image_element(element: Element, _block: Block, ctx: Context) -> Markup:
    return Markup('<img class="bk-image-element" src="{}" alt="{}">').format(
        _image_url(element, ctx), element.get("alt_text", "")
    )


ELEMENTS: dict[str, Callable[[Element, Block, Context], Markup]] = {
    "button": button,
    "static_select": static_select,
    "external_select": external_select,
    "multi_static_select": multi_static_select,
    "users_select": users_select,
    "multi_users_select": multi_users_select,
    "conversations_select": conversations_select,
    "multi_conversations_select": multi_conversations_select,
    "channels_select": channels_select,
    "multi_channels_select": multi_channels_select,
    "overflow": overflow,
    "datepicker": datepicker,
    "timepicker": timepicker,
    "datetimepicker": datetimepicker,
    "checkboxes": checkboxes,
    "radio_buttons": radio_buttons,
    "plain_text_input": plain_text_input,
    "number_input": number_input,
    "email_text_input": email_text_input,
    "url_text_input": url_text_input,
    "file_input": file_input,
    "image": image_element,
}


# -- shared pieces ---------------------------------------------------------------------------


def _dispatches(block: Block) -> bool:
    """Slack sends block_actions for an element outside input blocks, or with dispatch_action."""
    return block.get("type") != "input" or bool(block.get("dispatch_action"))


def _control_id(block: Block, element: Element) -> str:
    raw = f"bk-{block.get('block_id', '')}-{element.get('action_id', '')}"
    return re.sub(r"[^A-Za-z0-9_-]", "_", raw)


def _common(element: Element, block: Block, *, dispatch: bool, stateful: bool = False) -> Markup:
    return _attrs(
        {
            "data-type": element.get("type"),
            "data-block-id": block.get("block_id", ""),
            "data-action-id": element.get("action_id", ""),
            "data-dispatch": "1" if dispatch else None,
            "data-stateful": "1" if stateful else None,
        }
    )


def _attrs(pairs: Mapping[str, Any]) -> Markup:
    out = Markup("")
    for name, value in pairs.items():
        if value is None or value is False:
            continue
        if value is True:
            out += Markup(" {}").format(name)
        else:
            out += Markup(' {}="{}"').format(name, value)
    return out


def _aria(block: Block, element: Element, ctx: Context) -> dict[str, Any]:
    if block.get("block_id", "") not in ctx.errors:
        return {}
    return {"aria-invalid": "true", "aria-describedby": f"{_control_id(block, element)}-error"}


def _placeholder(element: Element) -> dict[str, Any]:
    return {"placeholder": plain(element.get("placeholder")) or None}


def _confirm_attr(element: Element) -> dict[str, Any]:
    confirm = element.get("confirm")
    if not isinstance(confirm, Mapping):
        return {}
    shown = {
        "title": plain(confirm.get("title")) or "Are you sure?",
        "text": plain(confirm.get("text")),
        "confirm": plain(confirm.get("confirm")) or "Yes",
        "deny": plain(confirm.get("deny")) or "Cancel",
        "style": confirm.get("style") or "",
    }
    return {"data-confirm": json.dumps(shown)}


def _input(
    kind: str,
    element: Element,
    block: Block,
    ctx: Context,
    value: Any,
    extra: Mapping[str, Any] | None = None,
) -> Markup:
    attributes = (
        {"value": value if value is not None else None}
        | _placeholder(element)
        | _aria(block, element, ctx)
        | dict(extra or {})
    )
    return Markup('<input type="{kind}" class="bk-text-input" id="{id}"{common}{attrs}>').format(
        kind=kind,
        id=_control_id(block, element),
        common=_common(element, block, dispatch=_dispatches(block), stateful=True),
        attrs=_attrs(attributes),
    )


def _select(
    element: Element, block: Block, ctx: Context, options: Markup, *, multiple: bool
) -> Markup:
    placeholder = plain(element.get("placeholder")) or (
        "Select options" if multiple else "Select an item"
    )
    blank = Markup("") if multiple else Markup('<option value="">{}</option>').format(placeholder)
    size = None
    if multiple:
        size = min(max(options.count("<option"), 2), 6)
    attributes = (
        {"multiple": multiple, "size": size, "aria-label": placeholder if multiple else None}
        | _aria(block, element, ctx)
        | _confirm_attr(element)
    )
    return Markup(
        '<select class="bk-select" id="{id}"{common}{attrs}>{blank}{options}</select>'
    ).format(
        id=_control_id(block, element),
        common=_common(element, block, dispatch=_dispatches(block), stateful=True),
        attrs=_attrs(attributes),
        blank=blank,
        options=options,
    )


def _options_html(element: Element, chosen: Set[str | None]) -> Markup:
    def one(option: Mapping[str, Any]) -> Markup:
        value = option.get("value", "")
        return Markup('<option value="{}"{}>{}</option>').format(
            value, Markup(" selected") if value in chosen else "", plain(option.get("text"))
        )

    out = Markup("").join(one(option) for option in element.get("options", []))
    for group in element.get("option_groups", []):
        inner = Markup("").join(one(option) for option in group.get("options", []))
        out += Markup('<optgroup label="{}">{}</optgroup>').format(plain(group.get("label")), inner)
    return out


def _choices(pairs: Sequence[tuple[str, str]], chosen: set[Any]) -> Markup:
    return Markup("").join(
        Markup('<option value="{}"{}>{}</option>').format(
            key, Markup(" selected") if key in chosen else "", name
        )
        for key, name in pairs
    )


def _choice_group(
    kind: Literal["checkbox", "radio"],
    element: Element,
    block: Block,
    ctx: Context,
    chosen: Set[str | None],
) -> Markup:
    control_id = _control_id(block, element)
    items = Markup("")
    for index, option in enumerate(element.get("options", [])):
        value = option.get("value", "")
        description = Markup("")
        if option.get("description"):
            description = Markup('<span class="bk-choice-description">{}</span>').format(
                text(option["description"], ctx)
            )
        items += Markup(
            '<label class="bk-choice"><input type="{kind}" name="{name}" id="{name}-{index}" '
            'value="{value}"{checked}><span class="bk-choice-text">{label}{description}</span>'
            "</label>"
        ).format(
            kind=kind,
            name=control_id,
            index=index,
            value=value,
            checked=Markup(" checked") if value in chosen else "",
            label=text(option.get("text"), ctx),
            description=description,
        )
    role = "radiogroup" if kind == "radio" else "group"
    return Markup(
        '<div class="bk-choices" role="{role}" id="{id}" aria-labelledby="{id}-label"{common}>'
        "{items}</div>"
    ).format(
        role=role,
        id=control_id,
        common=_common(element, block, dispatch=_dispatches(block), stateful=True),
        items=items,
    )


def _entered(block: Block, element: Element, ctx: Context, key: str, initial: Any) -> Any:
    """What the user entered into the element, else its initial value."""
    state = ctx.values.get(str(block.get("block_id", "")), {}).get(
        str(element.get("action_id", ""))
    )
    if state is not None and key in state:
        return state[key]
    return initial


def _selected_option_value(element: Element, block: Block, ctx: Context) -> str | None:
    option = _entered(block, element, ctx, "selected_option", element.get("initial_option"))
    return str(option.get("value")) if isinstance(option, Mapping) else None


def _selected_option_values(element: Element, block: Block, ctx: Context) -> list[str]:
    options = _entered(block, element, ctx, "selected_options", element.get("initial_options"))
    return [str(option.get("value")) for option in options or [] if isinstance(option, Mapping)]


def _image_url(obj: Mapping[str, Any], ctx: Context) -> str:
    if obj.get("image_url"):
        return str(obj["image_url"])
    slack_file = obj.get("slack_file") or {}
    if slack_file.get("id") and ctx.file_base:
        return f"{ctx.file_base}/files/{slack_file['id']}"
    return str(slack_file.get("url") or "")
