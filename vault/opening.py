"""Opening an initialised vault: the one way the server, every command and the tests do it.

``open_vault`` checks the data directory, builds the log's checkpoint issuer
(refusing an ``audit_origin`` that disagrees with the signing key), reads the
server secret and opens the database with its writer; each bad state is one
``VaultError`` sentence, raised before anything is opened that would need closing.
Whoever opens a vault closes it (``close``, or ``with open_vault(...) as vault``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any

from audit.log import AuditLog
from vault.auditing.checkpoints import Checkpointing, check_keys_are_this_vaults
from vault.clock import Clock, utc_now
from vault.env import Env
from vault.settings import Settings
from vault.storage.database import Database
from vault.storage.datadir import check, database_key
from vault.storage.store import read_key_file


@dataclass(frozen=True, slots=True)
class Vault:
    """An opened vault: what use cases need (``env``) and how its log is signed."""

    env: Env
    checkpointing: Checkpointing

    @property
    def settings(self) -> Settings:
        return self.env.settings

    @property
    def db(self) -> Database:
        return self.env.db

    def with_env(self, **changes: Any) -> Vault:
        """The same open vault with other ``Env`` fields (a test clock, other settings)."""
        return replace(self, env=replace(self.env, **changes))

    def close(self) -> None:
        """Close the database (waits for reads in progress; the writer drains first)."""
        self.env.db.close()

    def __enter__(self) -> Vault:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_vault(
    settings: Settings,
    *,
    now: Clock = utc_now,
    randbytes: Callable[[int], bytes] = os.urandom,
    database_type: type[Database] = Database,
) -> Vault:
    """Open the vault ``settings`` name, or say in one sentence why it cannot be opened."""
    check(settings)
    checkpointing = Checkpointing.for_settings(settings)  # a wrong audit_origin: refused here
    server_secret = read_key_file(settings.layout.server_secret_file)
    key = None if settings.distributed_database else database_key(settings)
    db = database_type.open(settings, key, max_group=settings.group_commit_max)
    try:
        check_keys_are_this_vaults(db, settings, checkpointing.issuer.signer)
    except BaseException:
        db.close()
        raise
    env = Env(
        db=db,
        settings=settings,
        server_secret=server_secret,
        log=AuditLog(),
        now=now,
        randbytes=randbytes,
    )
    return Vault(env, checkpointing)


__all__ = ["Vault", "open_vault"]
