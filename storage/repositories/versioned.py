"""Optimistic concurrency: a changed record is written only over the version it was read at."""

from __future__ import annotations

import functools
from typing import cast

from sqlalchemy import Table, Update, bindparam, update
from sqlalchemy.orm import Session

from domain.errors import StaleEdit
from storage.orm import AppointmentRow, ClientRow, InvoiceRow, ServiceTypeRow


def update_versioned(
    session: Session,
    table: type[ClientRow] | type[ServiceTypeRow] | type[AppointmentRow] | type[InvoiceRow],
    practice_id: str,
    record_id: str,
    new_version: int,
    values: dict[str, object],
    what: str,
) -> None:
    """Write a changed record only if nobody stored another change since it was read.

    The domain moves `version` on each change; the row must still hold the one before.
    """
    statement = _update(cast(Table, table.__table__))
    # The columns to set are the parameters named after them.
    result = session.execute(
        statement,
        {
            **values,
            "version": new_version,
            "record_id": record_id,
            "record_practice_id": practice_id,
            "old_version": new_version - 1,
        },
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleEdit(
            f"This {what} was changed by someone else meanwhile. Reopen it and try again."
        )


@functools.cache
def _update(table: Table) -> Update:
    """Built once per table, the values given as parameters: building it with its values on
    every call cost more than running it."""
    return update(table).where(
        table.c.id == bindparam("record_id"),
        table.c.practice_id == bindparam("record_practice_id"),
        table.c.version == bindparam("old_version"),
    )
