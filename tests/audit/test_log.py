"""Appending to the log inside the caller's transaction, and failing closed."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from audit import merkle
from audit.entry import Action, AuditEntry, decode
from audit.errors import AppendRefused, EntryTooLarge
from audit.log import AuditLog
from tests.audit.helpers import T0, entry, fill, open_db
from tests.backends import DISTRIBUTED
from vault.storage.store import Connection
from vault.storage.writer import Writer


def test_appends_are_dense_and_the_stored_tree_matches_a_recomputed_one(db: Connection) -> None:
    """After 37 appends, indexes are 0..36, leaves decode, and every root and proof matches."""
    log = AuditLog()
    indexes = [log.append(db, entry(i)) for i in range(37)]
    assert indexes == list(range(37))
    hashes = [merkle.leaf_hash(leaf) for leaf in log.leaves(db)]
    assert [decode(leaf).index for leaf in log.leaves(db)] == indexes
    cr = merkle.CompactRange()
    for n, h in enumerate(hashes, start=1):
        cr.append(h)
        root = log.root(db, n)
        assert root == cr.root()
        for i in {0, n // 2, n - 1}:
            proof = log.inclusion_proof(db, i, n)
            merkle.verify_inclusion(hashes[i], i, n, proof.hashes, root)
    for m in range(1, 38, 5):
        cproof = log.consistency_proof(db, m, 37)
        merkle.verify_consistency(m, 37, log.root(db, m), log.root(db, 37), cproof.hashes)
    nodes = db.execute("SELECT count(*) FROM audit_nodes").fetchone()[0]
    assert nodes == sum(37 >> level for level in range(1, 7))


def test_a_rolled_back_savepoint_leaves_no_trace_and_appends_continue(db: Connection) -> None:
    """The log keeps no state in memory: after a rollback the next append reuses the index."""
    log = AuditLog()
    log.append(db, entry(0))
    db.execute("BEGIN IMMEDIATE")
    db.execute("SAVEPOINT s")
    assert log.append(db, entry(1)) == 1
    log.append(db, entry(2))
    db.execute("ROLLBACK TO s")
    db.execute("RELEASE s")
    db.execute("COMMIT")
    assert log.append(db, entry(99)) == 1
    assert decode(log.leaf(db, 1)).entry == entry(99)
    assert log.root(db) == merkle.node_hash(
        merkle.leaf_hash(log.leaf(db, 0)), merkle.leaf_hash(log.leaf(db, 1))
    )


def _action(n: int, log_entry: AuditEntry) -> Callable[[Connection], int]:
    def fn(conn: Connection) -> int:
        conn.execute("INSERT INTO vault_meta (key, value) VALUES (?, ?)", (f"k{n}", "v"))
        return AuditLog().append(conn, log_entry)

    return fn


def test_an_action_whose_entry_is_too_large_is_rolled_back_and_the_group_commits(
    tmp_path: Path,
) -> None:
    """Through the Writer: the action with an oversized entry fails and leaves no row;
    the other transactions of the same group commit with their entries."""
    conn = open_db(tmp_path / "v.db")
    writer = Writer(conn)
    too_big = AuditEntry.new(
        Action.ITEM_READ, now=T0, detail={f"k{i}": "x" * 8000 for i in range(9)}
    )
    gate = threading.Event()
    commits = writer.stats.commits
    blocker = writer.submit(lambda c: gate.wait(10))  # the writer waits here while we queue
    futures = [
        writer.submit(_action(0, entry(0))),
        writer.submit(_action(1, too_big)),
        writer.submit(_action(2, entry(2))),
    ]
    gate.set()
    assert blocker.result()
    assert futures[0].result() == 0
    with pytest.raises(EntryTooLarge):
        futures[1].result()
    assert futures[2].result() == 1
    # the blocker held the writer while the three queued: they ran as one group
    assert writer.stats.commits - commits <= 2
    writer.close()
    keys = [r[0] for r in conn.execute("SELECT key FROM vault_meta ORDER BY key").fetchall()]
    assert keys == ["k0", "k2"]
    assert AuditLog().size(conn) == 2
    conn.close()


REFUSING_TRIGGER = (
    "CREATE TEMP TRIGGER refuse BEFORE INSERT ON audit_entries"
    " BEGIN SELECT RAISE(ABORT, 'audit: refused for the test'); END"
)
# PostgreSQL's (no TEMP triggers on a table; DDL is rolled back with the action).
REFUSING_TRIGGER_PG = (
    "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS"
    " 'BEGIN RAISE EXCEPTION ''audit: refused for the test''; END';"
    " CREATE TRIGGER refuse BEFORE INSERT ON audit_entries"
    " FOR EACH ROW EXECUTE FUNCTION refuse()"
)


def test_an_action_whose_entry_a_trigger_refuses_is_rolled_back(tmp_path: Path) -> None:
    """If the database refuses the entry (here a guard trigger), the action fails closed."""
    conn = open_db(tmp_path / "v.db")
    writer = Writer(conn)
    fill(writer, 0, 3)

    def sabotaged(c: Connection) -> int:
        c.execute("INSERT INTO vault_meta (key, value) VALUES ('read', 'v')")
        # A trigger refuses the entry (as a full disk or a guard would): the whole action goes.
        c.execute(REFUSING_TRIGGER_PG if DISTRIBUTED else REFUSING_TRIGGER)
        return AuditLog().append(c, entry(3))

    with pytest.raises(AppendRefused, match="audit: "):
        writer.run(sabotaged)
    writer.run(lambda c: AuditLog().append(c, entry(3)))
    writer.close()
    assert conn.execute("SELECT count(*) FROM vault_meta WHERE key = 'read'").fetchone()[0] == 0
    assert AuditLog().size(conn) == 4
    conn.close()


def test_a_10000_entry_log_built_in_groups_has_proofs_of_logarithmic_size(tmp_path: Path) -> None:
    """Grouped appends build a large log quickly; proofs stay within 32 * ceil(log2 n) bytes."""
    conn = open_db(tmp_path / "v.db")
    writer = Writer(conn)
    fill(writer, 0, 10_000, per_txn=500)
    writer.close()
    log = AuditLog()
    n = log.size(conn)
    root = log.root(conn)
    for i in (0, 1, 4095, 8191, 9999):
        proof = log.inclusion_proof(conn, i, n)
        assert 32 * len(proof.hashes) <= 32 * (n - 1).bit_length()
        merkle.verify_inclusion(merkle.leaf_hash(log.leaf(conn, i)), i, n, proof.hashes, root)
    conn.close()
