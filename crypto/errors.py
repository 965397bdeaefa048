"""Errors of the crypto package."""

from __future__ import annotations


class CryptoError(Exception):
    """Base of every error raised by ``crypto``; never raised directly."""
