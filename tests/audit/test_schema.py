"""The guard triggers on the audit tables, on real SQLCipher, applied by vault.storage.migrate."""

from __future__ import annotations

import pytest

from audit.entry import encode
from audit.log import AuditLog
from audit.schema import SCHEMA_SQL
from tests.audit.helpers import REFUSED, entry
from vault.storage.migrate import statements
from vault.storage.store import Connection

# SQLite's own conflict clause (REPLACE deletes the old row without DELETE triggers);
# PostgreSQL has none, and the code never uses it.
SQLITE_REPLACE = pytest.mark.embedded_only


@pytest.fixture
def filled(db: Connection) -> Connection:
    """Four entries (so there are subtree hashes at levels 1 and 2) and one checkpoint."""
    log = AuditLog()
    for i in range(4):
        log.append(db, entry(i))
    db.execute(
        "INSERT INTO audit_checkpoints (seq, size, root, note, issued_at)"
        " VALUES (0, 4, x'00', 'n', 't')"
    )
    return db


def test_the_vault_migration_splitter_keeps_every_trigger_whole() -> None:
    """vault.storage.migrate splits SCHEMA_SQL into statements, each trigger whole."""
    triggers = [s for s in statements(SCHEMA_SQL) if s.startswith("CREATE TRIGGER")]
    assert len(triggers) == 12
    assert all(t.endswith("END;") for t in triggers)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_entries SET leaf = x'00' WHERE idx = 1",
        "UPDATE audit_nodes SET hash = x'00' WHERE level = 1 AND idx = 0",
        "UPDATE audit_checkpoints SET size = 3",
        "DELETE FROM audit_entries WHERE idx = 3",
        "DELETE FROM audit_nodes",
        "DELETE FROM audit_checkpoints",
    ],
)
def test_updates_and_deletes_are_refused(filled: Connection, sql: str) -> None:
    """UPDATE and DELETE on the log tables raise, and change nothing."""
    before = filled.execute("SELECT count(*), sum(length(leaf)) FROM audit_entries").fetchone()
    with pytest.raises(REFUSED, match="append-only"):
        filled.execute(sql)
    after = filled.execute("SELECT count(*), sum(length(leaf)) FROM audit_entries").fetchone()
    assert before == after


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO audit_entries (idx, leaf, hash) VALUES (5, x'00', x'00')",
        "INSERT INTO audit_entries (idx, leaf, hash) VALUES (3, x'00', x'00')",
        "INSERT INTO audit_entries (leaf, hash) VALUES (x'00', x'00')",
        pytest.param(
            "INSERT OR REPLACE INTO audit_entries (idx, leaf, hash) VALUES (2, x'00', x'00')",
            marks=SQLITE_REPLACE,
        ),
        pytest.param(
            "REPLACE INTO audit_entries (idx, leaf, hash) VALUES (0, x'00', x'00')",
            marks=SQLITE_REPLACE,
        ),
        pytest.param(
            "INSERT OR REPLACE INTO audit_nodes (level, idx, hash) VALUES (1, 0, x'00')",
            marks=SQLITE_REPLACE,
        ),
        "INSERT INTO audit_nodes (level, idx, hash) VALUES (1, 3, x'00')",
        "INSERT INTO audit_nodes (level, idx, hash) VALUES (1, 2, x'00')",
        pytest.param(
            "INSERT OR REPLACE INTO audit_checkpoints (seq, size, root, note, issued_at)"
            " VALUES (0, 4, x'01', 'n', 't')",
            marks=SQLITE_REPLACE,
        ),
        "INSERT INTO audit_checkpoints (seq, size, root, note, issued_at)"
        " VALUES (1, 3, x'01', 'n', 't')",
        "INSERT INTO audit_checkpoints (seq, size, root, note, issued_at)"
        " VALUES (1, 9, x'01', 'n', 't')",
    ],
)
def test_out_of_order_and_replacing_inserts_are_refused(filled: Connection, sql: str) -> None:
    """Only the next index may be inserted: gaps, rewrites and INSERT OR REPLACE raise."""
    leaves = filled.execute("SELECT idx, leaf FROM audit_entries ORDER BY idx").fetchall()
    with pytest.raises(REFUSED, match="audit: "):
        filled.execute(sql)
    assert filled.execute("SELECT idx, leaf FROM audit_entries ORDER BY idx").fetchall() == leaves


def test_the_next_insert_is_accepted(filled: Connection) -> None:
    """The guards do not refuse the legitimate next row (so the refusals above mean something)."""
    # Real leaves: the audit index (migration 5) reads each new leaf's JSON.
    new = "INSERT INTO audit_entries (idx, leaf, hash) VALUES (?, ?, x'00')"
    filled.execute(new, (4, encode(entry(4), 4)))
    with pytest.raises(REFUSED):  # node (1, 2) covers entries 4 and 5: not complete yet
        filled.execute("INSERT INTO audit_nodes (level, idx, hash) VALUES (1, 2, x'00')")
    filled.execute(new, (5, encode(entry(5), 5)))
    filled.execute("INSERT INTO audit_nodes (level, idx, hash) VALUES (1, 2, x'00')")
    with pytest.raises(REFUSED):
        filled.execute(  # a second cosignature by the same key is refused ...
            "INSERT INTO audit_cosignatures (seq, verifier, line, added_at)"
            " VALUES (0, 'k', 'l', 't'), (0, 'k', 'l2', 't')"
        )
    filled.execute(  # ... the first one alone is fine
        "INSERT INTO audit_cosignatures (seq, verifier, line, added_at) VALUES (0, 'k', 'l', 't')"
    )
