"""The demo world: two practices' workspaces in the Slack stand-in, each with the app installed
through its real OAuth flow, a billing admin, billing staff, an ordinary member and #billing,
the practice's billing channel (Stripe is left for the admin to set up in the console),
and the vendor's support workspace, with the app installed by its operator, a support agent,
and #support chosen as the support desk.

Everything the app knows about them it learns the way it would from Slack: the install makes
the installing user the practice's billing admin, and the admin grants the staff role in the
app's own Roles modal, driven like a person would drive it; the operator picks the support
channel in the app's Support desk modal.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from bot import billing_details, home, roles, support_views
from bot.edge.auth import INSTALL_PATH
from bot.hub import COMMAND as BILLING_COMMAND
from domain.roles import Role
from sandbox.console.log import Entry, browser_entry
from sandbox.slack import SlackStandIn, User, Workspace

ADMIN = "billing admin"
STAFF = "billing staff"
MEMBER = "member"
OPERATOR = "support operator"
AGENT = "support agent"

#: The events the app's manifest subscribes to (``bot_events``); the stand-in sends these on
#: its own, as Slack does. A unit test keeps the two lists equal.
APP_EVENTS = (
    "app_home_opened",
    "app_mention",
    "app_uninstalled",
    "file_deleted",
    "message.channels",
    "message.im",
    "reaction_added",
    "tokens_revoked",
)
SUPPORT_WORKSPACE = "Billing Bot Support"


@dataclass(frozen=True)
class PersonSpec:
    name: str
    real_name: str
    persona: str


@dataclass(frozen=True)
class PracticeSpec:
    name: str
    tz: str
    currency: str
    country: str
    """With the currency, decides how the practice writes numbers (GB: 1,250.00; DE:
    1.250,00), so the two demo practices show the difference."""
    people: tuple[PersonSpec, PersonSpec, PersonSpec]
    """The billing admin (who installs the app), billing staff, and a member."""


DEMO_PRACTICES = (
    PracticeSpec(
        "Practice A",
        "Europe/London",
        "GBP",
        "GB",
        (
            PersonSpec("ada", "Ada Lovelace", ADMIN),
            PersonSpec("ben", "Ben Okri", STAFF),
            PersonSpec("cleo", "Cleo Park", MEMBER),
        ),
    ),
    PracticeSpec(
        "Practice B",
        "Europe/Berlin",
        "EUR",
        "DE",
        (
            PersonSpec("dana", "Dana Reyes", ADMIN),
            PersonSpec("eli", "Eli Brooks", STAFF),
            PersonSpec("fay", "Fay Moreau", MEMBER),
        ),
    ),
)


@dataclass(frozen=True)
class DemoPerson:
    user_id: str
    name: str
    real_name: str
    persona: str


@dataclass(frozen=True)
class DemoWorkspace:
    team_id: str
    name: str
    people: tuple[DemoPerson, ...]
    billing_channel_id: str

    @property
    def admin(self) -> DemoPerson:
        return self.people[0]

    def person(self, user_id: str) -> DemoPerson | None:
        return next((person for person in self.people if person.user_id == user_id), None)


@dataclass(frozen=True)
class DemoWorld:
    workspaces: tuple[DemoWorkspace, ...]

    def workspace(self, team_id: str) -> DemoWorkspace | None:
        return next((ws for ws in self.workspaces if ws.team_id == team_id), None)


class DemoSetupFailed(RuntimeError):
    """The app refused part of the demo set-up (the message says which step)."""


def seed_demo(
    slack: SlackStandIn,
    app_url: str,
    record: Callable[[Entry], None] | None = None,
    *,
    support: Workspace | None = None,
) -> DemoWorld:
    """Create both practices' workspaces and install the app into each through OAuth; with
    `support` (the workspace SUPPORT_TEAM_ID names), set up the vendor's support desk there.

    `app_url` is where the app serves ``/slack/install``; `record` receives each browser hop
    of the installs, for the Requests drawer. Raises `DemoSetupFailed`.
    """
    practices = tuple(_seed_practice(slack, app_url, spec, record) for spec in DEMO_PRACTICES)
    if support is None:
        return DemoWorld(practices)
    return DemoWorld((*practices, _seed_support(slack, app_url, support, record)))


def _seed_support(
    slack: SlackStandIn,
    app_url: str,
    workspace: Workspace,
    record: Callable[[Entry], None] | None,
) -> DemoWorkspace:
    """The vendor's workspace: its operator installs the app and picks #support in the
    Support desk modal (``/billing support``); Sam answers questions there."""
    operator = slack.create_user(workspace, "olga", real_name="Olga Operator", is_admin=True)
    agent = slack.create_user(workspace, "sam", real_name="Sam Rivera")
    channel = slack.create_channel(workspace, "support", members=[operator, agent])
    _install(slack, app_url, workspace, operator, record)
    driver = slack.driver
    desk = driver.slash_command(operator, BILLING_COMMAND, "support").opened_view()
    saved = driver.submit_view(
        desk, {support_views.DESK_CHANNEL: channel.id, support_views.ESCALATE_AFTER: "60"}
    )
    if saved.status != 200 or saved.errors:
        raise DemoSetupFailed(f"choosing the support desk failed: {saved.errors or saved.status}")
    people = (
        DemoPerson(operator.id, operator.name, operator.real_name, OPERATOR),
        DemoPerson(agent.id, agent.name, agent.real_name, AGENT),
    )
    return DemoWorkspace(workspace.id, workspace.name, people, channel.id)


def _seed_practice(
    slack: SlackStandIn,
    app_url: str,
    spec: PracticeSpec,
    record: Callable[[Entry], None] | None,
) -> DemoWorkspace:
    workspace = slack.create_workspace(spec.name)
    users = [
        slack.create_user(
            workspace,
            person.name,
            real_name=person.real_name,
            tz=spec.tz,
            is_admin=person.persona == ADMIN,
        )
        for person in spec.people
    ]
    admin, staff, _member = users
    billing = slack.create_channel(workspace, "billing", members=users)
    # A second channel, so pickers of conversations offer a real choice.
    slack.create_channel(workspace, "general", members=users)
    _install(slack, app_url, workspace, admin, record)
    _grant_staff_role(slack, admin, staff)
    _set_billing_details(slack, admin, spec, billing.id)
    people = tuple(
        DemoPerson(user.id, spec_person.name, spec_person.real_name, spec_person.persona)
        for user, spec_person in zip(users, spec.people, strict=True)
    )
    return DemoWorkspace(workspace.id, workspace.name, people, billing.id)


def _install(
    slack: SlackStandIn,
    app_url: str,
    workspace: Workspace,
    admin: User,
    record: Callable[[Entry], None] | None,
) -> None:
    walk = slack.install_via_oauth(f"{app_url}{INSTALL_PATH}", workspace, admin)
    if record is not None:
        for hop in walk.hops:
            record(browser_entry(time.time(), workspace.id, hop.url, hop.status))
    if walk.status != 200:
        raise DemoSetupFailed(
            f"installing the app into {workspace.name} ended with HTTP {walk.status} "
            f"at {walk.final_url}"
        )


def _set_billing_details(
    slack: SlackStandIn, admin: User, spec: PracticeSpec, billing_channel_id: str
) -> None:
    """/billing → Billing details → the practice's currency, time zone, country and billing
    channel (#billing, where invoice cards and payment news go) → Save, as the admin; the
    number format follows the currency and country."""
    driver = slack.driver
    hub = driver.slash_command(admin, BILLING_COMMAND).opened_view()
    form = driver.block_action(home.OPEN_BILLING_DETAILS, view=hub).opened_view()
    saved = driver.submit_view(
        form,
        {
            billing_details.CURRENCY: spec.currency,
            billing_details.TIME_ZONE: spec.tz,
            billing_details.COUNTRY: spec.country,
            billing_details.BILLING_CHANNEL: billing_channel_id,
        },
    )
    if saved.status != 200 or saved.errors:
        raise DemoSetupFailed(f"saving the billing details failed: {saved.errors or saved.status}")
    driver.close_view(hub)


def _grant_staff_role(slack: SlackStandIn, admin: User, staff: User) -> None:
    """/billing → Roles → pick the user and "billing staff" → Save, as the admin."""
    driver = slack.driver
    hub = driver.slash_command(admin, BILLING_COMMAND).opened_view()
    form = driver.block_action(home.OPEN_ROLES, view=hub).opened_view()
    saved = driver.submit_view(form, {roles.USER: staff.id, roles.ROLE: Role.STAFF.value})
    if saved.status != 200 or saved.errors:
        raise DemoSetupFailed(f"granting the staff role failed: {saved.errors or saved.status}")
    # Done, as a person would close the settings: nothing is left open in the console.
    driver.close_view(hub)
