"""The unit of work over SQLAlchemy: one session and transaction per Slack request,
webhook or job run."""

from __future__ import annotations

from contextlib import AbstractContextManager
from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storage.engine import read_only_options
from storage.repositories.audit import SqlAuditLog
from storage.repositories.document_files import SqlDocumentFiles
from storage.repositories.invoices import SqlInvoiceRepository
from storage.repositories.members import SqlMemberRepository
from storage.repositories.outbox import SqlOutbox
from storage.repositories.practices import (
    SqlLogoRepository,
    SqlPracticeRepository,
    SqlTaxRateRepository,
)
from storage.repositories.records import (
    SqlAppointmentRepository,
    SqlClientRepository,
    SqlServiceTypeRepository,
)
from storage.repositories.reminders import SqlReminderRepository
from storage.repositories.stripe import (
    SqlCheckoutRepository,
    SqlPayLinkRepository,
    SqlStripeConnectionRepository,
    SqlStripeEventLog,
)
from storage.repositories.support import SqlSupportConversations, SqlSupportSettings
from storage.together import commit_together, sent_together


def session_factory(engine: Engine) -> sessionmaker[Session]:
    # Objects never outlive their unit of work as ORM rows (repositories hand out frozen
    # domain objects), so nothing needs reloading after commit.
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


class SqlAlchemyUnitOfWork:
    """Implements `domain.ports.UnitOfWork`; rolls back unless `commit()` ran.

    The same object may be entered again after it exits; each entry is a new transaction.
    `read_only=True` lets SQLite readers start without queueing behind writers.
    """

    practices: SqlPracticeRepository
    tax_rates: SqlTaxRateRepository
    clients: SqlClientRepository
    service_types: SqlServiceTypeRepository
    appointments: SqlAppointmentRepository
    invoices: SqlInvoiceRepository
    members: SqlMemberRepository
    logos: SqlLogoRepository
    document_files: SqlDocumentFiles
    audit: SqlAuditLog
    stripe_connections: SqlStripeConnectionRepository
    stripe_events: SqlStripeEventLog
    pay_links: SqlPayLinkRepository
    checkouts: SqlCheckoutRepository
    outbox: SqlOutbox
    support: SqlSupportConversations
    support_settings: SqlSupportSettings
    reminders: SqlReminderRepository

    def __init__(self, sessions: sessionmaker[Session], *, read_only: bool = False) -> None:
        self._sessions = sessions
        self._read_only = read_only
        self._session: Session | None = None

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already in use; units of work do not nest")
        session = self._sessions()
        if self._read_only:
            dialect = session.get_bind().dialect.name
            session.connection(execution_options=read_only_options(dialect))
        self._session = session
        self.practices = SqlPracticeRepository(session)
        self.tax_rates = SqlTaxRateRepository(session)
        self.clients = SqlClientRepository(session)
        self.service_types = SqlServiceTypeRepository(session)
        self.appointments = SqlAppointmentRepository(session)
        self.invoices = SqlInvoiceRepository(session)
        self.members = SqlMemberRepository(session)
        self.logos = SqlLogoRepository(session)
        self.document_files = SqlDocumentFiles(session)
        self.audit = SqlAuditLog(session)
        self.stripe_connections = SqlStripeConnectionRepository(session)
        self.stripe_events = SqlStripeEventLog(session)
        self.pay_links = SqlPayLinkRepository(session)
        self.checkouts = SqlCheckoutRepository(session)
        self.outbox = SqlOutbox(session)
        self.support = SqlSupportConversations(session)
        self.support_settings = SqlSupportSettings(session)
        self.reminders = SqlReminderRepository(session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is not None:
            session.close()  # rolls back whatever was not committed

    def commit(self) -> None:
        if self._session is None:
            raise RuntimeError("commit() outside the unit of work's with-block")
        # Inside writes_together, what it holds back goes with the COMMIT; the session's own
        # commit then finds the transaction over and sends nothing.
        commit_together(self._session)
        self._session.commit()

    def rollback(self) -> None:
        if self._session is not None:
            self._session.rollback()

    def writes_together(self) -> AbstractContextManager[None]:
        if self._session is None:
            raise RuntimeError("writes_together() outside the unit of work's with-block")
        return sent_together(self._session)
