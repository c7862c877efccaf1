"""Optimistic concurrency: a changed record is written only over the version it was read at."""

from __future__ import annotations

from functools import lru_cache
from typing import cast

from sqlalchemy import Table, bindparam, literal_column, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from domain.errors import StaleEdit
from storage.orm import AppointmentRow, ClientRow, InvoiceRow, ServiceTypeRow
from storage.rendered import RenderedStatement
from storage.together import in_batch


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
    Inside `storage.together.sent_together`, StaleEdit comes when the write is sent; there
    on PostgreSQL the statement also refuses in the database itself, so that sent with the
    transaction's COMMIT it leaves nothing committed.
    """

    def one_row_changed(changed: int) -> None:
        if changed != 1:
            raise StaleEdit(
                f"This {what} was changed by someone else meanwhile. Reopen it and try again."
            )

    dialect = session.get_bind().dialect
    guarded = dialect.name == "postgresql" and in_batch(session)
    statement = _update(dialect, cast(Table, table.__table__), tuple(values), guarded=guarded)
    statement.in_session(
        session,
        check=one_row_changed,
        **values,
        version=new_version,
        record_id=record_id,
        record_practice_id=practice_id,
        old_version=new_version - 1,
    )


@lru_cache(maxsize=64)
def _update(
    dialect: Dialect, table: Table, columns: tuple[str, ...], *, guarded: bool = False
) -> RenderedStatement:
    """Rendered once per table and set of columns, the values given as parameters, and run on
    the driver's cursor (`storage.rendered`): every payment and edit writes one, and building
    it with its values, or running it through SQLAlchemy, cost more than the database took.

    `guarded` (PostgreSQL): the UPDATE inside a statement that divides by the rows it changed,
    so that changing none fails in the database with `REFUSED_BY_GUARD`."""
    changed = (
        update(table)
        .where(
            table.c.id == bindparam("record_id"),
            table.c.practice_id == bindparam("record_practice_id"),
            table.c.version == bindparam("old_version"),
        )
        .values({name: bindparam(name) for name in (*columns, "version")})
    )
    if not guarded:
        return RenderedStatement(changed, dialect)
    written = changed.returning(literal_column("1")).cte("written")
    return RenderedStatement(
        select(literal_column("1 / count(*)").label("guard")).select_from(written), dialect
    )
