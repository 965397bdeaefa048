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

from audit import note as notes
from audit.checkpoint import CheckpointPolicy, StoredCheckpoint
from audit.entry import Action, decode
from audit.errors import AuditError
from audit.issuer import CheckpointIssuer
from audit.keys import NoteSigner, parse_signer
from audit.witness_policy import WitnessPolicy
from vault.env import Env
from vault.errors import DataDirError
from vault.settings import Settings
from vault.storage.database import Database
from vault.storage.store import Connection, read_private_text

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


def check_keys_are_this_vaults(db: Database, settings: Settings, signer: NoteSigner) -> None:
    """Refuse a data directory whose ``keys/`` come from another vault (``DataDirError``).

    The distributed backend's database is not encrypted with a key of ``keys/``, so nothing
    else would notice: the latest checkpoint must carry a signature line of this audit
    signing key (its name and key hash), or, before the first checkpoint, the log's first
    entry (``vault.initialised``) must name its verifier key. Whether that signature is
    valid is ``permanence audit verify``'s to say (it opens the vault too)."""
    found = db.read(lambda conn: _signed_by(conn, signer))
    if found is None or found[1]:
        return
    keys = settings.layout.keys_dir
    raise DataDirError(
        f"the keys in {keys} are not this vault's: {found[0]}; copy keys/ from the server"
        " that ran init"
    )


def _signed_by(conn: Connection, signer: NoteSigner) -> tuple[str, bool] | None:
    """(what was checked, whether ``signer`` is its key), or None if nothing tells."""
    row = conn.execute("SELECT note FROM audit_checkpoints ORDER BY seq DESC LIMIT 1").fetchone()
    if row is not None:
        try:
            _, signatures = notes.split(str(row[0]))
        except AuditError:
            return None  # a malformed note: audit verify reports it
        ours = any(s.name == signer.name and s.hash == signer.hash for s in signatures)
        return "the latest checkpoint is not signed by its audit signing key", ours
    first = conn.execute("SELECT leaf FROM audit_entries WHERE idx = 0").fetchone()
    if first is None or first[0] is None:
        return None
    try:
        entry = decode(bytes(first[0])).entry
    except (AuditError, ValueError):
        return None
    if entry.action != Action.VAULT_INITIALISED or "verifier_key" not in entry.detail:
        return None
    ours = entry.detail["verifier_key"] == str(signer.verifier)
    return "the log's first entry (vault.initialised) names another audit signing key", ours


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
