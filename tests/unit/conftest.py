"""Fixtures of the unit layer: an in-memory unit of work and the clock and id ports."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.ports import Env
from fakes import FakeUnitOfWork, FixedClock, SequentialIds


@pytest.fixture
def clock() -> FixedClock:
    """Friday 14 March 2025, 15:00 UTC, until a test moves it."""
    return FixedClock(datetime(2025, 3, 14, 15, 0, tzinfo=UTC))


@pytest.fixture
def env(clock: FixedClock) -> Env:
    return Env(clock=clock, ids=SequentialIds())


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()
