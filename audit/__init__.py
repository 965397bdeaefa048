"""The tamper-evident audit log: entries, Merkle tree, checkpoints, proofs, verification.

Typical use inside a vault transaction function::

    AuditLog().append(conn, AuditEntry.new(Action.ITEM_READ, actor=..., targets=...))

and, after appends, ``CheckpointIssuer(signer, origin).issue_if_due(conn, policy)``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from audit.bundle import Bundle, verify_bundle, write_bundle
    from audit.checkpoint import Checkpoint, CheckpointPolicy, StoredCheckpoint
    from audit.entry import Action, Actor, AuditEntry, LoggedEntry, Outcome
    from audit.errors import (
        AppendRefused,
        AuditError,
        BadBundle,
        BadCheckpoint,
        BadKey,
        BadNote,
        EntryTooLarge,
        InvalidEntry,
        LogInconsistent,
        ProofFailed,
    )
    from audit.issuer import CheckpointIssuer, add_cosignature, latest_checkpoint
    from audit.keys import (
        NoteSigner,
        NoteVerifier,
        generate_signer_key,
        parse_signer,
        parse_verifier,
    )
    from audit.log import AuditLog, ConsistencyProof, InclusionProof
    from audit.proof import ProofFile, verify_proof_file
    from audit.schema import SCHEMA_SQL
    from audit.verify import VerifyReport, verify_database

# Each public name is imported on first use, so that importing one submodule (say for
# the command line's help) does not load the whole package and the libraries below it.
_EXPORTS = {
    "Bundle": "audit.bundle",
    "verify_bundle": "audit.bundle",
    "write_bundle": "audit.bundle",
    "Checkpoint": "audit.checkpoint",
    "CheckpointPolicy": "audit.checkpoint",
    "StoredCheckpoint": "audit.checkpoint",
    "Action": "audit.entry",
    "Actor": "audit.entry",
    "AuditEntry": "audit.entry",
    "LoggedEntry": "audit.entry",
    "Outcome": "audit.entry",
    "AppendRefused": "audit.errors",
    "AuditError": "audit.errors",
    "BadBundle": "audit.errors",
    "BadCheckpoint": "audit.errors",
    "BadKey": "audit.errors",
    "BadNote": "audit.errors",
    "EntryTooLarge": "audit.errors",
    "InvalidEntry": "audit.errors",
    "LogInconsistent": "audit.errors",
    "ProofFailed": "audit.errors",
    "CheckpointIssuer": "audit.issuer",
    "add_cosignature": "audit.issuer",
    "latest_checkpoint": "audit.issuer",
    "NoteSigner": "audit.keys",
    "NoteVerifier": "audit.keys",
    "generate_signer_key": "audit.keys",
    "parse_signer": "audit.keys",
    "parse_verifier": "audit.keys",
    "AuditLog": "audit.log",
    "ConsistencyProof": "audit.log",
    "InclusionProof": "audit.log",
    "ProofFile": "audit.proof",
    "verify_proof_file": "audit.proof",
    "SCHEMA_SQL": "audit.schema",
    "VerifyReport": "audit.verify",
    "verify_database": "audit.verify",
}


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "SCHEMA_SQL",
    "Action",
    "Actor",
    "AppendRefused",
    "AuditEntry",
    "AuditError",
    "AuditLog",
    "BadBundle",
    "BadCheckpoint",
    "BadKey",
    "BadNote",
    "Bundle",
    "Checkpoint",
    "CheckpointIssuer",
    "CheckpointPolicy",
    "ConsistencyProof",
    "EntryTooLarge",
    "InclusionProof",
    "InvalidEntry",
    "LogInconsistent",
    "LoggedEntry",
    "NoteSigner",
    "NoteVerifier",
    "Outcome",
    "ProofFailed",
    "ProofFile",
    "StoredCheckpoint",
    "VerifyReport",
    "add_cosignature",
    "generate_signer_key",
    "latest_checkpoint",
    "parse_signer",
    "parse_verifier",
    "verify_bundle",
    "verify_database",
    "verify_proof_file",
    "write_bundle",
]
