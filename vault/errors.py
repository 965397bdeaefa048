"""Errors of the vault package.

Each leaf names a situation a person can act on; ``web`` and ``cli`` turn them
into a 4xx page or a one-sentence message, in French and English.
"""

from __future__ import annotations


class VaultError(Exception):
    """Base of every error raised by ``vault``; never raised directly."""


class StoreError(VaultError):
    """The database could not be used."""


class WrongKey(StoreError):
    """The database key does not open this database (or the file is not a database)."""


class CorruptDatabase(StoreError):
    """The database file is damaged."""


class WriteFailed(StoreError):
    """A write transaction failed and was rolled back; nothing of it was kept."""


class DataDirError(VaultError):
    """The data directory is missing, unsafe or already initialised."""


class ConfigError(VaultError):
    """A setting is missing or invalid."""
