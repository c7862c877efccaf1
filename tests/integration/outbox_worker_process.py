"""An outbox worker in a process of its own, as a server replica runs one.

    python outbox_worker_process.py DATABASE_URL DELIVERED_FILE MODE READY_FILE GO_FILE

It says it is ready by creating READY_FILE, waits for GO_FILE (so that several start
claiming at the same moment), then delivers every due message of kind "email" by
appending its id to DELIVERED_FILE, until none is left. MODE "die" instead kills the
process (no cleanup, as SIGKILL would) when its first message is in hand, leaving its batch
leased.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from billing_bot.outbox_worker import OutboxWorker
from domain.outbox import OutboxMessage
from gateways.system import SystemClock
from storage.engine import create_engine_for
from storage.outbox_queue import SqlOutboxQueue

START_WITHIN_S = 60


def main(url: str, delivered: Path, mode: str, ready: Path, go: Path) -> None:
    engine = create_engine_for(url)
    output = os.open(delivered, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def deliver(message: OutboxMessage) -> None:
        if mode == "die":
            os._exit(3)
        # One write per line with O_APPEND: lines of two processes never interleave.
        os.write(output, f"{message.id}\n".encode())

    worker = OutboxWorker(
        SqlOutboxQueue(engine), {"email": deliver}, SystemClock(), name=f"process-{os.getpid()}"
    )
    ready.touch()
    deadline = time.monotonic() + START_WITHIN_S
    while not go.exists():
        if time.monotonic() > deadline:
            sys.exit("never told to go")
        time.sleep(0.01)
    while worker.drain():
        pass
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4]), Path(sys.argv[5]))
