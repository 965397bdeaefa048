"""Exporting the log from the console: a fresh second factor, an entry, a checkpoint, a bundle.

Two steps, because a download cannot carry the CSRF header: ``prepare``
checks a fresh TOTP code, records ``audit.exported``, signs a checkpoint
covering it and stores a one-time handle (its hash, in ``audit_export``: any server
process of the vault redeems it), in one transaction, and hands the handle back, valid
five minutes for the same account; ``take`` redeems it, and ``write`` streams
the bundle (``audit.bundle``) of a read snapshot, up to exactly the checkpoint
signed for the export (entries appended since wait for the next export).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TextIO

from audit.bundle import write_bundle
from audit.entry import Action, Outcome
from audit.issuer import CheckpointIssuer
from vault.clock import iso, parse_iso
from vault.env import Env, Principal, RequestInfo
from vault.errors import NotFound, SecondFactorRequired
from vault.identity.authentication import (
    confirm_second_factor,
    second_factor,
    second_factor_refusal,
)
from vault.storage.store import Connection

HANDLE_LIFETIME = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class PendingExport:
    handle: str
    account_id: str
    created_at: datetime
    size: int  # entries covered by the checkpoint signed for this export
    seq: int = 0  # that checkpoint's number: the bundle ends there


class Exports:
    """One-time export handles, kept in ``audit_export`` (by their hash) so that the
    download may reach another server process than the one that prepared it."""

    def prepare(
        self,
        env: Env,
        request: RequestInfo,
        principal: Principal,
        code: str,
        issuer: CheckpointIssuer,
    ) -> PendingExport:
        """Check ``code``, record the export and sign a checkpoint; raise if the code is wrong."""

        reserved = second_factor(env, request, principal)
        handle = env.randbytes(16).hex()
        now = env.now()

        # A wrong code is returned, not raised: what checking it recorded must commit.
        def tx(conn: Connection) -> PendingExport | SecondFactorRequired:
            if not confirm_second_factor(env, conn, principal, code, reserved):
                return second_factor_refusal(env, conn, principal, code)
            env.record(conn, Action.AUDIT_EXPORTED, request, actor=principal.actor)
            signed = issuer.issue(conn, now=now)
            pending = PendingExport(
                handle, principal.account_id, now, signed.checkpoint.size, signed.seq
            )
            conn.execute(
                "DELETE FROM audit_export WHERE created_at < ?", (iso(now - HANDLE_LIFETIME),)
            )
            conn.execute(
                "INSERT INTO audit_export (handle_hash, account_id, created_at, size, seq)"
                " VALUES (?, ?, ?, ?, ?)",
                (_hash(handle), pending.account_id, iso(now), pending.size, pending.seq),
            )
            return pending

        pending = env.db.write(tx)
        if isinstance(pending, SecondFactorRequired):
            env.db.write(
                lambda conn: env.record(
                    conn,
                    Action.AUDIT_EXPORTED,
                    request,
                    actor=principal.actor,
                    outcome=Outcome.DENIED,
                    detail={"reason": "second_factor"},
                )
            )
            raise pending
        return pending

    def take(self, env: Env, handle: str, principal: Principal) -> PendingExport:
        """Redeem a handle once; another account's, an expired or a used one is not found."""
        now = env.now()

        def tx(conn: Connection) -> PendingExport | None:
            row = conn.execute(
                "SELECT account_id, created_at, size, seq FROM audit_export WHERE handle_hash = ?",
                (_hash(handle),),
            ).fetchone()
            if row is None or str(row[0]) != principal.account_id:
                return None
            pending = PendingExport(handle, str(row[0]), parse_iso(str(row[1])), *map(int, row[2:]))
            conn.execute("DELETE FROM audit_export WHERE handle_hash = ?", (_hash(handle),))
            return None if now - pending.created_at > HANDLE_LIFETIME else pending

        pending = env.db.write(tx)
        if pending is None:
            raise NotFound()
        return pending


def _hash(handle: str) -> bytes:
    return hashlib.sha256(handle.encode("utf-8")).digest()


def write(
    env: Env, out: TextIO, issuer: CheckpointIssuer, pending: PendingExport | None = None
) -> int:
    """Write the bundle up to ``pending``'s checkpoint (default: the latest) to ``out``.

    One read snapshot; returns the number of entries written.
    """
    verifier = issuer.signer.verifier
    upto = None if pending is None else pending.seq
    return env.db.read(
        lambda conn: write_bundle(
            conn, out, verifier, origin=issuer.origin, upto=upto, now=env.now()
        )
    )
