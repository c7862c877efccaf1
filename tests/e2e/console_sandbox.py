"""Running ``billing-bot demo`` (sandbox mode) as a real process for the console's tests."""

from __future__ import annotations

import selectors
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from helpers import billing_bot_executable, cli_env

START_TIMEOUT = 60.0


@dataclass
class Sandbox:
    """A running ``billing-bot demo``: its console URL and what it printed."""

    process: subprocess.Popen[str]
    console_url: str
    first_line: str
    stderr: Path

    @property
    def base_url(self) -> str:
        return self.console_url.removesuffix("/console")

    def stop(self, sig: signal.Signals = signal.SIGINT, timeout: float = 30) -> int:
        """Signal the process as Ctrl-C (or `sig`) would and return its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)


@contextmanager
def running_sandbox(tmp_path: Path, *arguments: str, **settings: str) -> Iterator[Sandbox]:
    """Start ``billing-bot demo --port 0 ARGUMENTS`` in `tmp_path` and wait for its URL line.

    Temporary files go under `tmp_path`/tmp, so a test can check they are cleaned up.
    """
    stderr = tmp_path / "demo.err"
    temp = tmp_path / "tmp"
    temp.mkdir(exist_ok=True)
    env = cli_env(TMPDIR=str(temp), **settings)
    with stderr.open("w") as err:
        process = subprocess.Popen(
            [billing_bot_executable(), "demo", "--port", "0", *arguments],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
    try:
        line = first_line(process, stderr)
        url = next((word for word in line.split() if word.startswith("http://")), "")
        assert url.endswith("/console"), f"no console URL in {line!r}"
        yield Sandbox(process, url, line, stderr)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def first_line(process: subprocess.Popen[str], stderr: Path) -> str:
    """The first line the process prints, read as it arrives (bounded by START_TIMEOUT);
    `stderr` is where its error output goes, quoted if it prints nothing."""
    assert process.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"billing-bot printed nothing: {stderr.read_text()}")
            if selector.select(timeout=remaining):
                line = process.stdout.readline()
                if not line:
                    process.wait(timeout=10)
                    raise AssertionError(
                        f"billing-bot exited with {process.returncode}: {stderr.read_text()}"
                    )
                return line.strip()
