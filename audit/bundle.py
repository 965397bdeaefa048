"""Audit bundles: everything an auditor needs to verify the log offline, in one JSON file.

    {"format": "permanence-audit-bundle/v1", "origin": ..., "verifier_key": ...,
     "exported_at": ..., "size": N,
     "checkpoints": [{"seq": 0, "note": "<signed note + cosignatures>",
                      "cosigners": ["<verifier key>", ...]}, ...],
     "entries": ["<leaf 0, the canonical JSON text>", ...]}

The entries are the exact leaf bytes (UTF-8 JSON text). After retention pruned
the log's oldest entries, the bundle also holds ``"first_entry": M`` (the minimum
index) and ``"pruned_hashes"``: the M leaf hashes (base64) of the pruned entries,
and ``entries`` starts at index M; the verifier then checks the contents from M
and, below it, that the hashes lead to every signed root (nothing more is left).

A bundle ends exactly at a signed checkpoint: the export signs one and writes the entries it covers,
no more, and a verifier refuses a bundle with no checkpoint or with entries no
checkpoint covers. The verifier key in a bundle is informational: an auditor
verifies with the key they pinned, whose name is the log's origin.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from audit import note as notes
from audit.checkpoint import Checkpoint
from audit.connection import Connection
from audit.cosignature import parse_cosigner
from audit.entry import format_time
from audit.errors import BadBundle, BadCheckpoint, BadKey, BadNote, LogInconsistent
from audit.issuer import cosigners, stored_checkpoints
from audit.keys import NoteVerifier, Verifier
from audit.log import AuditLog
from audit.merkle import HASH_BYTES, CompactRange
from audit.retention import minimum_index
from audit.verify import (
    Progress,
    VerifyReport,
    check_leaves,
    check_since,
    compare_hashes,
    cosigned_sizes,
)

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
    entries: tuple[bytes, ...]  # from index ``first_entry``
    pruned_hashes: tuple[bytes, ...] = ()  # leaf hashes of entries 0 .. first_entry - 1

    @property
    def first_entry(self) -> int:
        return len(self.pruned_hashes)

    @classmethod
    def parse(cls, text: str) -> Bundle:
        """Parse a bundle, refusing any field of the wrong JSON type."""
        try:
            obj = json.loads(text)
        except ValueError as e:
            raise BadBundle(f"malformed audit bundle: {e}") from None
        except RecursionError:
            raise BadBundle("malformed audit bundle: its JSON is nested too deeply") from None
        if not isinstance(obj, dict) or obj.get("format") != FORMAT:
            raise BadBundle(f"not an audit bundle (format {FORMAT} expected)")
        cps = tuple(
            BundleCheckpoint(
                _int(c, "seq"), _str(c, "note"), tuple(_strings(c, "cosigners", "a cosigner"))
            )
            for c in _list(obj, "checkpoints", dict, "a checkpoint")
        )
        entries = tuple(e.encode("utf-8") for e in _strings(obj, "entries", "an entry"))
        first = _int(obj, "first_entry") if "first_entry" in obj else 0
        pruned = tuple(_hash(h) for h in _strings(obj, "pruned_hashes", "a hash")) if first else ()
        if len(pruned) != first:
            raise BadBundle("the bundle's pruned hashes do not match its first entry")
        if _int(obj, "size") != first + len(entries):
            raise BadBundle("the bundle's size does not match its entries")
        return cls(
            _str(obj, "origin"),
            _str(obj, "verifier_key"),
            _str(obj, "exported_at"),
            cps,
            entries,
            pruned,
        )


def _hash(text: str) -> bytes:
    try:
        value = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        value = b""
    if len(value) != HASH_BYTES:
        raise BadBundle("malformed audit bundle: a pruned hash is not 32 bytes of base64")
    return value


def _field(obj: dict[str, Any], name: str, kind: type, what: str) -> Any:
    value = obj.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise BadBundle(f"malformed audit bundle: {name!r} must be {what}")
    return value


def _int(obj: dict[str, Any], name: str) -> int:
    value: int = _field(obj, name, int, "an integer")
    if value < 0:
        raise BadBundle(f"malformed audit bundle: {name!r} must not be negative")
    return value


def _str(obj: dict[str, Any], name: str) -> str:
    value: str = _field(obj, name, str, "a string")
    return value


def _list(obj: dict[str, Any], name: str, kind: type, what: str) -> list[Any]:
    values: list[Any] = _field(obj, name, list, "a list")
    if not all(isinstance(v, kind) for v in values):
        raise BadBundle(f"malformed audit bundle: {what} in {name!r} has the wrong type")
    return values


def _strings(obj: dict[str, Any], name: str, what: str) -> list[str]:
    return _list(obj, name, str, what)


def write_bundle(
    conn: Connection,
    out: TextIO,
    verifier: NoteVerifier,
    *,
    origin: str,
    upto: int | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> int:
    """Stream the log up to checkpoint number ``upto`` (default: the latest) to ``out``.

    The bundle holds that checkpoint and every earlier one, and exactly the
    entries it covers; entries appended since are left for the next export.
    Returns the number of entries. Raises ``BadCheckpoint`` before any checkpoint.
    """
    log = AuditLog()
    stored = stored_checkpoints(conn, verifier)
    if upto is not None:
        stored = [sc for sc in stored if sc.seq <= upto]
    if not stored or (upto is not None and stored[-1].seq != upto):
        raise BadCheckpoint(
            "there is no signed checkpoint to export up to; run 'permanence audit checkpoint'"
        )
    size = stored[-1].checkpoint.size
    first = min(minimum_index(conn), size)
    checkpoints = [
        {
            "seq": sc.seq,
            "note": sc.cosigned_note,
            "cosigners": [str(k) for k in cosigners(conn, sc.seq)],
        }
        for sc in stored
    ]
    head: dict[str, Any] = {
        "format": FORMAT,
        "origin": origin,
        "verifier_key": str(verifier),
        "exported_at": format_time(now or datetime.now(UTC)),
        "size": size,
        "checkpoints": checkpoints,
    }
    out.write(json.dumps(head, ensure_ascii=False, indent=1)[:-2])
    if first:
        out.write(f',\n "first_entry": {first},\n "pruned_hashes": [')
        rows = conn.execute(
            "SELECT idx, hash FROM audit_entries WHERE idx < ? ORDER BY idx", (first,)
        ).fetchall()
        for i, (idx, stored) in enumerate(rows):
            if idx != i:
                raise LogInconsistent(i, f"entry {i} is missing")
            h = base64.b64encode(bytes(stored)).decode()
            out.write(("\n  " if i == 0 else ",\n  ") + f'"{h}"')
        out.write("\n ]")
    out.write(',\n "entries": [')
    kept = log.leaves(conn, first) if first < size else iter(())
    for i, leaf in enumerate(kept, start=first):
        if i >= size:
            break
        try:
            text = leaf.decode("utf-8")
        except UnicodeDecodeError:
            raise LogInconsistent(i, f"entry {i} is not UTF-8 text") from None
        out.write(("\n  " if i == first else ",\n  ") + json.dumps(text, ensure_ascii=False))
        if progress is not None and (i + 1) % 65536 == 0:
            progress(i + 1, size)
    out.write("\n ]\n}\n")
    return size


def leaf_hashes(bundle: Bundle) -> list[bytes]:
    """The leaf hashes of a bundle's entries, each checked to name its own index (below
    its first entry, the pruned entries' hashes as the bundle gives them)."""
    return [*bundle.pruned_hashes, *check_leaves(bundle.first_entry, bundle.entries)]


