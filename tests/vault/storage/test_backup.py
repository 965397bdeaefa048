"""Backups of a live vault, restored into a new data directory with the same keys."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from audit.keys import parse_signer
from audit.verify import verify_database
from tests.people import ARRANGE, enrol
from vault.env import Env
from vault.errors import DataDirError, WrongKey
from vault.identity.roles import Role
from vault.settings import Settings
from vault.storage import backup
from vault.storage.database import Database
from vault.storage.datadir import database_key
from vault.storage.store import connect, new_key, write_key_file

# SQLCipher's file backups (the distributed backend refuses them: test_backup_refused)
pytestmark = pytest.mark.embedded_only


def _restore_target(settings: Settings, tmp_path: Path, name: str) -> Settings:
    target = Settings(data_dir=tmp_path / name)
    target.layout.root.mkdir(mode=0o700)
    shutil.copytree(settings.layout.keys_dir, target.layout.keys_dir)
    return target


def test_a_backup_restores_into_a_working_vault(env: Env, tmp_path: Path) -> None:
    """Accounts, blobs and the audit log come back; the log still verifies, with the restore."""
    enrol(env, Role.SECRETARY, "sec")
    blob = env.settings.layout.blobs_dir / "ab" / "abcdef"
    blob.parent.mkdir(parents=True)
    blob.write_bytes(b"\x01ciphertext")
    (env.settings.layout.blobs_dir / "tmp").mkdir()
    (env.settings.layout.blobs_dir / "tmp" / "half-upload").write_bytes(b"partial")

    made = backup.create(env, ARRANGE, tmp_path / "backup")
    assert made.blobs == 1
    raw = (tmp_path / "backup" / "permanence.db").read_bytes()
    assert not raw.startswith(b"SQLite format 3") and b"account" not in raw

    target = _restore_target(env.settings, tmp_path, "restored")
    backup.restore(target, tmp_path / "backup")
    assert (target.layout.blobs_dir / "ab" / "abcdef").read_bytes() == b"\x01ciphertext"
    assert not (target.layout.blobs_dir / "tmp" / "half-upload").exists()
    db = Database(target.layout.database, database_key(target))
    try:
        names = db.read(lambda c: [r[0] for r in c.execute("SELECT username FROM account")])
        assert names == ["sec"]
        signer = parse_signer(target.layout.audit_key_file.read_text())
        conn = connect(target.layout.database, database_key(target))
        report = verify_database(conn, signer.verifier)
        conn.close()
        assert report.size > 0
    finally:
        db.close()


def test_restore_refuses_to_overwrite_or_to_use_another_key(env: Env, tmp_path: Path) -> None:
    """An existing database is never overwritten; a backup under another key is refused."""
    backup.create(env, ARRANGE, tmp_path / "backup")
    with pytest.raises(DataDirError, match="already holds a database"):
        backup.restore(env.settings, tmp_path / "backup")
    other = Settings(data_dir=tmp_path / "other")
    other.layout.root.mkdir(mode=0o700)
    write_key_file(other.layout.db_key_file, new_key())
    with pytest.raises(WrongKey):
        backup.restore(other, tmp_path / "backup")
    assert not other.layout.database.exists()
    with pytest.raises(DataDirError, match="not empty"):
        backup.create(env, ARRANGE, tmp_path / "backup")
    with pytest.raises(DataDirError, match="does not hold"):
        backup.restore(other, tmp_path)
