"""Payment reminder settings in Slack: on or off, the schedule in days around the due date,
the local send time, a repeat until paid, non-sending days, the wording of each step with
its placeholders and a preview, and the billing channel's overdue digest."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import partial
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    TimePickerElement,
)
from slack_sdk.models.views import View

from bot import home
from bot.blocks import day_text, escape, note, text_input
from bot.edge.deps import BotDeps, Caller
from bot.edge.listen import Saved, action, open_or_push, submission
from bot.edge.state import ViewState
from bot.invoice_form import update_in_place
from documents.render import reminder_preview
from domain.practice import WEEKDAY_NAMES, Practice, ReminderPolicy
from domain.reminder_wording import MAX_WORDING_LENGTH, PLACEHOLDERS
from domain.roles import Role
from domain.usecases.reminders import (
    ReminderDraft,
    ReminderPreview,
    draft_of,
    preview_reminders,
)
from domain.usecases.settings import ConfigureReminders, configure_reminders

CALLBACK_ID = "reminders"

ENABLED = "enabled"
ENABLED_ON = "on"
OFFSETS = "offsets"
SEND_TIME = "send_time"
REPEAT = "repeat_every_days"
QUIET_DAYS = "quiet_days"
DIGEST = "digest_enabled"
DIGEST_ON = "on"
DIGEST_TIME = "digest_time"
SCHEDULE = "reminders_schedule"
PREVIEW = "reminders_preview"
#: A step's wording input is "wording:<offset>" ("wording:-3"), block and action alike; the
#: domain names its problems "wording.<offset>".
WORDING = "wording:"
WORDING_PREVIEW = "wording_preview:"
_WORDING_FIELD = "wording."


class _Blocks(dict[str, str]):
    """Field -> block of the form; a step's wording is its own block."""

    def get(self, key: str, default: Any = None) -> Any:
        if key.startswith(_WORDING_FIELD):
            return WORDING + key.removeprefix(_WORDING_FIELD)
        return super().get(key, default)


BLOCK_FOR_FIELD = _Blocks(
    {
        OFFSETS: OFFSETS,
        SEND_TIME: SEND_TIME,
        REPEAT: REPEAT,
        QUIET_DAYS: QUIET_DAYS,
        DIGEST_TIME: DIGEST_TIME,
    }
)


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


def _step_label(offset: int) -> str:
    if offset == 0:
        return "On the due date"
    return f"{_days(abs(offset))} {'before' if offset < 0 else 'after'} the due date"


def schedule_sentence(policy: ReminderPolicy, time_zone: str) -> str:
    """What the schedule means, for the context line under the form."""
    if not policy.offsets:
        return "Reminders are off, and no days are set."
    when = f"{describe_offsets(policy.offsets)}, at {policy.send_time:%H:%M} ({time_zone})"
    if policy.repeat_every_days:
        when += f", then every {_days(policy.repeat_every_days)} until paid"
    if policy.quiet_days:
        names = ", ".join(WEEKDAY_NAMES[day] for day in sorted(policy.quiet_days))
        when += f"; none on {names} (they go out the next sending day)"
    if policy.enabled:
        return f"Clients with an unpaid invoice get a reminder {when}."
    return f"Reminders are off. Turned on, they would go out {when}."


def _example(preview: ReminderPreview) -> str:
    if not preview.example:
        return ""
    moments = " · ".join(f"{day_text(p.day)} ({p.tone.label.lower()})" for p in preview.example)
    return f"\nAn invoice due {day_text(preview.example_due)} would be reminded on: {moments}."


def _problems(preview: ReminderPreview) -> str:
    shown = {
        key: text for key, text in preview.problems.items() if not key.startswith(_WORDING_FIELD)
    }
    return "".join(f"\n:warning: {escape(text)}" for text in shown.values())


def _wording_blocks(practice: Practice, preview: ReminderPreview, pay_url: str) -> list[Block]:
    blocks: list[Block] = []
    for step in preview.steps:
        blocks.append(
            text_input(
                f"{WORDING}{step.offset}",
                f"{_step_label(step.offset)} · {step.tone.label}",
                step.wording,
                multiline=True,
                max_length=MAX_WORDING_LENGTH,
            )
        )
        if step.problem:
            shown = f":warning: {escape(step.problem)}"
        else:
            subject, text = reminder_preview(
                practice, step.tone, step.wording, due_date=preview.example_due, pay_url=pay_url
            )
            quoted = "\n".join(f"> {escape(line)}" if line else ">" for line in text.splitlines())
            shown = f"*Preview* · {escape(subject)}\n{quoted}"
        blocks.append(
            ContextBlock(
                block_id=f"{WORDING_PREVIEW}{step.offset}",
                elements=[MarkdownTextObject(text=shown[:3000])],
            )
        )
    return blocks


