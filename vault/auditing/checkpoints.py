"""Signing audit checkpoints while the server runs: every N entries or T seconds.

The signing key is read from its own file (never the database). A periodic
tick asks the issuer whether a checkpoint is due; a log that grows by N
entries gets its checkpoint at the next tick, at most ``TICK_SECONDS`` later.

``checkpoint_issuer`` is the one place that builds the log's issuer, for the
server and for every command that signs: the origin line is the signing key's
name, and a vault whose ``audit_origin`` setting says otherwise is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from audit.checkpoint import CheckpointPolicy, StoredCheckpoint
from audit.errors import AuditError
from audit.issuer import CheckpointIssuer
from audit.keys import NoteSigner, parse_signer
from audit.witness_policy import WitnessPolicy
from vault.env import Env
from vault.errors import DataDirError
from vault.settings import Settings
from vault.storage.store import read_private_text

TICK_SECONDS = 15


def load_signer(settings: Settings) -> NoteSigner:
    text = read_private_text(settings.layout.audit_key_file)
    try:
        return parse_signer(text)
    except AuditError:
        raise DataDirError(
            f"{settings.layout.audit_key_file} does not hold an audit signing key"
        ) from None


def checkpoint_issuer(settings: Settings) -> CheckpointIssuer:
    """The log's checkpoint issuer; refuses a setting that disagrees with the signing key.

    ``permanence init`` names the key after ``audit_origin``, and every checkpoint
    of the log carries that origin: signing under another one would make the
    log fail verification for good.
    """
    signer = load_signer(settings)
    if signer.name != settings.audit_origin:
        raise DataDirError(
            f"the setting audit_origin is {settings.audit_origin!r} but this vault's audit"
            f" log is signed as {signer.name!r} (the name of"
            f" {settings.layout.audit_key_file.name}); set audit_origin back to"
            f" {signer.name!r}: a log's origin cannot change after 'permanence init'"
        )
    return CheckpointIssuer(signer, signer.name)


@dataclass(frozen=True, slots=True)
class Checkpointing:
    issuer: CheckpointIssuer
    policy: CheckpointPolicy
    witnesses: WitnessPolicy | None = None  # the setting witness_policy's file, if any

    @classmethod
    def for_settings(cls, settings: Settings) -> Checkpointing:
        from vault.auditing.witnessing import load_policy

        return cls(
            checkpoint_issuer(settings),
            CheckpointPolicy(
                every_entries=settings.checkpoint_every_entries,
                every_seconds=settings.checkpoint_every_seconds,
            ),
            load_policy(settings),
        )

    def tick(self, env: Env) -> StoredCheckpoint | None:
        """Sign a checkpoint if one is due (one durable write when it is)."""
        now = env.now()
        return env.db.write(lambda conn: self.issuer.issue_if_due(conn, self.policy, now=now))

    def issue_now(self, env: Env) -> StoredCheckpoint:
        now = env.now()
        return env.db.write(lambda conn: self.issuer.issue(conn, now=now))
