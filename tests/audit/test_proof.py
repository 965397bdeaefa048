"""C2SP tlog-proof files for one entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit import note as notes
from audit.errors import BadCheckpoint, ProofFailed
from audit.issuer import latest_checkpoint
from audit.log import AuditLog
from audit.proof import HEADER, ProofFile, verify_proof_file
from tests.audit.helpers import ORIGIN, make_signer, reopen

SERVER = make_signer()


def _proof_file(path: Path, index: int) -> str:
    conn = reopen(path)
    log = AuditLog()
    sc = latest_checkpoint(conn, SERVER.verifier)
    assert sc is not None
    proof = log.inclusion_proof(conn, index, sc.checkpoint.size)
    text = ProofFile(index, proof.hashes, sc.cosigned_note, log.leaf(conn, index)).text()
    conn.close()
    return text


def test_a_proof_file_has_the_c2sp_layout_and_verifies(big_log: Path) -> None:
    """Header, extra, index, hashes, blank line, checkpoint note; it verifies offline."""
    text = _proof_file(big_log, 777)
    lines = text.split("\n")
    assert lines[0] == HEADER
    assert lines[1].startswith("extra ")
    assert lines[2] == "index 777"
    assert len(ProofFile.parse(text).hashes) == 11  # ceil(log2 1200)
    assert ProofFile.parse(text).text() == text
    checkpoint, leaf = verify_proof_file(text, SERVER.verifier, origin=ORIGIN)
    assert checkpoint.size == 1200
    assert leaf.startswith(b'{"index":777,')


def test_a_proof_file_for_another_entry_or_with_a_changed_hash_fails(big_log: Path) -> None:
    """Claiming the proof for another entry, or flipping a proof hash, fails."""
    text = _proof_file(big_log, 5)
    conn = reopen(big_log)
    other = AuditLog().leaf(conn, 6)
    conn.close()
    with pytest.raises(ProofFailed):
        verify_proof_file(text, SERVER.verifier, leaf=other)
    parsed = ProofFile.parse(text)
    bad_hashes = (bytes([parsed.hashes[0][0] ^ 1]) + parsed.hashes[0][1:], *parsed.hashes[1:])
    bad = ProofFile(parsed.index, bad_hashes, parsed.note, parsed.extra).text()
    with pytest.raises(ProofFailed):
        verify_proof_file(bad, SERVER.verifier)
    moved = text.replace("index 5\n", "index 4\n")
    with pytest.raises(ProofFailed):
        verify_proof_file(moved, SERVER.verifier)


def test_a_proof_file_needs_the_pinned_key_and_demanded_cosigners(big_log: Path) -> None:
    """Another log key, or a cosigner who did not sign, makes the proof fail."""
    text = _proof_file(big_log, 9)
    with pytest.raises(BadCheckpoint):
        verify_proof_file(text, make_signer(seed=3).verifier)
    with pytest.raises(BadCheckpoint, match=r"auditor\.example"):
        verify_proof_file(
            text, SERVER.verifier, cosigners=[make_signer("auditor.example", 9).verifier]
        )
    assert notes.split(ProofFile.parse(text).note)[1][0].name == ORIGIN


@pytest.mark.parametrize(
    "text",
    [
        "",
        "c2sp.org/tlog-proof@v2\nindex 1\n\nx\n",
        f"{HEADER}\nindex 01\n\nx\n",
        f"{HEADER}\nindex 1\n!!\n\nx\n",
    ],
)
def test_malformed_proof_files_are_refused(text: str) -> None:
    """Wrong header, leading zeros, bad base64, missing blank line: ProofFailed."""
    with pytest.raises(ProofFailed):
        ProofFile.parse(text)


def test_the_logs_own_key_is_not_a_cosigner_of_a_proof(big_log: Path) -> None:
    """The log's signature on the checkpoint used to count as the required cosignature."""
    text = _proof_file(big_log, 9)
    with pytest.raises(BadCheckpoint, match="the log's own key"):
        verify_proof_file(text, SERVER.verifier, cosigners=[SERVER.verifier])
