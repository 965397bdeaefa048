"""The tamper-evident audit log: entries, Merkle tree, checkpoints, proofs, verification.

Typical use inside a vault transaction function::

    AuditLog().append(conn, AuditEntry.new(Action.ITEM_READ, actor=..., targets=...))

and, after appends, ``CheckpointIssuer(signer, origin).issue_if_due(conn, policy)``.
"""

from __future__ import annotations

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
from audit.keys import NoteSigner, NoteVerifier, generate_signer_key, parse_signer, parse_verifier
from audit.log import AuditLog, ConsistencyProof, InclusionProof
from audit.proof import ProofFile, verify_proof_file
from audit.schema import SCHEMA_SQL
from audit.verify import VerifyReport, verify_database

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
