"""Audit bundles: everything an auditor needs to verify the log offline, in one JSON file.

    {"format": "permanence-audit-bundle/v1", "origin": ..., "verifier_key": ...,
     "exported_at": ..., "size": N,
     "checkpoints": [{"seq": 0, "note": "<signed note + cosignatures>",
                      "cosigners": ["<verifier key>", ...]}, ...],
     "entries": ["<leaf 0, the canonical JSON text>", ...]}

The entries are the exact leaf bytes (UTF-8 JSON text). The verifier key in a
bundle is informational: an auditor verifies with the key they pinned.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from audit import note as notes
from audit.checkpoint import Checkpoint
from audit.connection import Connection
from audit.entry import format_time
from audit.errors import BadBundle, BadCheckpoint, BadKey, BadNote, LogInconsistent
from audit.issuer import cosigners, stored_checkpoints
from audit.keys import NoteVerifier, parse_verifier
from audit.log import AuditLog
from audit.merkle import CompactRange
from audit.verify import Progress, VerifyReport, check_leaves, check_since, compare_hashes

FORMAT = "permanence-audit-bundle/v1"


@dataclass(frozen=True, slots=True)
class BundleCheckpoint:
    seq: int
    note: str
    cosigners: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Bundle:
    origin: str
    verifier_key: str
    exported_at: str
    checkpoints: tuple[BundleCheckpoint, ...]
    entries: tuple[bytes, ...]

    @classmethod
    def parse(cls, text: str) -> Bundle:
        try:
            obj = json.loads(text)
            if obj.get("format") != FORMAT:
                raise BadBundle(f"not an audit bundle (format {FORMAT} expected)")
            cps = tuple(
                BundleCheckpoint(int(c["seq"]), str(c["note"]), tuple(map(str, c["cosigners"])))
                for c in obj["checkpoints"]
            )
            entries = tuple(str(e).encode("utf-8") for e in obj["entries"])
            bundle = cls(
                str(obj["origin"]), str(obj["verifier_key"]), str(obj["exported_at"]), cps, entries
            )
            if int(obj["size"]) != len(entries):
                raise BadBundle("the bundle's size does not match its entries")
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise BadBundle(f"malformed audit bundle: {e}") from None
        return bundle


def write_bundle(
    conn: Connection,
    out: TextIO,
    verifier: NoteVerifier,
    *,
    origin: str,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> int:
    """Stream the whole log to ``out`` as a bundle; return the number of entries."""
    log = AuditLog()
    size = log.size(conn)
    checkpoints = [
        {
            "seq": sc.seq,
            "note": sc.cosigned_note,
            "cosigners": [str(k) for k in cosigners(conn, sc.seq)],
        }
        for sc in stored_checkpoints(conn, verifier)
    ]
    head: dict[str, Any] = {
        "format": FORMAT,
        "origin": origin,
        "verifier_key": str(verifier),
        "exported_at": format_time(now or datetime.now(UTC)),
        "size": size,
        "checkpoints": checkpoints,
    }
    out.write(json.dumps(head, ensure_ascii=False, indent=1)[:-2] + ',\n "entries": [')
    for i, leaf in enumerate(log.leaves(conn)):
        try:
            text = leaf.decode("utf-8")
        except UnicodeDecodeError:
            raise LogInconsistent(i, f"entry {i} is not UTF-8 text") from None
        out.write(("\n  " if i == 0 else ",\n  ") + json.dumps(text, ensure_ascii=False))
        if progress is not None and (i + 1) % 65536 == 0:
            progress(i + 1, size)
    out.write("\n ]\n}\n")
    return size


def leaf_hashes(bundle: Bundle) -> list[bytes]:
    """The leaf hashes of a bundle's entries, each checked to name its own index."""
    return check_leaves(0, bundle.entries)


def verify_bundle(
    bundle: Bundle,
    verifier: NoteVerifier,
    *,
    since: Checkpoint | None = None,
    since_leaf_hashes: Sequence[bytes] | None = None,
    extra_cosigners: Sequence[NoteVerifier] = (),
    progress: Progress | None = None,
) -> VerifyReport:
    """Verify a bundle offline with the pinned ``verifier``; name the first bad index.

    Every checkpoint must be signed by ``verifier`` and by each ``extra_cosigners``
    key (an auditor's own key), and every cosignature listed must verify.
    """
    hashes = leaf_hashes(bundle)
    size = len(hashes)
    if since_leaf_hashes is not None:
        compare_hashes(since_leaf_hashes, size, hashes.__getitem__)
    stored = sorted(bundle.checkpoints, key=lambda c: c.seq)
    opened = [_open(c, verifier, extra_cosigners, bundle.origin) for c in stored]
    roots: dict[int, bytes] = {}
    wanted = {cp.size for cp in opened} | ({since.size} if since else set())
    tree = CompactRange()
    roots[0] = tree.root()
    for i, h in enumerate(hashes):
        tree.append(h)
        if tree.size in wanted:
            roots[tree.size] = tree.root()
        if progress is not None and (i + 1) % 65536 == 0:
            progress(i + 1, size)
    previous_size = _check_checkpoints(stored, opened, roots, size)
    if since is not None:
        check_since(since, size, lambda s: roots[s], bundle.origin)
    latest = opened[-1] if opened else None
    if progress is not None:
        progress(size, size)
    return VerifyReport(
        size, len(opened), sum(len(c.cosigners) for c in stored), latest, size - previous_size
    )


def _open(
    c: BundleCheckpoint, verifier: NoteVerifier, required: Sequence[NoteVerifier], origin: str
) -> Checkpoint:
    try:
        keys = [parse_verifier(k) for k in c.cosigners]
        opened = notes.open_note(c.note, [verifier, *keys, *required])
    except (BadNote, BadKey) as e:
        raise BadCheckpoint(f"checkpoint {c.seq} does not verify: {e}") from None
    for key in (verifier, *keys, *required):
        if not opened.signed_by(key):
            raise BadCheckpoint(f"checkpoint {c.seq} is not signed by {key.name}")
    cp = Checkpoint.parse(opened.text)
    if cp.origin != origin:
        raise BadCheckpoint(f"checkpoint {c.seq} is for log {cp.origin!r}, not {origin!r}")
    return cp


def _check_checkpoints(
    stored: Sequence[BundleCheckpoint],
    opened: Sequence[Checkpoint],
    roots: dict[int, bytes],
    size: int,
) -> int:
    """Check each checkpoint's root against the entries; return the latest size."""
    previous_size = 0
    for number, (c, cp) in enumerate(zip(stored, opened, strict=True)):
        if c.seq != number:
            raise BadCheckpoint(f"checkpoint {number} is missing from the bundle")
        if cp.size < previous_size:
            raise BadCheckpoint(f"checkpoint {c.seq} is smaller than its predecessor")
        if cp.size > size:
            raise LogInconsistent(
                size,
                f"the bundle is truncated: checkpoint {c.seq} covers {cp.size} entries,"
                f" the bundle holds {size}; entries from index {size} are missing",
            )
        if roots[cp.size] != cp.root:
            raise LogInconsistent(
                previous_size,
                f"checkpoint {c.seq} (size {cp.size}) does not match the entries: an entry in"
                f" {previous_size}..{cp.size - 1} was changed",
            )
        previous_size = cp.size
    return previous_size
