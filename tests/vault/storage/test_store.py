"""The encrypted store: SQLCipher on disk, raw keys, errors translated."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crypto.secret import Secret
from vault.errors import DataDirError, WrongKey
from vault.settings import Settings
from vault.storage.store import connect, integrity_check, new_key, read_key_file, write_key_file

SQLITE_HEADER = b"SQLite format 3\x00"


@pytest.mark.embedded_only  # the SQLCipher file itself
def test_database_file_is_encrypted_on_disk(initialised: Settings) -> None:
    """The file neither starts with SQLite's header nor shows any table name in clear."""
    conn = connect(initialised.layout.database, read_key_file(initialised.layout.db_key_file))
    conn.execute("CREATE TABLE patient_call_notes (caller_name TEXT)")
    conn.execute("INSERT INTO patient_call_notes VALUES ('Dupont-canary')")
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master").fetchall()]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    raw = initialised.layout.database.read_bytes()
    assert not raw.startswith(SQLITE_HEADER)
    assert len(names) >= 3
    for name in [*names, "patient_call_notes", "Dupont-canary"]:
        assert name.encode() not in raw, name


@pytest.mark.embedded_only  # the SQLCipher file itself
def test_wrong_key_is_refused_clearly(initialised: Settings) -> None:
    """Another key does not open the database, and says so in one sentence."""
    with pytest.raises(WrongKey, match="does not open with this key"):
        connect(initialised.layout.database, new_key())


def test_garbage_file_is_refused_as_not_a_database(tmp_path: Path) -> None:
    """A file that is not a SQLCipher database is refused, not half-read."""
    path = tmp_path / "garbage.db"
    path.write_bytes(os.urandom(8192))
    with pytest.raises(WrongKey):
        connect(path, new_key())


def test_missing_database_is_not_created_silently(tmp_path: Path) -> None:
    """Opening a missing database (without create=True) points at 'permanence init'."""
    with pytest.raises(DataDirError, match="permanence init"):
        connect(tmp_path / "missing.db", new_key())


@pytest.mark.embedded_only  # the SQLCipher file itself
def test_pragmas_are_durable_and_secure(initialised: Settings) -> None:
    """WAL, synchronous=FULL (2) and secure_delete are on for every connection."""
    conn = connect(initialised.layout.database, read_key_file(initialised.layout.db_key_file))
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2
    assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
    assert integrity_check(conn) == []
    conn.close()


def test_key_file_is_private_and_refused_when_readable_by_others(tmp_path: Path) -> None:
    """Key files are created 0600; one that group or others can read is refused."""
    path = tmp_path / "k" / "database.key"
    key = new_key()
    write_key_file(path, key)
    assert (path.stat().st_mode & 0o777) == 0o600
    assert read_key_file(path) == key
    path.chmod(0o644)
    with pytest.raises(DataDirError, match="chmod 600"):
        read_key_file(path)


def test_key_file_is_never_overwritten(tmp_path: Path) -> None:
    """Writing a key where one exists fails instead of destroying the old key."""
    path = tmp_path / "database.key"
    write_key_file(path, new_key())
    with pytest.raises(FileExistsError):
        write_key_file(path, new_key())


@pytest.mark.parametrize("content", ["zz" * 32, "ab" * 31, ""])
def test_malformed_key_file_is_refused(tmp_path: Path, content: str) -> None:
    """A key file that is not 32 bytes of hex is refused with a clear message."""
    path = tmp_path / "database.key"
    path.write_text(content)
    path.chmod(0o600)
    with pytest.raises(DataDirError, match="key"):
        read_key_file(path)


def test_secret_repr_never_shows_the_key() -> None:
    """A key printed or logged by mistake shows only its length."""
    key = Secret(bytes.fromhex("ab" * 32))
    assert "ab" not in repr(key) and "ab" not in str(key)
    assert "32 bytes" in repr(key)
