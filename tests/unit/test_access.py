"""Installing the app, uninstalling it, and who holds which billing role."""

from __future__ import annotations

import pytest

from domain.errors import NotFound, ValidationError
from domain.ports import Env
from domain.roles import NotPermitted, Role
from domain.usecases.access import (
    InstallApp,
    SetRole,
    deactivate_workspace,
    install_app,
    installed_workspace,
    list_members,
    practice_for_workspace,
    require_role,
    set_role,
)
from fakes import FakeUnitOfWork

INSTALLER = "U0INSTALL1"
STAFF = "U0STAFF001"
OTHER = "U0OTHER001"


def installed(uow: FakeUnitOfWork, env: Env, zone: str | None = "Europe/Berlin"):
    return install_app(InstallApp("T0CALM", "Calm Minds", INSTALLER, zone), uow, env)


def test_installing_creates_the_practice_and_makes_the_installer_its_admin(uow, env) -> None:
    result = installed(uow, env)

    assert result.created
    assert result.practice.billing.name == "Calm Minds"
    assert result.practice.billing.time_zone == "Europe/Berlin"
    assert [(m.user_id, m.role) for m in list_members(result.practice.id, uow, env)] == [
        (INSTALLER, Role.ADMIN)
    ]


def test_an_unknown_installer_time_zone_falls_back_to_utc(uow, env) -> None:
    result = installed(uow, env, zone="Mars/Olympus_Mons")

    assert result.practice.billing.time_zone == "UTC"


def test_installing_again_keeps_the_practice_its_settings_and_its_roles(uow, env) -> None:
    first = installed(uow, env).practice
    set_role(SetRole(first.id, INSTALLER, STAFF, Role.ADMIN), uow, env)

    again = install_app(InstallApp("T0CALM", "Renamed", OTHER, "UTC"), uow, env)

    assert not again.created
    assert again.practice.id == first.id
    assert again.practice.billing.name == "Calm Minds"
    assert {m.user_id for m in list_members(first.id, uow, env)} == {INSTALLER, STAFF}


def test_uninstalling_deactivates_the_practice_and_keeps_its_data(uow, env) -> None:
    practice = installed(uow, env).practice

    deactivate_workspace("T0CALM", uow, env)

    with pytest.raises(NotFound):
        practice_for_workspace("T0CALM", uow)
    with uow:
        assert uow.practices.get(practice.id).active is False
        assert uow.members.list(practice.id) != []


def test_reinstalling_reactivates_the_same_practice(uow, env) -> None:
    practice = installed(uow, env).practice
    deactivate_workspace("T0CALM", uow, env)

    installed(uow, env)

    assert practice_for_workspace("T0CALM", uow).id == practice.id


def test_only_an_admin_may_change_roles_and_is_told_who_the_admins_are(uow, env) -> None:
    practice = installed(uow, env).practice
    set_role(SetRole(practice.id, INSTALLER, STAFF, Role.STAFF), uow, env)

    with pytest.raises(NotPermitted) as refused:
        set_role(SetRole(practice.id, STAFF, OTHER, Role.ADMIN), uow, env)

    assert refused.value.admins == [INSTALLER]
    with uow:
        assert uow.members.get(practice.id, OTHER) is None


def test_the_last_admin_cannot_step_down(uow, env) -> None:
    practice = installed(uow, env).practice
    before = uow.committed

    with pytest.raises(ValidationError) as refused:
        set_role(SetRole(practice.id, INSTALLER, INSTALLER, Role.STAFF), uow, env)

    assert "without a billing admin" in refused.value.errors["user"]
    assert uow.committed == before


def test_an_admin_can_step_down_once_someone_else_is_admin(uow, env) -> None:
    practice = installed(uow, env).practice
    set_role(SetRole(practice.id, INSTALLER, STAFF, Role.ADMIN), uow, env)

    members = set_role(SetRole(practice.id, INSTALLER, INSTALLER, None), uow, env)

    assert [(m.user_id, m.role) for m in members] == [(STAFF, Role.ADMIN)]


def test_staff_may_do_staff_work_but_not_admin_work(uow, env) -> None:
    practice = installed(uow, env).practice
    set_role(SetRole(practice.id, INSTALLER, STAFF, Role.STAFF), uow, env)

    with uow:
        assert require_role(uow, practice.id, STAFF, Role.STAFF).role is Role.STAFF
        assert require_role(uow, practice.id, INSTALLER, Role.STAFF).role is Role.ADMIN
        with pytest.raises(NotPermitted):
            require_role(uow, practice.id, STAFF, Role.ADMIN)
        with pytest.raises(NotPermitted):
            require_role(uow, practice.id, OTHER, Role.STAFF)


def test_an_installed_workspace_is_found_with_each_members_role_and_the_admins(uow, env) -> None:
    practice = installed(uow, env).practice
    set_role(SetRole(practice.id, INSTALLER, STAFF, Role.STAFF), uow, env)
    set_role(SetRole(practice.id, INSTALLER, OTHER, Role.ADMIN), uow, env)

    workspace = installed_workspace("T0CALM", uow, env)

    assert workspace is not None
    assert workspace.practice.id == practice.id
    assert (workspace.role_of(STAFF), workspace.role_of("U0NOBODY")) == (Role.STAFF, None)
    assert workspace.admins() == tuple(sorted([INSTALLER, OTHER]))


def test_a_workspace_that_never_installed_or_uninstalled_is_not_found(uow, env) -> None:
    installed(uow, env)
    deactivate_workspace("T0CALM", uow, env)

    assert installed_workspace("T0CALM", uow, env) is None
    assert installed_workspace("T0NEVER", uow, env) is None
