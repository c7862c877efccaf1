"""Stripe Connect state: practices' connected accounts, applied events, pay links, checkouts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from domain.errors import StaleEdit
from domain.ids import InvoiceId, PracticeId
from domain.money import Currency
from domain.online_payments import CheckoutState, PayLink, StoredCheckout
from domain.stripe_connect import AccountStatus, StripeConnection
from storage.orm import CheckoutSessionRow, PayLinkRow, StripeConnectionRow, StripeEventRow
from storage.rendered import RenderedStatement
from storage.repositories.inserts import (
    insert_ignoring_duplicates,
    insert_many_ignoring_duplicates,
    rendered_insert_ignoring_duplicates,
)
from storage.together import in_batch

_STRIPE_EVENTS = cast(Table, StripeEventRow.__table__)
_EVENT_COLUMNS = ("event_id", "type", "received_at")


# Every Stripe event runs these three, on the driver's cursor (`storage.rendered`): through
# SQLAlchemy's execution path each cost three times its round trip to the database.
@lru_cache(maxsize=8)
def _for_account(dialect: Dialect) -> RenderedStatement:
    return RenderedStatement(
        select(*cast(Table, StripeConnectionRow.__table__).columns).where(
            StripeConnectionRow.account_id == bindparam("account_id")
        ),
        dialect,
    )


@lru_cache(maxsize=8)
def _end_checkout(dialect: Dialect) -> RenderedStatement:
    return RenderedStatement(
        update(CheckoutSessionRow)
        .where(
            CheckoutSessionRow.id == bindparam("checkout"),
            CheckoutSessionRow.practice_id == bindparam("practice"),
            CheckoutSessionRow.state == CheckoutState.OPEN.value,
        )
        .values(state=bindparam("ended")),
        dialect,
    )


class SqlStripeConnectionRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, practice_id: PracticeId) -> StripeConnection | None:
        row = self._session.get(StripeConnectionRow, practice_id)
        return None if row is None else _connection(row)

    def for_account(self, account_id: str) -> StripeConnection | None:
        # Every Stripe event starts here. (Sent in one round trip with its BEGIN, in psycopg's
        # pipeline mode, it cost the serving process more CPU than the round trip saved.)
        session = self._session
        rows = _for_account(session.get_bind().dialect).rows_in_session(
            session, account_id=account_id
        )
        return _connection(rows[0]) if rows else None

    def all_connected(self) -> list[StripeConnection]:
        rows = self._session.scalars(
            select(StripeConnectionRow)
            .where(StripeConnectionRow.disconnected_at.is_(None))
            .order_by(StripeConnectionRow.practice_id)
        )
        return [_connection(row) for row in rows]

    def add(self, connection: StripeConnection) -> bool:
        return insert_ignoring_duplicates(
            self._session,
            StripeConnectionRow,
            {
                "practice_id": connection.practice_id,
                "account_id": connection.account_id,
                "created_at": connection.created_at,
                **_status_values(connection),
                "version": connection.version,
            },
            ["practice_id"],
            # Two admins pressing at once store the same practice and the same account.
            any_unique_key=True,
        )

    def update(self, connection: StripeConnection) -> None:
        result = self._session.execute(
            update(StripeConnectionRow)
            .where(
                StripeConnectionRow.practice_id == connection.practice_id,
                StripeConnectionRow.version == connection.version - 1,
            )
            .values(**_status_values(connection), version=connection.version)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleEdit("The practice's Stripe status changed meanwhile; try again.")


def _status_values(connection: StripeConnection) -> dict[str, object]:
    status = connection.status
    return {
        "details_submitted": status.details_submitted,
        "charges_enabled": status.charges_enabled,
        "payouts_enabled": status.payouts_enabled,
        "currently_due": list(status.currently_due),
        "past_due": list(status.past_due),
        "disabled_reason": status.disabled_reason,
        "status_as_of": connection.status_as_of,
        "disconnected_at": connection.disconnected_at,
    }


def _connection(row: Any) -> StripeConnection:
    """`row`: a `stripe_connections` row, as an ORM object or a table row."""
    return StripeConnection(
        practice_id=PracticeId(row.practice_id),
        account_id=row.account_id,
        created_at=row.created_at,
        status=AccountStatus(
            details_submitted=row.details_submitted,
            charges_enabled=row.charges_enabled,
            payouts_enabled=row.payouts_enabled,
            currently_due=tuple(row.currently_due or ()),
            past_due=tuple(row.past_due or ()),
            disabled_reason=row.disabled_reason,
        ),
        status_as_of=row.status_as_of,
        disconnected_at=row.disconnected_at,
        version=row.version,
    )


class SqlStripeEventLog:
    def __init__(self, session: Session) -> None:
        self._session = session

    def remember(self, event_id: str, event_type: str, received_at: datetime) -> bool:
        stored = self._remembering().rows_in_session(
            self._session, event_id=event_id, type=event_type, received_at=received_at
        )
        return bool(stored)

    def remember_later(
        self, event_id: str, event_type: str, received_at: datetime
    ) -> Callable[[], bool]:
        if not in_batch(self._session):
            first = self.remember(event_id, event_type, received_at)
            return lambda: first
        inserted: list[int] = []
        self._remembering().in_session(
            self._session,
            check=inserted.append,
            event_id=event_id,
            type=event_type,
            received_at=received_at,
        )

        def first() -> bool:
            if not inserted:
                raise RuntimeError("the event's id has not reached the database yet")
            return inserted[0] > 0

        return first

    def _remembering(self) -> RenderedStatement:
        return rendered_insert_ignoring_duplicates(
            self._session.get_bind().dialect, _STRIPE_EVENTS, _EVENT_COLUMNS, ("event_id",)
        )


class SqlPayLinkRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def for_invoice(self, practice_id: PracticeId, invoice_id: InvoiceId) -> PayLink | None:
        row = self._session.get(PayLinkRow, (practice_id, invoice_id))
        return None if row is None else _pay_link(row)

    def with_token(self, token: str) -> PayLink | None:
        row = self._session.scalar(select(PayLinkRow).where(PayLinkRow.token == token))
        return None if row is None else _pay_link(row)

    def add(self, link: PayLink) -> None:
        # Two people sending the first link at once: the second keeps the first one's token.
        insert_ignoring_duplicates(
            self._session,
            PayLinkRow,
            {
                "practice_id": link.practice_id,
                "invoice_id": link.invoice_id,
                "token": link.token,
                "created_at": link.created_at,
                "times_sent": 0,
            },
            ["practice_id", "invoice_id"],
        )

    def add_all(self, links: Sequence[PayLink]) -> None:
        insert_many_ignoring_duplicates(
            self._session,
            PayLinkRow,
            [
                {
                    "practice_id": link.practice_id,
                    "invoice_id": link.invoice_id,
                    "token": link.token,
                    "created_at": link.created_at,
                    "times_sent": 0,
                }
                for link in links
            ],
            ["practice_id", "invoice_id"],
            "invoice_id",
        )

    def update(self, link: PayLink) -> None:
        self._session.execute(
            update(PayLinkRow)
            .where(
                PayLinkRow.practice_id == link.practice_id,
                PayLinkRow.invoice_id == link.invoice_id,
            )
            .values(
                last_sent_at=link.last_sent_at,
                last_sent_to=link.last_sent_to,
                times_sent=PayLinkRow.times_sent + 1,
            )
            .execution_options(synchronize_session=False)
        )


def _pay_link(row: PayLinkRow) -> PayLink:
    return PayLink(
        practice_id=PracticeId(row.practice_id),
        invoice_id=InvoiceId(row.invoice_id),
        token=row.token,
        created_at=row.created_at,
        last_sent_at=row.last_sent_at,
        last_sent_to=row.last_sent_to,
        times_sent=row.times_sent,
    )


class SqlCheckoutRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def latest(self, practice_id: PracticeId, invoice_id: InvoiceId) -> StoredCheckout | None:
        row = self._session.scalar(
            select(CheckoutSessionRow)
            .where(
                CheckoutSessionRow.practice_id == practice_id,
                CheckoutSessionRow.invoice_id == invoice_id,
            )
            .order_by(CheckoutSessionRow.created_at.desc(), CheckoutSessionRow.id.desc())
            .limit(1)
        )
        return None if row is None else _checkout(row)

    def count(self, practice_id: PracticeId, invoice_id: InvoiceId) -> int:
        return (
            self._session.scalar(
                select(func.count())
                .select_from(CheckoutSessionRow)
                .where(
                    CheckoutSessionRow.practice_id == practice_id,
                    CheckoutSessionRow.invoice_id == invoice_id,
                )
            )
            or 0
        )

    def get(self, practice_id: PracticeId, checkout_id: str) -> StoredCheckout | None:
        row = self._session.get(CheckoutSessionRow, checkout_id)
        if row is None or row.practice_id != practice_id:
            return None
        return _checkout(row)

    def add(self, checkout: StoredCheckout) -> None:
        insert_ignoring_duplicates(
            self._session,
            CheckoutSessionRow,
            {
                "id": checkout.id,
                "practice_id": checkout.practice_id,
                "invoice_id": checkout.invoice_id,
                "url": checkout.url,
                "amount_minor": checkout.amount.minor_units,
                "currency": checkout.amount.currency.code,
                "expires_at": checkout.expires_at,
                "created_at": checkout.created_at,
                "state": checkout.state.value,
            },
            ["id"],
        )

    def end(self, practice_id: PracticeId, checkout_id: str, state: CheckoutState) -> bool:
        # One conditional UPDATE rather than a read and a write: every paid checkout's
        # webhook ends its session.
        session = self._session
        changed = _end_checkout(session.get_bind().dialect).in_session(
            session, checkout=checkout_id, practice=practice_id, ended=state.value
        )
        return bool(changed)  # None (not known yet) only inside `sent_together`


def _checkout(row: CheckoutSessionRow) -> StoredCheckout:
    return StoredCheckout(
        id=row.id,
        practice_id=PracticeId(row.practice_id),
        invoice_id=InvoiceId(row.invoice_id),
        url=row.url,
        amount=Currency(row.currency).from_minor_units(row.amount_minor),
        expires_at=row.expires_at,
        created_at=row.created_at,
        state=CheckoutState(row.state),
    )
