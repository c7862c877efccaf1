"""Invoice settings in Slack: template, theme, logo upload, details, payment terms, footer and
number prefix, in one modal, with a picture of a sample invoice in the chosen design."""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import partial
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ImageBlock,
    InputBlock,
    NumberInputElement,
    Option,
    PlainTextObject,
)
from slack_sdk.models.blocks.basic_components import SlackFile
from slack_sdk.models.blocks.block_elements import FileInputElement
from slack_sdk.models.views import View

from bot import home
from bot.blocks import note, select_input, text_input
from bot.edge.deps import BotDeps, Caller
from bot.edge.files import FileFetcher, FileNotFetched, slack_file_fetcher
from bot.edge.listen import Saved, action, open_or_push, submission
from bot.edge.state import ViewState
from documents.pdf import invoice_pdf
from documents.preview import preview_png, sample_document
from domain.errors import ValidationError
from domain.logos import MAX_LOGO_BYTES
from domain.practice import InvoiceSettings, InvoiceTemplate, InvoiceTheme
from domain.roles import Role
from domain.usecases.settings import (
    ConfigureInvoiceSettings,
    LogoUpload,
    configure_invoice_settings,
    invoice_look,
)

log = logging.getLogger(__name__)

CALLBACK_ID = "invoice_settings"

TEMPLATE = "template"
THEME = "theme"
LOGO = "logo"
REMOVE_LOGO = "remove_logo"
REMOVE_LOGO_ON = "on"
DETAILS = "details"
PAYMENT_TERMS = "payment_terms_days"
FOOTER = "footer"
NUMBER_PREFIX = "number_prefix"
PREVIEW = "preview"
LOGO_FILETYPES = ["png", "jpg", "jpeg", "svg"]

# Domain field -> block; they share names.
BLOCK_FOR_FIELD = {
    field: field for field in (TEMPLATE, THEME, LOGO, DETAILS, PAYMENT_TERMS, FOOTER, NUMBER_PREFIX)
}
TEMPLATES = tuple((template.value, template.value.title()) for template in InvoiceTemplate)
THEMES = tuple((theme.value, theme.value.title()) for theme in InvoiceTheme)


DRAWING = "Drawing a sample invoice in this design…"
NOT_DRAWN = "The preview could not be drawn just now; your choices still save."


def _preview_block(settings: InvoiceSettings, preview_file_id: str | None, note_text: str) -> Block:
    if preview_file_id is None:
        return note(note_text)
    template, theme = settings.template.value.title(), settings.theme.value.title()
    return ImageBlock(
        block_id=PREVIEW,
        slack_file=SlackFile(id=preview_file_id),
        alt_text=f"A sample invoice for a made-up client in the {template} template and the "
        f"{theme} theme",
        title=PlainTextObject(text=f"Preview: {template}, {theme} (a made-up client)"),
    )


def invoice_settings_modal(
    settings: InvoiceSettings, preview_file_id: str | None = None, preview_note: str = DRAWING
) -> View:
    """The invoice settings form, filled with what is saved; the preview shows `settings`'
    template and theme (an image uploaded to Slack, or `preview_note` until there is one)."""
    remove = Option(value=REMOVE_LOGO_ON, text="Remove the current logo")
    blocks: list[Block] = [
        select_input(
            TEMPLATE, "Template", TEMPLATES, settings.template.value, dispatch_action=True
        ),
        select_input(THEME, "Theme", THEMES, settings.theme.value, dispatch_action=True),
        _preview_block(settings, preview_file_id, preview_note),
        InputBlock(
            block_id=LOGO,
            label="Logo",
            optional=True,
            hint="PNG, JPEG or SVG under 1 MB. Leave empty to keep the current logo.",
            element=FileInputElement(action_id=LOGO, filetypes=LOGO_FILETYPES, max_files=1),
        ),
    ]
    if settings.logo_ref:
        blocks.append(
            InputBlock(
                block_id=REMOVE_LOGO,
                label="Current logo",
                optional=True,
                element=CheckboxesElement(action_id=REMOVE_LOGO, options=[remove]),
            )
        )
    blocks += [
        text_input(
            DETAILS,
            "Details",
            settings.details,
            optional=True,
            multiline=True,
            max_length=500,
            hint="Shown under your name: tax or licence number, bank details, contact.",
        ),
        InputBlock(
            block_id=PAYMENT_TERMS,
            label="Payment terms (days)",
            hint="Days from the issue date to the due date.",
            element=NumberInputElement(
                action_id=PAYMENT_TERMS,
                is_decimal_allowed=False,
                initial_value=str(settings.payment_terms_days),
            ),
        ),
        text_input(
            FOOTER, "Footer", settings.footer, optional=True, multiline=True, max_length=500
        ),
        text_input(
            NUMBER_PREFIX,
            "Invoice number prefix",
            settings.number_prefix,
            optional=True,
            max_length=12,
            hint=f"Numbers look like {settings.format_number(42)}.",
        ),
        note("Changes apply to invoices created from now on."),
    ]
    return View(
        type="modal",
        callback_id=CALLBACK_ID,
        title="Invoice settings",
        submit="Save",
        close="Cancel",
        blocks=blocks,
    )


