"""Clients are found by name or e-mail whatever the case or accents typed, in the database
itself, on SQLite and PostgreSQL alike; the list of all clients pages A-Z in the database."""

from __future__ import annotations

import importlib.util

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, select
from storage_scenario import ADMIN, a_practice_with_records

from domain.text import search_key
from domain.usecases import records
from storage.engine import create_engine_for
from storage.migrate import MIGRATIONS_DIR, upgrade
from storage.orm import ClientRow
from storage.unit_of_work import SqlAlchemyUnitOfWork, session_factory


def _add(uow, env, practice_id, name, email):
    details = records.ClientDetails(name, email)
    return records.add_client(records.AddClient(practice_id, ADMIN, details), uow, env)


@pytest.fixture
def practice_with_clients(uow, env):
    setup = a_practice_with_records(uow, env)  # Ada Lovelace, ada@example.com
    for name, email in [
        ("Zoë Saldaña", "zoe@example.org"),
        ("Jürgen Müller", "j.mueller@praxis.example"),
        ("Percy 100% Fit", "percy@example.com"),
        ("Una Derscore", "una_d@example.com"),
        ("Unaxd Other", "unaxd@example.com"),  # what "una_d" would find were _ a wildcard
        ("Zoe Adams", "zadams@example.net"),
    ]:
        _add(uow, env, setup.practice.id, name, email)
    return setup


def _names(uow, practice_id, text, limit=10):
    with uow:
        return [client.name for client in uow.clients.matching(practice_id, text, limit)]


@pytest.mark.parametrize("typed", ["zoe", "ZOE", "Zoë", "zOË"])
def test_a_name_with_an_accent_is_found_typed_with_or_without_it(uow, practice_with_clients, typed):
    found = _names(uow, practice_with_clients.practice.id, typed)

    assert sorted(found) == ["Zoe Adams", "Zoë Saldaña"]


def test_an_umlaut_is_found_by_the_plain_letter(uow, practice_with_clients):
    practice_id = practice_with_clients.practice.id

    assert _names(uow, practice_id, "muller") == ["Jürgen Müller"]
    assert _names(uow, practice_id, "MÜLLER") == ["Jürgen Müller"]
    assert _names(uow, practice_id, "saldana") == ["Zoë Saldaña"]


@pytest.mark.parametrize(
    ("name", "typed"),
    [
        ("Łucja Kowalska", "lucja"),
        ("Nadia Øberg", "oberg"),
        ("Đorđe Petrović", "dorde petrovic"),
        ("Grete Straßer", "strasser"),
        ("Ærøskøbing Æsir", "aeroskobing"),
        ("Œdipe Lebœuf", "oedipe leboeuf"),
        ("Þóra Ðís", "thora dis"),
    ],
)
def test_letters_unicode_keeps_whole_are_found_by_their_plain_spelling(
    uow, env, practice_with_clients, name, typed
):
    practice_id = practice_with_clients.practice.id
    _add(uow, env, practice_id, name, "someone@example.org")

    assert _names(uow, practice_id, typed) == [name]
    # Typed with the letters themselves, as a Polish or Danish keyboard would.
    assert _names(uow, practice_id, name.upper()) == [name]


def test_a_search_typed_with_such_a_letter_finds_the_plain_spelling_too(
    uow, env, practice_with_clients
):
    practice_id = practice_with_clients.practice.id
    _add(uow, env, practice_id, "Ines Oberg", "ines@example.org")
    _add(uow, env, practice_id, "Nadia Øberg", "nadia@example.org")

    assert _names(uow, practice_id, "ØBERG") == ["Ines Oberg", "Nadia Øberg"]


def test_part_of_an_email_address_finds_its_client(uow, practice_with_clients):
    practice_id = practice_with_clients.practice.id

    assert _names(uow, practice_id, "praxis.EXAMPLE") == ["Jürgen Müller"]
    assert _names(uow, practice_id, "@example.net") == ["Zoe Adams"]


def test_percent_and_underscore_are_looked_for_as_themselves(uow, practice_with_clients):
    practice_id = practice_with_clients.practice.id

    assert _names(uow, practice_id, "100%") == ["Percy 100% Fit"]
    assert _names(uow, practice_id, "una_d") == ["Una Derscore"]
    assert _names(uow, practice_id, "%") == ["Percy 100% Fit"]


def test_the_best_matches_come_first_and_are_counted_in_the_database(
    uow, env, practice_with_clients
):
    practice_id = practice_with_clients.practice.id
    _add(uow, env, practice_id, "Ann", "ann@example.com")
    _add(uow, env, practice_id, "Joanna Ames", "jo@example.com")
    _add(uow, env, practice_id, "Annabel Lee", "bel@example.com")

    found = _names(uow, practice_id, "ann", limit=2)
    with uow:
        total = uow.clients.count_matching(practice_id, "ann")

    # The whole name first, then a name starting with it; "Joanna" only contains it.
    assert found == ["Ann", "Annabel Lee"]
    assert total == 3


