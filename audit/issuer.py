"""Signing, storing and cosigning checkpoints of the log.

The server never signs a checkpoint smaller than, or inconsistent with, the
latest one it stored: before signing it recomputes the root at the latest
checkpoint's size from the current tree and compares.
"""

from __future__ import annotations

from datetime import UTC, datetime

from audit import note as notes
from audit.checkpoint import Checkpoint, CheckpointPolicy, StoredCheckpoint
from audit.connection import Connection
from audit.cosignature import parse_cosigner
from audit.entry import format_time, parse_time
from audit.errors import BadCheckpoint, BadNote
from audit.keys import NoteSigner, NoteVerifier, Verifier
from audit.log import AuditLog

_SELECT = "SELECT seq, note, issued_at FROM audit_checkpoints"


class CheckpointIssuer:
    """Signs checkpoints of one log (``origin``) with the server's note key."""

    def __init__(self, signer: NoteSigner, origin: str, log: AuditLog | None = None) -> None:
        self.signer = signer
        self.origin = origin
        self.log = log or AuditLog()

    def issue(self, conn: Connection, *, now: datetime | None = None) -> StoredCheckpoint:
        """Sign and store a checkpoint of the whole log now (or return the latest if current)."""
        now = now or datetime.now(UTC)
        size = self.log.size(conn)
        last = latest_checkpoint(conn, self.signer.verifier)
        if last is not None:
            if size < last.checkpoint.size:
                raise BadCheckpoint(
                    f"refusing to sign: the log holds {size} entries, fewer than the"
                    f" {last.checkpoint.size} of checkpoint {last.seq}"
                )
            if self.log.root(conn, last.checkpoint.size) != last.checkpoint.root:
                raise BadCheckpoint(
                    f"refusing to sign: the log is inconsistent with checkpoint {last.seq}"
                )
            if size == last.checkpoint.size:
                return last
        checkpoint = Checkpoint(self.origin, size, self.log.root(conn, size))
        signed = notes.sign(checkpoint.body(), self.signer)
        seq = 0 if last is None else last.seq + 1
        conn.execute(
            "INSERT INTO audit_checkpoints (seq, size, root, note, issued_at) VALUES (?,?,?,?,?)",
            (seq, size, checkpoint.root, signed, format_time(now)),
        )
        return StoredCheckpoint(seq, checkpoint, signed, now, signed)

    def issue_if_due(
        self, conn: Connection, policy: CheckpointPolicy, *, now: datetime | None = None
    ) -> StoredCheckpoint | None:
        """Issue a checkpoint if ``policy`` says one is due; call it after appending."""
        now = now or datetime.now(UTC)
        last = latest_checkpoint(conn, self.signer.verifier)
        if not policy.due(self.log.size(conn), last, now):
            return None
        return self.issue(conn, now=now)


def stored_checkpoints(conn: Connection, verifier: NoteVerifier) -> list[StoredCheckpoint]:
    """Every stored checkpoint in order, each opened with ``verifier``."""
    rows = conn.execute(_SELECT + " ORDER BY seq").fetchall()
    return [_load(conn, row, verifier) for row in rows]


def latest_checkpoint(conn: Connection, verifier: NoteVerifier) -> StoredCheckpoint | None:
    row = conn.execute(_SELECT + " ORDER BY seq DESC LIMIT 1").fetchone()
    return None if row is None else _load(conn, row, verifier)


def checkpoint_at(conn: Connection, seq: int, verifier: NoteVerifier) -> StoredCheckpoint:
    row = conn.execute(_SELECT + " WHERE seq = ?", (seq,)).fetchone()
    if row is None:
        raise BadCheckpoint(f"there is no checkpoint number {seq}")
    return _load(conn, row, verifier)


def add_cosignature(
    conn: Connection,
    seq: int,
    cosigned: str,
    cosigner: Verifier,
    server: NoteVerifier,
    *,
    now: datetime | None = None,
) -> StoredCheckpoint:
    """Store ``cosigner``'s signature on checkpoint ``seq``, after checking it.

    ``cosigned`` is the checkpoint note carrying the cosigner's signature line
    (other lines are ignored). Raises ``BadCheckpoint`` if it is not a valid
    signature by ``cosigner`` of exactly that checkpoint's body.
    """
    now = now or datetime.now(UTC)
    stored = checkpoint_at(conn, seq, server)
    try:
        opened = notes.open_note(cosigned, [cosigner])
    except BadNote as e:
        raise BadCheckpoint(f"the cosignature does not verify: {e}") from None
    if opened.text != stored.checkpoint.body():
        raise BadCheckpoint(f"the cosigned text is not checkpoint {seq}")
    if cosigner.name == server.name and cosigner.hash == server.hash:
        raise BadCheckpoint("the log's own key cannot cosign its checkpoints")
    line = next(s for s in opened.verified).line()
    exists = conn.execute(
        "SELECT 1 FROM audit_cosignatures WHERE seq = ? AND verifier = ?", (seq, str(cosigner))
    ).fetchone()
    if exists is None:
        conn.execute(
            "INSERT INTO audit_cosignatures (seq, verifier, line, added_at) VALUES (?,?,?,?)",
            (seq, str(cosigner), line, format_time(now)),
        )
    return checkpoint_at(conn, seq, server)


def cosigners(conn: Connection, seq: int) -> list[Verifier]:
    rows = conn.execute(
        "SELECT verifier FROM audit_cosignatures WHERE seq = ? ORDER BY verifier", (seq,)
    ).fetchall()
    return [parse_cosigner(r[0]) for r in rows]


def _load(conn: Connection, row: tuple[int, str, str], verifier: NoteVerifier) -> StoredCheckpoint:
    seq, note, issued_at = int(row[0]), str(row[1]), str(row[2])
    try:
        opened = notes.open_note(note, [verifier])
    except BadNote as e:
        raise BadCheckpoint(f"checkpoint {seq} is not validly signed by the log key: {e}") from None
    lines = conn.execute(
        "SELECT line FROM audit_cosignatures WHERE seq = ? ORDER BY verifier", (seq,)
    ).fetchall()
    cosigned = note + "".join(str(r[0]) for r in lines)
    return StoredCheckpoint(
        seq, Checkpoint.parse(opened.text), note, parse_time(issued_at), cosigned
    )
