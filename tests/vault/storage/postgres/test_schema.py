"""The PostgreSQL schema is the SQLite one: built both ways, compared normalised."""

from __future__ import annotations

import pytest

from crypto.secret import Secret
from tests.backends.postgres import Cluster
from tests.vault.storage.postgres.schema_shapes import postgres_shape, sqlite_shape
from vault.errors import StoreError, WriteFailed
from vault.storage.migrate import all_migrations, migrate
from vault.storage.postgres import schema
from vault.storage.postgres.connection import PostgresConnection, connect
from vault.storage.store import Connection, translated_errors


def test_both_backends_build_the_same_schema(lite: Connection, pg: PostgresConnection) -> None:
    """Tables, columns (types mapped), NOT NULL, primary keys, unique constraints, foreign
    keys, CHECK counts, indexes and triggers (name, table, timing, event) are the same."""
    sqlite, postgres = sqlite_shape(lite), postgres_shape(pg)
    assert sorted(postgres.tables) == sorted(sqlite.tables)
    for name, table in sqlite.tables.items():
        assert postgres.tables[name] == table, name
    assert postgres.indexes == sqlite.indexes
    assert postgres.triggers == sqlite.triggers
    # What PostgreSQL has beyond: SQLite's implicit rowid where the code reads it, and a
    # guard against TRUNCATE (which SQLite does not have).
    assert postgres.rowid_columns == {
        "item_status.rowid",
        "login_failure.rowid",
        "team_document.rowid",
    }
    assert postgres.extra_triggers == {"audit_entries_no_truncate"}


def test_the_audit_guards_are_all_there_as_plpgsql(pg: PostgresConnection) -> None:
    """Every guard trigger of the audit log runs a plpgsql function."""
    rows = pg.execute(
        "SELECT t.tgname, l.lanname FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid"
        " JOIN pg_language l ON l.oid = p.prolang WHERE NOT t.tgisinternal"
        " AND t.tgname LIKE 'audit_%'"
    ).fetchall()
    assert len(rows) == 17
    assert {lang for _, lang in rows} == {"plpgsql"}


def test_schema_migrations_records_the_same_numbers_and_names(
    lite: Connection, pg: PostgresConnection
) -> None:
    query = "SELECT number, name FROM schema_migrations ORDER BY number"
    assert pg.execute(query).fetchall() == lite.execute(query).fetchall()
    latest = max(m.number for m in all_migrations())
    assert [n for n, _ in pg.execute(query).fetchall()] == list(range(1, latest + 1))


def test_every_migration_after_the_baseline_has_a_postgresql_twin() -> None:
    """A new SQLite migration (0017 and later) must come with its PostgreSQL version."""
    later = [m.number for m in all_migrations() if m.number > schema.BASELINE_VERSION]
    assert [n for n in later if n not in schema.TWINS] == []
    assert max(m.number for m in all_migrations()) >= schema.BASELINE_VERSION


def test_migrating_twice_changes_nothing_and_a_newer_database_is_refused(
    pg: PostgresConnection,
) -> None:
    latest = max(m.number for m in all_migrations())
    assert migrate(pg) == latest
    pg.execute("INSERT INTO schema_migrations VALUES (99, 'future', 'x')")
    with pytest.raises(StoreError, match="newer than this program"):
        migrate(pg)


def test_a_foreign_database_is_refused_and_left_alone(empty_url: Secret) -> None:
    conn = connect(empty_url)
    try:
        conn.execute("CREATE TABLE theirs (n BIGINT)")
        with pytest.raises(StoreError, match="not a Permanence vault's; give Permanence an empty"):
            migrate(conn)
        assert conn.execute("SELECT to_regclass('schema_migrations')").fetchone() == (None,)
    finally:
        conn.close()


def test_a_database_sorting_otherwise_than_c_is_refused(cluster: Cluster) -> None:
    """Text must sort as SQLite's BINARY collation: a database with ICU's (linguistic)
    ordering is refused before anything is created in it."""
    url = cluster.new_database(template=None)
    name = url.value.decode().split("/")[3].split("?")[0]
    cluster.psql(f"DROP DATABASE {name}")
    cluster.psql(
        f"CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'fr' LOCALE 'C'"
    )
    conn = connect(url)
    try:
        with pytest.raises(StoreError, match="LC_COLLATE 'C' and LC_CTYPE 'C'"):
            migrate(conn)
        assert conn.execute("SELECT to_regclass('schema_migrations')").fetchone() == (None,)
    finally:
        conn.close()


def test_a_database_with_the_c_utf8_locale_is_refused(cluster: Cluster) -> None:
    """C.UTF-8 sorts as C but its character type folds non-ASCII letters in citext
    ('Émile' = 'émile'), unlike SQLite's NOCASE: only C and POSIX are accepted."""
    url = cluster.new_database(template=None)
    name = url.value.decode().split("/")[3].split("?")[0]
    cluster.psql(f"DROP DATABASE {name}")
    cluster.psql(
        f"CREATE DATABASE {name} TEMPLATE template0 LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
    )
    conn = connect(url)
    try:
        with pytest.raises(StoreError, match="LC_COLLATE 'C' and LC_CTYPE 'C'"):
            migrate(conn)
        assert conn.execute("SELECT to_regclass('schema_migrations')").fetchone() == (None,)
    finally:
        conn.close()


def test_text_sorts_and_compares_as_on_sqlite(lite: Connection, pg: PostgresConnection) -> None:
    """ORDER BY on mixed-case and accented text gives SQLite's BINARY order (the bytes of
    UTF-8), and the NOCASE columns compare and sort on ASCII letters only, on both."""
    keys = ["zoé", "Zoe", "zoe", "Émile", "emile", "éa", "Eb", "_x", "a b", "ab", "A", "é", "E"]
    practices = ["Émile", "émile", "Zoé", "zoe", "Cabinet Martin", "_x", "b", "B2"]
    for conn in (lite, pg):
        conn.execute("BEGIN IMMEDIATE")
        for n, key in enumerate(keys):
            conn.execute("INSERT INTO vault_meta (key, value) VALUES (?, ?)", (key, str(n)))
        for n, name in enumerate(practices):
            conn.execute(
                "INSERT INTO practice (id, name, created_at) VALUES (?, ?, 't')", (f"p{n}", name)
            )
        conn.execute("COMMIT")
        with pytest.raises(WriteFailed), translated_errors():
            conn.execute("INSERT INTO practice (id, name, created_at) VALUES ('x', 'ZOE', 't')")
    order = "SELECT key FROM vault_meta ORDER BY key"
    assert [r[0] for r in pg.execute(order).fetchall()] == sorted(keys, key=str.encode)
    assert pg.execute(order).fetchall() == lite.execute(order).fetchall()
    for query in (
        "SELECT name FROM practice ORDER BY lower(name), id",
        "SELECT name FROM practice ORDER BY name",
        "SELECT id FROM practice WHERE name = 'CABINET martin'",
        "SELECT id FROM practice WHERE name = 'ÉMILE'",
        "SELECT id FROM practice WHERE name = 'zoé'",
        "SELECT count(*) FROM practice WHERE name < 'c'",
    ):
        assert pg.execute(query).fetchall() == lite.execute(query).fetchall(), query
