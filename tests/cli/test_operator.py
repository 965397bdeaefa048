"""The command line as an audit actor, ``vault.initialised``, and one audit origin (issue 10).

Each command runs as a user runs it (the installed ``permanence``, a real
SQLCipher vault); the log is then read back entry by entry.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

import pytest

from audit.entry import Action, Actor, AuditEntry
from audit.log import AuditLog
from tests.cli.running import PERMANENCE, assert_one_clear_sentence, run
from vault.settings import DataLayout
from vault.storage.store import connect, read_key_file


def command_line_actor(command: str) -> Actor:
    """What docs/audit.md says the command line records (computed here, not by cli/)."""
    user = pwd.getpwuid(os.geteuid()).pw_name
    return Actor(None, f"{user} via permanence {command}", "operator")


def _entries(data: Path) -> list[AuditEntry]:
    layout = DataLayout(data)
    conn = connect(layout.database, read_key_file(layout.db_key_file))
    try:
        log = AuditLog()
        return [log.entry(conn, i).entry for i in range(log.size(conn))]
    finally:
        conn.close()


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PERMANENCE_")}


def _ok(*args: str, env: dict[str, str] | None = None) -> str:
    result = run(*args, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_init_records_vault_initialised_first(tmp_path: Path) -> None:
    """Entry 0 of a new vault is vault.initialised (documented, never recorded before), by
    the command line, naming the log's origin and the public key that signs it."""
    data = tmp_path / "vault"
    _ok("--data-dir", str(data), "init")
    public = _ok("--data-dir", str(data), "audit", "public-key").strip()
    first, invited = _entries(data)[:2]
    assert first.action == Action.VAULT_INITIALISED
    assert first.actor == command_line_actor("init")
    assert dict(first.detail) == {"origin": "permanence.local/audit", "verifier_key": public}
    assert invited.action == Action.ACCOUNT_INVITED
    assert invited.actor == command_line_actor("init")


def test_every_console_command_records_one_actor(tmp_path: Path) -> None:
    """users, assignments, backup, restore and audit all record the same kind of actor:
    no account, role operator, the OS user and the command (it used to be all-null for
    some commands and "command-line/operator" for others)."""
    data = tmp_path / "vault"
    at = ("--data-dir", str(data))
    _ok(*at, "init")
    _ok(*at, "users", "invite", "--role", "member", "--username", "doc", "--name", "Dr A",
        "--practice", "Cabinet A")  # fmt: skip
    _ok(*at, "users", "invite", "--role", "secretary", "--username", "sec", "--name", "S")
    _ok(*at, "assignments", "add", "--secretary", "sec", "--practice", "Cabinet A")
    _ok(*at, "assignments", "remove", "--secretary", "sec", "--practice", "Cabinet A")
    _ok(*at, "backup", "--out", str(tmp_path / "backup"))
    _ok(*at, "audit", "checkpoint")
    expected = {
        Action.VAULT_INITIALISED: "init",
        Action.CLIENT_CREATED: "users invite",
        Action.ASSIGNMENT_ADDED: "assignments add",
        Action.ASSIGNMENT_REMOVED: "assignments remove",
        Action.BACKUP_CREATED: "backup",
        Action.AUDIT_CHECKPOINT: "audit checkpoint",
    }
    entries = _entries(data)
    for entry in entries:
        command = expected.get(Action(entry.action))
        if entry.action == Action.ACCOUNT_INVITED:
            command = "init" if entry.detail["username"] == "admin" else "users invite"
        assert command is not None, entry.action
        assert entry.actor == command_line_actor(command), entry.action
    assert {e.action for e in entries} == set(expected) | {Action.ACCOUNT_INVITED}

    restored = tmp_path / "restored"
    restored.mkdir(mode=0o700)
    shutil.copytree(data / "keys", restored / "keys")
    _ok("--data-dir", str(restored), "restore", "--from", str(tmp_path / "backup"))
    last = _entries(restored)[-1]
    assert last.action == Action.BACKUP_RESTORED
    assert last.actor == command_line_actor("restore")


def test_the_demo_records_the_command_line_actor(tmp_path: Path) -> None:
    """The demo's own entries (vault.initialised, invitations) name the demo command."""
    from cli.demo import DEMO, seed_demo
    from vault.settings import Settings
    from vault.storage.datadir import initialise

    settings = Settings(data_dir=tmp_path / "demo")
    initialise(settings, DEMO)
    seed_demo(settings)
    # The system's own entries (the escalation of the demo's urgent deposit) aside.
    by_operator = [
        e
        for e in _entries(settings.data_dir)
        if e.actor.account is None and e.actor.role != "system"
    ]
    assert {e.action for e in by_operator} == {
        Action.VAULT_INITIALISED,
        Action.ACCOUNT_INVITED,
        Action.CLIENT_CREATED,
        Action.CONTACT_VERIFIED,  # the demo accounts' contact details
    }
    assert {e.actor for e in by_operator} == {command_line_actor("demo")}


def test_a_changed_audit_origin_is_refused_by_every_command_that_signs(tmp_path: Path) -> None:
    """After init, audit_origin set to something else: serve and the signing commands refuse
    in one sentence saying how to fix it, and sign nothing (the server used to sign under
    the new origin and the command line under the old one: a log that never verifies again)."""
    data = tmp_path / "vault"
    _ok("--data-dir", str(data), "init")
    size = len(_entries(data))
    moved = {"PERMANENCE_AUDIT_ORIGIN": "vault.example.com/audit"}
    for command in (
        ("audit", "checkpoint"),
        ("audit", "export", "--out", str(tmp_path / "b.json")),
        ("audit", "prove", "--index", "0", "--out", str(tmp_path / "p")),
        ("audit", "verify"),
    ):
        result = run("--data-dir", str(data), *command, env=moved)
        assert_one_clear_sentence(result)
        assert "audit_origin" in result.stderr
        assert "'permanence.local/audit'" in result.stderr
    assert len(_entries(data)) == size


def test_serve_refuses_to_start_with_a_changed_audit_origin(tmp_path: Path) -> None:
    """serve stops before listening, in one sentence (it used to start and sign checkpoints
    under the new origin)."""
    data = tmp_path / "vault"
    _ok("--data-dir", str(data), "init")
    try:
        result = subprocess.run(
            [PERMANENCE, "--data-dir", str(data), "serve", "--port", "0"],
            capture_output=True,
            text=True,
            env={**_clean_env(), "PERMANENCE_AUDIT_ORIGIN": "vault.example.com/audit"},
            timeout=20,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("serve started despite the changed audit_origin")
    assert_one_clear_sentence(result)
    assert "set audit_origin back to 'permanence.local/audit'" in result.stderr
