"""A practice's locale: how it writes numbers

Revision ID: 0003a
Revises: 0002
Create Date: 2026-12-04

Amounts typed in Slack are read the way the practice writes them (89,50 in de_DE, 1,250.00
in en_US). Existing practices get the locale their currency and country suggest, by the rule
the app used when this revision was written (copied here, so later changes to the rule do
not change what this migration does).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from babel import Locale, UnknownLocaleError
from babel.languages import get_official_languages

revision: str = "0003a"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _known(code: str) -> bool:
    try:
        parsed = Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return False
    return parsed.territory is not None and str(parsed) == code


def _locale_for(currency: str, country: str) -> str:
    if currency == "EUR" and not country:
        return "en_IE"
    territory = country or currency[:2]
    for language in get_official_languages(territory, de_facto=True):
        if _known(f"{language}_{territory}"):
            return f"{language}_{territory}"
    return "en_US"


def upgrade() -> None:
    with op.batch_alter_table("practices", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("locale", sa.String(length=20), server_default="en_US", nullable=False)
        )
    practices = sa.table(
        "practices",
        sa.column("id", sa.String()),
        sa.column("currency", sa.String()),
        sa.column("country", sa.String()),
        sa.column("locale", sa.String()),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(practices.c.id, practices.c.currency, practices.c.country))
    for practice_id, currency, country in rows.all():
        connection.execute(
            practices.update()
            .where(practices.c.id == practice_id)
            .values(locale=_locale_for(currency, country or ""))
        )


def downgrade() -> None:
    with op.batch_alter_table("practices", schema=None) as batch_op:
        batch_op.drop_column("locale")
