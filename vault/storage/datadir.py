"""Creating and checking a data directory (layout in docs/operations.md)."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass

from audit.entry import Action, Actor, AuditEntry
from audit.keys import generate_signer_key, parse_signer
from audit.log import AuditLog
from crypto.secret import Secret
from vault.clock import Clock, utc_now
from vault.env import RequestInfo
from vault.errors import DataDirError
from vault.files import create_private
from vault.settings import DataLayout, Settings
from vault.storage.migrate import migrate
from vault.storage.store import (
    Connection,
    connect,
    new_key,
    parse_key,
    read_key_file,
    write_key_file,
)


@dataclass(frozen=True, slots=True)
class InitResult:
    layout: DataLayout
    key_in_file: bool
    distributed: bool = False  # the database is PostgreSQL's (``database_url``)


def check_private(path: os.PathLike[str] | str) -> None:
    """Refuse a directory that other users can enter or read."""
    mode = os.stat(path).st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise DataDirError(
            f"{path} is accessible to other users (mode {stat.S_IMODE(mode):o});"
            f" run: chmod 700 {path}"
        )


def initialise(
    settings: Settings, request: RequestInfo | None = None, *, now: Clock = utc_now
) -> InitResult:
    """Create the data directory, its keys and a migrated database whose log starts.

    The log's entry 0 is ``vault.initialised``, by ``request``'s actor (the
    command line), naming the log's origin and public verifier key. Refuses to
    touch a directory that already holds a vault, so an existing vault can
    never be overwritten by a second ``init``.
    """
    layout = settings.layout
    if (
        layout.database.exists()
        or layout.db_key_file.exists()
        or (settings.distributed_database and layout.server_secret_file.exists())
    ):
        raise DataDirError(f"{layout.root} already holds a vault; refusing to overwrite it")
    with undone_on_failure(layout):
        _create(settings, layout, request or RequestInfo(), now)
    return InitResult(
        layout=layout,
        key_in_file=settings.db_key is None and not settings.distributed_database,
        distributed=settings.distributed_database,
    )


def _create(settings: Settings, layout: DataLayout, request: RequestInfo, now: Clock) -> None:
    layout.root.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(layout.root, 0o700)
    layout.keys_dir.mkdir(mode=0o700, exist_ok=True)
    layout.blobs_dir.mkdir(mode=0o700, exist_ok=True)
    key = settings.db_key
    if key is None and not settings.distributed_database:  # PostgreSQL has no database key
        key = new_key()
        write_key_file(layout.db_key_file, key)
    write_key_file(layout.server_secret_file, new_key())
    signer_key = generate_signer_key(settings.audit_origin)
    create_private(layout.audit_key_file, signer_key + "\n")
    request = request or RequestInfo()
    initialised = AuditEntry.new(
        Action.VAULT_INITIALISED,
        now=now(),
        actor=request.actor or Actor(),
        request=request.request_id,
        ip=request.ip,
        detail={
            "origin": settings.audit_origin,
            "verifier_key": str(parse_signer(signer_key).verifier),
        },
    )
    conn = _open_new(settings, key)
    try:
        migrate(conn)
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT count(*) FROM audit_entries").fetchone()[0]:
                raise DataDirError(
                    "the PostgreSQL database already holds a vault; refusing to overwrite it"
                )
            AuditLog().append(conn, initialised)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    finally:
        conn.close()


def _open_new(settings: Settings, key: Secret | None) -> Connection:
    """A connection to the vault's new database: the SQLCipher file, created, or PostgreSQL."""
    if settings.distributed_database:
        from vault.storage.postgres.connection import connect as connect_postgres

        return connect_postgres(settings.database_url)
    assert key is not None  # noqa: S101 - made above for the embedded backend
    return connect(settings.layout.database, key, create=True)


@contextlib.contextmanager
def undone_on_failure(layout: DataLayout) -> Iterator[None]:
    """Remove every path that ``init`` creates and that was not there before, on any failure.

    A half-made vault (keys without a database) would make a second ``init`` refuse.
    """
    paths = [
        layout.database,
        layout.database.with_name(layout.database.name + "-wal"),
        layout.database.with_name(layout.database.name + "-shm"),
        layout.db_key_file,
        layout.server_secret_file,
        layout.audit_key_file,
        layout.blobs_dir,
        layout.keys_dir,
        layout.root,
    ]
    existed = {p for p in paths if os.path.lexists(p)}
    try:
        yield
    except BaseException:
        for path in paths:
            if path in existed or not os.path.lexists(path):
                continue
            if path.is_dir() and not path.is_symlink():
                if path in (layout.keys_dir, layout.root):
                    with contextlib.suppress(OSError):
                        path.rmdir()  # only if empty: never what someone else put there
                else:
                    shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        raise


def database_key(settings: Settings) -> Secret:
    """The raw database key: from the settings (environment) or the key file."""
    if settings.db_key is not None:
        return settings.db_key
    return read_key_file(settings.layout.db_key_file)


def check(settings: Settings) -> None:
    """Refuse to start on a data directory that is missing or unsafe."""
    layout = settings.layout
    if not layout.root.is_dir():
        raise DataDirError(f"no data directory at {layout.root}; run 'permanence init' first")
    check_private(layout.root)
    if settings.distributed_database:
        return  # the database is PostgreSQL's; the keys are checked as they are read
    if not layout.database.exists():
        raise DataDirError(f"no database in {layout.root}; run 'permanence init' first")


__all__ = [
    "InitResult",
    "check",
    "check_private",
    "database_key",
    "initialise",
    "parse_key",
    "undone_on_failure",
]
