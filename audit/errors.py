"""Errors of the audit package."""

from __future__ import annotations


class AuditError(Exception):
    """Base of every error raised by ``audit``; never raised directly."""
