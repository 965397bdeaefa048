"""The append-only log in the database: entries, stored subtree hashes, proofs.

``AuditLog`` keeps no state between calls: each call reads what it needs from
the connection it is given, inside the caller's transaction, so a rolled-back
savepoint can never leave it out of step with the database.

Storage: ``audit_entries`` holds each leaf and its leaf hash (level 0);
``audit_nodes`` holds the hash of every complete perfect subtree of level
>= 1, keyed by (level, index), written as soon as the subtree completes. Any
root or proof then costs O(log n) primary-key reads. Below the minimum index
(``audit.retention``) an entry's leaf is pruned: its hash stays, its bytes do not.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from audit import merkle, retention
from audit.connection import Connection
from audit.entry import AuditEntry, LoggedEntry, decode, encode
from audit.errors import AppendRefused, AuditError, LogInconsistent, ProofFailed
from audit.retention import EntryPruned


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """Proof that the entry at ``index`` is in the tree of ``size`` entries."""

    index: int
    size: int
    hashes: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    """Proof that the tree of ``size2`` entries extends the tree of ``size1``."""

    size1: int
    size2: int
    hashes: tuple[bytes, ...]


class AuditLog:
    """Operations on the audit tables of one database."""

    def append(self, conn: Connection, entry: AuditEntry) -> int:
        """Record ``entry`` at the next index inside the caller's transaction; return the index.

        Fails closed: any failure raises (``EntryTooLarge``, ``AppendRefused``),
        so the caller's transaction function fails and its action is rolled back.
        """
        last = conn.execute(
            "SELECT idx, hash FROM audit_entries ORDER BY idx DESC LIMIT 1"
        ).fetchone()
        index = 0 if last is None else int(last[0]) + 1
        leaf = encode(entry, index)
        h = merkle.leaf_hash(leaf)
        try:
            conn.execute(
                "INSERT INTO audit_entries (idx, leaf, hash) VALUES (?, ?, ?)", (index, leaf, h)
            )
            level, i = 0, index
            while i & 1:
                # The left sibling at level 0 is the previous leaf, already read above.
                left = bytes(last[1]) if level == 0 else self.subtree_hash(conn, level, i - 1)
                h = merkle.node_hash(left, h)
                level, i = level + 1, i >> 1
                conn.execute(
                    "INSERT INTO audit_nodes (level, idx, hash) VALUES (?, ?, ?)", (level, i, h)
                )
        except AuditError:
            raise
        except Exception as e:  # the driver's own error type is not ours to name
            raise AppendRefused(f"the audit entry could not be recorded: {e}") from e
        return index

    def size(self, conn: Connection) -> int:
        row = conn.execute("SELECT max(idx) FROM audit_entries").fetchone()
        return 0 if row[0] is None else int(row[0]) + 1

    def subtree_hash(self, conn: Connection, level: int, index: int) -> bytes:
        if level == 0:
            row = conn.execute("SELECT hash FROM audit_entries WHERE idx = ?", (index,)).fetchone()
        else:
            row = conn.execute(
                "SELECT hash FROM audit_nodes WHERE level = ? AND idx = ?", (level, index)
            ).fetchone()
        if row is None:
            raise LogInconsistent(
                index << level, f"the subtree hash at level {level}, index {index} is missing"
            )
        return bytes(row[0])

    def _reader(self, conn: Connection) -> merkle.SubtreeHash:
        return lambda level, index: self.subtree_hash(conn, level, index)

    def root(self, conn: Connection, size: int | None = None) -> bytes:
        """The root of the first ``size`` entries (default: all)."""
        size = self.size(conn) if size is None else size
        return merkle.root(size, self._reader(conn))

    def leaf(self, conn: Connection, index: int) -> bytes:
        """Entry ``index``'s leaf bytes; ``EntryPruned`` below the minimum index."""
        row = conn.execute("SELECT leaf FROM audit_entries WHERE idx = ?", (index,)).fetchone()
        if row is None:
            raise LogInconsistent(index, f"the entry at index {index} is missing")
        if row[0] is None:
            raise EntryPruned(index, retention.minimum_index(conn))
        return bytes(row[0])

    def entry(self, conn: Connection, index: int) -> LoggedEntry:
        return decode(self.leaf(conn, index))

    def leaves(self, conn: Connection, start: int = 0, *, batch: int = 4096) -> Iterator[bytes]:
        """Every leaf from ``start`` in index order, checking that none is missing;
        ``EntryPruned`` if ``start`` is below the minimum index."""
        minimum = retention.minimum_index(conn)
        if start < minimum:
            raise EntryPruned(start, minimum)
        expected = start
        while True:
            rows = conn.execute(
                "SELECT idx, leaf FROM audit_entries WHERE idx >= ? ORDER BY idx LIMIT ?",
                (expected, batch),
            ).fetchall()
            if not rows:
                return
            for idx, leaf in rows:
                if idx != expected or leaf is None:
                    raise LogInconsistent(expected, f"the entry at index {expected} is missing")
                yield bytes(leaf)
                expected += 1

    def inclusion_proof(self, conn: Connection, index: int, size: int) -> InclusionProof:
        self._check_size(conn, size)
        hashes = merkle.inclusion_proof(index, size, self._reader(conn))
        return InclusionProof(index, size, tuple(hashes))

    def consistency_proof(self, conn: Connection, size1: int, size2: int) -> ConsistencyProof:
        self._check_size(conn, size2)
        hashes = merkle.consistency_proof(size1, size2, self._reader(conn))
        return ConsistencyProof(size1, size2, tuple(hashes))

    def _check_size(self, conn: Connection, size: int) -> None:
        if size > self.size(conn):
            raise ProofFailed(f"the log holds fewer than {size} entries")
