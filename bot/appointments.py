"""`/appointment`: the "Schedule appointment" modal, and the day and week lists (today,
tomorrow, this week, a date, or a client's) in which billing staff mark appointments attended,
no-show or cancelled and invoice them; `/appointment help` shows usage."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DatePickerElement,
    DividerBlock,
    ExternalDataSelectElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    SectionBlock,
    TimePickerElement,
    UserSelectElement,
)
from slack_sdk.models.views import View
from slack_sdk.webhook import WebhookClient

from bot import home
from bot.blocks import day_text, escape, note, select_input
from bot.edge.deps import BotDeps, Caller
from bot.edge.listen import Saved, action, command, options, submission
from bot.edge.respond import notice_modal
from bot.edge.state import ViewState
from bot.invoice_card import DETAILS as OPEN_INVOICE
from domain.appointments import Appointment, AppointmentStatus
from domain.clients import Client
from domain.errors import FieldErrors, InvalidValue, StaleEdit
from domain.ids import AppointmentId, ClientId, ServiceTypeId
from domain.roles import Role
from domain.services import ServiceType
from domain.usecases.calendar import Calendar, CalendarEntry, calendar
from domain.usecases.client_record import find_clients
from domain.usecases.queries import appointment_names, matching_clients, scheduling_choices
from domain.usecases.records import (
    ScheduleAppointment,
    schedule_appointment,
    set_appointment_status,
)

COMMAND = "/appointment"
CALLBACK_ID = "appointment_schedule"
CREATE_INVOICE = home.CREATE_INVOICE
"""The new-invoice modal, prefilled from the appointment (registered by `bot.invoices`)."""
MARK_ATTENDED = "appointment_mark_attended"
MARK_NO_SHOW = "appointment_mark_no_show"
MARK_CANCELLED = "appointment_mark_cancelled"
MARKS = {
    MARK_ATTENDED: (AppointmentStatus.ATTENDED, "Attended"),
    MARK_NO_SHOW: (AppointmentStatus.NO_SHOW, "No-show"),
    MARK_CANCELLED: (AppointmentStatus.CANCELLED, "Cancelled"),
}
LIST_PREVIOUS = "appointment_list_previous"
LIST_NEXT = "appointment_list_next"
TURN_ACTIONS = "appointment_list_turn"
ROW_PREFIX = "appointment:"
"""The block id of an appointment's buttons in a list: this and the appointment's id."""
STATUS_TEXT = {
    AppointmentStatus.SCHEDULED: "Scheduled",
    AppointmentStatus.ATTENDED: ":white_check_mark: Attended",
    AppointmentStatus.NO_SHOW: ":warning: No-show",
    AppointmentStatus.CANCELLED: ":x: Cancelled",
}
# Slack shows at most 50 blocks in a message: a list stops before that and says how many more.
MAX_BLOCKS = 50
CLIENT_DAYS_BEFORE = 14
CLIENT_DAYS_AFTER = 14
CLIENTS_NAMED = 5

CLIENT = "client"
SERVICE = "service_type"
DATE = "date"
START_TIME = "start_time"
DURATION = "duration_minutes"
CLINICIAN = "clinician"

# Domain field -> block. The domain's `start` is the date and time together; a problem
# with it is shown under the time.
BLOCK_FOR_FIELD = {
    CLIENT: CLIENT,
    SERVICE: SERVICE,
    DATE: DATE,
    "start": START_TIME,
    START_TIME: START_TIME,
    DURATION: DURATION,
    CLINICIAN: CLINICIAN,
}
# Slack allows 100 options in a static select and 75 characters in an option's text.
MAX_OPTIONS = 100
OPTION_TEXT = 75

USAGE = (
    "*`/appointment`* (or `/appointment new`) opens a form to schedule an appointment "
    "(billing staff and admins).\n"
    "• `/appointment today`, `tomorrow` or `week` lists the appointments of that day or of "
    "this week (Monday to Sunday), to mark them attended, no-show or cancelled and invoice "
    "them.\n"
    "• `/appointment 2026-12-07` lists that day's appointments.\n"
    f"• `/appointment Ada` lists a client's appointments from {CLIENT_DAYS_BEFORE} days ago "
    f"to {CLIENT_DAYS_AFTER} days ahead.\n"
    "• `/appointment help` shows this help.\n"
    "• `/client` adds a client first, if they are new."
)
NO_CLIENTS = "There are no clients yet. Add one with `/client`, then run `/appointment` again."
NO_SERVICES = (
    "There are no active services yet. A billing admin adds them in `/billing` → Services."
)


def _option_text(text: str) -> str:
    return text if len(text) <= OPTION_TEXT else text[: OPTION_TEXT - 1] + "…"


def _client_choice(client: Client) -> tuple[str, str]:
    return client.id, _option_text(f"{client.name} ({client.email})")


def _client_picker(clients: Sequence[Client], picked: Client | None) -> InputBlock:
    """A list of the clients while Slack can show them all; past that, a field that asks
    the app for the clients matching what the user types (`client_options`)."""
    if len(clients) <= MAX_OPTIONS:
        choices = [_client_choice(c) for c in clients]
        return select_input(CLIENT, "Client", choices, picked.id if picked else None)
    initial = None
    if picked is not None:
        value, text = _client_choice(picked)
        initial = Option(value=value, text=text)
    return InputBlock(
        block_id=CLIENT,
        label="Client",
        hint=f"Type part of a name or e-mail to find one of the {len(clients)} clients.",
        element=ExternalDataSelectElement(
            action_id=CLIENT,
            placeholder="Type to search clients",
            min_query_length=1,
            initial_option=initial,
        ),
    )


def client_options(deps: BotDeps, caller: Caller, typed: str) -> list[Option]:
    """The clients whose name or e-mail holds `typed`, by name, as many as Slack lists."""
    caller.require(Role.STAFF)
    found = matching_clients(caller.practice.id, typed.strip(), MAX_OPTIONS, deps.read(), deps.env)
    return [Option(value=value, text=text) for value, text in map(_client_choice, found)]


def appointment_modal(
    clients: Sequence[Client],
    services: Sequence[ServiceType],
    today: date,
    clinician: str,
    time_zone: str,
    client: Client | None = None,
    *,
    locale: str,
) -> View:
    """The scheduling form: the practice's clients and active services (prices as the
    practice writes them, `locale`) to pick from, today's date and the user as clinician to
    start with, and `client` already picked if given (the form opened from a client's
    record)."""
    service_choices = [
        (s.id, _option_text(f"{s.name} · {s.default_price.format(locale)}")) for s in services
    ]
    blocks: list[Block] = [
        _client_picker(clients, client),
        select_input(SERVICE, "Service", service_choices[:MAX_OPTIONS], None),
        InputBlock(
            block_id=DATE,
            label="Date",
            element=DatePickerElement(action_id=DATE, initial_date=today.isoformat()),
        ),
        InputBlock(
            block_id=START_TIME,
            label=f"Start time ({time_zone})",
            element=TimePickerElement(action_id=START_TIME),
        ),
        InputBlock(
            block_id=DURATION,
            label="Duration (minutes)",
            element=NumberInputElement(
                action_id=DURATION, is_decimal_allowed=False, placeholder="50"
            ),
        ),
        InputBlock(
            block_id=CLINICIAN,
            label="Clinician",
            element=UserSelectElement(action_id=CLINICIAN, initial_user=clinician),
        ),
    ]
    return View(
        type="modal",
        callback_id=CALLBACK_ID,
        title="Schedule appointment",
        submit="Schedule",
        close="Cancel",
        blocks=blocks,
    )


def _day(text: str | None) -> date:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        raise InvalidValue("Pick the date of the appointment.") from None


def _time_of_day(text: str | None) -> time:
    try:
        return time.fromisoformat(text or "")
    except ValueError:
        raise InvalidValue("Pick the start time of the appointment.") from None


def _minutes(text: str) -> int:
    # The domain takes whole minutes; a number input can still send "1.5" or nothing.
    if not re.fullmatch(r"\d{1,6}", text.strip()):
        raise InvalidValue("Enter the duration in whole minutes, e.g. 50.")
    return int(text)


def start_from(view: dict[str, Any], zone: ZoneInfo) -> tuple[datetime, int]:
    """The start, as the picked date and time on the practice's clock, and the duration.

    Raises ValidationError naming the date, time or duration block."""
    state = ViewState(view)
    picked_date = state.date(DATE)
    errors = FieldErrors()
    day = errors.check(DATE, partial(_day, picked_date))
    at = errors.check(START_TIME, partial(_time_of_day, state.time(START_TIME)))
    minutes = errors.check(DURATION, partial(_minutes, state.text(DURATION)))
    errors.raise_if_any()
    assert day is not None and at is not None and minutes is not None
    return datetime.combine(day, at, tzinfo=zone), minutes


def scheduled_modal(appointment: Appointment, client: str, service: str) -> View:
    """What the form turns into once the appointment is saved, with "Create invoice"."""
    start, end = appointment.start, appointment.end
    done = notice_modal(
        "Appointment scheduled",
        f"*{escape(client)}* · {escape(service)}\n"
        f"{start:%a %d %b %Y}, {start:%H:%M}–{end:%H:%M} ({start.tzinfo}) "
        f"with <@{appointment.clinician}>",
    )
    done.blocks.append(
        ActionsBlock(
            block_id=CREATE_INVOICE,
            elements=[
                ButtonElement(text="Create invoice", action_id=CREATE_INVOICE, value=appointment.id)
            ],
        )
    )
    return done


def save_appointment(
    deps: BotDeps, caller: Caller, view: dict[str, Any], client: WebClient
) -> Saved:
    """Schedule the appointment on the practice's clock; the domain checks the rest."""
    practice = caller.practice
    state = ViewState(view)
    start, minutes = start_from(view, practice.zone)
    appointment = schedule_appointment(
        ScheduleAppointment(
            practice_id=practice.id,
            actor=caller.user_id,
            client_id=ClientId(state.selected(CLIENT) or ""),
            service_type_id=ServiceTypeId(state.selected(SERVICE) or ""),
            start=start,
            duration_minutes=minutes,
            clinician=state.user(CLINICIAN) or "",
        ),
        deps.uow(),
        deps.env,
    )
    names = appointment_names(appointment, deps.read(), deps.env)
    done = scheduled_modal(appointment, names.client or "?", names.service or "?")
    # Nothing on the Home tab shows appointments, so there is nothing to republish.
    return Saved(ack={"response_action": "update", "view": done})


