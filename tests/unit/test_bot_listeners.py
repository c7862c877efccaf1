"""The settings, client and appointment listeners as registered, driven with Slack's payload
shapes over the in-memory unit of work: field errors land on the right block and save
nothing, refusals are explained, and successes update the modal and the Home tab."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.errors import SlackApiError

from bot import (
    appointments,
    clients,
    invoice_settings,
    reminders,
    roles,
    services,
    tax_rates,
)
from bot.edge import listen
from bot.edge.deps import BotDeps, Caller
from bot.edge.files import FileNotFetched
from domain.errors import ValidationError
from domain.ports import Env
from domain.practice import InvoiceSettings, Practice
from domain.roles import Role
from domain.usecases.access import InstallApp, SetRole, install_app, set_role
from factories import a_client, a_service, a_tax_rate
from fakes import FakeUnitOfWork
from slack_fakes import (
    RecordingAck,
    RecordingApp,
    RecordingClient,
    at,
    context,
    input_errors,
    on_date,
    picked,
    pressed,
    submitted,
    ticked,
    typed,
    user,
)

TEAM = "T0HARBOUR"
ADMIN = "U0ADMIN01"
STAFF = "U0STAFF01"
OUTSIDER = "U0OTHER01"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
FEATURES = (
    tax_rates.register,
    invoice_settings.register,
    reminders.register,
    services.register,
    roles.register,
    clients.register,
    appointments.register,
)


@pytest.fixture
def practice(uow: FakeUnitOfWork, env: Env) -> Practice:
    installed = install_app(
        InstallApp(TEAM, "Harbour Therapy", ADMIN, "America/New_York"), uow, env
    )
    set_role(SetRole(installed.practice.id, ADMIN, STAFF, Role.STAFF), uow, env)
    return installed.practice


@pytest.fixture
def deps(uow: FakeUnitOfWork, env: Env) -> BotDeps:
    return BotDeps(
        uow=lambda: uow,  # type: ignore[arg-type,return-value]
        env=env,
        public_base_url="https://billing.example",
        slack_api_url="https://slack.test/api/",
    )


@pytest.fixture
def app(deps: BotDeps) -> RecordingApp:
    app = RecordingApp()
    for register in FEATURES:
        register(app, deps)  # type: ignore[arg-type]
    return app


def submit(
    app: RecordingApp, callback_id: str, view: dict[str, Any], by: str = ADMIN
) -> tuple[dict[str, Any], RecordingClient]:
    ack, client = RecordingAck(), RecordingClient()
    app.listeners[("view", callback_id)](
        ack=ack,
        body={"type": "view_submission", "view": view},
        client=client,
        context=context(TEAM, by),
    )
    return ack.only, client


def act(app: RecordingApp, body: dict[str, Any], by: str = ADMIN) -> RecordingClient:
    ack, client = RecordingAck(), RecordingClient()
    action_id = body["actions"][0]["action_id"]
    app.listeners[("action", action_id)](
        ack=ack, body=body, client=client, context=context(TEAM, by)
    )
    assert ack.only == {}
    return client


def slash(
    app: RecordingApp, name: str, text: str, by: str
) -> tuple[dict[str, Any], RecordingClient]:
    ack, client = RecordingAck(), RecordingClient()
    body = {"command": name, "text": text, "trigger_id": "1337.42.trigger"}
    app.listeners[("command", name)](ack=ack, body=body, client=client, context=context(TEAM, by))
    return ack.only, client


def shown_text(view: dict[str, Any]) -> str:
    return str(view["blocks"])


# -- tax rates ----------------------------------------------------------------------------------


def rates_form(**values: dict[str, Any]) -> dict[str, Any]:
    return submitted(tax_rates.tax_rates_modal([], None), **values)


def test_adding_a_tax_rate_shows_it_in_the_modal_and_refreshes_home(
    app: RecordingApp, uow: FakeUnitOfWork, practice: Practice
) -> None:
    answer, client = submit(app, "tax_rates", rates_form(name=typed("VAT"), percent=typed("20")))

    assert answer["response_action"] == "update"
    assert "*VAT* · 20 % · _default_" in shown_text(answer["view"])
    assert [rate.name for rate in uow.committed.tax_rates.values()] == ["VAT"]
    assert client.named("views.publish")[0]["user_id"] == ADMIN


@pytest.mark.parametrize("percent", ["abc", "150", "-1"])
def test_a_bad_percent_is_a_field_error_and_nothing_is_saved(
    app: RecordingApp, uow: FakeUnitOfWork, practice: Practice, percent: str
) -> None:
    before = uow.committed

    form = rates_form(name=typed("VAT"), percent=typed(percent))
    answer, client = submit(app, "tax_rates", form)

    assert answer["response_action"] == "errors"
    assert list(input_errors(answer, form)) == ["percent"]
    assert uow.committed == before
    assert client.calls == []


def test_a_duplicate_rate_name_is_an_error_on_the_name(
    app: RecordingApp, uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    a_tax_rate(uow, env, practice, name="VAT")

    form = rates_form(name=typed("vat"), percent=typed("7"))
    answer, _ = submit(app, "tax_rates", form)

    assert answer["response_action"] == "errors"
    assert "already a tax rate called 'VAT'" in input_errors(answer, form)["name"]


def test_archiving_the_default_rate_explains_why_in_the_modal_and_changes_nothing(
    app: RecordingApp, uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    vat = a_tax_rate(uow, env, practice, name="VAT")
    before = uow.committed
    modal = tax_rates.tax_rates_modal([vat], vat.id)

    client = act(app, pressed(modal, tax_rates.RATE_MENU, option=f"archive:{vat.id}"))

    (update,) = client.named("views.update")
    assert update["view_id"] == "V0MODAL01"
    assert update["hash"] == "1700000000.abc"
    assert update["view"].to_dict()["blocks"][0]["block_id"] == tax_rates.NOTICE
    assert "'VAT' is the default tax rate" in shown_text(update["view"].to_dict())
    assert uow.committed == before
    assert client.named("views.publish") == []


def test_making_another_rate_the_default_moves_the_mark(
    app: RecordingApp, uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    vat = a_tax_rate(uow, env, practice, name="VAT")
    reduced = a_tax_rate(uow, env, practice, name="Reduced", percent="5")
    modal = tax_rates.tax_rates_modal([reduced, vat], vat.id)

    client = act(app, pressed(modal, tax_rates.RATE_MENU, option=f"default:{reduced.id}"))

    assert uow.committed.practices[practice.id].default_tax_rate_id == reduced.id
    shown = shown_text(client.named("views.update")[0]["view"].to_dict())
    assert "*Reduced* · 5 % · _default_" in shown
    assert client.named("views.publish")


def test_an_archived_rate_leaves_the_list(
    app: RecordingApp, uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    vat = a_tax_rate(uow, env, practice, name="VAT")
    old = a_tax_rate(uow, env, practice, name="Old")
    modal = tax_rates.tax_rates_modal([old, vat], vat.id)

    client = act(app, pressed(modal, tax_rates.RATE_MENU, option=f"archive:{old.id}"))

    assert uow.committed.tax_rates[old.id].is_archived
    assert "*Old*" not in shown_text(client.named("views.update")[0]["view"].to_dict())


def test_editing_a_rate_pushes_its_form_and_saving_refreshes_the_list_under_it(
    app: RecordingApp, uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    vat = a_tax_rate(uow, env, practice, name="VAT")
    listed = tax_rates.tax_rates_modal([vat], vat.id)

    pushed = act(app, pressed(listed, tax_rates.RATE_MENU, option=f"edit:{vat.id}"))
    (push,) = pushed.named("views.push")
    form = submitted(push["view"], "V0EDIT001", name=typed("Sales tax"), percent=typed("8.25"))
    answer, client = submit(app, "tax_rate_edit", form)

    assert answer == {}
    assert uow.committed.tax_rates[vat.id].name == "Sales tax"
    (update,) = client.named("views.update")
    assert update["view_id"] == "V0MODAL01"
    assert "*Sales tax* · 8.25 %" in shown_text(update["view"].to_dict())


def test_staff_cannot_change_tax_rates(
    app: RecordingApp, uow: FakeUnitOfWork, practice: Practice
) -> None:
    before = uow.committed

    answer, _ = submit(
        app, "tax_rates", rates_form(name=typed("VAT"), percent=typed("20")), by=STAFF
    )

    assert answer["response_action"] == "update"
    assert "billing admin role" in shown_text(answer["view"])
    assert f"<@{ADMIN}>" in shown_text(answer["view"])
    assert uow.committed == before


# -- invoice settings ---------------------------------------------------------------------------


def settings_form(**values: dict[str, Any]) -> dict[str, Any]:
    base = {
        "template": picked("modern"),
        "theme": picked("ocean"),
        "payment_terms_days": {"type": "number_input", "value": "30"},
        "number_prefix": typed("HT-"),
        "details": typed("Licence 42"),
        "footer": typed("Thank you"),
    }
    return submitted(
        invoice_settings.invoice_settings_modal(InvoiceSettings()), **{**base, **values}
    )


def a_file(name: str = "logo.png") -> dict[str, Any]:
    url = f"https://files.slack.com/files-pri/T0HARBOUR-F0LOGO/download/{name}"
    return {
        "type": "file_input",
        "files": [{"id": "F0LOGO", "name": name, "url_private_download": url}],
    }


def save_settings(
    deps: BotDeps, practice: Practice, view: dict[str, Any], content: bytes | None
) -> Any:
    fetched: list[tuple[str, str]] = []

    def fetch(url: str, token: str) -> bytes:
        fetched.append((url, token))
        if content is None:
            raise FileNotFetched("Slack didn't let me fetch the file (HTTP 403); try again.")
        return content

    caller = Caller(practice, ADMIN, Role.ADMIN, (ADMIN,))
    saved = invoice_settings.save_settings(deps, caller, view, RecordingClient(), fetch=fetch)  # type: ignore[arg-type]
    return saved, fetched


def test_invoice_settings_are_saved_with_the_uploaded_logo(
    deps: BotDeps, uow: FakeUnitOfWork, practice: Practice
) -> None:
    saved, fetched = save_settings(deps, practice, settings_form(logo=a_file()), PNG)

    settings = uow.committed.practices[practice.id].invoice_settings
    assert (settings.template, settings.payment_terms_days, settings.number_prefix) == (
        "modern",
        30,
        "HT-",
    )
    assert settings.logo_ref is not None
    assert uow.committed.logos[(practice.id, settings.logo_ref)].content == PNG
    assert fetched == [(a_file()["files"][0]["url_private_download"], "xoxb-test-token")]
    assert saved.ack == {}


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        (b"%PDF-1.7\n" + b"0" * 100, "not a PNG, JPEG or SVG"),
        (PNG + b"\x00" * 1_000_000, "must be under 1 MB"),
        (None, "HTTP 403"),
    ],
    ids=["renamed pdf", "over 1 MB", "download refused"],
)
def test_a_bad_logo_is_an_error_on_the_logo_and_nothing_is_saved(
    deps: BotDeps, uow: FakeUnitOfWork, practice: Practice, content: bytes | None, complaint: str
) -> None:
    before = uow.committed

    with pytest.raises(ValidationError) as refused:
        save_settings(deps, practice, settings_form(logo=a_file("logo.png")), content)

    assert list(refused.value.errors) == ["logo"]
    assert complaint in refused.value.errors["logo"]
    assert uow.committed == before


def test_a_logo_can_be_removed(deps: BotDeps, uow: FakeUnitOfWork, practice: Practice) -> None:
    save_settings(deps, practice, settings_form(logo=a_file()), PNG)

    save_settings(deps, practice, settings_form(remove_logo=ticked("on")), None)

    assert uow.committed.practices[practice.id].invoice_settings.logo_ref is None


def test_a_bad_prefix_comes_back_on_its_block(
    app: RecordingApp, uow: FakeUnitOfWork, practice: Practice
) -> None:
    answer, _ = submit(app, "invoice_settings", settings_form(number_prefix=typed("#!")))

    assert list(answer["errors"]) == ["number_prefix"]


# -- reminders ----------------------------------------------------------------------------------


def reminders_form(
    practice: Practice, offsets: str, send_time: str, **more: dict[str, Any]
) -> dict[str, Any]:
    modal = reminders.reminders_modal(practice, today=date(2025, 3, 14))
    # Slack sends every input: the wordings as the form showed them, unless typed over.
    shown = {
        block.element.action_id: typed(block.element.initial_value or "")
        for block in modal.blocks
        if getattr(getattr(block, "element", None), "action_id", "").startswith("wording:")
    }
    return submitted(
        modal,
        enabled=ticked("on"),
        offsets=typed(offsets),
        send_time=at(send_time),
        **(shown | more),
    )


@pytest.mark.parametrize(
    ("offsets", "send_time", "block"),
    [
        ("-3, 0, x", "09:00", "offsets"),
        (", ".join(str(day) for day in range(11)), "09:00", "offsets"),
        ("-3, 0, 7", "25:00", "send_time"),
    ],
    ids=["not a number", "eleven offsets", "no such time"],
)
def test_a_bad_reminder_schedule_is_a_field_error_and_nothing_is_saved(
    app: RecordingApp,
    uow: FakeUnitOfWork,
    practice: Practice,
    offsets: str,
    send_time: str,
    block: str,
) -> None:
    before = uow.committed

    answer, _ = submit(app, "reminders", reminders_form(practice, offsets, send_time))

    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [block]
    assert uow.committed == before


def test_a_reminder_schedule_is_saved_and_the_modal_closes(
    app: RecordingApp, uow: FakeUnitOfWork, practice: Practice
) -> None:
    answer, client = submit(app, "reminders", reminders_form(practice, "7, -3, 0", "08:30"))

    policy = uow.committed.practices[practice.id].reminder_policy
    assert answer == {}
    assert (policy.enabled, policy.offsets, f"{policy.send_time:%H:%M}") == (
        True,
        (-3, 0, 7),
        "08:30",
    )
    assert policy.wordings == (), "the default wordings shown are not stored as the practice's"
    assert client.named("views.publish")


def test_a_wording_with_an_unknown_placeholder_comes_back_on_its_block(
    app: RecordingApp, uow: FakeUnitOfWork, practice: Practice
) -> None:
    before = uow.committed
    form = reminders_form(practice, "-3, 0, 7", "09:00", **{"wording:7": typed("Hi {name}")})

    answer, _ = submit(app, "reminders", form)

    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == ["wording:7"]
    assert "{name} is not a placeholder" in answer["errors"]["wording:7"]
    assert uow.committed == before


# -- services -----------------------------------------------------------------------------------


def services_form(**values: dict[str, Any]) -> dict[str, Any]:
    return submitted(services.services_modal([], {}, None, "USD"), **values)


def test_adding_a_service_without_tax_lists_it(
    app: RecordingApp, uow: FakeUnitOfWork, practice: Practice
) -> None:
    form = services_form(
        name=typed("Individual session"),
        default_price=typed("1,250.50"),
        default_tax_rate=picked("none"),
    )

    answer, _ = submit(app, "services", form)

    assert answer["response_action"] == "update"
    assert "*Individual session* · $1,250.50 · no tax" in shown_text(answer["view"])
    (service,) = uow.committed.service_types.values()
    assert service.default_tax_rate_id is None


def test_a_service_takes_the_chosen_tax_rate(
    app: RecordingApp, uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    vat = a_tax_rate(uow, env, practice, name="VAT")
    form = services_form(
        name=typed("Intake"), default_price=typed("80"), default_tax_rate=picked(vat.id)
    )

    answer, _ = submit(app, "services", form)

    assert "*Intake* · $80.00 · VAT (20 %)" in shown_text(answer["view"])


def test_a_bad_price_is_an_error_on_the_price(
    app: RecordingApp, uow: FakeUnitOfWork, practice: Practice
) -> None:
    form = services_form(
        name=typed("Intake"), default_price=typed("abc"), default_tax_rate=picked("none")
    )

    answer, _ = submit(app, "services", form)

    assert list(input_errors(answer, form)) == ["default_price"]
    assert uow.committed.service_types == {}


def test_deactivating_a_service_updates_the_list_in_place(
    app: RecordingApp, uow: FakeUnitOfWork, env: Env, practice: Practice
) -> None:
    service = a_service(uow, env, practice, name="Intake")
    modal = services.services_modal([service], {}, None, "USD")

    client = act(app, pressed(modal, services.SERVICE_MENU, option=f"deactivate:{service.id}"))

    assert not uow.committed.service_types[service.id].active
    row = next(
        b
        for b in client.named("views.update")[0]["view"].to_dict()["blocks"]
        if b.get("block_id") == f"service:{service.id}"
    )
    assert row["accessory"]["options"][1]["value"] == f"reactivate:{service.id}"


# -- roles --------------------------------------------------------------------------------------


def roles_form(who: str, role: str) -> dict[str, Any]:
    return submitted(roles.roles_modal([]), user=user(who), role=picked(role))


def test_granting_a_role_lists_it_and_refreshes_both_home_tabs(
    app: RecordingApp, uow: FakeUnitOfWork, practice: Practice
) -> None:
    answer, client = submit(app, "roles", roles_form(OUTSIDER, "staff"))

    assert answer["response_action"] == "update"
    assert f"<@{OUTSIDER}> · Billing staff" in shown_text(answer["view"])
    assert uow.committed.members[(practice.id, OUTSIDER)].role is Role.STAFF
    assert [call["user_id"] for call in client.named("views.publish")] == [ADMIN, OUTSIDER]


def test_removing_the_only_admin_is_an_error_on_the_user(
    app: RecordingApp, uow: FakeUnitOfWork, practice: Practice
) -> None:
    before = uow.committed

    form = roles_form(ADMIN, "none")
    answer, _ = submit(app, "roles", form)

    assert answer["response_action"] == "errors"
    assert "without a billing admin" in input_errors(answer, form)["user"]
    assert uow.committed == before


def test_staff_asking_for_the_roles_modal_are_told_whom_to_ask(
    app: RecordingApp, practice: Practice
) -> None:
    body = {
        "type": "block_actions",
        "trigger_id": "1337.42.trigger",
        "actions": [{"action_id": "roles_open"}],
    }

    client = act(app, body, by=STAFF)

    (notice,) = client.named("views.open")
    assert f"<@{ADMIN}>" in shown_text(notice["view"].to_dict())


# -- clients ------------------------------------------------------------------------------------


def client_form(**values: dict[str, Any]) -> dict[str, Any]:
    return submitted(clients.add_client_modal(), **values)


def test_client_help_replies_with_usage(app: RecordingApp, practice: Practice) -> None:
    answer, client = slash(app, "/client", "help", STAFF)

    assert answer == {"text": clients.USAGE}
    assert client.calls == []


def test_client_opens_the_form_for_staff(app: RecordingApp, practice: Practice) -> None:
    answer, client = slash(app, "/client", "", STAFF)

    assert answer == {}
    assert client.named("views.open")[0]["view"].callback_id == "client_add"


def test_client_is_refused_to_users_without_a_role(app: RecordingApp, practice: Practice) -> None:
    answer, client = slash(app, "/client", "", OUTSIDER)

    assert "billing staff role" in answer["text"]
    assert client.calls == []


def test_adding_a_client_says_so_in_the_modal(
    app: RecordingApp, uow: FakeUnitOfWork, practice: Practice
) -> None:
    form = client_form(
        name=typed("Ada Lovelace"), email=typed("ada@example.com"), phone=typed("+1 415 555 0100")
    )

    answer, client = submit(app, "client_add", form, by=STAFF)

    assert answer["response_action"] == "update"
    assert "*Ada Lovelace* (ada@example.com) was added" in shown_text(answer["view"])
    (added,) = uow.committed.clients.values()
    assert added.phone == "+14155550100"
    assert client.calls == []


def test_a_bad_email_is_an_error_on_the_email(
    app: RecordingApp, uow: FakeUnitOfWork, practice: Practice
) -> None:
    answer, _ = submit(
        app, "client_add", client_form(name=typed("Ada"), email=typed("ada@")), by=STAFF
    )

    assert list(answer["errors"]) == ["email"]
    assert uow.committed.clients == {}


# -- appointments -------------------------------------------------------------------------------


@pytest.fixture
def booked(uow: FakeUnitOfWork, env: Env, practice: Practice) -> tuple[str, str]:
    return a_client(uow, env, practice).id, a_service(uow, env, practice, name="Session").id


def appointment_form(client_id: str, service_id: str, duration: str = "50") -> dict[str, Any]:
    modal = appointments.appointment_modal(
        [], [], datetime(2025, 3, 14).date(), STAFF, "UTC", locale="en_US"
    )
    return submitted(
        modal,
        client=picked(client_id),
        service_type=picked(service_id),
        date=on_date("2025-03-20"),
        start_time=at("09:30"),
        duration_minutes={"type": "number_input", "value": duration},
        clinician=user(STAFF),
    )


def test_appointment_without_clients_says_to_add_one_first(
    app: RecordingApp, practice: Practice
) -> None:
    answer, client = slash(app, "/appointment", "", STAFF)

    assert answer == {"text": appointments.NO_CLIENTS}
    assert client.calls == []


def test_appointment_opens_the_form_when_there_is_someone_to_see(
    app: RecordingApp, practice: Practice, booked: tuple[str, str]
) -> None:
    answer, client = slash(app, "/appointment", "", STAFF)

    assert answer == {}
    opened = client.named("views.open")[0]["view"].to_dict()
    assert opened["callback_id"] == "appointment_schedule"


def test_an_appointment_starts_at_the_picked_time_on_the_practices_clock(
    app: RecordingApp, uow: FakeUnitOfWork, practice: Practice, booked: tuple[str, str]
) -> None:
    answer, _ = submit(app, "appointment_schedule", appointment_form(*booked), by=STAFF)

    (appointment,) = uow.committed.appointments.values()
    assert appointment.start == datetime(2025, 3, 20, 9, 30, tzinfo=ZoneInfo("America/New_York"))
    assert appointment.start.utcoffset() is not None
    assert (appointment.duration_minutes, appointment.clinician) == (50, STAFF)
    assert "09:30–10:20 (America/New_York)" in shown_text(answer["view"])


@pytest.mark.parametrize("duration", ["1.5", "", "0"])
def test_a_bad_duration_is_an_error_on_the_duration(
    app: RecordingApp,
    uow: FakeUnitOfWork,
    practice: Practice,
    booked: tuple[str, str],
    duration: str,
) -> None:
    answer, _ = submit(app, "appointment_schedule", appointment_form(*booked, duration), by=STAFF)

    assert list(answer["errors"]) == ["duration_minutes"]
    assert uow.committed.appointments == {}


def test_a_client_of_another_practice_cannot_be_booked(
    app: RecordingApp, uow: FakeUnitOfWork, practice: Practice, booked: tuple[str, str]
) -> None:
    answer, _ = submit(
        app, "appointment_schedule", appointment_form("someone-elses", booked[1]), by=STAFF
    )

    assert list(answer["errors"]) == ["client"]


# -- failures after the answer ------------------------------------------------------------------


class _RefusingClient(RecordingClient):
    """Slack refusing every views.open with `error`."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error

    def views_open(self, **arguments: Any) -> dict[str, Any]:
        self._record("views.open", arguments)
        raise SlackApiError("refused", {"ok": False, "error": self.error})


