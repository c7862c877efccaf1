"""CPU time used by processes, read from Linux's /proc, so a benchmark can report CPU per
request beside its rates: on a shared machine the rate of one run swings with the machine's
mood, while the CPU one request costs moves much less and splits by who spent it."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # the process ended
        return None
    # The command name, in parentheses, may itself hold spaces and parentheses.
    return text.rsplit(")", 1)[1].split()


def process_tree(root: int) -> list[int]:
    """`root` and every process descended from it (a server's workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, waiting = [], [root]
    while waiting:
        pid = waiting.pop()
        found.append(pid)
        waiting.extend(children.get(pid, []))
    return found


def named(prefix: str) -> list[int]:
    """Processes whose command line starts with `prefix` (``postgres`` for its backends)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if command.startswith(prefix.encode()):
            pids.append(int(entry.name))
    return pids


def cpu_seconds(pids: Iterable[int]) -> float:
    """User plus system CPU time the processes have used so far (ended ones count 0)."""
    total = 0
    for pid in pids:
        if (fields := _stat_fields(pid)) is not None:
            total += int(fields[11]) + int(fields[12])
    return total / _TICKS