# -- the day and week lists -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListRange:
    """Which days a list shows, and whose appointments: carried by its buttons, so a list
    redrawn after a click shows the same days."""

    first_day: date
    day_count: int
    client_id: ClientId | None = None

    def to_json(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"d": self.first_day.isoformat(), "n": self.day_count}
        if self.client_id:
            shown["c"] = self.client_id
        return shown

    @classmethod
    def from_json(cls, data: Any) -> ListRange:
        """The range a button carries; InvalidValue for one not made by `to_json`."""
        try:
            client = data.get("c")
            return cls(
                date.fromisoformat(str(data["d"])),
                int(data["n"]),
                ClientId(str(client)) if client else None,
            )
        except (AttributeError, KeyError, TypeError, ValueError):
            raise InvalidValue("That list is out of date; run /appointment again.") from None


def _button_value(appointment: Appointment, shown: ListRange) -> str:
    """What a row's buttons carry: the appointment, the version the list showed (a mark from
    a list drawn before a change is refused), and the days listed (to redraw the list)."""
    data = {"a": appointment.id, "v": appointment.version, **shown.to_json()}
    return json.dumps(data, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Pressed:
    """A row's button pressed in a list: which appointment, at which version, in which list."""

    appointment_id: AppointmentId
    version: int | None
    shown: ListRange


def _clicked(body: dict[str, Any]) -> Pressed:
    try:
        data = json.loads(str((body.get("actions") or [{}])[0].get("value") or ""))
        appointment_id = AppointmentId(str(data["a"]))
        version = int(data["v"]) if "v" in data else None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise InvalidValue("That list is out of date; run /appointment again.") from None
    return Pressed(appointment_id, version, ListRange.from_json(data))


def invoiced_from(body: dict[str, Any]) -> tuple[AppointmentId, str]:
    """The appointment of a "Create invoice" button (in a list, on Home, under a scheduled
    appointment), and for one in a list the list to redraw once its invoice exists
    (`redraw_list`'s `listed`; empty elsewhere)."""
    value = str((body.get("actions") or [{}])[0].get("value") or "")
    if not value.startswith("{"):
        return AppointmentId(value), ""
    pressed = _clicked(body)
    response_url = str(body.get("response_url") or "")
    if not response_url:
        return pressed.appointment_id, ""
    listed = {"u": response_url, **pressed.shown.to_json()}
    return pressed.appointment_id, json.dumps(listed, separators=(",", ":"))


def redraw_list(deps: BotDeps, caller: Caller, listed: str) -> None:
    """Draw again, in place, the list a "Create invoice" was pressed in (`invoiced_from`), so
    its appointment shows its invoice's number instead of the button."""
    try:
        data = json.loads(listed)
        response_url = str(data["u"])
        shown = ListRange.from_json(data)
    except (ValueError, KeyError, TypeError, InvalidValue):
        return
    WebhookClient(response_url).send(
        text="Appointments",
        blocks=_list_for(deps, caller, shown),
        response_type="ephemeral",
        replace_original=True,
    )


def _title(listed: Calendar, today: date) -> str:
    first, last = listed.first_day, listed.last_day
    if listed.client is not None:
        return f"{listed.client}: {day_text(first)} – {day_text(last)}"
    if listed.day_count == 1:
        named = {today: "Today", today + timedelta(days=1): "Tomorrow"}.get(first)
        shown = f"{first:%A} {day_text(first)}"
        return f"{named}, {shown}" if named else shown
    return f"Week of {first:%a} {day_text(first)} – {last:%a} {day_text(last)}"


def _entry_text(entry: CalendarEntry, zone: ZoneInfo) -> str:
    appointment = entry.appointment
    start, end = appointment.start.astimezone(zone), appointment.end.astimezone(zone)
    parts = [
        f"*{start:%H:%M}–{end:%H:%M}*",
        f"*{escape(entry.client or 'a client no longer on record')}*",
        escape(entry.service or "a service no longer offered"),
        f"with <@{appointment.clinician}>",
        STATUS_TEXT[appointment.status],
    ]
    return " · ".join(parts)


def _entry_buttons(entry: CalendarEntry, shown: ListRange) -> ActionsBlock:
    """Marks for the statuses it is not in, then its invoice: Create invoice while it has
    none and is billable (a no-show may carry a fee; a cancellation is not billed), else its
    number, which opens it."""
    appointment = entry.appointment
    value = _button_value(appointment, shown)
    elements = [
        ButtonElement(text=f"Mark {label.lower()}", action_id=action_id, value=value)
        for action_id, (status, label) in MARKS.items()
        if status is not appointment.status
    ]
    if entry.invoice is not None:
        elements.append(
            ButtonElement(
                text=f"Invoice {entry.invoice.number}",
                action_id=OPEN_INVOICE,
                value=entry.invoice.id,
            )
        )
    elif entry.can_be_invoiced:
        elements.append(
            ButtonElement(
                text="Create invoice",
                action_id=CREATE_INVOICE,
                value=value,
                style="primary",
            )
        )
    return ActionsBlock(block_id=ROW_PREFIX + appointment.id, elements=elements)


def calendar_blocks(listed: Calendar, shown: ListRange, today: date, zone: ZoneInfo) -> list[Block]:
    """A day or week list, for a message only the caller sees: the days with appointments,
    each appointment with its client, service, clinician and status, and its buttons. Past
    Slack's block limit it stops at a whole appointment and says how many are not shown."""
    blocks: list[Block] = [
        HeaderBlock(text=_title(listed, today)[:150]),
        note(f"Times in {zone.key}. Only you can see this list."),
    ]
    if not listed.days:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="_No appointments._")))
        blocks.append(_turn_buttons(shown))
        return blocks
    shown_count = 0
    # Three left: the note saying what is not shown, and the buttons to the days around
    # below a divider, so they are not read as the last appointment's.
    room = MAX_BLOCKS - len(blocks) - 3
    # A one-day list's title already names its day.
    dated = listed.day_count > 1
    for day in listed.days:
        if room < 3:
            break
        if dated:
            heading = f"*{day.day:%A} {day_text(day.day)}*"
            blocks.append(SectionBlock(text=MarkdownTextObject(text=heading)))
            room -= 1
        for entry in day.entries:
            if room < 2:
                break
            blocks.append(SectionBlock(text=MarkdownTextObject(text=_entry_text(entry, zone))))
            blocks.append(_entry_buttons(entry, shown))
            room -= 2
            shown_count += 1
    if shown_count < listed.total:
        blocks.append(
            note(
                f"…and {listed.total - shown_count} more not shown here. "
                "`/appointment YYYY-MM-DD` lists one day."
            )
        )
    blocks += [DividerBlock(), _turn_buttons(shown)]
    return blocks


