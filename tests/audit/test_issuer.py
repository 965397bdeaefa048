"""Signing checkpoints, refusing to sign inconsistent ones, and storing cosignatures."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from audit import note as notes
from audit.checkpoint import CheckpointPolicy
from audit.entry import encode
from audit.errors import BadCheckpoint
from audit.issuer import (
    CheckpointIssuer,
    add_cosignature,
    latest_checkpoint,
    stored_checkpoints,
)
from audit.keys import NoteSigner
from audit.log import AuditLog
from tests.audit.helpers import ORIGIN, T0, attacker, entry, make_signer, open_db, rewrite_entry
from vault.storage.store import Connection


def _append(conn: Connection, lo: int, hi: int) -> None:
    for i in range(lo, hi):
        AuditLog().append(conn, entry(i))


def test_an_issued_checkpoint_is_a_signed_note_of_the_current_tree(
    db: Connection, signer: NoteSigner
) -> None:
    """The stored note opens with the public key and names the log's size and root."""
    _append(db, 0, 10)
    sc = CheckpointIssuer(signer, ORIGIN).issue(db, now=T0)
    opened = notes.open_note(sc.note, [signer.verifier])
    assert opened.text == sc.checkpoint.body()
    assert (sc.checkpoint.origin, sc.checkpoint.size) == (ORIGIN, 10)
    assert sc.checkpoint.root == AuditLog().root(db)
    assert latest_checkpoint(db, signer.verifier) == sc


def test_issuing_with_nothing_new_returns_the_latest_and_the_policy_decides(
    db: Connection, signer: NoteSigner
) -> None:
    """No second checkpoint of the same size; issue_if_due follows the policy."""
    issuer = CheckpointIssuer(signer, ORIGIN)
    policy = CheckpointPolicy(every_entries=5, every_seconds=3600)
    _append(db, 0, 3)
    first = issuer.issue_if_due(db, policy, now=T0)
    assert first is not None and first.checkpoint.size == 3
    assert issuer.issue(db, now=T0) == first
    _append(db, 3, 7)
    assert issuer.issue_if_due(db, policy, now=T0) is None
    _append(db, 7, 8)
    second = issuer.issue_if_due(db, policy, now=T0)
    assert second is not None and (second.seq, second.checkpoint.size) == (1, 8)
    assert len(stored_checkpoints(db, signer.verifier)) == 2


def test_the_server_refuses_to_sign_a_smaller_or_rewritten_log(
    tmp_path: Path, signer: NoteSigner
) -> None:
    """After truncation or a rewrite below the last checkpoint, issue() refuses to sign."""
    path = tmp_path / "a.db"
    conn = open_db(path)
    _append(conn, 0, 8)
    issuer = CheckpointIssuer(signer, ORIGIN)
    issuer.issue(conn, now=T0)
    conn.close()
    evil = attacker(path)
    rewrite_entry(evil, 2, encode(entry(2, ip="203.0.113.66"), 2))
    _append(evil, 8, 9)
    with pytest.raises(BadCheckpoint, match="inconsistent with checkpoint 0"):
        issuer.issue(evil, now=T0 + timedelta(seconds=1))
    evil.execute("DELETE FROM audit_entries WHERE idx >= 4")
    with pytest.raises(BadCheckpoint, match="fewer than the 8"):
        issuer.issue(evil, now=T0 + timedelta(seconds=2))
    evil.close()


def test_cosignatures_are_verified_before_being_stored_and_are_kept(
    db: Connection, signer: NoteSigner
) -> None:
    """An auditor's valid cosignature is stored and appears on the note; a bad one is refused."""
    _append(db, 0, 5)
    sc = CheckpointIssuer(signer, ORIGIN).issue(db, now=T0)
    auditor = make_signer("auditor.example", seed=9)
    cosigned = notes.add_signatures(sc.note, [notes.signature(sc.checkpoint.body(), auditor)])
    stored = add_cosignature(db, sc.seq, cosigned, auditor.verifier, signer.verifier, now=T0)
    opened = notes.open_note(stored.cosigned_note, [signer.verifier, auditor.verifier])
    assert {s.name for s in opened.verified} == {ORIGIN, "auditor.example"}
    # the same cosignature again is harmless; one over another text is refused
    add_cosignature(db, sc.seq, cosigned, auditor.verifier, signer.verifier, now=T0)
    other = notes.sign("another/log\n5\n" + sc.checkpoint.body().split("\n")[2] + "\n", auditor)
    with pytest.raises(BadCheckpoint, match="not checkpoint 0"):
        add_cosignature(db, sc.seq, other, auditor.verifier, signer.verifier, now=T0)
    forged = cosigned.replace(cosigned.splitlines()[-1][-8:], "AAAAAAA=")
    with pytest.raises(BadCheckpoint, match="does not verify"):
        add_cosignature(db, sc.seq, forged, auditor.verifier, signer.verifier, now=T0)
    rows = db.execute("SELECT count(*) FROM audit_cosignatures").fetchone()[0]
    assert rows == 1
