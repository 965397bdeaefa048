"""Exporting the log from the console: a fresh second factor, an entry, a checkpoint, a bundle.

Two steps, because a download cannot carry the CSRF header: ``prepare``
checks a fresh TOTP code, records ``audit.exported`` and signs a checkpoint
covering it (in one transaction), and hands back a one-time handle, valid
five minutes for the same account; ``take`` redeems it, and ``write`` streams
the bundle (``audit.bundle``) of a read snapshot, up to exactly the checkpoint
signed for the export (entries appended since wait for the next export).
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TextIO

from audit.bundle import write_bundle
from audit.checkpoint import StoredCheckpoint
from audit.entry import Action, Outcome
from audit.issuer import CheckpointIssuer
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
    """One-time export handles of one server."""

    def __init__(self) -> None:
        self._pending: dict[str, PendingExport] = {}
        self._lock = threading.Lock()

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

        # A wrong code is returned, not raised: what checking it recorded must commit.
        def tx(conn: Connection) -> StoredCheckpoint | SecondFactorRequired:
            if not confirm_second_factor(env, conn, principal, code, reserved):
                return second_factor_refusal(env, conn, principal, code)
            env.record(conn, Action.AUDIT_EXPORTED, request, actor=principal.actor)
            return issuer.issue(conn, now=env.now())

        signed = env.db.write(tx)
        if isinstance(signed, SecondFactorRequired):
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
            raise signed
        pending = PendingExport(
            secrets.token_hex(16),
            principal.account_id,
            env.now(),
            signed.checkpoint.size,
            signed.seq,
        )
        with self._lock:
            now = env.now()
            for h, p in list(self._pending.items()):
                if now - p.created_at > HANDLE_LIFETIME:
                    del self._pending[h]
            self._pending[pending.handle] = pending
        return pending

    def take(self, env: Env, handle: str, principal: Principal) -> PendingExport:
        """Redeem a handle once; another account's, an expired or a used one is not found."""
        with self._lock:
            pending = self._pending.get(handle)
            if (
                pending is None
                or pending.account_id != principal.account_id
                or env.now() - pending.created_at > HANDLE_LIFETIME
            ):
                raise NotFound()
            del self._pending[handle]
        return pending


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
