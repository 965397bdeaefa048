"""Retention in the audit tables (migration 16): pruning is the one change the triggers let
through — content only, below the minimum index, in order — and the tree still verifies."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from audit import merkle, retention
from audit.bundle import Bundle, verify_bundle, write_bundle
from audit.issuer import CheckpointIssuer
from audit.keys import NoteSigner
from audit.log import AuditLog
from audit.retention import EntryPruned
from audit.verify import verify_database
from tests.audit.helpers import ORIGIN, REFUSED, T0, drop_trigger, entry
from vault.storage.store import Connection

OLD = 8  # entries 0..7 are a year old; entry 8 onwards are recent


@pytest.fixture
def aged(db: Connection, signer: NoteSigner) -> Connection:
    """Twelve entries: eight from a year before the last four, then a checkpoint."""
    log = AuditLog()
    for i in range(12):
        at = T0 + timedelta(seconds=i) + (timedelta(days=400) if i >= OLD else timedelta())
        log.append(db, dataclasses.replace(entry(i), at=at))
    CheckpointIssuer(signer, ORIGIN).issue(db, now=T0 + timedelta(days=400))
    return db


def _raise_min(conn: Connection, upto: int, months: int = 12) -> None:
    conn.execute(
        "UPDATE audit_retention SET min_index = ?, months = ?, pruned_at = 't' WHERE id = 0",
        (upto, months),
    )


def _snapshot(conn: Connection) -> list[object]:
    return [
        conn.execute("SELECT idx, leaf, hash FROM audit_entries ORDER BY idx").fetchall(),
        conn.execute("SELECT * FROM audit_retention").fetchall(),
    ]


def test_pruning_in_order_below_the_minimum_index_is_allowed(aged: Connection) -> None:
    """Raise the minimum index over old entries, then null their content: accepted, and the
    hashes, the roots and the verification are unchanged."""
    log = AuditLog()
    root = log.root(aged)
    aged.execute("BEGIN")
    assert retention.prune(aged, 6, 12, T0 + timedelta(days=400)) == 6
    aged.execute("COMMIT")
    assert retention.minimum_index(aged) == 6
    assert [r[0] for r in aged.execute("SELECT leaf FROM audit_entries WHERE idx < 6")] == [
        None
    ] * 6
    assert log.root(aged) == root
    with pytest.raises(EntryPruned, match="readable from index 6"):
        log.leaf(aged, 5)
    assert log.leaf(aged, 6).startswith(b'{"index":6,')


@pytest.mark.parametrize(
    "sql",
    [
        # content of an entry not below the minimum index (0 before any pruning)
        "UPDATE audit_entries SET leaf = NULL WHERE idx = 0",
        # a rewrite, not a pruning
        "UPDATE audit_entries SET leaf = x'7b7d' WHERE idx = 0",
        "UPDATE audit_entries SET hash = x'00' WHERE idx = 0",
        "UPDATE audit_entries SET idx = 99 WHERE idx = 11",
        "DELETE FROM audit_entries WHERE idx = 0",
        "DELETE FROM audit_entries",
        "DELETE FROM audit_nodes",
        "UPDATE audit_nodes SET hash = x'00' WHERE level = 1 AND idx = 0",
        "DELETE FROM audit_checkpoints",
        "DELETE FROM audit_retention",
        "INSERT INTO audit_retention (id, min_index, months) VALUES (1, 0, 12)",
        pytest.param(  # SQLite's own conflict clause: PostgreSQL has none
            "INSERT OR REPLACE INTO audit_retention (id, min_index, months) VALUES (0, 5, 12)",
            marks=pytest.mark.embedded_only,
        ),
        # the minimum index over recent entries, past the log's end, with a zero period
        "UPDATE audit_retention SET min_index = 9 WHERE id = 0",
        "UPDATE audit_retention SET min_index = 13 WHERE id = 0",
        "UPDATE audit_retention SET min_index = 4, months = 0 WHERE id = 0",
        # an entry inserted without content
        "INSERT INTO audit_entries (idx, leaf, hash) VALUES (12, NULL, x'00')",
    ],
)
def test_every_other_change_is_refused(aged: Connection, sql: str) -> None:
    """Before the migration the UPDATEs of leaves were all refused; now only pruning is let
    through, and every other UPDATE, DELETE or INSERT still raises and changes nothing."""
    before = _snapshot(aged)
    with pytest.raises(REFUSED, match=r"audit|CHECK"):
        aged.execute(sql)
    assert _snapshot(aged) == before


@pytest.mark.parametrize(
    "sql",
    [
        # out of order: entry 3 before entries 0..2
        "UPDATE audit_entries SET leaf = NULL WHERE idx = 3",
        # content below the minimum index replaced instead of removed
        "UPDATE audit_entries SET leaf = x'7b7d' WHERE idx = 0",
        # above the minimum index
        "UPDATE audit_entries SET leaf = NULL WHERE idx >= 0",
        # the minimum index lowered
        "UPDATE audit_retention SET min_index = 2 WHERE id = 0",
    ],
)
def test_after_raising_the_minimum_only_in_order_pruning_passes(aged: Connection, sql: str) -> None:
    _raise_min(aged, 4)
    before = _snapshot(aged)
    with pytest.raises(REFUSED, match="audit"):
        aged.execute(sql)
    assert _snapshot(aged) == before
    aged.execute("UPDATE audit_entries SET leaf = NULL WHERE idx < 4")  # in order: accepted
    with pytest.raises(REFUSED, match="audit"):  # once pruned, the hash stays
        aged.execute("UPDATE audit_entries SET hash = x'00' WHERE idx = 0")


def test_the_minimum_index_only_covers_entries_older_than_the_period(aged: Connection) -> None:
    """The newest entry is 400 days after the old ones: 12 months allows 8, 14 months none."""
    with pytest.raises(REFUSED, match="minimum index"):
        _raise_min(aged, OLD, months=14)
    with pytest.raises(REFUSED, match="minimum index"):
        _raise_min(aged, OLD + 1)
    _raise_min(aged, OLD)
    assert retention.minimum_index(aged) == OLD


def test_the_log_verifies_after_pruning_and_says_from_where(
    aged: Connection, signer: NoteSigner
) -> None:
    log = AuditLog()
    retention.prune(aged, OLD, 12, T0 + timedelta(days=400))
    report = verify_database(aged, signer.verifier, origin=ORIGIN)
    assert (report.size, report.pruned) == (12, OLD)
    # an inclusion proof of a kept entry still verifies against the checkpoint's root
    proof = log.inclusion_proof(aged, 9, 12)
    leaf = merkle.leaf_hash(log.leaf(aged, 9))
    merkle.verify_inclusion(leaf, 9, 12, proof.hashes, log.root(aged, 12))
    # the content of a kept entry altered by someone without the triggers: caught
    drop_trigger(aged, "audit_entries_no_update")
    aged.execute("UPDATE audit_entries SET leaf = NULL WHERE idx = 9")
    with pytest.raises(Exception, match="entry 9 lost its content"):
        verify_database(aged, signer.verifier, origin=ORIGIN)


def test_an_export_after_pruning_verifies_offline(aged: Connection, signer: NoteSigner) -> None:
    """The bundle carries the pruned entries' hashes and the kept entries; the offline
    verifier checks every signed root and says from where contents were checked."""
    import io

    retention.prune(aged, OLD, 12, T0 + timedelta(days=400))
    out = io.StringIO()
    assert write_bundle(aged, out, signer.verifier, origin=ORIGIN) == 12
    bundle = Bundle.parse(out.getvalue())
    assert (bundle.first_entry, len(bundle.entries)) == (OLD, 12 - OLD)
    report = verify_bundle(bundle, signer.verifier)
    assert (report.size, report.pruned) == (12, OLD)
    # a pruned hash changed in the file: the checkpoint's root no longer matches
    tampered = out.getvalue().replace(
        out.getvalue().split('"pruned_hashes": [\n  "')[1][:4], "AAAA", 1
    )
    with pytest.raises(Exception, match="does not match"):
        verify_bundle(Bundle.parse(tampered), signer.verifier)
