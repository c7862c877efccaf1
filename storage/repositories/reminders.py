"""Payment reminders in SQL: the claim of due reminders, their history, paused invoices and
the sweep's plan per practice (`domain.ports.ReminderRepository`).

The claim reads due reminders alone, in the order of their partial index (each carries its
invoice's due date), so it costs as much among a million invoices as among ten thousand;
whether the invoice is still open is decided when the e-mail is written. On PostgreSQL it
locks the reminder rows it returns with ``FOR NO KEY UPDATE ... SKIP LOCKED``: two sweeps at
once take different reminders without waiting for each other. On SQLite the unit of work's
transaction holds the database's write lock from its start (``BEGIN IMMEDIATE``), so no
other writer runs until it ends. Either way `settle` then changes only reminders still
scheduled (compare and set) and says how many, so a claim that lost a row to another
transaction is rolled back whole."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import closing
from datetime import UTC, date, datetime
from functools import lru_cache
from operator import attrgetter
from typing import Any, cast

from sqlalchemy import (
    Row,
    String,
    Table,
    and_,
    bindparam,
    delete,
    func,
    literal_column,
    null,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from domain.ids import ClientId, InvoiceId, PracticeId
from domain.invoices import UNPAID_STATUSES, InvoiceStatus
from domain.money import Currency
from domain.reminders import (
    STEP_NOW,
    DeliveryState,
    DueReminder,
    NewReminder,
    OverdueInvoice,
    PlanFacts,
    PracticePlan,
    ReminderEntry,
    ReminderKey,
    ReminderState,
    ReminderTarget,
    SettledReminder,
    SkipReason,
)
from storage.bulk import SQLITE_ROWID, RowsInsert, UpdateByIds, rows_insert
from storage.orm import (
    ClientRow,
    InvoiceRow,
    OutboxRow,
    PayLinkRow,
    PracticeRow,
    ReminderPauseRow,
    ReminderPlanRow,
    ReminderRow,
)
from storage.rendered import RenderedStatement
from storage.repositories.inserts import insert_many_ignoring_duplicates

_UNPAID = sorted(status.value for status in UNPAID_STATUSES)
# Written out rather than bound, so that PostgreSQL and SQLite can see that the claim's
# condition is the partial index's own (ix_reminders_due).
_SCHEDULED = literal_column("reminders.state") == literal_column("'scheduled'")
_IN_CHUNKS = 500
#: The outbox's dedupe key of a reminder's e-mail is this and the reminder's id.
REMINDER_MAIL_KEY = literal_column("'mail:reminder:'", String)
# How `add` reads the columns of `_COLUMNS` off a `NewReminder`, around its state and reason.
_FROM_PRACTICE_TO_DUE = (
    "practice_id",
    "invoice_id",
    "key.step",
    "key.occurrence",
    "due_at",
    "due_date",
)
_STATE = attrgetter("state")
_FROM_ACTOR = ("actor", "created_at", "decided_at")
_REMINDERS = cast(Table, ReminderRow.__table__)
_COLUMNS = (
    "id",
    "practice_id",
    "invoice_id",
    "step",
    "occurrence",
    "due_at",
    "invoice_due_date",
    "state",
    "reason",
    "actor",
    "created_at",
    "decided_at",
)


def _chunks(items: Collection[InvoiceId]) -> Iterator[list[InvoiceId]]:
    ordered = sorted(set(items))
    for start in range(0, len(ordered), _IN_CHUNKS):
        yield ordered[start : start + _IN_CHUNKS]


def _key(step: str, occurrence: int) -> ReminderKey:
    return ReminderKey(step, occurrence)


def _has_address(sent_to: str | None, email: str | None) -> bool:
    return bool((sent_to or "").strip() or (email or "").strip())


def _target_columns() -> tuple[Any, ...]:
    return (
        InvoiceRow.practice_id,
        InvoiceRow.id,
        InvoiceRow.status,
        InvoiceRow.due_date,
        PayLinkRow.token,
        PayLinkRow.last_sent_to,
        ClientRow.email,
        ReminderPauseRow.invoice_id.label("paused"),
    )


def _joined(statement: Any) -> Any:
    """`statement` over invoices with their clients, pay links and pauses."""
    return (
        statement.join(
            ClientRow,
            and_(
                ClientRow.practice_id == InvoiceRow.practice_id,
                ClientRow.id == InvoiceRow.client_id,
            ),
        )
        .outerjoin(
            PayLinkRow,
            and_(
                PayLinkRow.practice_id == InvoiceRow.practice_id,
                PayLinkRow.invoice_id == InvoiceRow.id,
            ),
        )
        .outerjoin(
            ReminderPauseRow,
            and_(
                ReminderPauseRow.practice_id == InvoiceRow.practice_id,
                ReminderPauseRow.invoice_id == InvoiceRow.id,
            ),
        )
    )


def _claim_statement() -> Any:
    # The dates come back as the driver gives them and are read by `claim_due`: each value
    # through its type, one by one, cost more than the statement on SQLite.
    invoice_due = (
        select(InvoiceRow.due_date)
        .where(
            InvoiceRow.practice_id == ReminderRow.practice_id,
            InvoiceRow.id == ReminderRow.invoice_id,
        )
        .scalar_subquery()
    )
    return (
        select(
            ReminderRow.id,
            ReminderRow.step,
            ReminderRow.occurrence,
            type_coerce(ReminderRow.due_at, NullType()).label("due_at"),
            ReminderRow.practice_id,
            ReminderRow.invoice_id,
            # Rows planned before revision 0016 carry no due date: their invoice's is read
            # (both databases evaluate COALESCE's second argument only when needed).
            type_coerce(func.coalesce(ReminderRow.invoice_due_date, invoice_due), NullType()).label(
                "due_date"
            ),
        )
        .where(_SCHEDULED, ReminderRow.due_at <= bindparam("now"))
        .order_by(ReminderRow.due_at, ReminderRow.id)
        .limit(bindparam("limit"))
    )


# The sweep's statements, rendered once per dialect and run on the driver's cursor (see
# `storage.bulk`): SQLAlchemy's execution path cost more than SQLite took to run them.
@lru_cache(maxsize=4)
def _claim(dialect: Dialect) -> RenderedStatement:
    statement = _claim_statement()
    if dialect.name == "postgresql":
        statement = statement.with_for_update(
            skip_locked=True, key_share=True, of=ReminderRow
        ).add_columns(null().label(SQLITE_ROWID))
    else:
        # `settle` finds the claimed rows again by it (see there).
        statement = statement.add_columns(
            literal_column(f"reminders.{SQLITE_ROWID}").label(SQLITE_ROWID)
        )
    return RenderedStatement(statement, dialect)


@lru_cache(maxsize=8)
def _settle(dialect: Dialect, key: str = "id") -> UpdateByIds:
    return UpdateByIds(_REMINDERS, key, ("state", "reason", "decided_at"), _SCHEDULED, dialect)


def _insert(dialect: Dialect) -> RowsInsert:
    return rows_insert(
        _REMINDERS, _COLUMNS, ("practice_id", "invoice_id", "step", "occurrence"), dialect
    )


def _moment(value: datetime | str) -> datetime:
    """A stored moment as the driver returns it (SQLite: text in UTC) made aware."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _target(row: Row[Any]) -> ReminderTarget:
    practice_id, invoice_id, status, due, token, sent_to, email, paused = row
    return ReminderTarget(
        practice_id=PracticeId(practice_id),
        invoice_id=InvoiceId(invoice_id),
        status=InvoiceStatus(status),
        due_date=due,
        has_address=_has_address(sent_to, email),
        paused=paused is not None,
        has_pay_link=token is not None,
    )


