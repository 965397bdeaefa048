"""The domain: accounts, clients, items, assignments, use cases and storage."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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

# Each public name is imported on first use, so that importing one submodule (say for
# the command line's help) does not load the whole package and the libraries below it.
_EXPORTS = {
    "ConfigError": "vault.errors",
    "CorruptDatabase": "vault.errors",
    "DataDirError": "vault.errors",
    "StoreError": "vault.errors",
    "VaultError": "vault.errors",
    "WriteFailed": "vault.errors",
    "WrongKey": "vault.errors",
    "DataLayout": "vault.settings",
    "Settings": "vault.settings",
    "SmtpSettings": "vault.settings",
    "Database": "vault.storage.database",
}


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


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
