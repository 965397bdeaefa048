"""Migration 10 rebuilds item, item_status and notification for the acknowledged status,
keeping every row (and its order) and every foreign key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.vault.storage.early_vaults import early_vault
from vault.storage.migrate import migrate

T = "2026-11-28T09:00:00.000000Z"


def test_the_rebuild_keeps_rows_and_allows_acknowledged(tmp_path: Path) -> None:
    conn = early_vault(tmp_path, 7, T)
    conn.execute(
        "INSERT INTO item (id, practice_id, author_id, kind, urgency, pinned, status,"
        " deposited_at, envelope, size)"
        " VALUES ('i', 'p', 's', 'message', 2, 1, 'read', ?, x'00', 1)",
        (T,),
    )
    history = [("i", "new", "s", T), ("i", "read", "m", T)]
    conn.executemany("INSERT INTO item_status VALUES (?, ?, ?, ?)", history)
    conn.execute(
        "INSERT INTO notification (item_id, practice_id, account_id, status, next_at,"
        " created_at) VALUES ('i', 'p', 'm', 'pending', ?, ?)",
        (T, T),
    )
    with pytest.raises(Exception, match="CHECK"):
        conn.execute("UPDATE item SET status = 'acknowledged'")

    assert migrate(conn) >= 10
    assert conn.execute("SELECT id, status, pinned FROM item").fetchall() == [("i", "read", 1)]
    assert conn.execute(
        "SELECT item_id, status, account_id, at, undo FROM item_status ORDER BY rowid"
    ).fetchall() == [(*h, 0) for h in history]
    assert conn.execute("SELECT item_id, status FROM notification").fetchall() == [("i", "pending")]
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.execute("UPDATE item SET status = 'acknowledged'")
    conn.execute("INSERT INTO item_status VALUES ('i', 'acknowledged', 'm', ?, 0)", (T,))
    with pytest.raises(Exception, match="FOREIGN KEY"):
        conn.execute("INSERT INTO item_status VALUES ('nope', 'read', 'm', ?, 0)", (T,))
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"item_inbox", "item_by_author", "item_status_by_item", "notification_due"} <= indexes