def _delivery(row: Row[Any]) -> tuple[DeliveryState | None, int, str, datetime | None]:
    if row.outbox_state_id is None:
        return None, 0, "", None
    if row.sent_at is not None:
        return DeliveryState.DELIVERED, row.attempts, "", row.sent_at
    if row.failed_at is not None:
        return DeliveryState.FAILED, row.attempts, row.last_error, None
    if row.attempts:
        return DeliveryState.RETRYING, row.attempts, row.last_error, None
    return DeliveryState.QUEUED, 0, "", None


def _entry(row: Row[Any]) -> ReminderEntry:
    delivery, attempts, error, delivered_at = _delivery(row)
    return ReminderEntry(
        id=row.id,
        key=_key(row.step, row.occurrence),
        due_at=row.due_at,
        state=ReminderState(row.state),
        reason=SkipReason(row.reason) if row.reason else None,
        actor=row.actor,
        decided_at=row.decided_at,
        delivery=delivery,
        attempts=attempts,
        last_error=error,
        delivered_at=delivered_at,
    )


def _entries_query() -> Any:
    return select(
        ReminderRow.id,
        ReminderRow.step,
        ReminderRow.occurrence,
        ReminderRow.due_at,
        ReminderRow.state,
        ReminderRow.reason,
        ReminderRow.actor,
        ReminderRow.decided_at,
        OutboxRow.id.label("outbox_state_id"),
        OutboxRow.sent_at,
        OutboxRow.failed_at,
        OutboxRow.attempts,
        OutboxRow.last_error,
    ).outerjoin(
        OutboxRow,
        and_(
            OutboxRow.practice_id == ReminderRow.practice_id,
            OutboxRow.dedupe_key == REMINDER_MAIL_KEY + ReminderRow.id,
        ),
    )


