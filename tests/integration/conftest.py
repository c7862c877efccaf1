"""Integration fixtures: real repositories over a migrated SQLite or PostgreSQL database."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from domain.ports import Env
from storage.unit_of_work import SqlAlchemyUnitOfWork, session_factory


class _Clock:
    def now(self) -> datetime:
        return datetime(2026, 11, 25, 15, 30, tzinfo=UTC)


class _Ids:
    def new_id(self) -> str:
        return uuid.uuid4().hex


@pytest.fixture
def env() -> Env:
    return Env(clock=_Clock(), ids=_Ids())


class _ShortIds:
    # A practice's workspace id is made from one, and a workspace id holds 32 characters.
    def new_id(self) -> str:
        return uuid.uuid4().hex[:20]


@pytest.fixture
def short_ids_env(env: Env) -> Env:
    """`env` with ids short enough for the factories' workspace ids on PostgreSQL."""
    return Env(clock=env.clock, ids=_ShortIds())


@pytest.fixture
def new_uow(engine: Engine) -> Callable[[], SqlAlchemyUnitOfWork]:
    """Each call is a fresh unit of work, as each Slack request or webhook gets one."""
    sessions = session_factory(engine)
    return lambda: SqlAlchemyUnitOfWork(sessions)


@pytest.fixture
def uow(new_uow: Callable[[], SqlAlchemyUnitOfWork]) -> SqlAlchemyUnitOfWork:
    return new_uow()