def test_another_practices_clients_are_never_found(uow, env, practice_with_clients):
    other = a_practice_with_records(uow, env, "T0PRACTICEB", "Practice B")
    _add(uow, env, other.practice.id, "Zoë Other", "zoe@other.example")

    found = _names(uow, practice_with_clients.practice.id, "zoe")
    with uow:
        counted = uow.clients.count_matching(practice_with_clients.practice.id, "zoe")
        listed = uow.clients.page(practice_with_clients.practice.id, 0, 100)

    assert "Zoë Other" not in found
    assert counted == 2
    assert "Zoë Other" not in [client.name for client in listed]


def test_a_renamed_client_is_found_by_the_new_name_only(uow, env, practice_with_clients):
    setup = practice_with_clients
    edit = records.EditClient(
        setup.practice.id,
        ADMIN,
        setup.client.id,
        setup.client.version,
        records.ClientDetails("Åsa Öberg", "asa@example.se"),
    )
    records.edit_client(edit, uow, env)

    assert _names(uow, setup.practice.id, "asa oberg") == ["Åsa Öberg"]
    assert _names(uow, setup.practice.id, "lovelace") == []


def test_the_list_pages_through_every_client_a_to_z(uow, env, practice_with_clients):
    practice_id = practice_with_clients.practice.id
    for number in range(30):
        _add(uow, env, practice_id, f"Client {number:02d}", f"c{number}@example.com")
    with uow:
        total = uow.clients.count(practice_id)
        pages = [uow.clients.page(practice_id, offset, 20) for offset in range(0, total, 20)]

    names = [client.name for page in pages for client in page]
    assert total == 37
    assert [len(page) for page in pages] == [20, 17]
    assert names == sorted(names, key=search_key)
    assert len(set(names)) == 37
    # Accents do not send a name to the end of the alphabet.
    assert names.index("Zoe Adams") == names.index("Zoë Saldaña") - 1


def _migrate(engine, step, revision):
    """Run an Alembic step as `storage.migrate.upgrade` runs one (which only goes forward)."""
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # Batch mode rebuilds the table; with foreign keys on, dropping the old one fails.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")
        _step_in(connection, step, revision)


def _step_in(connection, step, revision):
    with connection.begin():
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = connection
        step(config, revision)


def test_clients_stored_before_the_search_keys_existed_are_found(database_url, env):
    engine = create_engine_for(database_url)
    try:
        upgrade(engine)
        uow = SqlAlchemyUnitOfWork(session_factory(engine))
        setup = a_practice_with_records(uow, env)
        _add(uow, env, setup.practice.id, "Zoë Saldaña", "ZOE@Example.org")
        # Back to the schema without keys, where these clients lose theirs, and forward again.
        _migrate(engine, command.downgrade, "0002")
        with engine.connect() as connection:
            columns = {column["name"] for column in inspect(connection).get_columns("clients")}
        _migrate(engine, command.upgrade, "heads")

        found = _names(SqlAlchemyUnitOfWork(session_factory(engine)), setup.practice.id, "zoe")
        with engine.connect() as connection:
            keys = set(connection.execute(select(ClientRow.name, ClientRow.email_key)).all())
    finally:
        engine.dispose()

    assert "name_key" not in columns
    assert found == ["Zoë Saldaña"]
    assert keys == {
        ("Ada Lovelace", "ada@example.com"),
        ("Zoë Saldaña", search_key("ZOE@example.org")),
    }


def test_the_newest_migration_computing_keys_computes_them_as_the_code_does():
    path = MIGRATIONS_DIR / "versions" / "0011_search_key_letters.py"
    spec = importlib.util.spec_from_file_location("search_key_letters_revision", path)
    assert spec is not None and spec.loader is not None
    revision = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(revision)

    samples = [
        "Zoë",
        "  Ana   María ",
        "Straße",
        "ﬁne",
        "İstanbul",
        "Ǆemal",
        "x@Exämple.ORG",
        "Łódź Øresund Đakovo",
        "Æther Œuvre Þing Ðað Ħamrun Ŧ ıi Ŋ",
    ]

    assert [revision.search_key(text) for text in samples] == [search_key(t) for t in samples]


def test_keys_stored_before_letters_were_spelled_out_are_recomputed(database_url, env):
    engine = create_engine_for(database_url)
    try:
        upgrade(engine)
        uow = SqlAlchemyUnitOfWork(session_factory(engine))
        setup = a_practice_with_records(uow, env)
        _add(uow, env, setup.practice.id, "Nadia Øberg", "nadia@Łódź.example")
        # Back to the keys as 0003 made them (the letters kept whole), and forward again.
        _migrate(engine, command.downgrade, "0010")
        with engine.connect() as connection:
            before = connection.execute(select(ClientRow.name_key, ClientRow.email_key)).all()
        missed = _names(SqlAlchemyUnitOfWork(session_factory(engine)), setup.practice.id, "oberg")
        _migrate(engine, command.upgrade, "heads")

        found = _names(SqlAlchemyUnitOfWork(session_factory(engine)), setup.practice.id, "oberg")
        with engine.connect() as connection:
            after = set(connection.execute(select(ClientRow.name_key, ClientRow.email_key)).all())
    finally:
        engine.dispose()

    assert ("nadia øberg", "nadia@łodz.example") in before
    assert missed == []
    assert found == ["Nadia Øberg"]
    assert ("nadia oberg", "nadia@lodz.example") in after
