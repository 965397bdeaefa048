"""Moving an embedded vault into the distributed backend (``permanence migrate-to``).

The source is the data directory's SQLCipher database and its ``blobs/`` folder; the
target an empty PostgreSQL database and an object store bucket (docs/operations.md,
"Moving an embedded vault"). The data directory keeps its keys: the audit signing key
and the server secret stay where they are, and the moved vault is opened with the same
data directory and the new ``database_url`` and ``[blob_store]`` settings.

1. The source is opened alone: SQLite's exclusive locking mode, taken without waiting,
   fails while any other process has the database open (``permanence serve``, another
   command), and keeps every other process out until the copy is over.
2. The target's schema is created (its migrations), and a target holding any row is
   refused: nothing is ever merged into an existing vault.
3. Every file is copied first (``blob_copy``): an object without its row is an orphan
   the collector removes, a row without its object would be a lost extract.
4. Every table is copied in ONE PostgreSQL transaction holding the vault's write lock
   (``table_copy``); before it commits, each table's rows are compared with the source's,
   the audit log's tree head and every checkpoint (with its cosignatures) are compared,
   and the copied log is verified with the vault's own key, as ``permanence audit
   verify`` does. Any failure rolls the whole transaction back: the target database
   stays empty.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

from audit.checkpoint import StoredCheckpoint
from audit.issuer import stored_checkpoints
from audit.keys import NoteVerifier
from audit.log import AuditLog
from audit.verify import VerifyReport, verify_database
from crypto.secret import Secret
from vault.auditing.checkpoints import checkpoint_issuer
from vault.errors import ConfigError, StoreError, VaultError
from vault.settings import BlobStoreSettings, Settings
from vault.storage import table_copy
from vault.storage.blob_copy import copy_files
from vault.storage.blobs import open_blob_store
from vault.storage.datadir import check, database_key
from vault.storage.migrate import migrate
from vault.storage.store import Connection, connect, translated_errors

T = TypeVar("T")


class MoveRefused(VaultError):
    """``migrate-to`` will not start or could not finish; nothing was kept in the target.

    ``str()`` is the English sentence, ``french`` the same in French (the command prints both).
    """

    def __init__(self, english: str, french: str) -> None:
        super().__init__(english)
        self.french = french


class VaultInUse(MoveRefused):
    def __init__(self, root: object) -> None:
        super().__init__(
            f"the vault in {root} is open in another process (is 'permanence serve'"
            " running?); stop the server and every other command on it, then move it",
            f"le coffre de {root} est ouvert par un autre processus («\u00a0permanence"
            " serve\u00a0» tourne-t-il\u00a0?)\u00a0; arrêtez le serveur et toute autre"
            " commande qui l'utilise, puis déplacez-le",
        )


class TargetNotEmpty(MoveRefused):
    def __init__(self, table: str) -> None:
        super().__init__(
            f"the target database is not empty (its table {table} holds rows);"
            " migrate-to copies a vault into an empty database only",
            f"la base de données cible n'est pas vide (sa table {table} contient des"
            " lignes)\u00a0; migrate-to ne copie un coffre que dans une base vide",
        )


class AlreadyDistributed(MoveRefused):
    def __init__(self) -> None:
        super().__init__(
            "the settings already name a distributed backend (database_url or"
            " blob_store.url): migrate-to copies the data directory's embedded vault,"
            " so run it with the embedded settings",
            "les réglages désignent déjà un stockage distribué (database_url ou"
            " blob_store.url)\u00a0: migrate-to copie le coffre embarqué du dossier de"
            " données, lancez-le donc avec les réglages embarqués",
        )


class CopyDiffers(MoveRefused):
    def __init__(self, what: str) -> None:
        super().__init__(
            f"the copy differs from the source ({what}); nothing was kept in the target database",
            f"la copie diffère de la source ({what})\u00a0; rien n'a été gardé dans la base"
            " de données cible",
        )


class MoveFailed(MoveRefused):
    """Any other failure of the copy (the database, the object store, a missing file)."""

    def __init__(self, reason: str, *, reached: bool = True) -> None:
        reason = reason.rstrip(" .;:")  # the sentence goes on after it
        if reached:
            english, french = (
                "the target database was left empty",
                "la base de données cible a été laissée vide",
            )
        else:  # the target database was never opened
            english, french = (
                "nothing was written in the target database",
                "rien n'a été écrit dans la base de données cible",
            )
        super().__init__(
            f"the vault was not moved: {reason}; {english}",
            f"le coffre n'a pas été déplacé («\u00a0{reason}\u00a0»)\u00a0; {french}",
        )


class BadTarget(MoveRefused):
    """DATABASE_URL or BLOB_URL cannot be used as given."""


@dataclass(frozen=True, slots=True)
class MoveProgress:
    """What the command shows while the vault moves (each callback optional)."""

    files: Callable[[int, int, int], None] | None = None  # (done, in all, bytes so far)
    table: Callable[[str, int, int], None] | None = None  # (table, rows copied, in all)
    step: Callable[[str], None] | None = None


@dataclass(frozen=True, slots=True)
class Moved:
    """What was copied and checked."""

    tables: tuple[tuple[str, int], ...]  # (table, rows), in the order copied
    files: int
    file_bytes: int
    uploads: int
    tree_size: int
    tree_root: bytes
    checkpoints: tuple[StoredCheckpoint, ...]
    verified: VerifyReport

    @property
    def rows(self) -> int:
        return sum(n for _, n in self.tables)


def destination(settings: Settings, database_url: str, blob_url: str) -> Settings:
    """The moved vault's settings: ``settings`` with ``database_url`` and ``[blob_store]``.

    ``blob_url`` is the object store's address followed by the bucket
    (``https://s3.example.net/permanence``); the access key pair comes from the settings
    (``[blob_store]`` or ``PERMANENCE_BLOB_STORE_*``), never from the command line, and
    so must ``database_url``'s password (libpq's ``PGPASSWORD`` or ``~/.pgpass``).
    """
    if settings.distributed_database or settings.blob_store.url:
        raise AlreadyDistributed()
    url = _database_url(database_url)
    endpoint, bucket = _blob_url(blob_url)
    keys = settings.blob_store
    if not keys.access_key_id or not keys.secret_access_key.value:
        raise BadTarget(
            "the object store's access key pair is not set: set"
            " PERMANENCE_BLOB_STORE_ACCESS_KEY_ID and PERMANENCE_BLOB_STORE_SECRET_ACCESS_KEY"
            " (or access_key_id and secret_access_key in [blob_store]), never on the command"
            " line",
            "la paire de clés d'accès du stockage objet n'est pas réglée\u00a0: réglez"
            " PERMANENCE_BLOB_STORE_ACCESS_KEY_ID et PERMANENCE_BLOB_STORE_SECRET_ACCESS_KEY"
            " (ou access_key_id et secret_access_key dans [blob_store]), jamais sur la ligne"
            " de commande",
        )
    try:
        store = BlobStoreSettings(
            url=endpoint,
            bucket=bucket,
            access_key_id=keys.access_key_id,
            secret_access_key=keys.secret_access_key,
            region=keys.region,
        )
        return dataclasses.replace(settings, database_url=url, blob_store=store)
    except ConfigError as e:
        raise BadTarget(str(e), _french_setting(str(e))) from None


# The settings' refusals (English) that a DATABASE_URL or BLOB_URL given here can meet.
_FRENCH_SETTINGS = (
    (
        "setting database_url reaches another machine",
        "DATABASE_URL désigne une autre machine sans connexion TLS vérifiée\u00a0: ajoutez"
        " ?sslmode=verify-full (et sslrootcert= si l'autorité de certification du serveur"
        " n'est pas celle du système)",
    ),
    (
        "setting database_url must be a PostgreSQL address",
        "DATABASE_URL doit être une adresse PostgreSQL, par exemple"
        " postgresql://permanence@db.example.net/permanence?sslmode=verify-full",
    ),
    (
        "setting blob_store.url must be an https:// address (http:// only",
        "BLOB_URL doit être une adresse https:// (http:// seulement vers cette machine\u00a0:"
        " les clés d'accès passeraient en clair)",
    ),
    (
        "setting blob_store.url must be an https:// address",
        "BLOB_URL doit être une adresse https://",
    ),
    (
        "setting blob_store.bucket",
        "le compartiment de BLOB_URL doit avoir de 3 à 63 caractères\u00a0: lettres"
        " minuscules, chiffres, points ou tirets",
    ),
)


def _french_setting(english: str) -> str:
    for start, french in _FRENCH_SETTINGS:
        if english.startswith(start):
            return french
    return "DATABASE_URL ou BLOB_URL est refusé par les réglages (la raison est ci-dessus)"


def _database_url(text: str) -> Secret:
    try:
        parts = urlsplit(text)
        password = parts.password or (parse_qs(parts.query).get("password") or [""])[0]
    except ValueError:
        password = ""
    if password:
        raise BadTarget(
            "DATABASE_URL holds a password, which other users of this machine can read in"
            " the list of processes: leave it out and give it with PGPASSWORD or a"
            " ~/.pgpass file",
            "DATABASE_URL contient un mot de passe, que les autres utilisateurs de cette"
            " machine peuvent lire dans la liste des processus\u00a0: retirez-le et"
            " donnez-le par PGPASSWORD ou un fichier ~/.pgpass",
        )
    return Secret(text.encode("utf-8"))


def _blob_url(text: str) -> tuple[str, str]:
    try:
        parts = urlsplit(text)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        user = parts.username
    except ValueError:
        ok, user = False, None
    if not ok or user is not None or parts.query or parts.fragment:
        raise BadTarget(
            "BLOB_URL must be the object store's address followed by its bucket, such as"
            " https://s3.example.net/permanence, without credentials",
            "BLOB_URL doit être l'adresse du stockage objet suivie de son compartiment, par"
            " exemple https://s3.example.net/permanence, sans identifiants",
        )
    bucket = parts.path.strip("/")
    return f"{parts.scheme}://{parts.netloc}", bucket


# -- the source, alone --------------------------------------------------------------------


@contextmanager
def _source_alone(settings: Settings) -> Iterator[Connection]:
    check(settings)
    conn = connect(settings.layout.database, database_key(settings))
    try:
        try:
            with translated_errors():
                conn.execute("PRAGMA busy_timeout = 0")
                conn.execute("PRAGMA locking_mode = EXCLUSIVE")
                conn.execute("BEGIN EXCLUSIVE")
                conn.execute("COMMIT")  # the lock stays held until the connection closes
        except StoreError as e:
            if "locked" in str(e) or "busy" in str(e):
                raise VaultInUse(settings.layout.root) from None
            raise
        migrate(conn)  # an older vault is brought to this program's schema, as serve would
        yield conn
    finally:
        conn.close()


# -- the target -----------------------------------------------------------------------


def _open_target(url: Secret) -> Connection:
    from vault.storage.postgres.connection import connect as connect_postgres

    conn = connect_postgres(url)
    try:
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _refuse_unless_empty(target: Connection) -> dict[str, dict[str, table_copy.TargetColumn]]:
    tables = table_copy.target_tables(target)
    full = table_copy.first_table_with_rows(target, sorted(tables))
    if full is not None:
        raise TargetNotEmpty(full)
    return tables


def _tree(conn: Connection, verifier: NoteVerifier) -> tuple[int, bytes, list[StoredCheckpoint]]:
    log = AuditLog()
    return log.size(conn), log.root(conn), stored_checkpoints(conn, verifier)


def _copy_rows(
    source: Connection,
    target: Connection,
    verifier: NoteVerifier,
    progress: MoveProgress,
) -> tuple[list[tuple[str, int]], VerifyReport]:
    """Inside the target's transaction: copy, compare, verify."""
    if progress.step is not None:
        progress.step("copying every table in one transaction")
    columns = _refuse_unless_empty(target)  # again, under the write lock
    tables = table_copy.matched(table_copy.source_tables(source), columns)
    table_copy.suspend_triggers(target, tables, enabled=False)
    copied: list[tuple[str, int]] = []
    for table in tables:
        total = table_copy.count_rows(source, table.name)

        def shown(done: int, name: str = table.name, total: int = total) -> None:
            if progress.table is not None:
                progress.table(name, done, total)

        shown(0)
        rows = table_copy.copy_table(source, target, table, columns[table.name], shown)
        copied.append((table.name, rows))
    table_copy.suspend_triggers(target, tables, enabled=True)
    table_copy.reset_sequences(target, tables)
    table_copy.migration_dates(source, target)
    if progress.step is not None:
        progress.step("comparing every table with the source")
    for table in tables:
        theirs = table_copy.digest(source, table, table_copy.SOURCE_ROW_ID)
        ours = table_copy.digest(target, table, table_copy.TARGET_ROW_ID)
        if theirs[0] != ours[0]:
            raise CopyDiffers(f"table {table.name}: {ours[0]} rows copied of {theirs[0]}")
        if theirs != ours:
            raise CopyDiffers(f"table {table.name}: the values of its rows")
    if _tree(source, verifier) != _tree(target, verifier):
        raise CopyDiffers("the audit log's tree head or its checkpoints")
    if progress.step is not None:
        progress.step("verifying the copied audit log")
    report = verify_database(target, verifier, origin=verifier.name)
    return copied, report


