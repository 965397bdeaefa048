"""Numbered migrations: applied once, in order, atomically, keeping existing data."""

from __future__ import annotations

from pathlib import Path

import pytest

from vault.errors import StoreError
from vault.storage.migrate import Migration, all_migrations, current_version, migrate
from vault.storage.store import connect, new_key


def test_migrations_are_numbered_densely_from_one() -> None:
    """1, 2, 3, … with no gap: a vault at version n applies exactly the numbers above n."""
    numbers = [m.number for m in all_migrations()]
    assert numbers == list(range(1, len(numbers) + 1))


def test_every_migration_applies_to_a_database_holding_data(tmp_path: Path) -> None:
    """A database at version 1 with rows migrates to the latest version with its rows intact."""
    conn = connect(tmp_path / "v.db", new_key(), create=True)
    migrate(conn, upto=1)
    conn.execute("INSERT INTO vault_meta VALUES ('vault_id', 'v-123')")
    latest = migrate(conn)
    assert latest == all_migrations()[-1].number == current_version(conn)
    assert (
        conn.execute("SELECT value FROM vault_meta WHERE key='vault_id'").fetchone()[0] == "v-123"
    )
    assert migrate(conn) == latest  # idempotent


def test_a_migration_rewriting_data_keeps_it(tmp_path: Path) -> None:
    """A later migration that reshapes a table carries its rows over."""
    steps = [
        Migration(1, "notes", "CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT);"),
        Migration(
            2,
            "split",
            "ALTER TABLE note ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;\n"
            "UPDATE note SET urgent = 1 WHERE body LIKE 'URGENT%';",
        ),
    ]
    conn = connect(tmp_path / "m.db", new_key(), create=True)
    migrate(conn, steps, upto=1)
    conn.executemany("INSERT INTO note (body) VALUES (?)", [("URGENT call",), ("fyi",)])
    migrate(conn, steps)
    rows = conn.execute("SELECT body, urgent FROM note ORDER BY id").fetchall()
    assert rows == [("URGENT call", 1), ("fyi", 0)]


def test_a_failing_migration_changes_nothing(tmp_path: Path) -> None:
    """A migration that fails half-way is rolled back whole and not recorded."""
    steps = [
        Migration(1, "ok", "CREATE TABLE a (x);"),
        Migration(2, "broken", "CREATE TABLE b (x);\nINSERT INTO nowhere VALUES (1);"),
    ]
    conn = connect(tmp_path / "f.db", new_key(), create=True)
    with pytest.raises(StoreError):
        migrate(conn, steps)
    assert current_version(conn) == 1
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "b" not in tables


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    """Code older than the database refuses it instead of guessing."""
    conn = connect(tmp_path / "n.db", new_key(), create=True)
    migrate(
        conn, [Migration(1, "a", "CREATE TABLE a (x);"), Migration(2, "b", "CREATE TABLE b (x);")]
    )
    with pytest.raises(StoreError, match="newer than this program"):
        migrate(conn, [Migration(1, "a", "CREATE TABLE a (x);")])


def test_trigger_bodies_stay_whole(tmp_path: Path) -> None:
    """A trigger with several statements in its body is applied as one statement."""
    sql = (
        "CREATE TABLE log (n INTEGER);\n"
        "CREATE TRIGGER no_update BEFORE UPDATE ON log\nBEGIN\n"
        "  SELECT RAISE(ABORT, 'append-only');\n  SELECT 1;\nEND;\n"
    )
    conn = connect(tmp_path / "t.db", new_key(), create=True)
    migrate(conn, [Migration(1, "log", sql)])
    conn.execute("INSERT INTO log VALUES (1)")
    with pytest.raises(Exception, match="append-only"):
        conn.execute("UPDATE log SET n = 2")
