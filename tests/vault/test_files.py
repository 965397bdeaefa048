"""Private files (vault/files.py): owner-only modes, no overwrite, atomic replacement."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from vault.files import append_private, create_private, replace_private


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_created_files_are_the_owners_only_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "server.key"
    create_private(path, "secret\n")
    assert (_mode(path), _mode(path.parent)) == (0o600, 0o700)
    with pytest.raises(FileExistsError):
        create_private(path, "other\n")
    assert path.read_text() == "secret\n"


def test_appending_makes_a_readable_file_private_again(tmp_path: Path) -> None:
    path = tmp_path / "known_keys"
    path.write_text("a\n")
    path.chmod(0o644)
    append_private(path, "b\n")
    assert (path.read_text(), _mode(path)) == ("a\nb\n", 0o600)


def test_a_failed_replacement_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "proof.json"
    with replace_private(path) as out:
        out.write("first")
    assert (path.read_text(), _mode(path)) == ("first", 0o600)

    def fail_half_way() -> None:
        with replace_private(path) as out:
            out.write("half")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fail_half_way()
    assert path.read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["proof.json"]
