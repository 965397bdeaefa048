"""The log as C2SP ``tlog-tiles`` for any tlog tool: the checkpoint, hash tiles, entry bundles.

The checkpoint and the hash tiles hold hashes only and are public (a witness or
a monitor follows the log without an account); entry bundles are the entries
themselves, metadata about people: for signed-in auditors only, each bundle
served recorded as ``audit.viewed`` (``targets.tile``). Tiles are cut at the
latest signed checkpoint, so a tile once served never changes.
"""

from __future__ import annotations

from audit.entry import Action
from audit.errors import AuditError
from audit.issuer import checkpoint_at, latest_checkpoint
from audit.keys import NoteVerifier
from audit.tiles import Tile, entry_bundle, hash_tile, parse_path
from vault.env import Env, Principal, RequestInfo
from vault.errors import NotFound
from vault.storage.store import Connection


def checkpoint_note(env: Env, verifier: NoteVerifier) -> str:
    """The latest checkpoint with every stored cosignature; ``NotFound`` before the first."""

    def read(conn: Connection) -> str:
        latest = latest_checkpoint(conn, verifier)
        if latest is None:
            raise NotFound()
        return checkpoint_at(conn, latest.seq, verifier).cosigned_note

    return env.db.read(read)


def _tile(path: str, *, entries: bool) -> Tile:
    try:
        tile = parse_path(("entries/" if entries else "") + path)
    except AuditError:
        raise NotFound() from None
    if (tile.level is None) != entries:
        raise NotFound()
    return tile


def _signed_size(conn: Connection, verifier: NoteVerifier) -> int:
    latest = latest_checkpoint(conn, verifier)
    return 0 if latest is None else latest.checkpoint.size


def hashes(env: Env, verifier: NoteVerifier, path: str) -> tuple[bytes, bool]:
    """A hash tile's bytes (``path`` after ``tile/``) and whether it is full."""
    tile = _tile(path, entries=False)

    def read(conn: Connection) -> bytes:
        try:
            return hash_tile(conn, tile, _signed_size(conn, verifier))
        except AuditError:
            raise NotFound() from None

    return env.db.read(read), tile.full


def entries(
    env: Env, request: RequestInfo, principal: Principal, verifier: NoteVerifier, path: str
) -> tuple[bytes, bool]:
    """An entry bundle (``path`` after ``tile/entries/``), recorded as read by the auditor."""
    tile = _tile(path, entries=True)

    def read(conn: Connection) -> bytes:
        try:
            return entry_bundle(conn, tile, _signed_size(conn, verifier))
        except AuditError:
            raise NotFound() from None

    data = env.db.read(read)
    env.db.write(
        lambda conn: env.record(
            conn,
            Action.AUDIT_VIEWED,
            request,
            actor=principal.actor,
            targets={"tile": tile.path()},
        )
    )
    return data, tile.full