def uploaded_logo(view: dict[str, Any], token: str, fetch: FileFetcher) -> LogoUpload | None:
    """The file given in the logo input, downloaded; None when none was given.

    Raises ValidationError on the logo field when Slack would not hand the file over."""
    files = ViewState(view).files(LOGO)
    if not files:
        return None
    file = files[0]
    name = str(file.get("name") or "logo")
    url = str(file.get("url_private_download") or file.get("url_private") or "")
    try:
        return LogoUpload(name, fetch(url, token))
    except FileNotFetched as problem:
        raise ValidationError.single(LOGO, str(problem)) from None


def save_settings(
    deps: BotDeps,
    caller: Caller,
    view: dict[str, Any],
    client: WebClient,
    *,
    fetch: FileFetcher | None = None,
) -> Saved:
    """Save the form; the domain checks the logo by its content, and saves nothing if any
    field is wrong. `fetch` downloads the logo (by default from Slack, with the bot token)."""
    if fetch is None:
        # It reads one byte past the limit: enough for the domain to say "too big".
        fetch = slack_file_fetcher(deps.slack_api_url, limit=MAX_LOGO_BYTES)
    state = ViewState(view)
    configure_invoice_settings(
        ConfigureInvoiceSettings(
            practice_id=caller.practice.id,
            actor=caller.user_id,
            template=state.selected(TEMPLATE) or "",
            theme=state.selected(THEME) or "",
            payment_terms_days=state.text(PAYMENT_TERMS),
            number_prefix=state.text(NUMBER_PREFIX),
            details=state.text(DETAILS),
            footer=state.text(FOOTER),
            new_logo=uploaded_logo(view, client.token or "", fetch),
            remove_logo=REMOVE_LOGO_ON in state.checked(REMOVE_LOGO),
        ),
        deps.uow(),
        deps.env,
    )
    return Saved(
        then=partial(home.refresh, client, deps, caller.practice.workspace_id, caller.user_id)
    )


def _chosen_design(settings: InvoiceSettings, view: dict[str, Any]) -> InvoiceSettings:
    """The saved settings with the template and theme picked in the open modal, if any."""
    state = ViewState(view)
    try:
        template = InvoiceTemplate(state.selected(TEMPLATE) or settings.template.value)
        theme = InvoiceTheme(state.selected(THEME) or settings.theme.value)
    except ValueError:  # not one of ours: show what is saved
        return settings
    return replace(settings, template=template, theme=theme)


def _upload_preview(
    deps: BotDeps, caller: Caller, client: WebClient, settings: InvoiceSettings
) -> str | None:
    """A sample invoice in `settings`' design, drawn and uploaded to Slack (not shared in
    any channel: the modal's image shows it); the file's id, or None if it could not be
    made."""
    look = invoice_look(caller.practice.id, deps.read())
    practice = replace(look.practice, invoice_settings=settings)
    try:
        doc = sample_document(practice, deps.env.today_at(practice), tax_rate=look.default_tax_rate)
        png = preview_png(invoice_pdf(doc, look.logo))
        name = f"invoice-preview-{settings.template.value}-{settings.theme.value}.png"
        uploaded = client.files_upload_v2(content=png, filename=name, title="Invoice preview")
    except SlackApiError as error:
        log.warning(
            "event=invoice_preview_not_uploaded practice_id=%s error=%s",
            caller.practice.id,
            error.response.get("error"),
        )
        return None
    except Exception:
        log.exception("event=invoice_preview_failed practice_id=%s", caller.practice.id)
        return None
    return str(uploaded["file"]["id"])


def _show_preview(deps: BotDeps, caller: Caller, client: WebClient, view: dict[str, Any]) -> None:
    settings = _chosen_design(caller.practice.invoice_settings, view)
    file_id = _upload_preview(deps, caller, client, settings)
    modal = invoice_settings_modal(settings, file_id, NOT_DRAWN)
    modal.private_metadata = view.get("private_metadata")
    try:
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=modal)
    except SlackApiError as error:
        # The person changed the design again (or closed the modal) while this one was
        # drawn: the newer change draws its own preview.
        if error.response.get("error") not in ("hash_conflict", "not_found"):
            raise


def open_settings(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    """The modal opens at once (its trigger lasts three seconds); the preview follows."""
    opened = open_or_push(client, body, invoice_settings_modal(caller.practice.invoice_settings))
    _show_preview(deps, caller, client, opened)


def redraw_preview(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    """A template or theme was picked: draw the sample invoice in it."""
    _show_preview(deps, caller, client, body["view"])


def register(app: App, deps: BotDeps) -> None:
    app.action(home.OPEN_INVOICE_SETTINGS)(action(deps, Role.ADMIN, partial(open_settings, deps)))
    app.action(TEMPLATE)(action(deps, Role.ADMIN, partial(redraw_preview, deps)))
    app.action(THEME)(action(deps, Role.ADMIN, partial(redraw_preview, deps)))
    app.view(CALLBACK_ID)(
        submission(deps, Role.ADMIN, BLOCK_FOR_FIELD, partial(save_settings, deps))
    )
