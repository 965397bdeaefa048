"""Backups of a live vault, and restoring one into an empty data directory.

A backup is a folder holding a consistent encrypted copy of the database
(``VACUUM INTO`` inside one read snapshot: SQLCipher writes it with the same
key, so the copy is as unreadable as the original) and a copy of the blob
directory's finished files. Blobs are written and fsynced before their row
commits and only unreferenced ones are ever removed, so copying them after
the snapshot gives every blob the copied database refers to. Keys are never
copied: a backup without its key file is just ciphertext, which is the point.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from audit.entry import Action
from vault.env import Env, RequestInfo
from vault.errors import ConfigError, DataDirError
from vault.files import fsync_dir
from vault.settings import Settings
from vault.storage.datadir import check, check_private, database_key
from vault.storage.store import connect, integrity_check

BLOB_TMP = "tmp"  # uploads in progress: not part of a backup
EMBEDDED_ONLY = (
    "permanence {command} copies the embedded SQLCipher database; on the distributed backend"
    " back up with PostgreSQL's and the object store's own tools (docs/operations.md,"
    ' "The distributed backend")'
)


def refuse_distributed(settings: Settings, command: str) -> None:
    """Refuse, in one sentence, a command that only the embedded backend has."""
    if settings.distributed_database:
        raise ConfigError(EMBEDDED_ONLY.format(command=command))


@dataclass(frozen=True, slots=True)
class BackupResult:
    folder: Path
    database_bytes: int
    blobs: int


def _copy_blobs(source: Path, target: Path) -> int:
    count = 0
    for folder in sorted(p for p in source.iterdir() if p.is_dir() and p.name != BLOB_TMP):
        (target / folder.name).mkdir(mode=0o700, parents=True, exist_ok=True)
        for blob in sorted(folder.iterdir()):
            shutil.copyfile(blob, target / folder.name / blob.name)
            fsync_dir(target / folder.name / blob.name)
            count += 1
        fsync_dir(target / folder.name)
    return count


def create(env: Env, request: RequestInfo, out: Path) -> BackupResult:
    """Write a backup of the running vault into the new folder ``out``."""
    refuse_distributed(env.settings, "backup")
    if out.exists() and any(out.iterdir()):
        raise DataDirError(f"{out} is not empty; a backup goes into a new folder")
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    env.db.write(
        lambda conn: env.record(conn, Action.BACKUP_CREATED, request, detail={"to": out.name})
    )
    settings = env.settings
    conn = connect(settings.layout.database, database_key(settings))
    try:
        conn.execute("VACUUM INTO ?", (str(out / settings.layout.database.name),))
    finally:
        conn.close()
    fsync_dir(out / settings.layout.database.name)
    blobs = out / settings.layout.blobs_dir.name
    blobs.mkdir(mode=0o700)
    count = _copy_blobs(settings.layout.blobs_dir, blobs)
    fsync_dir(out)
    return BackupResult(out, (out / settings.layout.database.name).stat().st_size, count)


def restore(settings: Settings, source: Path) -> BackupResult:
    """Put a backup into a data directory that has its keys but no database yet."""
    refuse_distributed(settings, "restore")
    layout = settings.layout
    database = source / layout.database.name
    if not database.is_file():
        raise DataDirError(f"{source} does not hold a Permanence backup (no {database.name})")
    if layout.database.exists():
        raise DataDirError(f"{layout.root} already holds a database; restore into a new vault")
    if not layout.root.is_dir():
        raise DataDirError(
            f"no data directory at {layout.root}: create it (mode 0700) and put the backed-up"
            " keys/ folder in it first"
        )
    check_private(layout.root)
    key = database_key(settings)
    copy = layout.root / (layout.database.name + ".restoring")
    shutil.copyfile(database, copy)
    fsync_dir(copy)
    conn = connect(copy, key)  # refuses a backup made with another key
    try:
        problems = integrity_check(conn)
    finally:
        conn.close()
    if problems:
        copy.unlink()
        raise DataDirError(f"the backup's database is damaged: {problems[0]}")
    layout.blobs_dir.mkdir(mode=0o700, exist_ok=True)
    count = _copy_blobs(source / layout.blobs_dir.name, layout.blobs_dir)
    os.replace(copy, layout.database)  # the database appears last, whole
    fsync_dir(layout.root)
    check(settings)
    return BackupResult(source, layout.database.stat().st_size, count)


def record_restore(env: Env, request: RequestInfo, source: Path) -> None:
    env.db.write(
        lambda conn: env.record(conn, Action.BACKUP_RESTORED, request, detail={"from": source.name})
    )
