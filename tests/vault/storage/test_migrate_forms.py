"""Migration 13 rebuilds item in place for the kind ``form`` and its template id, keeping
every row and leaving the tables that refer to item (with their foreign keys) untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.vault.storage.early_vaults import early_vault
from vault.storage.migrate import Migration, all_migrations, migrate
from vault.storage.store import Connection

T = "2026-11-28T09:00:00.000000Z"
TEMPLATE = "0f8fad5b-d9cb-469f-a165-70867728950e"


def _vault_with_items(tmp_path: Path) -> Connection:
    conn = early_vault(tmp_path, 10, T)
    for iid, kind, blob in (("a", "message", None), ("b", "extract", 5), ("c", "call_note", None)):
        conn.execute(
            "INSERT INTO item (id, practice_id, author_id, kind, urgency, pinned, status,"
            " deposited_at, envelope, size, blob_size) VALUES (?, 'p', 's', ?, 1, 0, 'read', ?,"
            " x'00', 1, ?)",
            (iid, kind, T, blob),
        )
        conn.execute("INSERT INTO item_status VALUES (?, 'new', 's', ?, 0)", (iid, T))
    conn.execute(
        "INSERT INTO deposit_label VALUES ('a', 's', x'01', ?)",
        (T,),
    )
    conn.execute(
        "INSERT INTO notification (item_id, practice_id, account_id, status, next_at,"
        " created_at) VALUES ('c', 'p', 'm', 'pending', ?, ?)",
        (T, T),
    )
    return conn


def test_the_rebuild_keeps_rows_and_foreign_keys_and_allows_forms(tmp_path: Path) -> None:
    conn = _vault_with_items(tmp_path)
    before = conn.execute("SELECT * FROM item ORDER BY id").fetchall()
    with pytest.raises(Exception, match="CHECK"):
        conn.execute("UPDATE item SET kind = 'form' WHERE id = 'a'")
    children = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE name IN"
        " ('item_status', 'notification', 'deposit_label')"
    ).fetchall()

    assert migrate(conn) >= 13
    assert [r[:-1] for r in conn.execute("SELECT * FROM item ORDER BY id")] == before
    assert conn.execute("SELECT count(*) FROM item_status").fetchone() == (3,)
    assert conn.execute("SELECT item_id FROM deposit_label").fetchall() == [("a",)]
    assert conn.execute("SELECT item_id FROM notification").fetchall() == [("c",)]
    # The children were not rebuilt: same definitions, foreign keys to the new item.
    assert (
        conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE name IN"
            " ('item_status', 'notification', 'deposit_label')"
        ).fetchall()
        == children
    )
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA defer_foreign_keys").fetchone() == (0,)
    with pytest.raises(Exception, match="FOREIGN KEY"):
        conn.execute("INSERT INTO item_status VALUES ('nope', 'read', 'm', ?, 0)", (T,))
    with pytest.raises(Exception, match="FOREIGN KEY"):
        conn.execute("DELETE FROM item WHERE id = 'a'")

    conn.execute(
        "INSERT INTO item (id, practice_id, author_id, kind, urgency, pinned, status,"
        " deposited_at, envelope, size, form_template_id)"
        " VALUES ('f', 'p', 's', 'form', 1, 0, 'new', ?, x'00', 1, ?)",
        (T, TEMPLATE),
    )
    # A form names its template; nothing else does.
    with pytest.raises(Exception, match="CHECK"):
        conn.execute(
            "INSERT INTO item (id, practice_id, author_id, kind, urgency, pinned, status,"
            " deposited_at, envelope, size) VALUES ('g', 'p', 's', 'form', 1, 0, 'new', ?,"
            " x'00', 1)",
            (T,),
        )
    with pytest.raises(Exception, match="CHECK"):
        conn.execute("UPDATE item SET form_template_id = ? WHERE id = 'a'", (TEMPLATE,))
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"item_inbox", "item_by_author", "item_by_template"} <= indexes


def test_a_child_left_dangling_fails_the_migration_and_changes_nothing(tmp_path: Path) -> None:
    """The deferred check is real: were a row not copied back, COMMIT would fail."""
    conn = _vault_with_items(tmp_path)
    (forms,) = [m for m in all_migrations() if m.number == 13]
    broken = forms.sql.replace("FROM temp.item_copy;", "FROM temp.item_copy WHERE id <> 'c';")
    assert broken != forms.sql
    with pytest.raises(Exception, match="FOREIGN KEY"):
        migrate(conn, [*[m for m in all_migrations() if m.number < 13], Migration(13, "x", broken)])
    assert conn.execute("SELECT count(*) FROM item").fetchone() == (3,)
    assert conn.execute("SELECT max(number) FROM schema_migrations").fetchone() == (12,)
