"""Signing audit checkpoints while the server runs: every N entries or T seconds.

The signing key is read from its own file (never the database). A periodic
tick asks the issuer whether a checkpoint is due; a log that grows by N
entries gets its checkpoint at the next tick, at most ``TICK_SECONDS`` later.
"""

from __future__ import annotations

from dataclasses import dataclass

from audit.checkpoint import CheckpointPolicy, StoredCheckpoint
from audit.errors import AuditError
from audit.issuer import CheckpointIssuer
from audit.keys import NoteSigner, parse_signer
from vault.env import Env
from vault.errors import DataDirError
from vault.settings import Settings
from vault.store import read_private_text

TICK_SECONDS = 15


def load_signer(settings: Settings) -> NoteSigner:
    text = read_private_text(settings.layout.audit_key_file)
    try:
        return parse_signer(text)
    except AuditError:
        raise DataDirError(
            f"{settings.layout.audit_key_file} does not hold an audit signing key"
        ) from None


@dataclass(frozen=True, slots=True)
class Checkpointing:
    issuer: CheckpointIssuer
    policy: CheckpointPolicy

    @classmethod
    def for_settings(cls, settings: Settings, signer: NoteSigner) -> Checkpointing:
        return cls(
            CheckpointIssuer(signer, settings.audit_origin),
            CheckpointPolicy(
                every_entries=settings.checkpoint_every_entries,
                every_seconds=settings.checkpoint_every_seconds,
            ),
        )

    def tick(self, env: Env) -> StoredCheckpoint | None:
        """Sign a checkpoint if one is due (one durable write when it is)."""
        now = env.now()
        return env.db.write(lambda conn: self.issuer.issue_if_due(conn, self.policy, now=now))

    def issue_now(self, env: Env) -> StoredCheckpoint:
        now = env.now()
        return env.db.write(lambda conn: self.issuer.issue(conn, now=now))
