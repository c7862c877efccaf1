"""A practice and its settings: billing details, invoice and reminder settings, tax rates
and logos."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import time
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Row,
    Table,
    Text,
    bindparam,
    exists,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from domain.errors import StaleEdit
from domain.ids import (
    PracticeId,
    TaxRateId,
)
from domain.logos import Logo
from domain.money import Currency
from domain.practice import (
    Address,
    BillingDetails,
    InvoiceSettings,
    InvoiceTemplate,
    InvoiceTheme,
    Practice,
    ReminderPolicy,
    TaxRate,
)
from storage.orm import (
    PERCENT_SCALE,
    InvoiceCounterRow,
    InvoiceLineRow,
    LogoRow,
    PracticeRow,
    ServiceTypeRow,
    TaxRateRow,
)
from storage.repositories.scaled import scaled, unscaled

_PRACTICES = cast(Table, PracticeRow.__table__)
# A practice's row as plain values (its JSON columns as their text), so that the row itself
# can be the key of the practice it makes.
_STORED = select(
    *(
        sql_cast(column, Text).label(column.key) if isinstance(column.type, JSON) else column
        for column in _PRACTICES.c
    )
)
# One statement object for every call, so that SQLAlchemy finds it compiled at once.
_STORED_OF = _STORED.where(_PRACTICES.c.id.in_(bindparam("ids", expanding=True)))
_JSON_COLUMNS = tuple(column.key for column in _PRACTICES.c if isinstance(column.type, JSON))
_MADE_AT_MOST = 1024
_made: dict[tuple[Any, ...], Practice] = {}


def _practice_stored(row: Row[Any]) -> Practice:
    """The practice of a row of `_STORED`, made once per distinct row: the sweep reads the
    same practices every minute, and making one (its settings checked again) took longer
    than reading a thousand reminders. The key is every stored value, so a practice changed
    in any way is made afresh."""
    key = tuple(row)
    practice = _made.get(key)
    if practice is None:
        values = row._asdict()
        for name in _JSON_COLUMNS:
            values[name] = None if values[name] is None else json.loads(values[name])
        practice = _practice(SimpleNamespace(**values))
        if len(_made) >= _MADE_AT_MOST:
            _made.clear()
        _made[key] = practice
    return practice


def _practice_values(practice: Practice) -> dict[str, object]:
    billing, address = practice.billing, practice.billing.address
    settings, reminders = practice.invoice_settings, practice.reminder_policy
    return {
        "workspace_id": practice.workspace_id,
        "name": billing.name,
        "currency": billing.currency.code,
        "address_line1": address.line1,
        "address_line2": address.line2,
        "city": address.city,
        "region": address.region,
        "postal_code": address.postal_code,
        "country": address.country,
        "time_zone": billing.time_zone,
        "locale": billing.locale,
        "tax_number": billing.tax_number,
        "licence_number": billing.licence_number,
        "privacy_mode": practice.privacy_mode,
        "billing_channel_id": practice.billing_channel_id,
        "active": practice.active,
        "default_tax_rate_id": practice.default_tax_rate_id,
        "invoice_template": settings.template.value,
        "invoice_theme": settings.theme.value,
        "logo_ref": settings.logo_ref,
        "invoice_details": settings.details,
        "payment_terms_days": settings.payment_terms_days,
        "invoice_footer": settings.footer,
        "number_prefix": settings.number_prefix,
        "reminders_enabled": reminders.enabled,
        "reminder_offsets": list(reminders.offsets),
        "reminder_send_time": reminders.send_time.strftime("%H:%M"),
        "reminder_options": _reminder_options(reminders),
        "version": practice.version,
    }


def _practice(row: Any) -> Practice:
    """A practice from its row: a `PracticeRow`, or a plain row of the table."""
    return Practice(
        id=PracticeId(row.id),
        workspace_id=row.workspace_id,
        billing=BillingDetails(
            name=row.name,
            currency=Currency(row.currency),
            address=Address(
                row.address_line1,
                row.address_line2,
                row.city,
                row.region,
                row.postal_code,
                row.country,
            ),
            time_zone=row.time_zone,
            tax_number=row.tax_number,
            licence_number=row.licence_number,
            locale=row.locale,
        ),
        invoice_settings=InvoiceSettings(
            template=InvoiceTemplate(row.invoice_template),
            theme=InvoiceTheme(row.invoice_theme),
            logo_ref=row.logo_ref,
            details=row.invoice_details,
            payment_terms_days=row.payment_terms_days,
            footer=row.invoice_footer,
            number_prefix=row.number_prefix,
        ),
        reminder_policy=_reminder_policy(row),
        default_tax_rate_id=TaxRateId(row.default_tax_rate_id) if row.default_tax_rate_id else None,
        privacy_mode=row.privacy_mode,
        billing_channel_id=row.billing_channel_id,
        active=row.active,
        version=row.version,
    )


def _reminder_options(policy: ReminderPolicy) -> dict[str, Any]:
    return {
        "repeat_every_days": policy.repeat_every_days,
        "quiet_days": sorted(policy.quiet_days),
        "wordings": {str(offset): text for offset, text in policy.wordings},
        "digest_enabled": policy.digest_enabled,
        "digest_time": policy.digest_time.strftime("%H:%M"),
    }


_DEFAULT_POLICY = ReminderPolicy()


def _reminder_policy(row: Any) -> ReminderPolicy:
    # A key missing from the options (a practice stored before it existed) keeps the
    # policy's default.
    options = row.reminder_options or {}
    stored = (
        bool(row.reminders_enabled),
        tuple(row.reminder_offsets),
        row.reminder_send_time,
        options.get("repeat_every_days"),
        tuple(options.get("quiet_days", _DEFAULT_POLICY.quiet_days)),
        tuple((options.get("wordings") or {}).items()),
        bool(options.get("digest_enabled", _DEFAULT_POLICY.digest_enabled)),
        options.get("digest_time") or None,
    )
    try:
        return _policy(*stored)
    except TypeError:  # something unhashable in the options: read it afresh
        return _policy.__wrapped__(*stored)


@lru_cache(maxsize=1024)
def _policy(
    enabled: bool,
    offsets: tuple[Any, ...],
    send_time: str,
    repeat_every_days: int | None,
    quiet_days: tuple[int, ...],
    wordings: tuple[tuple[str, Any], ...],
    digest_enabled: bool,
    digest_time: str | None,
) -> ReminderPolicy:
    # Made once per distinct stored policy (it is immutable and follows from these values
    # alone): the reminder sweep reads the practices of a thousand reminders per batch, and
    # checking each policy again took half of reading them.
    return ReminderPolicy(
        enabled=enabled,
        offsets=tuple(int(offset) for offset in offsets),
        send_time=time.fromisoformat(send_time),
        repeat_every_days=repeat_every_days,
        quiet_days=frozenset(quiet_days),
        wordings=tuple((int(offset), str(text)) for offset, text in wordings),
        digest_enabled=digest_enabled,
        digest_time=(
            time.fromisoformat(digest_time) if digest_time else _DEFAULT_POLICY.digest_time
        ),
    )


class SqlPracticeRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, practice_id: PracticeId) -> Practice | None:
        row = self._session.get(PracticeRow, practice_id)
        return _practice(row) if row else None

    def get_many(self, practice_ids: Collection[PracticeId]) -> dict[PracticeId, Practice]:
        # Plain rows, without the ORM's instances: the reminder sweep reads the practices of
        # a batch at once, and nothing is changed through them.
        rows = (
            self._session.connection().execute(_STORED_OF, {"ids": sorted(set(practice_ids))}).all()
        )
        return {PracticeId(row.id): _practice_stored(row) for row in rows}

    def for_workspace(self, workspace_id: str) -> Practice | None:
        row = self._session.scalar(
            select(PracticeRow).where(PracticeRow.workspace_id == workspace_id)
        )
        return _practice(row) if row else None

    def add(self, practice: Practice) -> None:
        self._session.execute(
            insert(PracticeRow).values(id=practice.id, **_practice_values(practice))
        )
        self._session.execute(
            insert(InvoiceCounterRow).values(practice_id=practice.id, last_sequence=0)
        )

    def update(self, practice: Practice) -> None:
        result = self._session.execute(
            update(PracticeRow)
            .where(PracticeRow.id == practice.id, PracticeRow.version == practice.version - 1)
            .values(**_practice_values(practice))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleEdit(
                "The practice's settings were changed by someone else meanwhile. "
                "Reopen them and try again."
            )


# -- tax rates ------------------------------------------------------------------------------


def _tax_rate(row: TaxRateRow) -> TaxRate:
    return TaxRate(
        TaxRateId(row.id),
        PracticeId(row.practice_id),
        row.name,
        unscaled(row.percent_e4, PERCENT_SCALE),
        row.archived_at,
    )


class SqlTaxRateRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, practice_id: PracticeId, tax_rate_id: TaxRateId) -> TaxRate | None:
        row = self._session.scalar(
            select(TaxRateRow).where(
                TaxRateRow.practice_id == practice_id, TaxRateRow.id == tax_rate_id
            )
        )
        return _tax_rate(row) if row else None

    def list(self, practice_id: PracticeId, *, include_archived: bool = False) -> list[TaxRate]:
        query = select(TaxRateRow).where(TaxRateRow.practice_id == practice_id)
        if not include_archived:
            query = query.where(TaxRateRow.archived_at.is_(None))
        return [_tax_rate(row) for row in self._session.scalars(query.order_by(TaxRateRow.name))]

    def add(self, rate: TaxRate) -> None:
        self._session.execute(
            insert(TaxRateRow).values(
                id=rate.id,
                practice_id=rate.practice_id,
                name=rate.name,
                percent_e4=scaled(rate.percent, PERCENT_SCALE),
                archived_at=rate.archived_at,
            )
        )

    def update(self, rate: TaxRate) -> None:
        self._session.execute(
            update(TaxRateRow)
            .where(TaxRateRow.practice_id == rate.practice_id, TaxRateRow.id == rate.id)
            .values(
                name=rate.name,
                percent_e4=scaled(rate.percent, PERCENT_SCALE),
                archived_at=rate.archived_at,
            )
            .execution_options(synchronize_session=False)
        )

    def is_used(self, practice_id: PracticeId, tax_rate_id: TaxRateId) -> bool:
        on_lines = exists().where(
            InvoiceLineRow.practice_id == practice_id, InvoiceLineRow.tax_rate_id == tax_rate_id
        )
        on_services = exists().where(
            ServiceTypeRow.practice_id == practice_id,
            ServiceTypeRow.default_tax_rate_id == tax_rate_id,
        )
        return bool(self._session.scalar(select(or_(on_lines, on_services))))


# -- logos ----------------------------------------------------------------------------------


class SqlLogoRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, practice_id: PracticeId, logo_id: str, logo: Logo) -> None:
        self._session.execute(
            insert(LogoRow).values(
                id=logo_id,
                practice_id=practice_id,
                content_type=logo.content_type,
                content=logo.content,
            )
        )

    def get(self, practice_id: PracticeId, logo_id: str) -> Logo | None:
        row = self._session.scalar(
            select(LogoRow).where(LogoRow.practice_id == practice_id, LogoRow.id == logo_id)
        )
        return Logo(row.content_type, row.content) if row else None