def move(settings: Settings, moved: Settings, progress: MoveProgress | None = None) -> Moved:
    """Copy the embedded vault of ``settings`` into the distributed backend of ``moved``
    (``destination``); refuse a running source or a non-empty target (``MoveRefused``).
    Any other failure is one ``MoveFailed`` sentence; the target database is left empty."""
    if settings.distributed_database or settings.blob_store.url:
        raise AlreadyDistributed()
    reached: list[bool] = []  # set once the target database is open
    return _guarded(lambda: _move(settings, moved, progress or MoveProgress(), reached), reached)


def _move(
    settings: Settings, moved: Settings, progress: MoveProgress, reached: list[bool]
) -> Moved:
    verifier = checkpoint_issuer(settings).signer.verifier
    with _source_alone(settings) as source:
        target = _open_target(moved.database_url)
        reached.append(True)
        try:
            _refuse_unless_empty(target)
            if progress.step is not None:
                progress.step("copying the files into the object store")
            files = copy_files(
                source, open_blob_store(settings), open_blob_store(moved), progress.files
            )
            target.execute("BEGIN IMMEDIATE")
            try:
                copied, report = _copy_rows(source, target, verifier, progress)
                size, root, checkpoints = _tree(target, verifier)
                target.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(VaultError):  # a lost connection rolls back by itself
                    target.execute("ROLLBACK")
                raise
        finally:
            target.close()
    return Moved(
        tables=tuple(copied),
        files=files[0],
        file_bytes=files[1],
        uploads=files[2],
        tree_size=size,
        tree_root=root,
        checkpoints=tuple(checkpoints),
        verified=report,
    )


def _guarded(fn: Callable[[], T], reached: list[bool]) -> T:
    """Run ``fn``; any failure but a refusal is one ``MoveFailed`` sentence, which says
    whether the target database was opened (``reached`` not empty) and left empty."""
    try:
        return fn()
    except MoveRefused:
        raise
    except VaultError as e:
        raise MoveFailed(str(e), reached=bool(reached)) from None
    except Exception as e:  # the object store's client raises its own errors
        reason = type(e).__name__ + (f": {e}" if str(e) else "")
        raise MoveFailed(reason, reached=bool(reached)) from None


__all__ = [
    "AlreadyDistributed",
    "BadTarget",
    "CopyDiffers",
    "MoveFailed",
    "MoveProgress",
    "MoveRefused",
    "Moved",
    "TargetNotEmpty",
    "VaultInUse",
    "destination",
    "move",
]