def verify_bundle(
    bundle: Bundle,
    verifier: NoteVerifier,
    *,
    since: Checkpoint | None = None,
    since_leaf_hashes: Sequence[bytes] | None = None,
    required_cosigners: Sequence[Verifier] = (),
    progress: Progress | None = None,
) -> VerifyReport:
    """Verify a bundle offline with the pinned ``verifier``; name the first bad index.

    The log's origin is the pinned key's name: the bundle and each of its
    checkpoints must name it. Checkpoints are numbered from 0 without gaps,
    each is signed by ``verifier`` and by every cosigner it lists, and the
    latest covers exactly the bundle's entries. The numbers are not signed, so
    each checkpoint must also cover more entries than its predecessor (a copied
    checkpoint is refused); what the report counts is the distinct signed tree
    sizes. Each of ``required_cosigners`` (keys other than the log's)
    must have signed at least one checkpoint;
    the report says up to which size.
    """
    origin = verifier.name
    if bundle.origin != origin:
        raise BadBundle(
            f"the bundle is for log {bundle.origin!r}, but the key you pinned is for {origin!r}"
        )
    if not bundle.checkpoints:
        raise BadBundle(
            "the bundle holds no signed checkpoint, so the log's key vouches for none of it"
        )
    hashes = leaf_hashes(bundle)
    size = len(hashes)
    if since_leaf_hashes is not None:
        compare_hashes(since_leaf_hashes, size, hashes.__getitem__)
    stored = sorted(bundle.checkpoints, key=lambda c: c.seq)
    for number, c in enumerate(stored):
        if c.seq != number:
            raise BadCheckpoint(
                f"checkpoint {number} is missing from the bundle (checkpoints are numbered"
                " from 0 without gaps)"
            )
    opened = [_open(c, verifier, origin) for c in stored]
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
    latest_size = _check_checkpoints(stored, opened, roots, size)
    if latest_size < size:
        which = (
            f"entry {latest_size} is"
            if size - latest_size == 1
            else f"entries {latest_size}..{size - 1} are"
        )
        raise LogInconsistent(
            latest_size,
            f"{which} not covered by any signed checkpoint (anyone could have added"
            " them after signing); the bundle is refused",
        )
    if since is not None:
        check_since(since, size, lambda s: roots[s], origin)
    signed = [(c.seq, cp, c.note) for c, cp in zip(stored, opened, strict=True)]
    cosigned = cosigned_sizes(signed, required_cosigners, verifier)
    if progress is not None:
        progress(size, size)
    return VerifyReport(
        size,
        len(opened),
        sum(len(c.cosigners) for c in stored),
        opened[-1],
        0,
        cosigned,
        bundle.first_entry,
    )


def _open(c: BundleCheckpoint, verifier: NoteVerifier, origin: str) -> Checkpoint:
    try:
        keys = [parse_cosigner(k) for k in c.cosigners]
        opened = notes.open_note(c.note, [verifier, *keys])
    except (BadNote, BadKey) as e:
        raise BadCheckpoint(f"checkpoint {c.seq} does not verify: {e}") from None
    for key in (verifier, *keys):
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
        if number > 0 and cp.size <= previous_size:
            raise BadCheckpoint(
                f"checkpoint {c.seq} covers {cp.size} entries, not more than its predecessor's"
                f" {previous_size}: each signed checkpoint must cover more entries than the one"
                " before (a repeated or reordered checkpoint is refused)"
            )
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
