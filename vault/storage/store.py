"""The encrypted database: the one module that imports ``sqlcipher3``.

It opens SQLCipher with a raw 256-bit key (never the PBKDF2 passphrase path),
sets the durability pragmas, and translates the driver's errors into
``vault.errors`` so nothing above it knows which driver is in use.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import sqlcipher3

from crypto.secret import Secret
from vault.errors import CorruptDatabase, DataDirError, StoreError, WriteFailed, WrongKey
from vault.files import create_private

KEY_BYTES = 32

DriverError = sqlcipher3.Error


class Connection(Protocol):
    """What the rest of the code may use of a database connection (DB-API subset)."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...
    def executemany(self, sql: str, parameters: Any, /) -> Any: ...
    def close(self) -> None: ...


def new_key() -> Secret:
    return Secret(os.urandom(KEY_BYTES))


def write_key_file(path: Path, key: Secret) -> None:
    """Create ``path`` holding ``key`` in hex, readable by its owner only; never overwrite."""
    create_private(path, key.value.hex() + "\n")


def read_key_file(path: Path) -> Secret:
    """Read a key file, refusing one that others could read."""
    return parse_key(read_private_text(path).strip(), str(path))


def read_private_text(path: Path) -> str:
    """Read a key file's text, refusing a missing one or one that others could read."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise DataDirError(f"key file not found: {path}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise DataDirError(
            f"key file {path} is readable by other users (mode {stat.S_IMODE(mode):o});"
            " run: chmod 600 " + str(path)
        )
    return path.read_text(encoding="ascii", errors="replace")


def parse_key(text: str, where: str) -> Secret:
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise DataDirError(f"{where} does not hold a hexadecimal key") from None
    if len(raw) != KEY_BYTES:
        raise DataDirError(f"{where} must hold a {KEY_BYTES}-byte key ({2 * KEY_BYTES} hex digits)")
    return Secret(raw)


def connect(path: Path, key: Secret, *, create: bool = False) -> Connection:
    """Open the database at ``path`` with ``key``, in autocommit mode (explicit BEGIN)."""
    if not create and not path.exists():
        raise DataDirError(f"no database at {path}; run 'permanence init' first")
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")  # no driver chatter on stderr
        # A blob literal selects SQLCipher's raw-key path: no PBKDF2, no passphrase.
        conn.execute(f"PRAGMA key = \"x'{key.value.hex()}'\"")
        conn.execute("PRAGMA cipher_memory_security = OFF")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError:
        conn.close()
        raise WrongKey(
            f"the database {path} does not open with this key, or it is not a Permanence database"
        ) from None
    try:
        conn.execute("PRAGMA journal_mode = WAL").fetchone()
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 10000")
    except sqlcipher3.DatabaseError as e:
        conn.close()
        raise CorruptDatabase(f"the database {path} is damaged: {e}") from None
    return conn  # type: ignore[no-any-return]


@contextmanager
def translated_errors() -> Iterator[None]:
    """Turn driver errors into ``vault.errors`` at the boundary."""
    try:
        yield
    except sqlcipher3.IntegrityError as e:
        raise WriteFailed(str(e)) from None
    except sqlcipher3.DatabaseError as e:
        if "malformed" in str(e) or "not a database" in str(e):
            raise CorruptDatabase(f"the database is damaged: {e}") from None
        raise StoreError(str(e)) from None


def integrity_check(conn: Connection) -> list[str]:
    """SQLite's own consistency check plus SQLCipher's page HMAC check; empty when fine.

    SQLCipher only: PostgreSQL's own checks (``amcheck``, checksums) are the operator's."""
    if getattr(conn, "backend", "sqlite") != "sqlite":
        raise StoreError(
            "the integrity check is SQLCipher's; on the distributed backend use PostgreSQL's"
            ' own tools (docs/operations.md, "The distributed backend")'
        )
    problems = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall() if r[0] != "ok"]
    problems += [r[0] for r in conn.execute("PRAGMA cipher_integrity_check").fetchall()]
    return problems
