"""RFC 6962 / 9162 tree hashing and proofs: public vectors, then random trees."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import merkle
from audit.errors import ProofFailed
from tests.audit.helpers import VECTORS

RFC = VECTORS / "rfc6962"


def _cases(kind: str) -> list[Path]:
    return sorted((RFC / kind).rglob("*.json"))


def _b64(s: str) -> bytes:
    return base64.b64decode(s)


def _proof(case: dict[str, Any]) -> list[bytes]:
    return [_b64(p) for p in case["proof"] or []]


def test_the_vector_folders_are_all_there() -> None:
    """The shared vectors are present (196 cases), so the parametrised tests are not vacuous."""
    assert len(_cases("inclusion")) + len(_cases("consistency")) == 196


@pytest.mark.parametrize("path", _cases("inclusion"), ids=lambda p: str(p.relative_to(RFC)))
def test_inclusion_vector(path: Path) -> None:
    """Our inclusion verifier accepts exactly the vectors that transparency-dev accepts."""
    case = json.loads(path.read_text())
    args = (
        _b64(case["leafHash"]),
        case["leafIdx"],
        case["treeSize"],
        _proof(case),
        _b64(case["root"]),
    )
    if case["wantErr"]:
        with pytest.raises(ProofFailed):
            merkle.verify_inclusion(*args)
    else:
        merkle.verify_inclusion(*args)


@pytest.mark.parametrize("path", _cases("consistency"), ids=lambda p: str(p.relative_to(RFC)))
def test_consistency_vector(path: Path) -> None:
    """Our consistency verifier accepts exactly the vectors that transparency-dev accepts."""
    case = json.loads(path.read_text())
    args = (
        case["size1"],
        case["size2"],
        _b64(case["root1"]),
        _b64(case["root2"]),
        _proof(case),
    )
    if case["wantErr"]:
        with pytest.raises(ProofFailed):
            merkle.verify_consistency(*args)
    else:
        merkle.verify_consistency(*args)


def _leaves(n: int) -> list[bytes]:
    return [b"leaf %d" % i for i in range(n)]


def _reference_root(hashes: list[bytes]) -> bytes:
    """MTH straight from RFC 6962 section 2.1, recursively, for comparison."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1 << ((len(hashes) - 1).bit_length() - 1)
    return merkle.node_hash(_reference_root(hashes[:k]), _reference_root(hashes[k:]))


class _Tree:
    """An in-memory tree answering perfect-subtree reads, and counting them."""

    def __init__(self, n: int) -> None:
        self.hashes = [merkle.leaf_hash(leaf) for leaf in _leaves(n)]
        self.reads = 0

    def subtree(self, level: int, index: int) -> bytes:
        self.reads += 1
        lo = index << level
        return _reference_root(self.hashes[lo : lo + (1 << level)])


def test_root_of_the_rfc_test_tree_is_the_published_one() -> None:
    """The 8-leaf tree of RFC 6962's reference tests has the root the vectors use."""
    leaves = [
        bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657")
    ] + [bytes.fromhex("606162636465666768696a6b6c6d6e6f")]
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    got = merkle.root(8, lambda lv, i: _reference_root(hashes[i << lv : (i + 1) << lv]))
    assert base64.b64encode(got).decode() == "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg="


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_every_generated_inclusion_proof_verifies_and_tampering_fails(data: st.DataObject) -> None:
    """For random sizes and indexes PATH verifies; a flipped bit, other leaf or index fails."""
    n = data.draw(st.integers(1, 300))
    i = data.draw(st.integers(0, n - 1))
    tree = _Tree(n)
    root = merkle.root(n, tree.subtree)
    assert root == _reference_root(tree.hashes)
    proof = merkle.inclusion_proof(i, n, tree.subtree)
    assert len(proof) <= max(1, (n - 1).bit_length())
    merkle.verify_inclusion(tree.hashes[i], i, n, proof, root)
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1))
        bad = [*proof]
        bad[k] = bytes([bad[k][0] ^ 1]) + bad[k][1:]
        with pytest.raises(ProofFailed):
            merkle.verify_inclusion(tree.hashes[i], i, n, bad, root)
    with pytest.raises(ProofFailed):
        merkle.verify_inclusion(merkle.leaf_hash(b"other"), i, n, proof, root)
    with pytest.raises(ProofFailed):
        merkle.verify_inclusion(tree.hashes[i], i, n, [*proof, proof[0] if proof else root], root)
    if n > 1:
        with pytest.raises(ProofFailed):
            merkle.verify_inclusion(tree.hashes[i], (i + 1) % n, n, proof, root)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_every_generated_consistency_proof_verifies_and_tampering_fails(
    data: st.DataObject,
) -> None:
    """For random m <= n, PROOF(m, n) verifies; a flipped bit or a wrong root does not."""
    n = data.draw(st.integers(1, 300))
    m = data.draw(st.integers(1, n))
    tree = _Tree(n)
    old = _reference_root(tree.hashes[:m])
    new = _reference_root(tree.hashes)
    proof = merkle.consistency_proof(m, n, tree.subtree)
    merkle.verify_consistency(m, n, old, new, proof)
    assert len(proof) <= 2 * max(1, (n - 1).bit_length())
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1))
        bad = [*proof]
        bad[k] = bytes([bad[k][0] ^ 0x80]) + bad[k][1:]
        with pytest.raises(ProofFailed):
            merkle.verify_consistency(m, n, old, new, bad)
    if m < n:
        with pytest.raises(ProofFailed):
            merkle.verify_consistency(m, n, new, new, proof)
        with pytest.raises(ProofFailed):
            merkle.verify_consistency(m, n, old, old, proof)


@pytest.mark.parametrize("n", [1, 2, 3, 1000, 1 << 20, (1 << 20) + 12345, 10**6])
def test_roots_and_proofs_read_a_logarithmic_number_of_subtrees(n: int) -> None:
    """Root, inclusion and consistency proofs read at most about 2 log2(n) stored hashes."""
    reads = 0

    def subtree(level: int, index: int) -> bytes:
        nonlocal reads
        reads += 1
        return hashlib.sha256(b"%d/%d" % (level, index)).digest()

    bound = 2 * max(1, (n - 1).bit_length()) + 2
    merkle.root(n, subtree)
    assert reads <= bound
    for i in (0, n // 2, n - 1):
        reads = 0
        merkle.inclusion_proof(i, n, subtree)
        assert reads <= bound
    for m in (1, n // 3 or 1, n):
        reads = 0
        merkle.consistency_proof(m, n, subtree)
        assert reads <= bound


def test_compact_range_gives_the_root_at_every_size() -> None:
    """Feeding leaves one by one gives the RFC root at each size, and reports each subtree once."""
    hashes = [merkle.leaf_hash(leaf) for leaf in _leaves(70)]
    seen: list[tuple[int, int]] = []
    cr = merkle.CompactRange(lambda level, index, h: seen.append((level, index)))
    for n, h in enumerate(hashes, start=1):
        cr.append(h)
        assert cr.root() == _reference_root(hashes[:n])
    assert len(seen) == len(set(seen)) == sum(70 >> level for level in range(1, 7))