def _open_settings(deps: BotDeps, client: RecordingClient) -> None:
    def open_modal(caller: Caller, body: dict[str, Any], slack: Any) -> None:
        slack.views_open(trigger_id=body["trigger_id"], view={"type": "modal"})

    listener = listen.action(deps, Role.ADMIN, open_modal)
    listener(
        ack=RecordingAck(),
        body={"trigger_id": "1337.42.trigger"},
        client=client,
        context=context(TEAM, ADMIN),
    )


def test_an_expired_trigger_is_reported_once_without_a_second_modal(
    deps: BotDeps, practice: Practice, caplog: pytest.LogCaptureFixture
) -> None:
    client = _RefusingClient("expired_trigger_id")
    with caplog.at_level(logging.ERROR):
        _open_settings(deps, client)

    assert len(client.named("views.open")) == 1, "the spent trigger was tried again"
    failures = [r for r in caplog.records if "event=listener_failed" in r.getMessage()]
    assert len(failures) == 1


def test_other_failures_open_a_notice_naming_the_error_id(
    deps: BotDeps, practice: Practice, caplog: pytest.LogCaptureFixture
) -> None:
    client = RecordingClient()

    def broken(caller: Caller, body: dict[str, Any], slack: Any) -> None:
        raise RuntimeError("database went away")

    with caplog.at_level(logging.ERROR):
        listen.action(deps, Role.ADMIN, broken)(
            ack=RecordingAck(),
            body={"trigger_id": "1337.42.trigger"},
            client=client,
            context=context(TEAM, ADMIN),
        )

    [notice] = client.named("views.open")
    [failure] = [r for r in caplog.records if "event=listener_failed" in r.getMessage()]
    error_id = failure.getMessage().split("error_id=")[1].split()[0]
    assert error_id in shown_text(notice["view"].to_dict())
