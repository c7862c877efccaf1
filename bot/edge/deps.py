"""What every Slack listener needs, and how it learns who is asking: the practice of the
workspace and the user's billing role."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from domain.errors import NotFound
from domain.ports import Env, UnitOfWork
from domain.practice import Practice
from domain.roles import NotPermitted, Role
from domain.usecases.access import InstallApp, Workspace, install_app, installed_workspace


def _at_once(work: Callable[[], object]) -> None:
    work()


def _nothing_remembered(enterprise_id: str | None, team_id: str | None) -> None:
    return None


def _nothing_to_wake() -> None:
    return None


@dataclass(frozen=True)
class BotDeps:
    uow: Callable[[], UnitOfWork]
    """A unit of work for changes."""
    env: Env
    public_base_url: str
    # Where the Web API lives (the stand-in in tests); files a user gives the app are
    # fetched with the bot token only from this origin or files.slack.com.
    slack_api_url: str = "https://slack.com/api/"
    # Single-workspace mode has no OAuth install: the workspace becomes a practice, and its
    # first user a billing admin, on first contact.
    install_on_first_contact: bool = False
    later: Callable[[Callable[[], object]], None] = _at_once
    """Run Slack calls that need not delay the HTTP answer to Slack (modals to open, Home
    tabs to republish) after the answer; tests run them at once."""
    reader: Callable[[], UnitOfWork] | None = None
    """A unit of work that only reads: on SQLite it does not queue behind writers. Falls
    back to `uow`."""
    recent: RecentWorkspaces | None = None
    """None: every lookup reads the database."""
    forget_installation: Callable[[str | None, str | None], None] = _nothing_remembered
    stripe_links: Callable[[str, str, str], str] | None = None
    """(purpose, team, user) -> a signed link an admin follows to Stripe ("setup" for
    onboarding, "dashboard" for the Express dashboard); None without Stripe configured."""
    """Drop what this process remembers of a workspace's installation (its bot token), once
    the workspace installed the app again or removed it."""
    support_team_id: str | None = None
    """The vendor's support workspace (SUPPORT_TEAM_ID): where Help channel questions go,
    and whose billing admins are the operators. None: the Help channel is not offered."""
    deliver_soon: Callable[[], None] = _nothing_to_wake
    """Wake this process's outbox worker: call it after committing a unit of work that
    enqueued messages (`uow.outbox.add`), so they go out now rather than at the next
    interval. Never blocks."""

    def read(self) -> UnitOfWork:
        return (self.reader or self.uow)()


@dataclass(frozen=True)
class Caller:
    """Who sent a Slack request: the practice of their workspace and their billing role."""

    practice: Practice
    user_id: str
    role: Role | None
    admins: tuple[str, ...]

    def require(self, needed: Role) -> None:
        """Raises NotPermitted (naming the admins) unless the caller's role allows `needed`."""
        if self.role is None or not self.role.allows(needed):
            raise NotPermitted(needed, list(self.admins))


class PracticeNotInstalled(NotFound):
    """The workspace never installed the app, or uninstalled it."""


class RecentWorkspaces:
    """What this process read of each workspace (its practice and members) in the last
    moments, so that reads need no database round trip for the caller.

    Anything that changes data looks the caller up afresh (`identify(..., fresh=True)`),
    and a change made here is forgotten at once; another worker's change shows here within
    `seconds`. A cached role can therefore only ever widen a read, for at most that long."""

    def __init__(self, seconds: float = 2.0) -> None:
        self._seconds = seconds
        self._seen: dict[str, tuple[float, Workspace]] = {}

    def get(self, team_id: str) -> Workspace | None:
        seen = self._seen.get(team_id)
        if seen is None or time.monotonic() - seen[0] >= self._seconds:
            return None
        return seen[1]

    def put(self, team_id: str, workspace: Workspace) -> None:
        self._seen[team_id] = (time.monotonic(), workspace)

    def forget(self, team_id: str) -> None:
        self._seen.pop(team_id, None)


def identify(
    deps: BotDeps, team_id: str | None, user_id: str | None, *, fresh: bool = False
) -> Caller:
    """The caller's practice and role. `fresh=True` (for anything that changes data) reads
    the database; otherwise a lookup of the last moments may answer."""
    if not team_id or not user_id:
        raise PracticeNotInstalled("practice for workspace", team_id or "?")
    found = None if fresh or deps.recent is None else deps.recent.get(team_id)
    if found is None:
        found = _lookup(deps, team_id)
    if found is None and deps.install_on_first_contact:
        install_app(InstallApp(team_id, "", user_id), deps.uow(), deps.env)
        found = _lookup(deps, team_id)
    if found is None:
        raise PracticeNotInstalled("practice for workspace", team_id)
    return Caller(found.practice, user_id, found.role_of(user_id), found.admins())


def _lookup(deps: BotDeps, team_id: str) -> Workspace | None:
    found = installed_workspace(team_id, deps.read(), deps.env)
    if deps.recent is not None:
        if found is None:
            deps.recent.forget(team_id)
        else:
            deps.recent.put(team_id, found)
    return found
