"""What every use case needs: the database, the audit log, time, randomness, secrets."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from audit.entry import Action, Actor, AuditEntry, Outcome, Scalar
from audit.log import AuditLog
from crypto.secret import Secret
from vault.clock import Clock, utc_now
from vault.identity.roles import Role
from vault.settings import Settings

if TYPE_CHECKING:  # types only: the command line's client commands never open a database
    from vault.storage.database import Database
    from vault.storage.store import Connection


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """Where a request came from, for the audit log and throttling."""

    request_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    # Who acts when no account does (the command line names itself); None on the web.
    actor: Actor | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in account a use case acts for."""

    account_id: str
    username: str
    role: Role
    practice_id: str | None = None
    # The account's registered Ed25519 public key, when the session lookup had it at hand
    # (lets a deposit's signature be checked without another read).
    ed25519_public_key: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def actor(self) -> Actor:
        return Actor(account=self.account_id, name=self.username, role=str(self.role))


@dataclass(frozen=True, slots=True)
class Env:
    db: Database
    settings: Settings
    server_secret: Secret
    log: AuditLog = field(default_factory=AuditLog)
    now: Clock = utc_now
    randbytes: Callable[[int], bytes] = os.urandom

    def record(
        self,
        conn: Connection,
        action: Action,
        request: RequestInfo,
        *,
        actor: Actor | None = None,
        at: datetime | None = None,
        outcome: Outcome = Outcome.OK,
        targets: Mapping[str, str] | None = None,
        detail: Mapping[str, Scalar] | None = None,
    ) -> int:
        """Append an audit entry inside the caller's transaction (fail closed).

        The actor is ``actor``, else the request's own (the command line), else nobody.
        """
        entry = AuditEntry.new(
            action,
            now=at or self.now(),
            actor=actor or request.actor or Actor(),
            outcome=str(outcome),
            targets=dict(targets or {}),
            request=request.request_id,
            ip=request.ip,
            detail=dict(detail or {}),
        )
        return self.log.append(conn, entry)
