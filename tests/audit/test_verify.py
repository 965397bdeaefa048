"""Full verification of a real 1,200-entry SQLCipher log, and each way of tampering with it.

The attacker has the database key: they open the file and drop the guard
triggers first. Every tampering must be detected, and the message must name
the first bad index.
"""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest

from audit.bundle import Bundle, leaf_hashes, write_bundle
from audit.checkpoint import Checkpoint
from audit.entry import encode
from audit.errors import LogInconsistent
from audit.issuer import CheckpointIssuer, latest_checkpoint
from audit.verify import verify_database
from tests.audit.helpers import (
    BIG_LOG_SIZE,
    ORIGIN,
    T0,
    attacker,
    entry,
    make_signer,
    rebuild_hashes,
    reopen,
    rewrite_entry,
)

VERIFIER = make_signer().verifier


def _verify(path: Path, **kw: object) -> None:
    conn = reopen(path)
    try:
        verify_database(conn, VERIFIER, origin=ORIGIN, **kw)  # type: ignore[arg-type]
    finally:
        conn.close()


def _saved(path: Path) -> tuple[Checkpoint, list[bytes]]:
    """What an auditor keeps from an earlier visit: the latest checkpoint and a bundle."""
    conn = reopen(path)
    sc = latest_checkpoint(conn, VERIFIER)
    out = io.StringIO()
    write_bundle(conn, out, VERIFIER, origin=ORIGIN, now=T0)
    conn.close()
    assert sc is not None
    return sc.checkpoint, leaf_hashes(Bundle.parse(out.getvalue()))


def _expect(path: Path, index: int, **kw: object) -> str:
    with pytest.raises(LogInconsistent) as info:
        _verify(path, **kw)
    assert info.value.index == index
    assert str(index) in str(info.value)
    return str(info.value)


def test_the_intact_log_verifies_with_progress(big_log: Path) -> None:
    """The untouched log verifies: every entry, hash and checkpoint; progress reaches the end."""
    seen: list[tuple[int, int]] = []
    conn = reopen(big_log)
    report = verify_database(
        conn, VERIFIER, origin=ORIGIN, progress=lambda d, t: seen.append((d, t))
    )
    conn.close()
    assert (report.size, report.checkpoints, report.uncovered) == (BIG_LOG_SIZE, 4, 0)
    assert seen[-1] == (BIG_LOG_SIZE, BIG_LOG_SIZE)


@pytest.mark.parametrize(
    ("index", "offset"),
    [(0, 40), (517, 11), (517, 120), (888, -2), (BIG_LOG_SIZE - 1, 60)],
)
def test_a_single_changed_byte_names_its_entry(big_log: Path, index: int, offset: int) -> None:
    """One byte changed anywhere in one entry (its index digits included) is found at that index."""
    evil = attacker(big_log)
    leaf = bytearray(
        evil.execute("SELECT leaf FROM audit_entries WHERE idx = ?", (index,)).fetchone()[0]
    )
    leaf[offset] = ord("7") if leaf[offset] != ord("7") else ord("8")
    evil.execute("UPDATE audit_entries SET leaf = ? WHERE idx = ?", (bytes(leaf), index))
    evil.close()
    _expect(big_log, index)


def test_a_deleted_entry_is_named(big_log: Path) -> None:
    """Deleting entry 321 is reported at index 321."""
    evil = attacker(big_log)
    evil.execute("DELETE FROM audit_entries WHERE idx = 321")
    evil.close()
    _expect(big_log, 321)


def test_a_deleted_entry_with_later_ones_renumbered_is_named(big_log: Path) -> None:
    """Deleting 321 and shifting the rest down (no gap left) is still reported at 321."""
    evil = attacker(big_log)
    evil.execute("DELETE FROM audit_entries WHERE idx = 321")
    evil.execute("UPDATE audit_entries SET idx = idx - 1 WHERE idx > 321")
    evil.close()
    _expect(big_log, 321)


def test_two_swapped_entries_name_the_first(big_log: Path) -> None:
    """Swapping entries 402 and 950 (leaf and hash together) is reported at index 402."""
    evil = attacker(big_log)
    a = evil.execute("SELECT leaf, hash FROM audit_entries WHERE idx = 402").fetchone()
    b = evil.execute("SELECT leaf, hash FROM audit_entries WHERE idx = 950").fetchone()
    evil.execute("UPDATE audit_entries SET leaf = ?, hash = ? WHERE idx = 402", tuple(b))
    evil.execute("UPDATE audit_entries SET leaf = ?, hash = ? WHERE idx = 950", tuple(a))
    evil.close()
    _expect(big_log, 402)


def test_a_changed_subtree_hash_is_found(big_log: Path) -> None:
    """A stored subtree hash changed alone is found, naming the first entry it covers."""
    evil = attacker(big_log)
    evil.execute("UPDATE audit_nodes SET hash = ? WHERE level = 3 AND idx = 40", (bytes(32),))
    evil.close()
    _expect(big_log, 320)


def test_truncation_is_named(big_log: Path) -> None:
    """Dropping the last 200 entries is reported at index 1000, the first one gone."""
    evil = attacker(big_log)
    evil.execute("DELETE FROM audit_entries WHERE idx >= 1000")
    evil.close()
    _expect(big_log, 1000)


def test_truncation_with_its_traces_removed_is_caught_by_a_saved_checkpoint(big_log: Path) -> None:
    """Truncated with hashes and the last checkpoint removed too: the log looks whole,
    but the checkpoint the auditor saved shows entries from 1000 are gone."""
    saved, _ = _saved(big_log)
    evil = attacker(big_log)
    evil.execute("DELETE FROM audit_entries WHERE idx >= 1000")
    evil.execute("DELETE FROM audit_checkpoints WHERE size > 1000")
    rebuild_hashes(evil)
    evil.close()
    _verify(big_log)  # internally consistent now
    _expect(big_log, 1000, since=saved)


def test_a_rewrite_re_signed_with_the_same_key_is_caught_by_what_the_auditor_saved(
    big_log: Path,
) -> None:
    """Entry 123 rewritten, every hash recomputed, all checkpoints re-signed with the log's
    own key: the log verifies alone; the saved checkpoint exposes the rewrite, and the
    saved earlier bundle names entry 123."""
    saved, hashes = _saved(big_log)
    evil = attacker(big_log)
    rewrite_entry(evil, 123, encode(entry(123, ip="203.0.113.66"), 123))
    evil.execute("DELETE FROM audit_checkpoints")
    issuer = CheckpointIssuer(make_signer(), ORIGIN)
    issuer.issue(evil, now=T0 + timedelta(days=1))
    evil.close()
    _verify(big_log)  # the forger's log is consistent with its forged checkpoints
    message = _expect(big_log, 0, since=saved)
    assert "rewritten" in message and str(BIG_LOG_SIZE) in message
    _expect(big_log, 123, since=saved, since_leaf_hashes=hashes)


def test_a_rewrite_below_a_kept_checkpoint_names_the_checkpoint_range(big_log: Path) -> None:
    """Entry 700 rewritten with hashes recomputed but old checkpoints kept: the checkpoint at
    900 no longer matches, and the report names 600, the first entry it cannot vouch for."""
    evil = attacker(big_log)
    rewrite_entry(evil, 700, encode(entry(700, ip="203.0.113.66"), 700))
    evil.close()
    message = _expect(big_log, 600)
    assert "600..899" in message
