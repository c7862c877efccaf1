"""Small helpers shared by the tests: free ports, polling with a deadline, running the CLI."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from billing_bot.settings import Settings

T = TypeVar("T")

#: Debian's Chromium, which the browser tests drive with Playwright (no browser download).
CHROMIUM = Path("/usr/bin/chromium")
# Headless and quiet: no GPU, no QUIC, and none of the browser's own calls home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Where browser tests leave screenshots for a person to look at.
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

#: Every variable the app reads, so a test can start from a clean environment.
SETTINGS_VARIABLES = tuple(name.upper() for name in Settings.model_fields)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now.

    Chosen below the kernel's range for outgoing connections' local ports: a port from that
    range (what binding to port 0 gives) may be handed to a connection to PostgreSQL or a
    stand-in between this probe and the server's own bind ("Address already in use")."""
    for _ in range(50):
        port = random.randint(*_BELOW_EPHEMERAL)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        found: int = probe.getsockname()[1]
        return found


def _ports_below_ephemeral() -> tuple[int, int]:
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    return (min(20_000, low - 1_000), low - 1)


_BELOW_EPHEMERAL = _ports_below_ephemeral()


def wait_until(
    predicate: Callable[[], T],
    timeout: float,
    *,
    interval: float = 0.05,
    ignore: tuple[type[BaseException], ...] = (),
    what: str = "condition",
) -> T:
    """Call `predicate` until it returns something truthy, and return that; fail at `timeout`.

    Exceptions of the `ignore` types count as "not yet" (e.g. connection refused while a
    server starts); the last one is quoted in the failure message.
    """
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            result = predicate()
        except ignore as exc:
            last_error = exc
        else:
            if result:
                return result
        if time.monotonic() >= deadline:
            detail = f"; last error: {last_error!r}" if last_error else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {what}{detail}")
        time.sleep(interval)


def billing_bot_executable() -> str:
    """The ``billing-bot`` console script of the interpreter running the tests."""
    beside = Path(sys.executable).with_name("billing-bot")
    if beside.exists():
        return str(beside)
    found = shutil.which("billing-bot")
    assert found, "billing-bot is not installed; run `make test`"
    return found


def cli_env(**settings: str) -> dict[str, str]:
    """The current environment without any of the app's settings, plus `settings`."""
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARIABLES}
    env.update(settings)
    return env


def run_cli(
    *arguments: str, cwd: Path, env: Mapping[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``billing-bot ARGUMENTS`` to completion in `cwd` (whose ``.env`` it reads)."""
    return subprocess.run(
        [billing_bot_executable(), *arguments],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class RunningServer:
    process: subprocess.Popen[bytes]
    base_url: str
    stdout: Path
    stderr: Path

    def output(self) -> str:
        return self.stdout.read_text() + self.stderr.read_text()


@contextmanager
def running_server(
    tmp_path: Path,
    *,
    threads: int = 2,
    port: int | None = None,
    socket_mode: bool = False,
    **settings: str,
) -> Iterator[RunningServer]:
    """``billing-bot serve`` on `port` (default: a free one), or ``billing-bot socket`` with
    its web routes there; killed at the end if the test did not stop it."""
    port = port or free_port()
    stdout, stderr = tmp_path / "serve.out", tmp_path / "serve.err"
    command = [billing_bot_executable()]
    if socket_mode:
        command += ["socket", "--port", str(port)]
    else:
        command += ["serve", "--port", str(port), "--workers", "1", "--threads", str(threads)]
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            command,
            cwd=tmp_path,
            env=cli_env(**settings),
            stdout=out,
            stderr=err,
        )
    server = RunningServer(process, f"http://127.0.0.1:{port}", stdout, stderr)
    try:
        yield server
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