def reminders_modal(
    practice: Practice,
    preview: ReminderPreview | None = None,
    *,
    public_base_url: str = "https://billing.example.com",
    today: date | None = None,
) -> View:
    """The reminder form, filled with the saved policy (or `preview`, a draft being typed),
    with what it means in words and each step's wording previewed for a made-up client."""
    policy = practice.reminder_policy
    zone = practice.billing.time_zone
    if preview is None:
        day = today or datetime.now(practice.zone).date()
        preview = preview_reminders(practice, draft_of(policy), day)
    shown = preview.policy
    enabled = Option(value=ENABLED_ON, text="Send payment reminders by e-mail")
    digest = Option(value=DIGEST_ON, text="Post a daily overdue digest")
    days = [Option(value=str(day), text=name) for day, name in enumerate(WEEKDAY_NAMES)]
    placeholders = ", ".join(f"`{{{name}}}` {what}" for name, what in PLACEHOLDERS.items())
    blocks: list[Block] = [
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
            label=f"Send time ({zone})",
            element=TimePickerElement(
                action_id=SEND_TIME, initial_time=f"{policy.send_time:%H:%M}"
            ),
        ),
        text_input(
            REPEAT,
            "Then repeat every … days until paid",
            str(policy.repeat_every_days or ""),
            optional=True,
            max_length=4,
            placeholder="e.g. 7",
            hint="Empty: no repeats after the last step.",
        ),
        InputBlock(
            block_id=QUIET_DAYS,
            label="No reminders on",
            optional=True,
            hint="A reminder falling on one of these days goes out the next sending day.",
            element=CheckboxesElement(
                action_id=QUIET_DAYS,
                options=days,
                initial_options=[days[day] for day in sorted(policy.quiet_days)] or None,
            ),
        ),
        ContextBlock(
            block_id=SCHEDULE,
            elements=[
                MarkdownTextObject(
                    text=(schedule_sentence(shown, zone) + _example(preview) + _problems(preview))[
                        :3000
                    ]
                )
            ],
        ),
        DividerBlock(),
        HeaderBlock(text="What each reminder says"),
        note(f"Placeholders: {placeholders}."),
        *_wording_blocks(practice, preview, f"{public_base_url}/pay/…"),
        ActionsBlock(
            block_id=PREVIEW,
            elements=[ButtonElement(text="Update preview", action_id=PREVIEW)],
        ),
        DividerBlock(),
        InputBlock(
            block_id=DIGEST,
            label="Overdue digest",
            optional=True,
            hint="Counts and totals of what is overdue, in the billing channel each morning.",
            element=CheckboxesElement(
                action_id=DIGEST,
                options=[digest],
                initial_options=[digest] if policy.digest_enabled else None,
            ),
        ),
        InputBlock(
            block_id=DIGEST_TIME,
            label=f"Digest time ({zone})",
            element=TimePickerElement(
                action_id=DIGEST_TIME, initial_time=f"{policy.digest_time:%H:%M}"
            ),
        ),
    ]
    return View(
        type="modal",
        callback_id=CALLBACK_ID,
        title="Reminders",
        submit="Save",
        close="Cancel",
        blocks=blocks,
    )


def _draft(state: ViewState) -> ReminderDraft:
    wordings: Mapping[int, str] = {
        int(input_id.removeprefix(WORDING)): state.text(input_id)
        for input_id in state.input_ids(WORDING)
        if input_id.removeprefix(WORDING).lstrip("-").isdigit()
    }
    return ReminderDraft(
        enabled=ENABLED_ON in state.checked(ENABLED),
        offsets=state.text(OFFSETS),
        send_time=state.time(SEND_TIME) or "",
        repeat_every_days=state.text(REPEAT),
        quiet_days=frozenset(int(day) for day in state.checked(QUIET_DAYS) if day.isdigit()),
        wordings=dict(wordings),
        digest_enabled=DIGEST_ON in state.checked(DIGEST),
        digest_time=state.time(DIGEST_TIME) or "",
    )


def save_reminders(deps: BotDeps, caller: Caller, view: dict[str, Any], client: WebClient) -> Saved:
    """Save the policy; the domain reads the schedule text, the times and the wordings."""
    draft = _draft(ViewState(view))
    configure_reminders(
        ConfigureReminders(
            practice_id=caller.practice.id,
            actor=caller.user_id,
            enabled=draft.enabled,
            offsets=draft.offsets,
            send_time=draft.send_time,
            repeat_every_days=draft.repeat_every_days,
            quiet_days=draft.quiet_days,
            wordings=draft.wordings,
            digest_enabled=draft.digest_enabled,
            digest_time=draft.digest_time or None,
        ),
        deps.uow(),
        deps.env,
    )
    return Saved(
        then=partial(home.refresh, client, deps, caller.practice.workspace_id, caller.user_id)
    )


def open_reminders(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    modal = reminders_modal(
        caller.practice,
        public_base_url=deps.public_base_url,
        today=deps.env.today_at(caller.practice),
    )
    open_or_push(client, body, modal)


def refresh_preview(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    """ "Update preview": the form again with the typed settings' meaning and wordings (the
    steps of a schedule typed anew get their tone's wording), nothing saved."""
    view = body["view"]
    today = deps.env.today_at(caller.practice)
    preview = preview_reminders(caller.practice, _draft(ViewState(view)), today)
    modal = reminders_modal(
        caller.practice, preview, public_base_url=deps.public_base_url, today=today
    )
    update_in_place(client, view, modal, what="reminders preview")


def register(app: App, deps: BotDeps) -> None:
    app.action(home.OPEN_REMINDERS)(action(deps, Role.ADMIN, partial(open_reminders, deps)))
    app.action(PREVIEW)(action(deps, Role.ADMIN, partial(refresh_preview, deps)))
    app.view(CALLBACK_ID)(
        submission(deps, Role.ADMIN, BLOCK_FOR_FIELD, partial(save_reminders, deps))
    )
