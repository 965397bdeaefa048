"""Cosigning the latest checkpoint: an auditor's or witness's signature, stored and audited."""

from __future__ import annotations

from audit.checkpoint import StoredCheckpoint
from audit.cosignature import parse_cosigner
from audit.entry import Action
from audit.errors import AuditError
from audit.issuer import add_cosignature
from audit.keys import NoteVerifier, Verifier
from audit.witness_policy import WitnessPolicy
from vault.auditing import entries
from vault.env import Env, Principal, RequestInfo
from vault.errors import InvalidInput
from vault.storage.store import Connection

DOES_NOT_VERIFY = "This cosignature does not verify against the latest checkpoint."


def store_cosignature(
    env: Env,
    conn: Connection,
    request: RequestInfo,
    seq: int,
    note: str,
    cosigner: Verifier,
    server: NoteVerifier,
    principal: Principal | None = None,
) -> StoredCheckpoint:
    """Inside the caller's transaction: add the cosigned ``note`` of checkpoint ``seq``,
    and its ``audit.cosigned`` entry (by ``principal``, else the request's actor)."""
    stored = add_cosignature(conn, seq, note, cosigner, server, now=env.now())
    env.record(
        conn,
        Action.AUDIT_COSIGNED,
        request,
        actor=principal.actor if principal else None,
        targets={"checkpoint": str(seq)},
        detail={"cosigner": cosigner.name},
    )
    return stored


def cosign_latest(
    env: Env,
    request: RequestInfo,
    principal: Principal,
    key_text: str,
    note: str,
    server: NoteVerifier,
    policy: WitnessPolicy | None = None,
) -> entries.CheckpointStatus | None:
    """Store the console's cosignature ``note`` of the latest checkpoint by the key
    ``key_text``; the checkpoint's status after it. ``InvalidInput`` if it does not verify."""
    try:
        cosigner = parse_cosigner(key_text.strip())
    except AuditError:
        raise InvalidInput(DOES_NOT_VERIFY) from None

    def tx(conn: Connection) -> None:
        status = entries.checkpoint_status(conn, server)
        if status is None:
            raise InvalidInput(DOES_NOT_VERIFY)
        try:
            store_cosignature(env, conn, request, status.seq, note, cosigner, server, principal)
        except AuditError:
            raise InvalidInput(DOES_NOT_VERIFY) from None

    env.db.write(tx)
    return env.db.read(lambda conn: entries.checkpoint_status(conn, server, policy))
