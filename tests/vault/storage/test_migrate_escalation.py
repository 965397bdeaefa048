"""Migration 11: an urgent item still waiting in the old mail queue becomes an escalation
from its first step; an item already acknowledged, or already mailed, does not."""

from __future__ import annotations

from pathlib import Path

from vault.storage.migrate import migrate
from vault.storage.store import connect, new_key

T = "2026-11-28T09:00:00.000Z"


def test_the_old_queue_becomes_escalations(tmp_path: Path) -> None:
    conn = connect(tmp_path / "v.db", new_key(), create=True)
    migrate(conn, upto=10)
    conn.execute("INSERT INTO practice (id, name, created_at) VALUES ('p', 'Cabinet', ?)", (T,))
    for aid, role in (("m", "member"), ("n", "member"), ("s", "secretary")):
        conn.execute(
            "INSERT INTO account (id, username, display_name, role, practice_id, status,"
            " created_at) VALUES (?, ?, ?, ?, ?, 'active', ?)",
            (aid, aid, aid.upper(), role, "p" if role == "member" else None, T),
        )
    for iid, status in (("waiting", "new"), ("taken", "acknowledged"), ("mailed", "read")):
        conn.execute(
            "INSERT INTO item (id, practice_id, author_id, kind, urgency, pinned, status,"
            " deposited_at, envelope, size) VALUES (?, 'p', 's', 'message', 2, 1, ?, ?, x'00', 1)",
            (iid, status, T),
        )
    queue = [("waiting", "m", "pending"), ("waiting", "n", "pending"), ("taken", "m", "pending")]
    queue.append(("mailed", "m", "sent"))
    conn.executemany(
        "INSERT INTO notification (item_id, practice_id, account_id, status, next_at,"
        " created_at) VALUES (?, 'p', ?, ?, ?, ?)",
        [(i, a, s, T, T) for i, a, s in queue],
    )
    assert migrate(conn) >= 11
    assert conn.execute(
        "SELECT item_id, author_id, state, step, next_at FROM escalation"
    ).fetchall() == [("waiting", "s", "running", 0, T)]
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
