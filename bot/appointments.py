"""`/appointment`: the "Schedule appointment" modal, for billing staff; `/appointment help`
shows usage."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
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
    ExternalDataSelectElement,
    InputBlock,
    NumberInputElement,
    Option,
    TimePickerElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks import escape, select_input
from bot.edge.deps import BotDeps, Caller
from bot.edge.listen import Saved, command, options, submission
from bot.edge.respond import notice_modal
from bot.edge.state import ViewState
from domain.appointments import Appointment
from domain.clients import Client
from domain.errors import FieldErrors, InvalidValue
from domain.ids import ClientId, ServiceTypeId
from domain.roles import Role
from domain.services import ServiceType
from domain.usecases.queries import appointment_names, matching_clients, scheduling_choices
from domain.usecases.records import ScheduleAppointment, schedule_appointment

COMMAND = "/appointment"
CALLBACK_ID = "appointment_schedule"
CREATE_INVOICE = "appointment_invoice"
"""The new-invoice modal, prefilled from the appointment (registered by `bot.invoices`)."""

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
    "*`/appointment`* opens a form to schedule an appointment (billing staff and admins).\n"
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
) -> View:
    """The scheduling form: the practice's clients and active services to pick from, today's
    date and the user as clinician to start with, and `client` already picked if given (the
    form opened from a client's record)."""
    service_choices = [
        (s.id, _option_text(f"{s.name} · {s.default_price.format()}")) for s in services
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


def appointment_command(
    deps: BotDeps, caller: Caller, text: str, body: dict[str, Any], client: WebClient, ack: Ack
) -> Callable[[], Any] | None:
    if text:
        # `help`, and any words the command does not take, get the usage.
        ack(USAGE)
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
    )
    return partial(client.views_open, trigger_id=body["trigger_id"], view=modal)


def register(app: App, deps: BotDeps) -> None:
    app.command(COMMAND)(command(deps, partial(appointment_command, deps)))
    app.options(CLIENT)(options(deps, partial(client_options, deps)))
    app.view(CALLBACK_ID)(
        submission(deps, Role.STAFF, BLOCK_FOR_FIELD, partial(save_appointment, deps))
    )
