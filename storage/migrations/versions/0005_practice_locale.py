"""A practice's locale: how it writes numbers

Revision ID: 0005
Revises: 0004
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
from babel.numbers import list_currencies

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _known(code: str) -> bool:
    try:
        parsed = Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return False
    return parsed.territory is not None and str(parsed) == code


def _locale_of(territory: str) -> str:
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
        sa.column("currency", sa.String()),
        sa.column("country", sa.String()),
        sa.column("locale", sa.String()),
    )
    # One UPDATE per rule, with every answer spelled out in a CASE, so `migrate --sql` prints
    # the same backfill it would run: the country's locale, else the one the currency's code
    # starts with (GBP: GB), else en_US; the euro without a country is en_IE.
    territories = [str(code) for code in Locale("en").territories if len(code) == 2]
    by_country = {code: _locale_of(code) for code in territories}
    by_currency = {
        str(code): by_country.get(str(code)[:2], "en_US") for code in sorted(list_currencies())
    }
    by_currency["EUR"] = "en_IE"
    with_country = practices.c.country != ""
    op.execute(
        practices.update()
        .where(with_country)
        .values(locale=sa.case(by_country, value=practices.c.country, else_="en_US"))
    )
    op.execute(
        practices.update()
        .where(sa.or_(practices.c.country.is_(None), practices.c.country == ""))
        .values(locale=sa.case(by_currency, value=practices.c.currency, else_="en_US"))
    )


def downgrade() -> None:
    with op.batch_alter_table("practices", schema=None) as batch_op:
        batch_op.drop_column("locale")
