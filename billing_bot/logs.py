"""Process-wide logging: one ``key=value`` line per record on stderr.

Log lines carry ids and events, never a client's name, e-mail or service (health data): write
``log.info("event=invoice_issued invoice_id=%s", invoice.id)``, not the invoice itself.
"""

from __future__ import annotations

import logging
import logging.config
import traceback
from datetime import UTC, datetime
from typing import Any


def where(error: BaseException) -> str:
    """The frames an exception passed through, for a log line, without its text (which
    may quote a client's details): a newline, then the traceback's body."""
    return "\n" + "".join(traceback.format_tb(error.__traceback__)).rstrip()


class KeyValueFormatter(logging.Formatter):
    """``ts=... level=... logger=... event=...``; prose messages become a quoted ``msg=``."""

    def format(self, record: logging.LogRecord) -> str:
        timestamp = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        message = record.getMessage()
        if not message.startswith("event="):
            # Third-party prose (Granian, Alembic) is quoted so the line stays machine-readable.
            message = "msg=" + _quote(message)
        line = f"ts={timestamp} level={record.levelname} logger={record.name} {message}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def logging_config(level: str, *, migrations: bool = False) -> dict[str, Any]:
    """Return the `logging.config.dictConfig` schema for `level`, also handed to Granian.

    Alembic's progress lines are shown only when `migrations` is true (``billing-bot migrate``):
    elsewhere they would repeat on every health check. Access logs (Granian's, Werkzeug's) are
    always off.
    """
    alembic_level = level if migrations or level == "DEBUG" else "WARNING"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"key_value": {"()": KeyValueFormatter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "key_value",
                "stream": "ext://sys.stderr",
            },
            "null": {"class": "logging.NullHandler"},
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            # Granian's own handlers are replaced: its records go through ours.
            "_granian": {"level": level, "handlers": [], "propagate": True},
            # Request lines would record /pay/{token} capability links and query strings.
            "granian.access": {"level": "INFO", "handlers": ["null"], "propagate": False},
            # Werkzeug (`billing-bot socket`'s web routes) logs request lines at INFO, with the
            # same links and OAuth codes in them; its warnings and errors still show.
            "werkzeug": {"level": "WARNING"},
            "alembic": {"level": alembic_level},
            # APScheduler says "Running job ..." at INFO every few seconds.
            "apscheduler": {"level": "WARNING" if level != "DEBUG" else level},
        },
    }


def configure_logging(level: str, *, migrations: bool = False) -> None:
    """Send every log record at `level` or above to stderr as one key=value line."""
    logging.config.dictConfig(logging_config(level, migrations=migrations))
