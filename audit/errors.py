"""Errors of the audit package.

``AuditError`` is the base and is never raised directly; each leaf names the
situation an operator or an auditor has to act on.
"""

from __future__ import annotations


class AuditError(Exception):
    """Base of every error raised by ``audit``; never raised directly."""


class InvalidEntry(AuditError):
    """An audit entry is malformed: unknown action, bad field, or not canonical."""


class EntryTooLarge(InvalidEntry):
    """An audit entry's canonical encoding reaches the 64 KiB limit."""


class AppendRefused(AuditError):
    """The database refused to record an entry; the caller's action must fail with it."""


class LogInconsistent(AuditError):
    """The log does not verify; ``index`` is the first entry that is missing or wrong."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index


class BadKey(AuditError):
    """A note signer or verifier key string is malformed."""


class BadNote(AuditError):
    """A signed note is malformed, or carries no valid signature from a known key."""


class BadCheckpoint(AuditError):
    """A checkpoint is malformed, wrongly signed, or would contradict one already signed."""


class ProofFailed(AuditError):
    """An inclusion or consistency proof does not verify, or a proof file is malformed."""


class BadBundle(AuditError):
    """An exported audit bundle is malformed."""
