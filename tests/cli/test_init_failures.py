"""``permanence init`` refuses a bad audit origin in one sentence and leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.running import assert_one_clear_sentence, run


@pytest.mark.parametrize("origin", ["a+b/audit", "with space", ""])
def test_a_bad_audit_origin_is_one_sentence_and_a_second_init_works(
    tmp_path: Path, origin: str
) -> None:
    """It used to print audit.errors.BadKey's traceback and leave keys/ and blobs/ behind,
    so that a second init refused ("already holds a vault")."""
    data = tmp_path / "vault"
    result = run("--data-dir", str(data), "init", env={"PERMANENCE_AUDIT_ORIGIN": origin})
    assert_one_clear_sentence(result)
    assert "audit_origin" in result.stderr
    assert not data.exists() or not any(data.iterdir())
    again = run("--data-dir", str(data), "init")
    assert again.returncode == 0, again.stderr


def test_a_failure_mid_init_removes_what_init_created(tmp_path: Path) -> None:
    """A real failure after the first keys are written (the audit key's path is taken by a
    directory) removes the keys, blobs/ and database init made, and nothing else."""
    data = tmp_path / "vault"
    (data / "keys" / "audit-signing.key").mkdir(parents=True, mode=0o700)
    data.chmod(0o700)
    (data / "keys").chmod(0o700)
    result = run("--data-dir", str(data), "init")
    assert_one_clear_sentence(result)
    assert sorted(p.relative_to(data).as_posix() for p in data.rglob("*")) == [
        "keys",
        "keys/audit-signing.key",
    ]
    (data / "keys" / "audit-signing.key").rmdir()
    again = run("--data-dir", str(data), "init")
    assert again.returncode == 0, again.stderr
