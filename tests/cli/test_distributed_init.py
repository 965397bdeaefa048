"""``permanence init`` and the SQLCipher-only commands with a ``database_url``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.backends.postgres import shared_cluster
from tests.cli.running import assert_one_clear_sentence, run
from vault.storage.migrate import all_migrations
from vault.storage.postgres.connection import connect


def test_init_makes_the_keys_here_and_the_schema_in_postgresql(tmp_path: Path) -> None:
    """The data directory gets the keys (no database file, no database key); PostgreSQL
    gets the schema and the log (its first entry, then the first admin's invitation). A
    second init, from another data directory on the same database, is refused in one
    sentence."""
    url = shared_cluster().new_database(template=None)
    env = {"PERMANENCE_DATABASE_URL": url.value.decode()}
    data = tmp_path / "app1"
    first = run("--data-dir", str(data), "init", env=env)
    assert first.returncode == 0, first.stderr
    assert "PostgreSQL" in first.stdout
    assert url.value.decode() not in first.stdout + first.stderr
    assert sorted(p.name for p in (data / "keys").iterdir()) == [
        "audit-signing.key",
        "server-secret.key",
    ]
    assert not (data / "permanence.db").exists()
    conn = connect(url)
    try:
        first_action = "SELECT action FROM audit_index ORDER BY idx LIMIT 1"
        assert conn.execute(first_action).fetchone() == ("vault.initialised",)
        latest = max(m.number for m in all_migrations())
        assert conn.execute("SELECT max(number) FROM schema_migrations").fetchone() == (latest,)
    finally:
        conn.close()
    for argv, says in (
        (["audit", "checkpoint"], ""),
        (["audit", "verify"], "The audit log verifies"),
        (["users", "list"], "admin"),
    ):
        done = run("--data-dir", str(data), *argv, env=env)
        assert done.returncode == 0, done.stderr
        assert says in done.stdout
    second = run("--data-dir", str(tmp_path / "app2"), "init", env=env)
    assert_one_clear_sentence(second)
    assert "already holds a vault" in second.stderr
    assert not (tmp_path / "app2" / "keys").exists()


def test_init_refuses_a_database_holding_other_tables(tmp_path: Path) -> None:
    cluster = shared_cluster()
    url = cluster.new_database(template=None)
    conn = connect(url)
    conn.execute("CREATE TABLE invoices (n BIGINT)")
    conn.close()
    result = run(
        "--data-dir",
        str(tmp_path / "v"),
        "init",
        env={"PERMANENCE_DATABASE_URL": url.value.decode()},
    )
    assert_one_clear_sentence(result)
    assert "not a Permanence vault's" in result.stderr
    assert not (tmp_path / "v").exists()


def test_an_unreachable_database_is_one_sentence_without_the_password(tmp_path: Path) -> None:
    missing = tmp_path / "no-socket-here"
    url = f"postgresql://permanence:hunter2secret@/vault?host={missing}"
    result = run("--data-dir", str(tmp_path / "v"), "init", env={"PERMANENCE_DATABASE_URL": url})
    assert_one_clear_sentence(result)
    assert "cannot be reached" in result.stderr
    assert "hunter2secret" not in result.stderr + result.stdout


def test_backup_and_restore_point_to_postgresql_s_own_tools(tmp_path: Path) -> None:
    url = shared_cluster().new_database(template=None)
    env = {"PERMANENCE_DATABASE_URL": url.value.decode()}
    data = tmp_path / "v"
    assert run("--data-dir", str(data), "init", env=env).returncode == 0
    for argv in (["backup", "--out", str(tmp_path / "b")], ["restore", "--from", str(tmp_path)]):
        result = run("--data-dir", str(data), *argv, env=env)
        assert_one_clear_sentence(result)
        assert "docs/operations.md" in result.stderr
    assert not (tmp_path / "b").exists()


def _serve(data: Path, env: dict[str, str], *workers: str) -> subprocess.CompletedProcess[str]:
    try:
        return run("--data-dir", str(data), "serve", "--port", "0", *workers, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail("serve started with another vault's keys")


def test_serve_refuses_the_keys_of_another_vault(tmp_path: Path) -> None:
    """A data directory whose keys/ were made by another init, on this vault's database:
    serve (and serve --workers, before any worker) stops in one sentence, before the first
    checkpoint (the log's first entry names the key) and after it (it used to listen and
    log 'audit checkpoint failed: BadCheckpoint' every 15 s)."""
    cluster = shared_cluster()
    ours = {"PERMANENCE_DATABASE_URL": cluster.new_database(template=None).value.decode()}
    other = {"PERMANENCE_DATABASE_URL": cluster.new_database(template=None).value.decode()}
    assert run("--data-dir", str(tmp_path / "ours"), "init", env=ours).returncode == 0
    assert run("--data-dir", str(tmp_path / "other"), "init", env=other).returncode == 0
    keys = tmp_path / "other" / "keys"
    fresh = _serve(tmp_path / "other", ours)
    assert_one_clear_sentence(fresh)
    assert f"the keys in {keys} are not this vault's: the log's first entry" in fresh.stderr
    assert "listening" not in fresh.stdout
    done = run("--data-dir", str(tmp_path / "ours"), "audit", "checkpoint", env=ours)
    assert done.returncode == 0, done.stderr
    for workers in ((), ("--workers", "2")):
        signed = _serve(tmp_path / "other", ours, *workers)
        assert_one_clear_sentence(signed)
        assert signed.stderr.strip() == (
            f"permanence: the keys in {keys} are not this vault's: the latest checkpoint is not"
            " signed by its audit signing key; copy keys/ from the server that ran init"
        )
        assert "listening" not in signed.stdout
