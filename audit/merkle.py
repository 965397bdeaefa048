"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and proof verification; no I/O.

Proof generation reads *perfect subtree hashes* through a callable
``subtree(level, index)``: the hash of the 2**level leaves starting at leaf
``index << level``. Level 0 is a leaf hash. Every root, inclusion proof and
consistency proof needs O(log n) of them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

from audit.errors import ProofFailed

HASH_BYTES = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

SubtreeHash = Callable[[int, int], bytes]


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two strictly below ``size`` (size >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def perfect_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """The maximal aligned perfect subtrees covering ``[start, end)``, left to right."""
    out: list[tuple[int, int]] = []
    while start < end:
        level = (start & -start).bit_length() - 1 if start else (end - start).bit_length() - 1
        while start + (1 << level) > end:
            level -= 1
        out.append((level, start >> level))
        start += 1 << level
    return out


def range_hash(start: int, end: int, subtree: SubtreeHash) -> bytes:
    """MTH of leaves ``[start, end)``, for a range that RFC 6962's recursion produces."""
    parts = [subtree(level, index) for level, index in perfect_subtrees(start, end)]
    acc = parts[-1]
    for part in reversed(parts[:-1]):
        acc = node_hash(part, acc)
    return acc


def root(size: int, subtree: SubtreeHash) -> bytes:
    """The tree head of the first ``size`` leaves."""
    return EMPTY_ROOT if size == 0 else range_hash(0, size, subtree)


def inclusion_proof(index: int, size: int, subtree: SubtreeHash) -> list[bytes]:
    """RFC 9162 PATH(index, D[0:size]): sibling hashes from the leaf up."""
    if not 0 <= index < size:
        raise ProofFailed(f"index {index} is not in a tree of size {size}")
    proof: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            proof.append(range_hash(lo + k, hi, subtree))
            hi = lo + k
        else:
            proof.append(range_hash(lo, lo + k, subtree))
            lo += k
    proof.reverse()
    return proof


def consistency_proof(size1: int, size2: int, subtree: SubtreeHash) -> list[bytes]:
    """RFC 9162 PROOF(size1, D[0:size2])."""
    if not 0 < size1 <= size2:
        raise ProofFailed(f"no consistency proof from size {size1} to size {size2}")
    proof: list[bytes] = []
    m, lo, hi, complete = size1, 0, size2, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            proof.append(range_hash(lo + k, hi, subtree))
            hi = lo + k
        else:
            proof.append(range_hash(lo, lo + k, subtree))
            m, lo, complete = m - k, lo + k, False
    if not complete:
        proof.append(range_hash(lo, hi, subtree))
    proof.reverse()
    return proof


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root_hash: bytes
) -> None:
    """Raise ``ProofFailed`` unless ``proof`` puts leaf hash ``leaf`` at ``index`` under root."""
    if not 0 <= index < size:
        raise ProofFailed(f"index {index} is beyond tree size {size}")
    _check_hashes([leaf, root_hash, *proof])
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofFailed("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofFailed("the inclusion proof is too short")
    if r != root_hash:
        raise ProofFailed("the inclusion proof does not lead to the root")


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> None:
    """Raise ``ProofFailed`` unless ``proof`` shows tree ``size2`` extends tree ``size1``."""
    if size1 < 1 or size2 < size1:
        raise ProofFailed(f"no consistency proof from size {size1} to size {size2}")
    if size1 == size2:
        if proof:
            raise ProofFailed("trees of equal size need an empty proof")
        if root1 != root2:
            raise ProofFailed("two trees of the same size have different roots")
        return
    if not proof:
        raise ProofFailed("the consistency proof is empty")
    _check_hashes(proof)
    path = list(proof)
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    fr, sr = _consistency_roots(size1 - 1, size2 - 1, path)
    if fr != root1 or sr != root2:
        raise ProofFailed("the consistency proof does not match the two roots")


def _consistency_roots(fn: int, sn: int, path: list[bytes]) -> tuple[bytes, bytes]:
    """RFC 9162 section 2.1.4.2, steps 3 to 5: the old and the new root the proof implies."""
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofFailed("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofFailed("the consistency proof is too short")
    return fr, sr


def _check_hashes(proof: Iterable[bytes]) -> None:
    if any(len(p) != HASH_BYTES for p in proof):
        raise ProofFailed(f"every proof hash is {HASH_BYTES} bytes")


class CompactRange:
    """The right edge of a growing tree: roots of its perfect subtrees, largest first.

    Feeding leaf hashes in order gives the root at any size in O(log n) memory;
    ``on_subtree(level, index, hash)`` sees every perfect subtree as it completes.
    """

    __slots__ = ("_stack", "on_subtree", "size")

    def __init__(self, on_subtree: Callable[[int, int, bytes], None] | None = None) -> None:
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []
        self.on_subtree = on_subtree

    def append(self, hash_: bytes) -> None:
        level, index, h = 0, self.size, hash_
        stack = self._stack
        while stack and stack[-1][0] == level:
            _, left = stack.pop()
            h = node_hash(left, h)
            level += 1
            index >>= 1
            if self.on_subtree is not None:
                self.on_subtree(level, index, h)
        stack.append((level, h))
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        acc = self._stack[-1][1]
        for _, h in reversed(self._stack[:-1]):
            acc = node_hash(h, acc)
        return acc
