"""The audit log's guard triggers refuse the same statements on PostgreSQL as on SQLite,
with the same messages, and change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from audit.entry import Action, AuditEntry, format_time
from audit.log import AuditLog
from audit.retention import months_before
from vault.errors import WriteFailed
from vault.storage.postgres.connection import PostgresConnection
from vault.storage.store import Connection, translated_errors

T0 = datetime(2025, 3, 31, 9, 0, tzinfo=UTC)


def _fill(conn: Connection, count: int = 5) -> None:
    log = AuditLog()
    conn.execute("BEGIN IMMEDIATE")
    for i in range(count):
        log.append(
            conn,
            AuditEntry.new(
                Action.ITEM_READ,
                now=T0 + timedelta(days=40 * i),
                targets={"item": f"i{i}", "practice": "p1"},
            ),
        )
    conn.execute(
        "INSERT INTO audit_checkpoints (seq, size, root, note, issued_at)"
        " VALUES (0, 4, x'00', 'n', 't')"
    )
    conn.execute(
        "INSERT INTO audit_cosignatures (seq, verifier, line, added_at) VALUES (0, 'w', 'l', 't')"
    )
    conn.execute("COMMIT")


REFUSED = [
    "UPDATE audit_entries SET leaf = x'00' WHERE idx = 1",
    "UPDATE audit_entries SET leaf = NULL WHERE idx = 0",  # not below the minimum index
    "UPDATE audit_nodes SET hash = x'00' WHERE level = 1 AND idx = 0",
    "UPDATE audit_checkpoints SET size = 3",
    "UPDATE audit_cosignatures SET line = 'x'",
    "DELETE FROM audit_entries WHERE idx = 3",
    "DELETE FROM audit_nodes",
    "DELETE FROM audit_checkpoints",
    "DELETE FROM audit_cosignatures",
    "DELETE FROM audit_retention",
    "INSERT INTO audit_retention (id, min_index, months) VALUES (1, 0, 12)",
    "INSERT INTO audit_entries (idx, leaf, hash) VALUES (9, x'00', x'00')",
    "INSERT INTO audit_entries (idx, leaf, hash) VALUES (5, NULL, x'00')",
    "INSERT INTO audit_nodes (level, idx, hash) VALUES (3, 0, x'00')",
    "INSERT INTO audit_nodes (level, idx, hash) VALUES (0, 0, x'00')",
    "INSERT INTO audit_checkpoints (seq, size, root, note, issued_at) VALUES (1, 2, x'', '', '')",
    "INSERT INTO audit_checkpoints (seq, size, root, note, issued_at) VALUES (1, 9, x'', '', '')",
    "INSERT INTO audit_cosignatures (seq, verifier, line, added_at) VALUES (0, 'w', 'l', 't')",
    "UPDATE audit_retention SET min_index = 6",  # past the end
    "UPDATE audit_retention SET min_index = 5, months = 1",  # the newest is not old enough
    "UPDATE audit_retention SET id = 1",
]


def _refusal(conn: Connection, sql: str) -> str:
    before = conn.execute(
        "SELECT count(*), sum(length(leaf)), (SELECT count(*) FROM audit_nodes),"
        " (SELECT min_index FROM audit_retention) FROM audit_entries"
    ).fetchone()
    with pytest.raises(WriteFailed) as refused, translated_errors():
        conn.execute(sql)
    after = conn.execute(
        "SELECT count(*), sum(length(leaf)), (SELECT count(*) FROM audit_nodes),"
        " (SELECT min_index FROM audit_retention) FROM audit_entries"
    ).fetchone()
    assert tuple(before) == tuple(after)
    return str(refused.value)


def test_the_same_statements_are_refused_with_the_same_messages(
    lite: Connection, pg: PostgresConnection
) -> None:
    _fill(lite)
    _fill(pg)
    for sql in REFUSED:
        expected = _refusal(lite, sql)
        assert expected.startswith("audit: "), sql
        assert _refusal(pg, sql) == expected, sql
    with pytest.raises(WriteFailed, match="TRUNCATE refused"):
        pg.execute("TRUNCATE audit_entries CASCADE")


def test_pruning_in_order_below_the_minimum_index_is_allowed_on_both(
    lite: Connection, pg: PostgresConnection
) -> None:
    """The one UPDATE the guards allow: the minimum index rises over entries older than
    the period (months counted as SQLite counts them), then their content goes, in order."""
    for conn in (lite, pg):
        _fill(conn)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE audit_retention SET min_index = 2, months = 2 WHERE id = 0")
        conn.execute("UPDATE audit_entries SET leaf = NULL WHERE idx = 0")
        conn.execute("UPDATE audit_entries SET leaf = NULL WHERE idx = 1")
        conn.execute("COMMIT")
    query = "SELECT idx, leaf IS NULL FROM audit_entries ORDER BY idx"
    assert pg.execute(query).fetchall() == [tuple(r) for r in lite.execute(query).fetchall()]
    refused = "UPDATE audit_retention SET min_index = 4, months = 5 WHERE id = 0"
    assert _refusal(pg, refused) == _refusal(lite, refused)


@pytest.mark.parametrize(
    ("at", "months"),
    [
        ("2025-03-31T09:00:00.000Z", 1),
        ("2024-03-31T23:59:59.999Z", 1),
        ("2025-05-31T00:00:00.000Z", 3),
        ("2025-01-31T12:00:00.500Z", 13),
        ("2024-02-29T00:00:00.000Z", 12),
        ("2026-12-31T10:11:12.013Z", 1200),
    ],
)
def test_months_back_are_counted_as_sqlite_counts_them(
    lite: Connection, pg: PostgresConnection, at: str, months: int
) -> None:
    """The retention triggers' month arithmetic: SQLite's strftime, PostgreSQL's function
    and the Python the vault uses give the same time."""
    sqlite = lite.execute(
        "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', ?, ?)", (at, f"-{months} months")
    ).fetchone()[0]
    postgres = pg.execute("SELECT sqlite_months_before(?, ?)", (at, months)).fetchall()[0][0]
    python = format_time(months_before(datetime.fromisoformat(at), months))
    assert postgres == sqlite == python