def _turn_buttons(shown: ListRange) -> ActionsBlock:
    """The same number of days before and after those shown (the same client's, if any)."""
    step = timedelta(days=shown.day_count)
    what = "day" if shown.day_count == 1 else "week" if shown.day_count == 7 else "days"
    earlier = ListRange(shown.first_day - step, shown.day_count, shown.client_id)
    later = ListRange(shown.first_day + step, shown.day_count, shown.client_id)
    return ActionsBlock(
        block_id=TURN_ACTIONS,
        elements=[
            ButtonElement(
                text=f"← Previous {what}", action_id=LIST_PREVIOUS, value=_packed(earlier)
            ),
            ButtonElement(text=f"Next {what} →", action_id=LIST_NEXT, value=_packed(later)),
        ],
    )


def _packed(shown: ListRange) -> str:
    return json.dumps(shown.to_json(), separators=(",", ":"))


def _list_for(deps: BotDeps, caller: Caller, shown: ListRange) -> list[dict[str, Any]]:
    practice = caller.practice
    listed = calendar(
        practice.id,
        shown.first_day,
        shown.day_count,
        deps.read(),
        deps.env,
        client_id=shown.client_id,
    )
    today = deps.env.today_at(practice)
    return [b.to_dict() for b in calendar_blocks(listed, shown, today, practice.zone)]


