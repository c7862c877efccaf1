"""Installing and uninstalling the app, and who holds which billing role."""

from __future__ import annotations

from dataclasses import dataclass

from domain.audit import SYSTEM
from domain.errors import InvalidValue, NotFound, ValidationError
from domain.ids import PracticeId
from domain.money import Currency
from domain.ports import Env, UnitOfWork
from domain.practice import (
    Address,
    BillingDetails,
    Practice,
    parse_practice_name,
    parse_time_zone,
)
from domain.roles import Member, NotPermitted, Role
from domain.usecases._common import audit, load_practice

DEFAULT_CURRENCY = "USD"


@dataclass(frozen=True, slots=True)
class InstallApp:
    workspace_id: str
    workspace_name: str
    installer_user_id: str
    installer_time_zone: str | None = None


@dataclass(frozen=True, slots=True)
class Installed:
    practice: Practice
    created: bool


def install_app(cmd: InstallApp, uow: UnitOfWork, env: Env) -> Installed:
    """A workspace installed the app: its practice is created, or reactivated with all its
    data. The installer becomes billing admin when the practice has no admin yet."""
    with uow:
        practice = uow.practices.for_workspace(cmd.workspace_id)
        created = practice is None
        if practice is None:
            try:
                zone = parse_time_zone(cmd.installer_time_zone or "UTC")
            except InvalidValue:
                zone = "UTC"
            try:
                name = parse_practice_name(cmd.workspace_name)
            except InvalidValue:
                name = "My practice"
            practice = Practice(
                id=PracticeId(env.ids.new_id()),
                workspace_id=cmd.workspace_id,
                billing=BillingDetails(name, Currency(DEFAULT_CURRENCY), Address(), zone),
            )
            uow.practices.add(practice)
            audit(
                uow,
                env,
                practice.id,
                cmd.installer_user_id,
                "app.installed",
                "practice",
                practice.id,
            )
        elif not practice.active:
            practice = practice.with_changes(active=True)
            uow.practices.update(practice)
            audit(
                uow,
                env,
                practice.id,
                cmd.installer_user_id,
                "app.reinstalled",
                "practice",
                practice.id,
            )
        if not any(member.role is Role.ADMIN for member in uow.members.list(practice.id)):
            uow.members.save(
                Member(practice.id, cmd.installer_user_id, Role.ADMIN, SYSTEM, env.clock.now())
            )
            audit(
                uow,
                env,
                practice.id,
                SYSTEM,
                "role.granted",
                "member",
                cmd.installer_user_id,
                role=Role.ADMIN.value,
            )
        uow.commit()
        return Installed(practice, created)


def deactivate_workspace(workspace_id: str, uow: UnitOfWork, env: Env) -> Practice | None:
    """The workspace uninstalled the app or revoked its tokens: keep every record, stop
    acting for the practice. Unknown or already inactive workspaces are left alone."""
    with uow:
        practice = uow.practices.for_workspace(workspace_id)
        if practice is None or not practice.active:
            return practice
        practice = practice.with_changes(active=False)
        uow.practices.update(practice)
        audit(uow, env, practice.id, SYSTEM, "app.uninstalled", "practice", practice.id)
        uow.commit()
        return practice


def admins_of(uow: UnitOfWork, practice_id: PracticeId) -> list[str]:
    return sorted(m.user_id for m in uow.members.list(practice_id) if m.role is Role.ADMIN)


def require_role(uow: UnitOfWork, practice_id: PracticeId, user_id: str, needed: Role) -> Member:
    """The user's membership if their role allows `needed`; otherwise NotPermitted naming
    the practice's admins. Call inside an open unit of work."""
    member = uow.members.get(practice_id, user_id)
    if member is None or not member.role.allows(needed):
        raise NotPermitted(needed, admins_of(uow, practice_id))
    return member


@dataclass(frozen=True, slots=True)
class SetRole:
    practice_id: PracticeId
    actor: str
    user_id: str
    role: Role | None
    """None takes the user's billing role away."""


def set_role(cmd: SetRole, uow: UnitOfWork, env: Env) -> list[Member]:
    """An admin grants, changes or removes a user's billing role; the practice always keeps
    at least one admin. Returns the practice's members after the change."""
    with uow:
        load_practice(uow, cmd.practice_id)
        require_role(uow, cmd.practice_id, cmd.actor, Role.ADMIN)
        current = uow.members.get(cmd.practice_id, cmd.user_id)
        if current is not None and current.role is Role.ADMIN and cmd.role is not Role.ADMIN:
            others = [u for u in admins_of(uow, cmd.practice_id) if u != cmd.user_id]
            if not others:
                raise ValidationError.single(
                    "user",
                    "This would leave the practice without a billing admin. Make someone "
                    "else an admin first.",
                )
        if cmd.role is None:
            if current is not None:
                uow.members.remove(cmd.practice_id, cmd.user_id)
                audit(uow, env, cmd.practice_id, cmd.actor, "role.removed", "member", cmd.user_id)
        else:
            uow.members.save(
                Member(cmd.practice_id, cmd.user_id, cmd.role, cmd.actor, env.clock.now())
            )
            audit(
                uow,
                env,
                cmd.practice_id,
                cmd.actor,
                "role.granted",
                "member",
                cmd.user_id,
                role=cmd.role.value,
            )
        uow.commit()
        return sorted(uow.members.list(cmd.practice_id), key=lambda m: (m.role, m.user_id))


def list_members(practice_id: PracticeId, uow: UnitOfWork, env: Env) -> list[Member]:
    """Everyone holding a billing role in the practice, admins first."""
    with uow:
        load_practice(uow, practice_id)
        return sorted(uow.members.list(practice_id), key=lambda m: (m.role, m.user_id))


def practice_for_workspace(workspace_id: str, uow: UnitOfWork) -> Practice:
    """The active practice of a workspace; NotFound if it never installed or uninstalled."""
    with uow:
        practice = uow.practices.for_workspace(workspace_id)
    if practice is None or not practice.active:
        raise NotFound("practice for workspace", workspace_id)
    return practice


@dataclass(frozen=True, slots=True)
class Workspace:
    """A workspace with the app installed: its practice, and who holds which billing role."""

    practice: Practice
    members: tuple[Member, ...]

    def role_of(self, user_id: str) -> Role | None:
        return next((m.role for m in self.members if m.user_id == user_id), None)

    def admins(self) -> tuple[str, ...]:
        """The billing admins' user ids, in order: whom a refusal tells the user to ask."""
        return tuple(sorted(m.user_id for m in self.members if m.role is Role.ADMIN))


def installed_workspace(workspace_id: str, uow: UnitOfWork, env: Env) -> Workspace | None:
    """The workspace's active practice with all its members (who is asking, and the admins a
    refusal names, in one read of the members); None if it never installed the app or
    uninstalled it."""
    with uow:
        practice = uow.practices.for_workspace(workspace_id)
        if practice is None or not practice.active:
            return None
        return Workspace(practice, tuple(uow.members.list(practice.id)))


def practice_workspace(practice_id: PracticeId, uow: UnitOfWork) -> Workspace | None:
    """The practice's workspace and members, for work that starts from a practice rather than
    from a Slack request (a Stripe webhook's side effects); None once it uninstalled."""
    with uow:
        practice = uow.practices.get(practice_id)
        if practice is None or not practice.active:
            return None
        return Workspace(practice, tuple(uow.members.list(practice.id)))
