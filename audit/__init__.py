"""The tamper-evident audit log: entries, Merkle tree, checkpoints, proofs, verification."""

from __future__ import annotations

from audit.errors import AuditError

__all__ = ["AuditError"]
