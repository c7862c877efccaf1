"""A reminder sweep in a process of its own, as a server replica runs one.

    python reminder_sweep_process.py DATABASE_URL MOMENT MODE

MOMENT is the app's clock (ISO 8601). MODE "die-mid-claim" claims a batch of due reminders,
writes their e-mails and next reminders, and kills the process (no cleanup, as SIGKILL
would) just before the transaction commits.
"""

from __future__ import annotations

import os
import sys
import uuid
from datetime import datetime

from domain.ports import Env
from domain.usecases.reminders import send_due_reminders
from storage.engine import create_engine_for
from storage.unit_of_work import SqlAlchemyUnitOfWork, session_factory


class _At:
    def __init__(self, moment: datetime) -> None:
        self._moment = moment

    def now(self) -> datetime:
        return self._moment


class _Ids:
    def new_id(self) -> str:
        return uuid.uuid4().hex[:24]


class _DiesBeforeCommit(SqlAlchemyUnitOfWork):
    def commit(self) -> None:
        os._exit(3)


def main(url: str, moment: str, mode: str) -> None:
    engine = create_engine_for(url)
    env = Env(clock=_At(datetime.fromisoformat(moment)), ids=_Ids())
    if mode != "die-mid-claim":
        sys.exit(f"unknown mode {mode}")
    send_due_reminders(50, _DiesBeforeCommit(session_factory(engine)), env)
    sys.exit("the batch committed")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