def list_range(word: str, today: date) -> ListRange | None:
    """The days `word` names (today, tomorrow, week, YYYY-MM-DD); None for anything else.
    Raises InvalidValue for something shaped like a date that is not one."""
    named = word.casefold()
    if named == "today":
        return ListRange(today, 1)
    if named == "tomorrow":
        return ListRange(today + timedelta(days=1), 1)
    if named == "week":
        return ListRange(today - timedelta(days=today.weekday()), 7)
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", word):
        try:
            return ListRange(date.fromisoformat(word), 1)
        except ValueError:
            raise InvalidValue(
                f"`{escape(word)}` is not a date. Write a date as YYYY-MM-DD, e.g. "
                f"`/appointment {today.isoformat()}`."
            ) from None
    return None


def _client_range(deps: BotDeps, caller: Caller, text: str, today: date) -> ListRange | str:
    """The range of the one client matching `text`, or what to tell the user instead."""
    found = find_clients(caller.practice.id, text, CLIENTS_NAMED, deps.read(), deps.env)
    if found.total == 0:
        return (
            f"No client matches `{escape(text)}`, and it is not a day this command lists.\n" + USAGE
        )
    if found.total > 1:
        names = ", ".join(escape(c.name) for c in found.clients)
        more = f" and {found.more} more" if found.more else ""
        return (
            f"{found.total} clients match `{escape(text)}`: {names}{more}. Type more of the name."
        )
    (match,) = found.clients
    first = today - timedelta(days=CLIENT_DAYS_BEFORE)
    return ListRange(first, CLIENT_DAYS_BEFORE + 1 + CLIENT_DAYS_AFTER, match.id)


