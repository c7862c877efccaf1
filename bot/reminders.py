"""Payment reminders in Slack: on or off, the schedule in days around the due date, and the
local time they are sent at."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    CheckboxesElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    TimePickerElement,
)
from slack_sdk.models.views import View

from bot import home
from bot.blocks import text_input
from bot.edge.deps import BotDeps, Caller
from bot.edge.listen import Saved, action, open_or_push, submission
from bot.edge.state import ViewState
from domain.practice import ReminderPolicy
from domain.roles import Role
from domain.usecases.settings import ConfigureReminders, configure_reminders

CALLBACK_ID = "reminders"

ENABLED = "enabled"
ENABLED_ON = "on"
OFFSETS = "offsets"
SEND_TIME = "send_time"
SCHEDULE = "reminders_schedule"

BLOCK_FOR_FIELD = {OFFSETS: OFFSETS, SEND_TIME: SEND_TIME}


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def describe_offsets(offsets: tuple[int, ...]) -> str:
    """The schedule in words: (-3, 0, 7) is "3 days before the due date, on the due date,
    7 days after"."""
    phrases: list[str] = []
    for offset in offsets:
        if offset < 0:
            phrases.append(f"{_days(-offset)} before the due date")
        elif offset == 0:
            phrases.append("on the due date")
        else:
            # Once the due date has been named, "after" reads clearly on its own.
            phrases.append(f"{_days(offset)} after" + ("" if phrases else " the due date"))
    return ", ".join(phrases)


def schedule_sentence(policy: ReminderPolicy, time_zone: str) -> str:
    """What the saved schedule means, for the context line under the form."""
    if not policy.offsets:
        return "Reminders are off, and no days are set."
    when = f"{describe_offsets(policy.offsets)}, at {policy.send_time:%H:%M} ({time_zone})"
    if policy.enabled:
        return f"Clients with an unpaid invoice get a reminder {when}."
    return f"Reminders are off. Turned on, they would go out {when}."


def reminders_modal(policy: ReminderPolicy, time_zone: str) -> View:
    """The reminder form, filled with the saved policy, and what it means in words."""
    enabled = Option(value=ENABLED_ON, text="Send payment reminders by e-mail")
    return View(
        type="modal",
        callback_id=CALLBACK_ID,
        title="Reminders",
        submit="Save",
        close="Cancel",
        blocks=[
            InputBlock(
                block_id=ENABLED,
                label="Automatic reminders",
                optional=True,
                element=CheckboxesElement(
                    action_id=ENABLED,
                    options=[enabled],
                    initial_options=[enabled] if policy.enabled else None,
                ),
            ),
            text_input(
                OFFSETS,
                "Schedule (days from the due date)",
                ", ".join(str(offset) for offset in policy.offsets),
                optional=True,
                max_length=80,
                placeholder="-3, 0, 7",
                hint="Negative: before the due date; 0: on it; positive: after. At most 10.",
            ),
            InputBlock(
                block_id=SEND_TIME,
                label=f"Send time ({time_zone})",
                element=TimePickerElement(
                    action_id=SEND_TIME, initial_time=f"{policy.send_time:%H:%M}"
                ),
            ),
            ContextBlock(
                block_id=SCHEDULE,
                elements=[MarkdownTextObject(text=schedule_sentence(policy, time_zone))],
            ),
        ],
    )


def save_reminders(deps: BotDeps, caller: Caller, view: dict[str, Any], client: WebClient) -> Saved:
    """Save the policy; the domain reads the schedule text and the HH:MM time."""
    state = ViewState(view)
    configure_reminders(
        ConfigureReminders(
            practice_id=caller.practice.id,
            actor=caller.user_id,
            enabled=ENABLED_ON in state.checked(ENABLED),
            offsets=state.text(OFFSETS),
            send_time=state.time(SEND_TIME) or "",
        ),
        deps.uow(),
        deps.env,
    )
    return Saved(
        then=partial(home.refresh, client, deps, caller.practice.workspace_id, caller.user_id)
    )


def open_reminders(caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    practice = caller.practice
    open_or_push(
        client, body, reminders_modal(practice.reminder_policy, practice.billing.time_zone)
    )


def register(app: App, deps: BotDeps) -> None:
    app.action(home.OPEN_REMINDERS)(action(deps, Role.ADMIN, open_reminders))
    app.view(CALLBACK_ID)(
        submission(deps, Role.ADMIN, BLOCK_FOR_FIELD, partial(save_reminders, deps))
    )
