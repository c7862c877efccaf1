"""Optimistic concurrency: a changed record is written only over the version it was read at."""

from __future__ import annotations

from sqlalchemy import update
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
    result = session.execute(
        update(table)
        .where(
            table.id == record_id,
            table.practice_id == practice_id,
            table.version == new_version - 1,
        )
        .values(**values, version=new_version)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleEdit(
            f"This {what} was changed by someone else meanwhile. Reopen it and try again."
        )