def appointment_command(
    deps: BotDeps, caller: Caller, text: str, body: dict[str, Any], client: WebClient, ack: Ack
) -> Callable[[], Any] | None:
    """`/appointment [new | today | tomorrow | week | YYYY-MM-DD | <client> | help]`: the
    form, or a list only the caller sees (a command's answer is ephemeral)."""
    if text.casefold() in ("help", "?"):
        ack(USAGE)
        return None
    if text and text.casefold() != "new":
        caller.require(Role.STAFF)
        today = deps.env.today_at(caller.practice)
        shown = list_range(text, today) or _client_range(deps, caller, text, today)
        if isinstance(shown, str):
            ack(shown)
            return None
        ack(text="Appointments", blocks=_list_for(deps, caller, shown))
        return None
    caller.require(Role.STAFF)
    practice = caller.practice
    choices = scheduling_choices(practice.id, deps.read(), deps.env)
    clients, services = choices.clients, choices.services
    if not clients:
        ack(NO_CLIENTS)
        return None
    if not services:
        ack(NO_SERVICES)
        return None
    ack()
    modal = appointment_modal(
        clients,
        services,
        deps.env.today_at(practice),
        caller.user_id,
        practice.billing.time_zone,
        locale=practice.locale,
    )
    return partial(client.views_open, trigger_id=body["trigger_id"], view=modal)


