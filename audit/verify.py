"""Full verification of the live log: every leaf, every stored hash, every checkpoint.

The tree pass reads entries in aligned chunks of 2**16, recomputes leaf hashes
and every complete subtree above them, and compares with what is stored; the
chunks' top hashes then feed the levels above. Errors name the first bad index.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from audit import merkle, retention
from audit import note as notes
from audit.checkpoint import Checkpoint
from audit.connection import Connection
from audit.cosignature import parse_cosigner
from audit.entry import MAX_LEAF_BYTES
from audit.errors import BadCheckpoint, BadNote, LogInconsistent, ProofFailed
from audit.issuer import stored_checkpoints
from audit.keys import NoteVerifier, Verifier
from audit.log import AuditLog

Progress = Callable[[int, int], None]  # (entries done, entries in all)
CHUNK_LEVEL = 16


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What a successful verification covered."""

    size: int
    checkpoints: int
    cosignatures: int
    latest: Checkpoint | None
    uncovered: int  # entries after the latest checkpoint, not yet signed
    # For each cosigner required: (its name, the size of the latest checkpoint it signed).
    cosigned: tuple[tuple[str, int], ...] = ()
    # The minimum index: entries below it were pruned (retention), so their contents were
    # not checked, only their stored hashes through the tree; contents checked from here.
    pruned: int = 0


def check_leaves(start: int, leaves: Sequence[bytes]) -> list[bytes]:
    """Leaf hashes of ``leaves`` (indexes from ``start``), checking each names its own index."""
    for offset, leaf in enumerate(leaves):
        if len(leaf) > MAX_LEAF_BYTES:
            i = start + offset
            raise LogInconsistent(i, f"entry {i} is larger than an entry can be (64 KiB)")
        if not leaf.startswith(b'{"index":%d,' % (start + offset)):
            i = start + offset
            raise LogInconsistent(i, f"entry {i} is not the entry written at index {i}")
    sha = hashlib.sha256
    return [sha(b"\x00" + leaf).digest() for leaf in leaves]


def verify_database(
    conn: Connection,
    verifier: NoteVerifier,
    *,
    origin: str | None = None,
    since: Checkpoint | None = None,
    since_leaf_hashes: Sequence[bytes] | None = None,
    required_cosigners: Sequence[Verifier] = (),
    progress: Progress | None = None,
) -> VerifyReport:
    """Verify the whole log in ``conn``; raise ``LogInconsistent`` naming the first bad index.

    ``since`` is a checkpoint the auditor saved earlier (already verified with
    the pinned key); ``since_leaf_hashes``, from an earlier bundle, lets a
    rewrite of history be pinned to its first changed entry. Each of
    ``required_cosigners`` must have cosigned at least one checkpoint.
    """
    log = AuditLog()
    size = log.size(conn)
    pruned = retention.minimum_index(conn)
    if pruned > size:
        raise LogInconsistent(size, f"the minimum index {pruned} is beyond the log's end {size}")
    _verify_tree(conn, size, pruned, progress)
    report = _verify_checkpoints(conn, log, size, verifier, origin, required_cosigners)
    report = dataclasses.replace(report, pruned=pruned)
    if since is not None:
        if since_leaf_hashes is not None:
            compare_hashes(since_leaf_hashes, size, lambda i: log.subtree_hash(conn, 0, i))
        check_since(since, size, lambda s: log.root(conn, s), origin)
        if report.latest is not None and report.latest.size >= since.size > 0:
            proof = log.consistency_proof(conn, since.size, report.latest.size)
            merkle.verify_consistency(
                since.size, report.latest.size, since.root, report.latest.root, proof.hashes
            )
    return report


def check_since(
    since: Checkpoint, size: int, root_at: Callable[[int], bytes], origin: str | None
) -> None:
    """The log must extend the checkpoint the auditor saved."""
    if origin is not None and since.origin != origin:
        raise BadCheckpoint(f"the saved checkpoint is for log {since.origin!r}, not {origin!r}")
    if since.size > size:
        raise LogInconsistent(
            size,
            f"the log was truncated: the checkpoint saved earlier covers {since.size} entries,"
            f" the log now holds {size}; entries from index {size} are gone",
        )
    if root_at(since.size) != since.root:
        raise LogInconsistent(
            0,
            f"history was rewritten: the log's first {since.size} entries no longer match the"
            f" checkpoint saved earlier (first bad index somewhere in 0..{since.size - 1};"
            " pass an earlier bundle to locate it)",
        )


