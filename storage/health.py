"""Whether the database answers and whether its schema is at this code's revision: what
`/healthz` reports to load balancers and operators."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from storage.engine import READ_ONLY, redact_url
from storage.migrate import current_revision, head_revision

log = logging.getLogger(__name__)


def database_status(engine: Engine) -> dict[str, Any]:
    """Report whether the database answers and which schema revision it is at.

    Returns ``{"status": "ok" | "unavailable", "dialect": str, "revision": str | None,
    "head": str | None}``: `revision` is the database's Alembic revision (None when it was
    never migrated or cannot be reached), `head` the newest revision this code ships.
    Never raises for an unreachable database; the reason is logged, not returned, because the
    health endpoint is public.
    """
    status: dict[str, Any] = {
        "status": "ok",
        "dialect": engine.dialect.name,
        "revision": None,
        "head": head_revision(),
    }
    try:
        status["revision"] = current_revision(engine.execution_options(**READ_ONLY))
    except SQLAlchemyError as exc:
        log.warning(
            "event=database_unavailable url=%s error=%s",
            redact_url(engine.url),
            type(exc).__name__,
        )
        status["status"] = "unavailable"
    return status
