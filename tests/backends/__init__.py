"""The test backends: embedded (SQLCipher, the blob directory) unless
``PERMANENCE_TEST_BACKEND=distributed`` (PostgreSQL and SeaweedFS: a fresh database and a
fresh bucket for each vault). Read here only."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from vault.settings import Settings
from vault.storage.database import Database
from vault.storage.store import Connection

BACKEND = os.environ.get("PERMANENCE_TEST_BACKEND", "embedded")
if BACKEND not in ("embedded", "distributed"):
    raise RuntimeError(f"PERMANENCE_TEST_BACKEND must be embedded or distributed, not {BACKEND!r}")
DISTRIBUTED = BACKEND == "distributed"


def backend_settings(settings: Settings) -> Settings:
    """``settings`` on the test backend: a fresh PostgreSQL database and object-store bucket
    when distributed."""
    if not DISTRIBUTED:
        return settings
    from tests.backends.postgres import shared_cluster
    from tests.objectstore import new_bucket

    return replace(settings, database_url=shared_cluster().new_database(), blob_store=new_bucket())


def settings_for(data_dir: Path, **changes: object) -> Settings:
    """Settings for a data directory on the test backend."""
    return backend_settings(replace(Settings(data_dir=data_dir), **changes))  # type: ignore[arg-type]


def open_connection(settings: Settings) -> Connection:
    """A raw connection to the vault's database (autocommit), whichever the backend."""
    if settings.distributed_database:
        from vault.storage.postgres.connection import connect as connect_postgres

        return connect_postgres(settings.database_url)
    from vault.storage.datadir import database_key
    from vault.storage.store import connect

    return connect(settings.layout.database, database_key(settings))


def open_database(settings: Settings, **options: Any) -> Database:
    """``Database`` over the vault ``settings`` name, whichever the backend."""
    from vault.storage.datadir import database_key

    key = None if settings.distributed_database else database_key(settings)
    return Database.open(settings, key, **options)


def table_names(conn: Connection) -> list[str]:
    """The names of the vault's tables, whichever the backend."""
    if getattr(conn, "backend", "sqlite") == "postgres":
        query = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'table'"
    return [str(r[0]) for r in conn.execute(query).fetchall()]
