"""The domain: accounts, clients, items, assignments, use cases and storage."""

from __future__ import annotations

from vault.errors import (
    ConfigError,
    CorruptDatabase,
    DataDirError,
    StoreError,
    VaultError,
    WriteFailed,
    WrongKey,
)
from vault.settings import DataLayout, Settings, SmtpSettings
from vault.storage.database import Database

__all__ = [
    "ConfigError",
    "CorruptDatabase",
    "DataDirError",
    "DataLayout",
    "Database",
    "Settings",
    "SmtpSettings",
    "StoreError",
    "VaultError",
    "WriteFailed",
    "WrongKey",
]
