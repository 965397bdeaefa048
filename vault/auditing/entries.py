"""The auditor's view of the log: filtered pages, one entry with its proof, checkpoint status.

Filters run on ``audit_index`` (migration 5), a table derived from the leaves
by a trigger in the same transaction as every append. It is only a finding
aid: what is shown is always decoded from the leaf itself, and verification
never reads the index. Pages are keyset-paginated by index, newest first, so
the cost of a page does not grow with the log.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from audit import merkle
from audit import note as notes
from audit.checkpoint import Checkpoint
from audit.cosignature import CosignatureVerifier, parse_cosigner, timestamp_of
from audit.entry import AuditEntry, decode, format_time
from audit.errors import AuditError
from audit.keys import NoteVerifier, Verifier
from audit.log import AuditLog
from audit.witness_policy import WitnessPolicy
from vault.auditing.witnessing import WitnessStatus, witness_statuses
from vault.errors import Pruned
from vault.identity.usernames import normal_username
from vault.storage.store import Connection

PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class EntryFilter:
    """What an auditor narrows the log to; every field is optional."""

    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive
    account: str | None = None  # an account id, or a username (also unknown ones)
    role: str | None = None
    practice: str | None = None  # a practice id
    action: str | None = None
    outcome: str | None = None


@dataclass(frozen=True, slots=True)
class EntryRow:
    """One entry as shown: ``entry`` is None when its leaf no longer decodes (tampering)."""

    index: int
    entry: AuditEntry | None


@dataclass(frozen=True, slots=True)
class EntryPage:
    rows: tuple[EntryRow, ...]
    next_before: int | None  # pass as ``before`` for the next, older page


@dataclass(frozen=True, slots=True)
class EntryProof:
    """An entry with its inclusion proof in a checkpoint (signed, or the current tree)."""

    row: EntryRow
    leaf: bytes
    leaf_hash: bytes
    size: int
    root: bytes
    hashes: tuple[bytes, ...]
    checkpoint_seq: int | None  # None: not yet covered by a signed checkpoint
    proof_ok: bool


@dataclass(frozen=True, slots=True)
class SignatureStatus:
    name: str
    key: str  # the verifier key, as auditors pin it
    by_log: bool
    valid: bool
    at: str | None = None  # a cosignature/v1's own time (RFC 3339), from the verified line


@dataclass(frozen=True, slots=True)
class CheckpointStatus:
    seq: int
    checkpoint: Checkpoint | None  # None when the stored note does not parse
    note: str
    issued_at: str
    signatures: tuple[SignatureStatus, ...]
    log_size: int
    # With a witness policy: each witness's cosignature of this checkpoint, and the quorum.
    witnesses: tuple[WitnessStatus, ...] = ()
    quorum: str | None = None
    published: bool | None = None


def _where(conn: Connection, f: EntryFilter) -> tuple[list[str], list[Any]] | None:
    """SQL conditions for ``f``; None when the time range holds no entry at all."""
    where: list[str] = []
    params: list[Any] = []
    if f.start is not None or f.end is not None:
        # audit_index_day holds UTC days; a local day's bounds may fall on the UTC day before
        first_day = f.start.astimezone(UTC).date().isoformat() if f.start else "0000-00-00"
        last_day = (
            (f.end - timedelta(milliseconds=1)).astimezone(UTC).date().isoformat()
            if f.end
            else "9999"
        )
        lo, hi = conn.execute(
            "SELECT min(first_idx), max(last_idx) FROM audit_index_day WHERE day BETWEEN ? AND ?",
            (first_day, last_day),
        ).fetchone()
        if lo is None:
            return None
        where.append("idx BETWEEN ? AND ?")
        params += [int(lo), int(hi)]
        if f.start is not None:
            where.append("at >= ?")
            params.append(format_time(f.start))
        if f.end is not None:
            where.append("at < ?")
            params.append(format_time(f.end))
    if f.account:
        account = canonical_uuid(f.account)
        where.append("name = ?" if account is None else "account = ?")
        params.append(normal_username(f.account) if account is None else account)
    for column in ("role", "practice", "action", "outcome"):
        value = getattr(f, column)
        if value:
            where.append(f"{column} = ?")
            params.append((canonical_uuid(value) or value) if column == "practice" else value)
    return where, params


def canonical_uuid(text: str) -> str | None:
    """The stored (lowercase, hyphenated) form of a UUID typed in any case; None if not one."""
    try:
        return str(uuid.UUID(text.strip()))
    except ValueError:
        return None


def _rows(conn: Connection, indexes: list[int]) -> tuple[EntryRow, ...]:
    if not indexes:
        return ()
    marks = ",".join("?" * len(indexes))
    leaves = dict(
        conn.execute(f"SELECT idx, leaf FROM audit_entries WHERE idx IN ({marks})", indexes)  # noqa: S608 - only '?' marks
    )
    return tuple(EntryRow(i, _decode(leaves.get(i))) for i in indexes)


def _decode(leaf: bytes | None) -> AuditEntry | None:
    if leaf is None:
        return None
    try:
        return decode(bytes(leaf)).entry
    except AuditError:
        return None


def entry_page(
    conn: Connection, f: EntryFilter, *, before: int | None = None, limit: int = PAGE_SIZE
) -> EntryPage:
    """The newest ``limit`` entries matching ``f`` with an index below ``before``."""
    found = _where(conn, f)
    if found is None:
        return EntryPage((), None)
    where, params = found
    if before is not None:
        where.append("idx < ?")
        params.append(before)
    sql = "SELECT idx FROM audit_index"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY idx DESC LIMIT ?"
    indexes = [int(r[0]) for r in conn.execute(sql, [*params, limit + 1]).fetchall()]
    more = len(indexes) > limit
    indexes = indexes[:limit]
    return EntryPage(_rows(conn, indexes), indexes[-1] if more else None)


def entry_with_proof(conn: Connection, index: int, verifier: NoteVerifier) -> EntryProof | None:
    """Entry ``index`` and its inclusion proof; None if there is no such entry."""
    log = AuditLog()
    row = conn.execute("SELECT leaf FROM audit_entries WHERE idx = ?", (index,)).fetchone()
    if row is None:
        return None
    if row[0] is None:  # below the minimum index: retention removed its content
        raise Pruned()
    leaf = bytes(row[0])
    signed = conn.execute(
        "SELECT seq, note FROM audit_checkpoints ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    checkpoint: Checkpoint | None = None
    if signed is not None:
        try:
            checkpoint = Checkpoint.parse(notes.open_note(str(signed[1]), [verifier]).text)
        except AuditError:
            checkpoint = None
    seq: int | None = int(signed[0]) if checkpoint and checkpoint.size > index else None
    if checkpoint is not None and seq is not None:
        size, root = checkpoint.size, checkpoint.root
    else:
        size = log.size(conn)
        root = log.root(conn, size)
    hashes = log.inclusion_proof(conn, index, size).hashes
    leaf_hash = merkle.leaf_hash(leaf)
    try:
        merkle.verify_inclusion(leaf_hash, index, size, hashes, root)
        ok = True
    except AuditError:
        ok = False
    return EntryProof(EntryRow(index, _decode(leaf)), leaf, leaf_hash, size, root, hashes, seq, ok)


def checkpoint_status(
    conn: Connection, verifier: NoteVerifier, policy: WitnessPolicy | None = None
) -> CheckpointStatus | None:
    """The latest checkpoint, each of its signatures checked; None before the first one.

    With ``policy``, also each witness's cosignature (checked again) and whether the
    quorum is met (the checkpoint is published)."""
    row = conn.execute(
        "SELECT seq, note, issued_at FROM audit_checkpoints ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    seq, note, issued_at = int(row[0]), str(row[1]), str(row[2])
    text = _text(note)
    try:
        checkpoint: Checkpoint | None = Checkpoint.parse(text)
    except AuditError:
        checkpoint = None
    signatures = [SignatureStatus(verifier.name, str(verifier), True, _opens(note, verifier))]
    for key, line in conn.execute(
        "SELECT verifier, line FROM audit_cosignatures WHERE seq = ? ORDER BY verifier", (seq,)
    ).fetchall():
        try:
            cosigner = parse_cosigner(str(key))
        except AuditError:
            signatures.append(SignatureStatus(str(key), str(key), False, False))
            continue
        valid = _opens(text + "\n" + str(line), cosigner)
        at = (
            _cosigned_at(str(line)) if valid and isinstance(cosigner, CosignatureVerifier) else None
        )
        signatures.append(SignatureStatus(cosigner.name, str(cosigner), False, valid, at))
    status = CheckpointStatus(
        seq, checkpoint, note, issued_at, tuple(signatures), AuditLog().size(conn)
    )
    if policy is None:
        return status
    witnesses = tuple(witness_statuses(conn, policy, seq, text))
    published = policy.satisfied(w.name for w in witnesses if w.valid)
    return replace(status, witnesses=witnesses, quorum=policy.needed(), published=published)


def _cosigned_at(line: str) -> str | None:
    try:
        sig = notes.split("x\n\n" + line)[1][0]
        return format_time(datetime.fromtimestamp(timestamp_of(sig.signature), UTC))
    except (AuditError, ValueError, OverflowError, OSError):
        return None


def _text(note: str) -> str:
    try:
        return notes.split(note)[0]
    except AuditError:
        return note


def _opens(note: str, verifier: Verifier) -> bool:
    try:
        return notes.open_note(note, [verifier]).signed_by(verifier)
    except AuditError:
        return False


def known_actions(conn: Connection) -> list[str]:
    """Every action name present in the log, for the filter's list.

    One index seek per distinct name (``min(action) > previous``) instead of a
    scan of the whole index: a few dozen seeks at any size.
    """
    found: list[str] = []
    last = ""
    while True:
        row = conn.execute(
            "SELECT min(action) FROM audit_index WHERE action > ?", (last,)
        ).fetchone()
        if row is None or row[0] is None:
            return found
        last = str(row[0])
        found.append(last)