class SqlReminderRepository:
    """Implements `domain.ports.ReminderRepository` over the unit of work's session."""

    def __init__(self, session: Session) -> None:
        self._session = session
        # SQLite: the rowids of the reminders the last claim read, and its transaction.
        self._claimed: tuple[object, dict[str, int]] = (None, {})

    @property
    def _postgres(self) -> bool:
        return self._session.get_bind().dialect.name == "postgresql"

    def add(self, reminders: Sequence[NewReminder]) -> set[str]:
        ids = [reminder.id for reminder in reminders]
        columns = [
            ids,
            *(list(map(attrgetter(name), reminders)) for name in _FROM_PRACTICE_TO_DUE),
            list(map(str, map(_STATE, reminders))),
            [""] * len(ids),  # reason
            *(list(map(attrgetter(name), reminders)) for name in _FROM_ACTOR),
        ]
        with closing(self._cursor()) as cursor:
            inserted = _insert(self._dialect).run(cursor, columns)
        if inserted == len(ids):
            return set(ids)
        # Some met a reminder that holds their key already. Their ids are new, so the ones
        # stored now are those inserted. (RETURNING each id instead cost SQLite a tenth of
        # the insert, in every batch rather than in this rare one.)
        return self._stored(ids)

    def _stored(self, ids: list[str]) -> set[str]:
        connection = self._session.connection()
        found: set[str] = set()
        for start in range(0, len(ids), _IN_CHUNKS):
            chunk = ids[start : start + _IN_CHUNKS]
            found.update(
                connection.execute(
                    select(ReminderRow.id).where(ReminderRow.id.in_(chunk))
                ).scalars()
            )
        return found

    def _cursor(self) -> Any:
        """A cursor of the driver's connection, inside the unit of work's transaction."""
        return self._session.connection().connection.cursor()

    @property
    def _dialect(self) -> Dialect:
        return self._session.get_bind().dialect

    def claim_due(self, now: datetime, limit: int) -> list[DueReminder]:
        with closing(self._cursor()) as cursor:
            _claim(self._dialect).run(cursor, now=now, limit=limit)
            rows = cursor.fetchall()
        if rows and rows[0][7] is not None:  # SQLite: each row's rowid last
            self._claimed = (self._session.get_transaction(), {row[0]: row[7] for row in rows})
        # Reminders of one batch share a few steps, moments and due dates: each is read once.
        keys: dict[tuple[str, int], ReminderKey] = {}
        moments: dict[Any, datetime] = {}
        days: dict[Any, date] = {}
        tuple_new = tuple.__new__
        claimed: list[DueReminder] = []
        for reminder_id, step, occurrence, due_at, practice_id, invoice_id, due, _ in rows:
            key = keys.get((step, occurrence))
            if key is None:
                key = keys[step, occurrence] = ReminderKey(step, occurrence)
            moment = moments.get(due_at)
            if moment is None:
                moment = moments[due_at] = _moment(due_at)
            day = days.get(due)
            if day is None:
                day = days[due] = due if isinstance(due, date) else date.fromisoformat(due)
            # A named tuple made from its fields in order (`tuple.__new__`), without the
            # Python-level constructor a named tuple's call goes through.
            claimed.append(
                tuple_new(DueReminder, (reminder_id, key, moment, practice_id, invoice_id, day))
            )
        return claimed

    def _rowids(self, ids: list[str]) -> list[int] | None:
        """The rowids of `ids` if this transaction's claim read them all (on SQLite): the
        transaction holds the database's write lock, so they still name the same rows."""
        transaction, rowids = self._claimed
        if transaction is None or transaction is not self._session.get_transaction():
            return None
        found = [rowids.get(reminder_id) for reminder_id in ids]
        return None if None in found else cast(list[int], found)

    def settle(self, settled: Sequence[SettledReminder]) -> int:
        # One UPDATE per outcome (mostly one: "sent"), each naming its reminders: far cheaper
        # than an UPDATE per reminder. On SQLite by rowid, when the claim read them: among a
        # million reminders, searching the primary key's index for each id cost more than the
        # rest of the claim.
        groups: dict[tuple[ReminderState, SkipReason | None, datetime], list[str]] = {}
        for item in settled:
            groups.setdefault((item.state, item.reason, item.decided_at), []).append(item.id)
        changed = 0
        with closing(self._cursor()) as cursor:
            for (state, reason, at), ids in groups.items():
                values = (state.value, reason.value if reason else "", at)
                rowids = self._rowids(ids)
                if rowids is None:
                    changed += _settle(self._dialect).run(cursor, ids, values)
                else:
                    changed += _settle(self._dialect, SQLITE_ROWID).run(cursor, rowids, values)
        return changed

    def skip_sent(
        self, practice_id: PracticeId, reminder_id: str, reason: SkipReason, at: datetime
    ) -> bool:
        result = self._session.execute(
            update(ReminderRow)
            .where(
                ReminderRow.practice_id == practice_id,
                ReminderRow.id == reminder_id,
                ReminderRow.state == ReminderState.SENT.value,
            )
            .values(state=ReminderState.SKIPPED.value, reason=reason.value, decided_at=at)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def get(self, practice_id: PracticeId, reminder_id: str) -> ReminderEntry | None:
        row = self._session.execute(
            _entries_query().where(
                ReminderRow.practice_id == practice_id, ReminderRow.id == reminder_id
            )
        ).first()
        return None if row is None else _entry(row)

    def of_invoice(self, practice_id: PracticeId, invoice_id: InvoiceId) -> list[ReminderEntry]:
        rows = self._session.execute(
            _entries_query()
            .where(ReminderRow.practice_id == practice_id, ReminderRow.invoice_id == invoice_id)
            .order_by(ReminderRow.due_at, ReminderRow.created_at, ReminderRow.id)
        ).all()
        return [_entry(row) for row in rows]

    def targets(
        self, practice_id: PracticeId, invoice_ids: Collection[InvoiceId]
    ) -> list[ReminderTarget]:
        found: list[ReminderTarget] = []
        for chunk in _chunks(invoice_ids):
            rows = self._session.execute(
                _joined(select(*_target_columns()).select_from(InvoiceRow)).where(
                    InvoiceRow.practice_id == practice_id, InvoiceRow.id.in_(chunk)
                )
            ).all()
            found.extend(_target(row) for row in rows)
        return found

    def plan_facts(
        self, practice_id: PracticeId, invoice_ids: Collection[InvoiceId] | None = None
    ) -> list[PlanFacts]:
        open_invoices = (
            select(InvoiceRow.id, InvoiceRow.due_date, ReminderPauseRow.invoice_id.label("paused"))
            .outerjoin(
                ReminderPauseRow,
                and_(
                    ReminderPauseRow.practice_id == InvoiceRow.practice_id,
                    ReminderPauseRow.invoice_id == InvoiceRow.id,
                ),
            )
            .where(InvoiceRow.practice_id == practice_id, InvoiceRow.status.in_(_UNPAID))
        )
        decided = (
            select(
                ReminderRow.invoice_id,
                ReminderRow.step,
                ReminderRow.occurrence,
                ReminderRow.due_at,
            )
            .join(
                InvoiceRow,
                and_(
                    InvoiceRow.practice_id == ReminderRow.practice_id,
                    InvoiceRow.id == ReminderRow.invoice_id,
                ),
            )
            .where(
                ReminderRow.practice_id == practice_id,
                InvoiceRow.status.in_(_UNPAID),
                ReminderRow.state != ReminderState.SCHEDULED.value,
                ReminderRow.step != STEP_NOW,
            )
        )
        if invoice_ids is None:
            invoices = self._session.execute(open_invoices).all()
            history = self._session.execute(decided).all()
        else:
            invoices, history = [], []
            for chunk in _chunks(invoice_ids):
                invoices += self._session.execute(
                    open_invoices.where(InvoiceRow.id.in_(chunk))
                ).all()
                history += self._session.execute(
                    decided.where(ReminderRow.invoice_id.in_(chunk))
                ).all()
        used: dict[str, set[ReminderKey]] = {}
        last: dict[str, datetime] = {}
        for invoice_id, step, occurrence, due_at in history:
            used.setdefault(invoice_id, set()).add(_key(step, occurrence))
            if invoice_id not in last or due_at > last[invoice_id]:
                last[invoice_id] = due_at
        return [
            PlanFacts(
                invoice_id=InvoiceId(invoice_id),
                due_date=due,
                paused=paused is not None,
                last_decided_at=last.get(invoice_id),
                used=frozenset(used.get(invoice_id, ())),
            )
            for invoice_id, due, paused in invoices
        ]

    def with_scheduled(
        self, practice_id: PracticeId, invoice_ids: Collection[InvoiceId]
    ) -> set[InvoiceId]:
        found: set[InvoiceId] = set()
        for chunk in _chunks(invoice_ids):
            found.update(
                InvoiceId(invoice_id)
                for invoice_id in self._session.scalars(
                    select(ReminderRow.invoice_id).where(
                        ReminderRow.practice_id == practice_id,
                        ReminderRow.invoice_id.in_(chunk),
                        ReminderRow.state == ReminderState.SCHEDULED.value,
                    )
                )
            )
        return found

    def drop_scheduled(
        self,
        practice_id: PracticeId,
        invoice_ids: Collection[InvoiceId] | None = None,
        *,
        keep: Collection[str] = (),
    ) -> int:
        condition = and_(
            ReminderRow.practice_id == practice_id,
            ReminderRow.state == ReminderState.SCHEDULED.value,
        )
        chunks: list[list[InvoiceId] | None] = (
            [None] if invoice_ids is None else list(_chunks(invoice_ids))
        )
        dropped = 0
        for chunk in chunks:
            where = condition
            if chunk is not None:
                where = and_(condition, ReminderRow.invoice_id.in_(chunk))
            if keep:
                # Read, then drop by id: a practice's open invoices may outnumber what one
                # NOT IN list can name.
                ids = [
                    reminder_id
                    for reminder_id in self._session.scalars(select(ReminderRow.id).where(where))
                    if reminder_id not in keep
                ]
                for start in range(0, len(ids), _IN_CHUNKS):
                    dropped += self._delete(ReminderRow.id.in_(ids[start : start + _IN_CHUNKS]))
            else:
                dropped += self._delete(where)
        return dropped

    def _delete(self, where: Any) -> int:
        result = self._session.execute(
            delete(ReminderRow).where(where).execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0))

    def is_paused(self, practice_id: PracticeId, invoice_id: InvoiceId) -> bool:
        return self._session.get(ReminderPauseRow, (practice_id, invoice_id)) is not None

    def pause(self, practice_id: PracticeId, invoice_id: InvoiceId, by: str, at: datetime) -> bool:
        return bool(
            insert_many_ignoring_duplicates(
                self._session,
                ReminderPauseRow,
                [
                    {
                        "practice_id": practice_id,
                        "invoice_id": invoice_id,
                        "paused_at": at,
                        "paused_by": by,
                    }
                ],
                ["practice_id", "invoice_id"],
                "invoice_id",
            )
        )

    def resume(self, practice_id: PracticeId, invoice_id: InvoiceId) -> bool:
        result = self._session.execute(
            delete(ReminderPauseRow)
            .where(
                ReminderPauseRow.practice_id == practice_id,
                ReminderPauseRow.invoice_id == invoice_id,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def practices_to_plan(self, limit: int) -> list[PracticeId]:
        stale = or_(
            ReminderPlanRow.practice_id.is_(None),
            ReminderPlanRow.planned_version != PracticeRow.version,
        )
        return [
            PracticeId(practice_id)
            for practice_id in self._session.scalars(
                select(PracticeRow.id)
                .outerjoin(ReminderPlanRow, ReminderPlanRow.practice_id == PracticeRow.id)
                .where(stale)
                .order_by(PracticeRow.id)
                .limit(limit)
            )
        ]

    def hold_practice(self, practice_id: PracticeId) -> bool:
        statement = select(PracticeRow.id).where(PracticeRow.id == practice_id)
        if self._postgres:
            statement = statement.with_for_update(skip_locked=True, key_share=True)
        return self._session.scalar(statement) is not None

    def plan_of(self, practice_id: PracticeId) -> PracticePlan | None:
        row = self._session.get(ReminderPlanRow, practice_id)
        if row is None:
            return None
        return PracticePlan(row.planned_version, row.fingerprint, row.digest_at)

    def save_plan(self, practice_id: PracticeId, plan: PracticePlan) -> None:
        values = {
            "practice_id": practice_id,
            "planned_version": plan.planned_version,
            "fingerprint": plan.fingerprint,
            "digest_at": plan.digest_at,
        }
        insert = postgresql.insert if self._postgres else sqlite.insert
        statement = insert(ReminderPlanRow).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["practice_id"],
            set_={
                "planned_version": statement.excluded.planned_version,
                "fingerprint": statement.excluded.fingerprint,
                "digest_at": statement.excluded.digest_at,
            },
        )
        self._session.execute(statement)

    def digests_due(self, now: datetime, limit: int) -> list[PracticeId]:
        statement = (
            select(ReminderPlanRow.practice_id)
            .where(ReminderPlanRow.digest_at <= now)
            .order_by(ReminderPlanRow.digest_at)
            .limit(limit)
        )
        if self._postgres:
            statement = statement.with_for_update(skip_locked=True)
        return [PracticeId(practice_id) for practice_id in self._session.scalars(statement)]

    def overdue(self, practice_id: PracticeId, today: date) -> list[OverdueInvoice]:
        rows = self._session.execute(
            select(
                InvoiceRow.id,
                InvoiceRow.number,
                InvoiceRow.client_id,
                ClientRow.name,
                InvoiceRow.due_date,
                InvoiceRow.currency,
                InvoiceRow.total_minor,
                InvoiceRow.paid_minor,
            )
            .join(
                ClientRow,
                and_(
                    ClientRow.practice_id == InvoiceRow.practice_id,
                    ClientRow.id == InvoiceRow.client_id,
                ),
            )
            .where(
                InvoiceRow.practice_id == practice_id,
                InvoiceRow.status.in_(_UNPAID),
                InvoiceRow.due_date < today,
            )
        ).all()
        return [
            OverdueInvoice(
                InvoiceId(invoice_id),
                number,
                ClientId(client_id),
                name,
                due,
                Currency(code).from_minor_units(total - paid),
            )
            for invoice_id, number, client_id, name, due, code, total, paid in rows
        ]
