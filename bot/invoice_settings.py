"""Invoice settings in Slack: template, theme, logo upload, details, payment terms, footer and
number prefix, in one modal."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    InputBlock,
    NumberInputElement,
    Option,
)
from slack_sdk.models.blocks.block_elements import FileInputElement
from slack_sdk.models.views import View

from bot import home
from bot.blocks import note, select_input, text_input
from bot.edge.deps import BotDeps, Caller
from bot.edge.files import FileFetcher, FileNotFetched, slack_file_fetcher
from bot.edge.listen import Saved, action, open_or_push, submission
from bot.edge.state import ViewState
from domain.errors import ValidationError
from domain.logos import MAX_LOGO_BYTES
from domain.practice import InvoiceSettings, InvoiceTemplate, InvoiceTheme
from domain.roles import Role
from domain.usecases.settings import (
    ConfigureInvoiceSettings,
    LogoUpload,
    configure_invoice_settings,
)

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
LOGO_FILETYPES = ["png", "jpg", "jpeg", "svg"]

# Domain field -> block; they share names.
BLOCK_FOR_FIELD = {
    field: field for field in (TEMPLATE, THEME, LOGO, DETAILS, PAYMENT_TERMS, FOOTER, NUMBER_PREFIX)
}
TEMPLATES = tuple((template.value, template.value.title()) for template in InvoiceTemplate)
THEMES = tuple((theme.value, theme.value.title()) for theme in InvoiceTheme)


def invoice_settings_modal(settings: InvoiceSettings) -> View:
    """The invoice settings form, filled with what is saved."""
    remove = Option(value=REMOVE_LOGO_ON, text="Remove the current logo")
    blocks: list[Block] = [
        select_input(TEMPLATE, "Template", TEMPLATES, settings.template.value),
        select_input(THEME, "Theme", THEMES, settings.theme.value),
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


def open_settings(caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    open_or_push(client, body, invoice_settings_modal(caller.practice.invoice_settings))


def register(app: App, deps: BotDeps) -> None:
    app.action(home.OPEN_INVOICE_SETTINGS)(action(deps, Role.ADMIN, open_settings))
    app.view(CALLBACK_ID)(
        submission(deps, Role.ADMIN, BLOCK_FOR_FIELD, partial(save_settings, deps))
    )
