"""Reads may reuse this process's recent lookup of a workspace; changes never do."""

from __future__ import annotations

import pytest

from bot.edge.deps import BotDeps, RecentWorkspaces, identify
from domain.roles import NotPermitted, Role
from domain.usecases.access import InstallApp, SetRole, install_app, set_role

ADMIN, STAFF = "U0ADMIN001", "U0STAFF001"


@pytest.fixture
def deps(uow, env) -> BotDeps:
    practice = install_app(InstallApp("T0CALM", "Calm Minds", ADMIN), uow, env).practice
    set_role(SetRole(practice.id, ADMIN, STAFF, Role.STAFF), uow, env)
    return BotDeps(uow=lambda: uow, env=env, public_base_url="", recent=RecentWorkspaces(60))


def test_a_change_is_checked_against_the_role_as_stored_now(deps, uow, env) -> None:
    assert identify(deps, "T0CALM", STAFF).role is Role.STAFF  # remembered from here on
    practice = identify(deps, "T0CALM", ADMIN).practice
    set_role(SetRole(practice.id, ADMIN, STAFF, None), uow, env)

    fresh = identify(deps, "T0CALM", STAFF, fresh=True)

    with pytest.raises(NotPermitted):
        fresh.require(Role.STAFF)


def test_forgetting_a_workspace_makes_the_next_read_see_the_change(deps, uow, env) -> None:
    practice = identify(deps, "T0CALM", ADMIN).practice
    set_role(SetRole(practice.id, ADMIN, STAFF, None), uow, env)

    deps.recent.forget("T0CALM")

    assert identify(deps, "T0CALM", STAFF).role is None


def test_a_recent_read_expires(uow, env) -> None:
    practice = install_app(InstallApp("T0CALM", "Calm Minds", ADMIN), uow, env).practice
    deps = BotDeps(uow=lambda: uow, env=env, public_base_url="", recent=RecentWorkspaces(0))
    identify(deps, "T0CALM", STAFF)
    set_role(SetRole(practice.id, ADMIN, STAFF, Role.STAFF), uow, env)

    assert identify(deps, "T0CALM", STAFF).role is Role.STAFF
