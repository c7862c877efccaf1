"""The sandbox console's time: each skip moves the app's clock (a `ShiftedClock` on the same
file) on by exactly that much, then runs what falls due; nonsense skips are refused."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from gateways.system import ShiftedClock
from sandbox.console.clock import LONGEST_SKIP, SandboxTime


def test_each_skip_moves_the_apps_clock_on_and_runs_what_fell_due(tmp_path: Path) -> None:
    shift = tmp_path / "clock-shift"
    clock = ShiftedClock(shift)
    runs: list[timedelta] = []
    time = SandboxTime(shift, clock, then=lambda: runs.append(time.ahead()))
    start = clock.now()

    time.skip(timedelta(days=7))
    time.skip(timedelta(hours=1))

    assert time.ahead() == timedelta(days=7, hours=1)
    assert timedelta(days=7, hours=1) <= clock.now() - start < timedelta(days=7, hours=1, minutes=1)
    assert runs == [timedelta(days=7), timedelta(days=7, hours=1)]


@pytest.mark.parametrize("by", [timedelta(0), -timedelta(days=1), LONGEST_SKIP + timedelta(1)])
def test_a_skip_back_in_time_or_too_far_is_refused(tmp_path: Path, by: timedelta) -> None:
    shift = tmp_path / "clock-shift"
    time = SandboxTime(shift, ShiftedClock(shift), then=lambda: None)

    with pytest.raises(ValueError, match="skip between"):
        time.skip(by)

    assert time.ahead() == timedelta(0)
