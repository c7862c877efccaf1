"""The Alembic migrations build exactly the schema the ORM maps, and can be undone."""

from __future__ import annotations

import warnings

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from storage.orm import metadata


def test_migrated_schema_matches_the_orm_mapping(engine):
    with engine.connect() as connection, warnings.catch_warnings():
        # Expression indexes cannot be reflected; the test below checks that one by behaviour.
        warnings.filterwarnings("ignore", message=".*expression-based index.*")
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)

    assert differences == []
