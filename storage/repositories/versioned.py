"""Optimistic concurrency: a changed record is written only over the version it was read at."""

from __future__ import annotations

from functools import lru_cache
from typing import cast

from sqlalchemy import Table, bindparam, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from domain.errors import StaleEdit
from storage.orm import AppointmentRow, ClientRow, InvoiceRow, ServiceTypeRow
from storage.rendered import RenderedStatement


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
    Inside `storage.together.sent_together`, StaleEdit comes when the block ends.
    """

    def one_row_changed(changed: int) -> None:
        if changed != 1:
            raise StaleEdit(
                f"This {what} was changed by someone else meanwhile. Reopen it and try again."
            )

    statement = _update(session.get_bind().dialect, cast(Table, table.__table__), tuple(values))
    statement.in_session(
        session,
        check=one_row_changed,
        **values,
        version=new_version,
        record_id=record_id,
        record_practice_id=practice_id,
        old_version=new_version - 1,
    )


@lru_cache(maxsize=32)
def _update(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> RenderedStatement:
    """Rendered once per table and set of columns, the values given as parameters, and run on
    the driver's cursor (`storage.rendered`): every payment and edit writes one, and building
    it with its values, or running it through SQLAlchemy, cost more than the database took."""
    return RenderedStatement(
        update(table)
        .where(
            table.c.id == bindparam("record_id"),
            table.c.practice_id == bindparam("record_practice_id"),
            table.c.version == bindparam("old_version"),
        )
        .values({name: bindparam(name) for name in (*columns, "version")}),
        dialect,
    )