def compare_hashes(earlier: Sequence[bytes], size: int, now: Callable[[int], bytes]) -> None:
    """Compare leaf hashes saved from an earlier bundle with the log's, naming the first change."""
    for i, h in enumerate(earlier):
        if i >= size:
            raise LogInconsistent(
                i, f"the log was truncated: entry {i}, in the earlier bundle, is gone"
            )
        if now(i) != h:
            raise LogInconsistent(
                i, f"history was rewritten: entry {i} differs from the earlier bundle"
            )


def _verify_tree(conn: Connection, size: int, pruned: int, progress: Progress | None) -> None:
    chunk = 1 << CHUNK_LEVEL
    tops: list[bytes] = []
    for start in range(0, size, chunk):
        end = min(start + chunk, size)
        rows = conn.execute(
            "SELECT idx, leaf, hash FROM audit_entries WHERE idx >= ? AND idx < ? ORDER BY idx",
            (start, end),
        ).fetchall()
        for offset, row in enumerate(rows):
            if row[0] != start + offset:
                raise LogInconsistent(start + offset, f"entry {start + offset} is missing")
        if len(rows) != end - start:
            raise LogInconsistent(start + len(rows), f"entry {start + len(rows)} is missing")
        # Below the minimum index a leaf is pruned: its stored hash is all there is, and it
        # is checked through every subtree above it; from the minimum index, leaves are
        # hashed again and must match.
        first = max(0, min(pruned - start, len(rows)))
        for offset in range(first, len(rows)):
            if rows[offset][1] is None:
                i = start + offset
                raise LogInconsistent(
                    i, f"entry {i} lost its content but is not below the minimum index {pruned}"
                )
        kept = check_leaves(start + first, [bytes(r[1]) for r in rows[first:]])
        _compare(kept, [bytes(r[2]) for r in rows[first:]], 0, start + first, "was altered")
        hashes = [bytes(r[2]) for r in rows[:first]] + kept
        top = _verify_levels(conn, hashes, 0, start)
        if end - start == chunk:
            tops.append(top[0])
        if progress is not None:
            progress(end, size)
    _verify_levels(conn, tops, CHUNK_LEVEL, 0)
    counts = conn.execute("SELECT level, count(*) FROM audit_nodes GROUP BY level").fetchall()
    for level, count in counts:
        if level < 1 or count != size >> level:
            raise LogInconsistent(
                size, f"stored subtree hashes reach beyond the log's {size} entries (truncated?)"
            )


def _verify_levels(conn: Connection, hashes: list[bytes], level: int, start: int) -> list[bytes]:
    """Recompute complete subtrees above ``hashes`` (level ``level``, first index ``start``)."""
    cur, first = hashes, start
    while len(cur) >= 2:
        nxt = [merkle.node_hash(cur[k], cur[k + 1]) for k in range(0, len(cur) - 1, 2)]
        level, first = level + 1, first >> 1
        rows = conn.execute(
            "SELECT hash FROM audit_nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx",
            (level, first, first + len(nxt)),
        ).fetchall()
        _compare(nxt, [bytes(r[0]) for r in rows], level, first, "has a wrong subtree hash")
        cur = nxt
    return cur


def _compare(computed: list[bytes], stored: list[bytes], level: int, first: int, what: str) -> None:
    if computed == stored:
        return
    k = next((k for k, (a, b) in enumerate(zip(computed, stored, strict=False)) if a != b), None)
    k = len(stored) if k is None else k
    index = (first + k) << level
    if level == 0:
        raise LogInconsistent(index, f"entry {index} {what}: its hash does not match")
    span = f"entries {index}..{index + (1 << level) - 1}"
    raise LogInconsistent(index, f"the stored hash over {span} is missing or wrong")


