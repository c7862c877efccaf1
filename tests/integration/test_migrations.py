"""The Alembic migrations build exactly the schema the ORM maps, and can be undone."""

from __future__ import annotations

import warnings

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Boolean, Integer, MetaData, Table, insert, text

from storage.engine import create_engine_for
from storage.migrate import _config, upgrade
from storage.orm import metadata


def test_migrated_schema_matches_the_orm_mapping(engine):
    with engine.connect() as connection, warnings.catch_warnings():
        # Expression indexes cannot be reflected; the test below checks that one by behaviour.
        warnings.filterwarnings("ignore", message=".*expression-based index.*")
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)

    assert differences == []


def test_existing_practices_get_the_locale_their_currency_and_country_suggest(tmp_path):
    engine = create_engine_for(f"sqlite:///{tmp_path / 'before.sqlite3'}")
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
        practices = Table("practices", MetaData(), autoload_with=connection)
        required = {
            column.name: False
            if isinstance(column.type, Boolean)
            else 0
            if isinstance(column.type, Integer)
            else "x"
            for column in practices.columns
            if not column.nullable and column.server_default is None
        }
        for practice_id, currency, country in (("p1", "USD", ""), ("p2", "EUR", "DE")):
            connection.execute(
                insert(practices).values(
                    {
                        **required,
                        "id": practice_id,
                        "workspace_id": f"T{practice_id}",
                        "currency": currency,
                        "country": country,
                        "reminder_offsets": [],
                    }
                )
            )

    upgrade(engine)

    with engine.connect() as connection:
        locales = dict(connection.execute(text("SELECT id, locale FROM practices")).all())
    engine.dispose()
    assert locales == {"p1": "en_US", "p2": "de_DE"}