def mark(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    """A Mark button in a list: the appointment takes that status, and the list is redrawn in
    place (only the caller sees it); their Home tab's uninvoiced sessions follow.

    A list drawn before the appointment last changed is not acted on: the list is redrawn as
    things are now, and a message only the caller sees says why nothing was marked."""
    pressed = _clicked(body)
    status, label = MARKS[str(body["actions"][0]["action_id"])]
    answer = WebhookClient(body["response_url"])
    try:
        set_appointment_status(
            caller.practice.id,
            pressed.appointment_id,
            status,
            caller.user_id,
            deps.uow(),
            deps.env,
            expected_version=pressed.version,
        )
    except StaleEdit as stale:
        answer.send(
            text="Appointments",
            blocks=_list_for(deps, caller, pressed.shown),
            response_type="ephemeral",
            replace_original=True,
        )
        answer.send(
            text=f"Not marked {label.lower()}: {stale} The list above now shows it as it is.",
            response_type="ephemeral",
            replace_original=False,
        )
        return
    answer.send(
        text="Appointments",
        blocks=_list_for(deps, caller, pressed.shown),
        response_type="ephemeral",
        replace_original=True,
    )
    home.refresh(client, deps, caller.practice.workspace_id, caller.user_id)


def turn(deps: BotDeps, caller: Caller, body: dict[str, Any], client: WebClient) -> None:
    """Previous or Next under a list: the days before or after, in place of those shown."""
    try:
        data = json.loads(str((body.get("actions") or [{}])[0].get("value") or ""))
    except ValueError:
        data = None
    shown = ListRange.from_json(data)
    WebhookClient(body["response_url"]).send(
        text="Appointments",
        blocks=_list_for(deps, caller, shown),
        response_type="ephemeral",
        replace_original=True,
    )


def register(app: App, deps: BotDeps) -> None:
    app.command(COMMAND)(command(deps, partial(appointment_command, deps)))
    for action_id in (LIST_PREVIOUS, LIST_NEXT):
        app.action(action_id)(action(deps, Role.STAFF, partial(turn, deps)))
    for action_id in MARKS:
        app.action(action_id)(action(deps, Role.STAFF, partial(mark, deps), changes=True))
    app.options(CLIENT)(options(deps, partial(client_options, deps)))
    app.view(CALLBACK_ID)(
        submission(deps, Role.STAFF, BLOCK_FOR_FIELD, partial(save_appointment, deps))
    )
