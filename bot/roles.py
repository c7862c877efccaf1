"""Billing roles in Slack: who is a billing admin or billing staff, and a form where an admin
grants, changes or removes a user's role."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    RadioButtonsElement,
    SectionBlock,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot import home
from bot.blocks import form_block_id, form_generation, note, options
from bot.edge.deps import BotDeps, Caller
from bot.edge.listen import Saved, action, open_or_push, submission
from bot.edge.state import ViewState
from domain.errors import ValidationError
from domain.roles import Member, Role
from domain.usecases.access import SetRole, list_members, set_role

CALLBACK_ID = "roles"

USER = "user"
ROLE = "role"
NO_ROLE = "none"
SAVED = "roles_saved"

# The domain reports "would leave no admin" on `user`.
BLOCK_FOR_FIELD = {USER: USER, ROLE: ROLE}
ROLE_CHOICES = (
    (Role.ADMIN.value, "Billing admin: settings, Stripe, roles and all staff work"),
    (Role.STAFF.value, "Billing staff: clients, appointments, invoices, payments"),
    (NO_ROLE, "No billing role: sees no billing data"),
)
# A modal holds at most 100 blocks; the form and headings take the rest.
MAX_LISTED = 80


def roles_modal(members: Sequence[Member], saved: str | None = None) -> View:
    """Who holds which role, then the form that changes one user's role."""
    blocks: list[Block] = []
    if saved:
        blocks.append(
            ContextBlock(
                block_id=SAVED, elements=[MarkdownTextObject(text=f":white_check_mark: {saved}")]
            )
        )
    blocks.append(HeaderBlock(text="Billing roles"))
    if not members:
        blocks.append(note("Nobody has a billing role yet."))
    blocks.extend(
        SectionBlock(
            block_id=f"member:{member.user_id}",
            text=MarkdownTextObject(text=f"<@{member.user_id}> · {member.role.label}"),
        )
        for member in members[:MAX_LISTED]
    )
    if len(members) > MAX_LISTED:
        blocks.append(note(f"Showing {MAX_LISTED} of {len(members)} members."))
    listed = form_generation(f"{member.user_id} {member.role.value}" for member in members)
    blocks += [
        DividerBlock(),
        HeaderBlock(text="Grant or change a role"),
        InputBlock(
            block_id=form_block_id(USER, listed),
            label="User",
            element=UserSelectElement(action_id=USER),
        ),
        InputBlock(
            block_id=form_block_id(ROLE, listed),
            label="Role",
            element=RadioButtonsElement(action_id=ROLE, options=options(ROLE_CHOICES)),
        ),
        note("Everyone else in the workspace sees no billing data. A practice keeps one admin."),
    ]
    return View(
        type="modal",
        callback_id=CALLBACK_ID,
        title="Billing roles",
        submit="Save role",
        close="Done",
        blocks=blocks,
    )


def _chosen_role(value: str | None) -> Role | None:
    if value == NO_ROLE:
        return None
    try:
        return Role(value or "")
    except ValueError:
        raise ValidationError.single(ROLE, "Pick a role.") from None


def save_role(deps: BotDeps, caller: Caller, view: dict[str, Any], client: WebClient) -> Saved:
    """Grant, change or remove the chosen user's role; the modal then shows the new list."""
    state = ViewState(view)
    user_id = state.user(USER)
    if not user_id:
        # Slack's client requires a pick; only a hand-made payload arrives without one.
        raise ValidationError.single(USER, "Pick a user.")
    role = _chosen_role(state.selected(ROLE))
    members = set_role(
        SetRole(practice_id=caller.practice.id, actor=caller.user_id, user_id=user_id, role=role),
        deps.uow(),
        deps.env,
    )
    saved = f"<@{user_id}> is now {role.label.lower() if role else 'without a billing role'}."
    team = caller.practice.workspace_id

    def then() -> None:
        # The target's Home shows what their new role allows; the actor's may have changed too.
        for user in dict.fromkeys((caller.user_id, user_id)):
            home.refresh(client, deps, team, user)

    return Saved(ack={"response_action": "update", "view": roles_modal(members, saved)}, then=then)


def open_roles(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    open_or_push(client, body, roles_modal(list_members(caller.practice.id, deps.read(), deps.env)))


def register(app: App, deps: BotDeps) -> None:
    app.action(home.OPEN_ROLES)(action(deps, Role.ADMIN, partial(open_roles, deps)))
    app.view(CALLBACK_ID)(submission(deps, Role.ADMIN, BLOCK_FOR_FIELD, partial(save_role, deps)))
