"""The demo world: two practices' workspaces in the Slack stand-in, each with the app installed
through its real OAuth flow, a billing admin, billing staff, an ordinary member and #billing,
the practice's billing channel. Stripe is left for the admin to set up in the console.

Everything the app knows about them it learns the way it would from Slack: the install makes
the installing user the practice's billing admin, and the admin grants the staff role in the
app's own Roles modal, driven like a person would drive it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from bot import billing_details, home, roles
from bot.edge.auth import INSTALL_PATH
from bot.hub import COMMAND as BILLING_COMMAND
from domain.roles import Role
from sandbox.console.log import Entry, browser_entry
from sandbox.slack import SlackStandIn, User, Workspace

ADMIN = "billing admin"
STAFF = "billing staff"
MEMBER = "member"


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
    slack: SlackStandIn, app_url: str, record: Callable[[Entry], None] | None = None
) -> DemoWorld:
    """Create both practices' workspaces and install the app into each through OAuth.

    `app_url` is where the app serves ``/slack/install``; `record` receives each browser hop
    of the installs, for the Requests drawer. Raises `DemoSetupFailed`.
    """
    return DemoWorld(tuple(_seed_practice(slack, app_url, spec, record) for spec in DEMO_PRACTICES))


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