def refuse_log_key(log: NoteVerifier, required: Sequence[Verifier]) -> None:
    """A cosigner is a key other than the log's (not its name, not its public key).

    Otherwise the log's own signature on every checkpoint would count as a cosignature.
    """
    for key in required:
        if key.name == log.name or key.key.key == log.key.key:
            raise BadCheckpoint(
                f"the required cosigner {key.name} is the log's own key; a cosigner must be"
                " a key other than the log's"
            )


def cosigned_sizes(
    signed: Sequence[tuple[int, Checkpoint, str]],
    required: Sequence[Verifier],
    log: NoteVerifier,
) -> tuple[tuple[str, int], ...]:
    """For each ``required`` cosigner, the size of the latest checkpoint it signed.

    ``signed`` holds (number, checkpoint, note with its cosignatures), each
    already verified with the log's key. Raises ``BadCheckpoint`` when a
    required cosigner is the log's key (``refuse_log_key``), signed none of
    them, or a signature claiming its key is wrong.
    """
    refuse_log_key(log, required)
    found: list[tuple[str, int]] = []
    for key in required:
        best: int | None = None
        for seq, cp, note in signed:
            _, sigs = notes.split(note)
            if not any(s.name == key.name and s.hash == key.hash for s in sigs):
                continue
            try:
                notes.open_note(note, [key])
            except BadNote:
                raise BadCheckpoint(
                    f"the cosignature by {key.name} on checkpoint {seq} is invalid"
                ) from None
            best = cp.size if best is None else max(best, cp.size)
        if best is None:
            raise BadCheckpoint(f"no checkpoint is cosigned by the required key {key.name}")
        found.append((key.name, best))
    return tuple(found)


def _verify_checkpoints(
    conn: Connection,
    log: AuditLog,
    size: int,
    verifier: NoteVerifier,
    origin: str | None,
    required: Sequence[Verifier],
) -> VerifyReport:
    try:
        stored = stored_checkpoints(conn, verifier)
    except (BadCheckpoint, BadNote) as e:
        raise BadCheckpoint(f"a stored checkpoint does not verify: {e}") from None
    previous: Checkpoint | None = None
    cosigned = 0
    for number, sc in enumerate(stored):
        cp = sc.checkpoint
        if sc.seq != number:
            raise BadCheckpoint(f"checkpoint {number} is missing")
        if origin is not None and cp.origin != origin:
            raise BadCheckpoint(f"checkpoint {sc.seq} is for log {cp.origin!r}, not {origin!r}")
        verified_up_to = 0 if previous is None else previous.size
        if cp.size > size:
            raise LogInconsistent(
                size,
                f"the log was truncated: checkpoint {sc.seq} covers {cp.size} entries,"
                f" the log holds {size}; entries from index {size} are gone",
            )
        if log.root(conn, cp.size) != cp.root:
            raise LogInconsistent(
                verified_up_to,
                f"checkpoint {sc.seq} (size {cp.size}) does not match the log: an entry in"
                f" {verified_up_to}..{cp.size - 1} was rewritten",
            )
        if previous is not None and previous.size > 0:
            try:
                proof = log.consistency_proof(conn, previous.size, cp.size)
                merkle.verify_consistency(
                    previous.size, cp.size, previous.root, cp.root, proof.hashes
                )
            except ProofFailed as e:
                raise BadCheckpoint(
                    f"checkpoint {sc.seq} contradicts its predecessor: {e}"
                ) from None
        cosigned += _verify_cosignatures(conn, sc.seq, cp)
        previous = cp
    latest = previous
    uncovered = size - (latest.size if latest else 0)
    signed = [(sc.seq, sc.checkpoint, sc.cosigned_note) for sc in stored]
    by_cosigners = cosigned_sizes(signed, required, verifier)
    return VerifyReport(size, len(stored), cosigned, latest, uncovered, by_cosigners)


def _verify_cosignatures(conn: Connection, seq: int, cp: Checkpoint) -> int:
    rows = conn.execute(
        "SELECT verifier, line FROM audit_cosignatures WHERE seq = ?", (seq,)
    ).fetchall()
    for key, line in rows:
        cosigner = parse_cosigner(str(key))
        try:
            notes.open_note(cp.body() + "\n" + str(line), [cosigner])
        except BadNote:
            raise BadCheckpoint(
                f"the cosignature by {cosigner.name} on checkpoint {seq} is invalid"
            ) from None
    return len(rows)
