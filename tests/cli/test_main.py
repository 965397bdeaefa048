"""The ``permanence`` command as a user runs it: clear sentences, never a traceback."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.cli.running import PERMANENCE, assert_one_clear_sentence, run


def test_help_lists_every_command() -> None:
    """--help names init, serve and demo, and exits 0."""
    result = run("--help")
    assert result.returncode == 0
    for command in ("init", "serve", "demo"):
        assert command in result.stdout


def test_init_creates_a_private_vault_and_refuses_to_overwrite_it(tmp_path: Path) -> None:
    """init makes a 0700 directory with 0600 keys; a second init refuses and changes nothing."""
    data = tmp_path / "vault"
    first = run("--data-dir", str(data), "init")
    assert first.returncode == 0, first.stderr
    assert (data.stat().st_mode & 0o777) == 0o700
    for key in (data / "keys").iterdir():
        assert (key.stat().st_mode & 0o777) == 0o600, key
    assert ((data / "permanence.db").stat().st_mode & 0o077) == 0
    before = (data / "keys" / "database.key").read_bytes()
    second = run("--data-dir", str(data), "init")
    assert_one_clear_sentence(second)
    assert "already holds a vault" in second.stderr
    assert (data / "keys" / "database.key").read_bytes() == before


def test_unknown_command_and_option_are_one_sentence() -> None:
    """An unknown command or option: exit 2 and one line naming the problem."""
    for args in (["frobnicate"], ["init", "--frobnicate"]):
        result = run(*args)
        assert result.returncode == 2
        assert_one_clear_sentence(result)


def test_serve_without_vault_points_at_init(tmp_path: Path) -> None:
    """serve on an empty place says to run init first."""
    result = run("--data-dir", str(tmp_path / "none"), "serve")
    assert_one_clear_sentence(result)
    assert "permanence init" in result.stderr


def test_wrong_database_key_is_one_sentence(tmp_path: Path) -> None:
    """A PERMANENCE_DB_KEY that does not open the database is refused clearly."""
    data = tmp_path / "v"
    assert run("--data-dir", str(data), "init").returncode == 0
    result = run("--data-dir", str(data), "serve", env={"PERMANENCE_DB_KEY": "11" * 32})
    assert_one_clear_sentence(result)
    assert "does not open with this key" in result.stderr


def test_malformed_database_key_is_one_sentence(tmp_path: Path) -> None:
    """A PERMANENCE_DB_KEY that is not 64 hex digits is refused clearly."""
    result = run("--data-dir", str(tmp_path), "init", env={"PERMANENCE_DB_KEY": "not-hex"})
    assert_one_clear_sentence(result)


def test_corrupt_database_is_one_sentence(tmp_path: Path) -> None:
    """A database file replaced by garbage is refused in one sentence."""
    data = tmp_path / "v"
    assert run("--data-dir", str(data), "init").returncode == 0
    (data / "permanence.db").write_bytes(os.urandom(32768))
    result = run("--data-dir", str(data), "serve")
    assert_one_clear_sentence(result)


def test_data_dir_open_to_others_is_refused(tmp_path: Path) -> None:
    """A data directory that other users can read is refused with the fix to apply."""
    data = tmp_path / "v"
    assert run("--data-dir", str(data), "init").returncode == 0
    data.chmod(0o755)
    result = run("--data-dir", str(data), "serve")
    assert_one_clear_sentence(result)
    assert "chmod 700" in result.stderr


def test_readable_key_file_is_refused(tmp_path: Path) -> None:
    """A database key file readable by others is refused with the fix to apply."""
    data = tmp_path / "v"
    assert run("--data-dir", str(data), "init").returncode == 0
    (data / "keys" / "database.key").chmod(0o644)
    result = run("--data-dir", str(data), "serve")
    assert_one_clear_sentence(result)
    assert "chmod 600" in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(("host", "warns"), [("127.0.0.1", False), ("0.0.0.0", True)])  # noqa: S104
def test_serve_answers_and_warns_beyond_loopback(tmp_path: Path, host: str, warns: bool) -> None:
    """serve answers /health over real HTTP; binding beyond loopback warns about TLS."""
    data = tmp_path / "v"
    assert run("--data-dir", str(data), "init").returncode == 0
    port = _free_port()
    proc = subprocess.Popen(
        [PERMANENCE, "--data-dir", str(data), "serve", "--host", host, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body = ""
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health") as r:
                    body = r.read().decode()
                break
            except OSError:
                time.sleep(0.1)
        assert '"status":"ok"' in body
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=20)
    assert ("terminate TLS" in stderr) is warns
    assert "Traceback" not in stderr


def test_audit_commands_on_a_real_vault(tmp_path: Path) -> None:
    """init, then audit checkpoint, verify, export, and offline verify of the bundle."""
    data = tmp_path / "v"
    assert run("--data-dir", str(data), "init").returncode == 0
    for args in (["audit", "checkpoint"], ["audit", "verify"]):
        result = run("--data-dir", str(data), *args)
        assert result.returncode == 0, result.stderr
    bundle = tmp_path / "bundle.json"
    exported = run("--data-dir", str(data), "audit", "export", "--out", str(bundle))
    assert exported.returncode == 0, exported.stderr
    key = run("--data-dir", str(data), "audit", "public-key").stdout.strip()
    offline = run("audit", "verify", "--bundle", str(bundle), "--verifier-key", key)
    assert offline.returncode == 0, offline.stderr
    assert "verifies" in offline.stdout


def test_users_invite_prints_a_link(tmp_path: Path) -> None:
    """users invite prints a single-use link; a duplicate name is one clear sentence."""
    data = tmp_path / "v"
    assert run("--data-dir", str(data), "init").returncode == 0
    args = ["--data-dir", str(data), "users", "invite", "--role", "secretary"]
    first = run(*args, "--username", "sophie", "--name", "Sophie M")
    assert first.returncode == 0 and "/enrol/" in first.stdout
    again = run(*args, "--username", "sophie", "--name", "Sophie M")
    assert_one_clear_sentence(again)
    listed = run("--data-dir", str(data), "users", "list")
    assert "sophie" in listed.stdout and "invited" in listed.stdout


def test_a_refusal_is_in_french_where_the_locale_is_french(tmp_path: Path) -> None:
    """The vault's refusal in the locale's language: French for fr_*, English otherwise."""
    data = tmp_path / "v"
    assert run("--data-dir", str(data), "init").returncode == 0
    args = ["--data-dir", str(data), "users", "invite", "--role", "secretary"]
    args += ["--username", "sophie", "--name", "Sophie M"]
    assert run(*args).returncode == 0
    english = "This person is invited already and has not enrolled yet:"
    french = "Cette personne est déjà invitée mais n'a pas encore créé son accès"
    cases = [
        ({"LANG": "fr_FR.UTF-8"}, french),
        ({"LANG": "fr_FR.UTF-8", "LC_ALL": "en_GB.UTF-8"}, english),
        ({"LC_MESSAGES": "fr_CA.UTF-8", "LANG": "en_US.UTF-8"}, french),
        ({"LANG": "C.UTF-8"}, english),
        ({}, english),
    ]
    for env, sentence in cases:
        again = run(*args, env=env)
        assert_one_clear_sentence(again)
        assert again.stderr.startswith(f"permanence: {sentence}"), (env, again.stderr)


@pytest.mark.parametrize(
    "toml",
    [
        "port = [1, 2]\n",
        "port = 'eighty'\n",
        "colour = 'blue'\n",
        "db_key = 'ab'\n",
        "smtp = 3\n",
        "this is not toml\n",
    ],
)
def test_bad_configuration_files_are_one_sentence(tmp_path: Path, toml: str) -> None:
    """Wrong types, unknown or forbidden settings, or broken TOML: one sentence, exit 1."""
    data = tmp_path / "v"
    assert run("--data-dir", str(data), "init").returncode == 0
    (data / "permanence.toml").write_text(toml)
    result = run("--data-dir", str(data), "serve")
    assert_one_clear_sentence(result)


def test_backup_and_restore_commands(tmp_path: Path) -> None:
    """backup copies a vault; restore brings it up in a data directory holding its keys."""
    data = tmp_path / "v"
    assert run("--data-dir", str(data), "init").returncode == 0
    made = run("--data-dir", str(data), "backup", "--out", str(tmp_path / "b"))
    assert made.returncode == 0, made.stderr
    assert "Keys are not in it" in made.stdout
    target = tmp_path / "restored"
    target.mkdir(mode=0o700)
    shutil.copytree(data / "keys", target / "keys")
    restored = run("--data-dir", str(target), "restore", "--from", str(tmp_path / "b"))
    assert restored.returncode == 0, restored.stderr
    listed = run("--data-dir", str(target), "users", "list")
    assert "admin" in listed.stdout
    again = run("--data-dir", str(target), "restore", "--from", str(tmp_path / "b"))
    assert_one_clear_sentence(again)


def test_assignments_from_the_console(tmp_path: Path) -> None:
    """assignments add/list/remove work on names; an unknown name is one sentence."""
    data = tmp_path / "v"
    assert run("--data-dir", str(data), "init").returncode == 0
    invite = ["--data-dir", str(data), "users", "invite"]
    assert (
        run(*invite, "--role", "secretary", "--username", "sophie", "--name", "S").returncode == 0
    )
    assert (
        run(*invite, "--role", "member", "--username", "doc", "--name", "D", "--practice", "Cab A")
    ).returncode == 0
    base = ["--data-dir", str(data), "assignments"]
    added = run(*base, "add", "--secretary", "sophie", "--practice", "Cab A")
    assert added.returncode == 0, added.stderr
    assert "sophie" in run(*base, "list").stdout
    assert run(*base, "remove", "--secretary", "sophie", "--practice", "Cab A").returncode == 0
    assert "sophie" not in run(*base, "list").stdout
    assert_one_clear_sentence(run(*base, "add", "--secretary", "nobody", "--practice", "Cab A"))
