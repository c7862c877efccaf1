"""How errors reach a Slack user: field errors in the modal, a short message for a missing
role or a conflict, and an apology with an error id for anything unexpected."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_sdk.models.blocks import SectionBlock
from slack_sdk.models.views import View

from domain.errors import DomainError, ValidationError
from domain.roles import NotPermitted

log = logging.getLogger(__name__)


def modal_errors(
    error: ValidationError, block_for_field: Mapping[str, str], view: Mapping[str, Any]
) -> dict[str, str]:
    """Slack's `response_action: errors` map: each domain field's message under the block of
    `view` that holds the field's input (`block_for_field` names inputs by their id).

    A field the modal has no block for is shown under `fallback` (the first key of the map)
    rather than lost."""
    fallback = next(iter(block_for_field.values()))
    shown: dict[str, str] = {}
    for field, message in error.errors.items():
        block = block_for_field.get(field) or block_for_field.get(field.split(".")[0], fallback)
        # Slack shows one message per block; keep the first, which names the first problem.
        shown.setdefault(
            _block_holding(view, block),
            message[:150] if len(message) <= 150 else message[:147] + "...",
        )
    return shown


def _block_holding(view: Mapping[str, Any], input_id: str) -> str:
    """The id of the block holding input `input_id`: the same id, or the id tagged with its
    form's generation (see `blocks.form_generation`)."""
    for block in view.get("blocks") or []:
        element = block.get("element") or {}
        if block.get("block_id") == input_id or element.get("action_id") == input_id:
            return str(block.get("block_id") or input_id)
    return input_id


def permission_text(error: NotPermitted) -> str:
    if error.admins:
        who = ", ".join(f"<@{admin}>" for admin in error.admins)
        return (
            f"You need the {error.needed.label.lower()} role for this. "
            f"Ask one of the practice's billing admins: {who}."
        )
    return (
        f"You need the {error.needed.label.lower()} role for this. The practice has no admin yet."
    )


def problem_text(error: DomainError) -> str:
    if isinstance(error, NotPermitted):
        return permission_text(error)
    return str(error)


def apology(exc: BaseException) -> str:
    """Log an unexpected failure under a fresh error id and return what the user is told.

    The log line carries the id and the exception, never the request's content."""
    error_id = secrets.token_hex(4)
    log.error("event=listener_failed error_id=%s", error_id, exc_info=exc)
    return f"Sorry, something went wrong on our side (error {error_id}). Please try again."


def answer_unexpected(error: Exception, request: BoltRequest) -> BoltResponse | None:
    """Bolt's error handler, for a failure no listener wrapper answered: logged once under
    an error id (Bolt's own handler logs the exception's text, which may quote what a user
    typed). What the listener acked before failing is still Slack's answer; with nothing
    acked, Bolt answers 500."""
    apology(error)
    acked = request.context.ack.response
    if acked is None:
        return None
    return BoltResponse(status=200, body=acked.body, headers=acked.headers)


def notice_modal(title: str, text: str) -> View:
    """A small modal that only tells the user something (used where there is no channel)."""
    return View(
        type="modal",
        title=title[:24],
        close="OK",
        blocks=[SectionBlock(text=text[:3000])],
    )
