"""``permanence audit ...`` end to end on a real SQLCipher database, through argparse."""

from __future__ import annotations

import argparse
import base64
import json
import os
import pwd
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from audit.issuer import CheckpointIssuer
from audit.keys import generate_signer_key, parse_signer
from audit.log import AuditLog
from audit.proof import verify_proof_file
from cli.audit_cmd import register
from tests.audit.helpers import KEY, ORIGIN, attacker, entry, fill, open_db, resign
from vault.env import Env
from vault.settings import DataLayout, Settings
from vault.storage.database import Database
from vault.storage.store import Connection, connect


@dataclass
class _Context:
    env: Env
    issuer: CheckpointIssuer


@dataclass
class _Vault:
    root: Path

    def settings(self) -> Settings:
        return Settings(data_dir=self.root, audit_origin=ORIGIN)

    @contextmanager
    def open(self, args: argparse.Namespace) -> Iterator[_Context]:
        """The vault opened as ``cli/context.py`` opens it for the real command."""
        from vault.auditing.checkpoints import checkpoint_issuer

        db = Database(DataLayout(self.root).database, KEY)
        env = Env(db=db, settings=self.settings(), server_secret=KEY)
        try:
            yield _Context(env, checkpoint_issuer(self.settings()))
        finally:
            db.close()


@pytest.fixture(autouse=True)
def _config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A configuration directory of the test's own: no key pinned unless a test pins one."""
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


@pytest.fixture
def vault(tmp_path: Path) -> _Vault:
    """A data directory with an audit signing key (mode 0600) and a 250-entry log."""
    layout = DataLayout(tmp_path / "data")
    layout.keys_dir.mkdir(parents=True)
    fd = os.open(layout.audit_key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(generate_signer_key(ORIGIN) + "\n")
    open_db(layout.database).close()  # created as the audit tests create it
    db = Database(layout.database, KEY)
    fill(db.writer, 0, 250)
    db.close()
    return _Vault(layout.root)


def _run(vault: _Vault, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="permanence")
    register(parser.add_subparsers(dest="command"), vault.open)
    args = parser.parse_args(["audit", *argv])
    code: int = args.run(args)
    return code


def test_checkpoint_export_and_offline_bundle_verification(
    vault: _Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An operator signs and exports; an auditor verifies the bundle with the pinned key only."""
    assert _run(vault, "checkpoint") == 0
    assert "Signed checkpoint 0: 251 entries" in capsys.readouterr().out
    assert _run(vault, "public-key") == 0
    public = capsys.readouterr().out.strip()
    bundle = tmp_path / "bundle.json"
    assert _run(vault, "export", "--out", str(bundle)) == 0
    assert oct(bundle.stat().st_mode & 0o777) == "0o600"
    capsys.readouterr()
    assert _run(vault, "verify", "--bundle", str(bundle), "--verifier-key", public) == 0
    out = capsys.readouterr()
    assert (
        "The audit log verifies: 252 entries; the log's key signed 2 distinct tree sizes,"
        " covering the first 252 entries; 0 cosignatures." in out.out
    )
    assert "not yet covered" not in out.out
    assert "verifying" in out.err  # progress on stderr


def test_verify_live_then_detect_a_rewrite_against_an_earlier_bundle(
    vault: _Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """verify passes on the live log, and fails with one sentence naming the entry once an
    attacker edits entry 100; the earlier bundle given as --since-checkpoint passes before."""
    earlier = tmp_path / "earlier.json"
    assert _run(vault, "export", "--out", str(earlier)) == 0
    assert _run(vault, "verify", "--since-checkpoint", str(earlier)) == 0
    capsys.readouterr()
    evil = attacker(DataLayout(vault.root).database)
    leaf = evil.execute("SELECT leaf FROM audit_entries WHERE idx = 100").fetchone()[0]
    evil.execute(
        "UPDATE audit_entries SET leaf = ? WHERE idx = 100",
        (bytes(leaf).replace(b"192.0.2.10", b"192.0.2.99"),),
    )
    evil.close()
    assert _run(vault, "verify") == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("permanence: entry 100 ")
    assert "Traceback" not in err


def test_prove_writes_a_proof_file_that_verifies(
    vault: _Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """prove --index 42 writes a tlog-proof file that verifies with the public key."""
    proof = tmp_path / "entry42.tlog-proof"
    assert _run(vault, "prove", "--index", "42", "--out", str(proof)) == 0
    public = parse_signer(DataLayout(vault.root).audit_key_file.read_text()).verifier
    checkpoint, leaf = verify_proof_file(proof.read_text(), public, origin=ORIGIN)
    assert checkpoint.size == 250 and leaf.startswith(b'{"index":42,')
    assert _run(vault, "prove", "--index", "4000", "--out", str(proof)) == 1
    assert "4000" in capsys.readouterr().err


def test_an_auditor_cosigns_after_verifying(
    vault: _Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """keygen makes an auditor key; cosign verifies the log and stores the cosignature."""
    key = tmp_path / "auditor.key"
    assert _run(vault, "keygen", "--name", "auditor.example", "--out", str(key)) == 0
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert _run(vault, "checkpoint") == 0
    assert _run(vault, "cosign", "--key", str(key)) == 0
    assert "cosigned checkpoint 0" in capsys.readouterr().out
    conn = connect(DataLayout(vault.root).database, KEY)
    assert conn.execute("SELECT count(*) FROM audit_cosignatures").fetchone()[0] == 1
    assert AuditLog().size(conn) == 252  # the checkpoint and the cosignature were logged
    conn.close()
    assert _run(vault, "keygen", "--name", "x", "--out", str(key)) == 1  # never overwritten


def test_missing_files_are_one_sentence(vault: _Vault, capsys: pytest.CaptureFixture[str]) -> None:
    """A bundle that does not exist gives one clear sentence and exit status 1."""
    assert _run(vault, "verify", "--bundle", "/nonexistent/bundle.json") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot read /nonexistent/bundle.json" in err


# -- bundles an auditor can rely on (issue 10) --------------------------------------------


def _exported(
    vault: _Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[Path, str]:
    """An exported bundle and the log's public key, as the auditor received them."""
    capsys.readouterr()
    assert _run(vault, "public-key") == 0
    public = capsys.readouterr().out.strip()
    bundle = tmp_path / "bundle.json"
    assert _run(vault, "export", "--out", str(bundle)) == 0
    capsys.readouterr()
    return bundle, public


def _edit(path: Path, fn: Callable[[dict[str, Any]], None]) -> Path:
    obj = json.loads(path.read_text())
    fn(obj)
    edited = path.with_name("edited-" + path.name)
    edited.write_text(json.dumps(obj))
    return edited


def _refused(capsys: pytest.CaptureFixture[str], *words: str) -> str:
    """The one sentence a refusal printed (exit status checked by the caller)."""
    out = capsys.readouterr()
    lines = [line for line in out.err.splitlines() if line.startswith("permanence: ")]
    assert len(lines) == 1, out.err
    assert "Traceback" not in out.err and "verifies" not in out.out
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def _rewrite_100(o: dict[str, Any]) -> None:
    o["entries"][100] = o["entries"][100].replace("192.0.2.10", "192.0.2.99")


def test_verify_refuses_a_bundle_whose_checkpoints_were_removed(
    vault: _Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every checkpoint removed and entry 100 rewritten: exit 1, one sentence (this used
    to exit 0 with "252 entries, 0 signed checkpoints")."""
    bundle, public = _exported(vault, tmp_path, capsys)

    def strip(o: dict[str, Any]) -> None:
        _rewrite_100(o)
        o["checkpoints"] = []

    edited = _edit(bundle, strip)
    assert _run(vault, "verify", "--bundle", str(edited), "--verifier-key", public) == 1
    _refused(capsys, "no signed checkpoint")


def test_verify_refuses_an_entry_appended_after_the_last_checkpoint(
    vault: _Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A made-up entry after the last checkpoint: exit 1 naming its index (it used to be a
    note under "The audit log verifies")."""
    bundle, public = _exported(vault, tmp_path, capsys)

    def append(o: dict[str, Any]) -> None:
        o["entries"].append(o["entries"][-1].replace('"index":250,', '"index":251,'))
        o["size"] += 1

    edited = _edit(bundle, append)
    assert _run(vault, "verify", "--bundle", str(edited), "--verifier-key", public) == 1
    _refused(capsys, "251", "not covered by any signed checkpoint")


def test_verify_needs_a_pinned_key_and_names_the_insecure_option(
    vault: _Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --verifier-key or a pinned key, verification refuses; a forger's re-signed
    bundle then passes only with --insecure-trust-bundle-key, which warns loudly."""
    bundle, public = _exported(vault, tmp_path, capsys)
    assert _run(vault, "verify", "--bundle", str(bundle)) == 1
    _refused(capsys, "no verifier key is pinned", "--verifier-key", "pin-key")
    forger = parse_signer(generate_signer_key(ORIGIN))  # same name, another key

    def forge(o: dict[str, Any]) -> None:
        _rewrite_100(o)
        resign(o, forger)

    forged = _edit(bundle, forge)
    assert _run(vault, "verify", "--bundle", str(forged)) == 1
    capsys.readouterr()
    assert _run(vault, "verify", "--bundle", str(forged), "--verifier-key", public) == 1
    _refused(capsys, "checkpoint 0")
    assert _run(vault, "verify", "--bundle", str(forged), "--insecure-trust-bundle-key") == 0
    out = capsys.readouterr()
    assert "WARNING" in out.err and "forger" in out.err
    assert "The audit log verifies" in out.out


def test_pin_key_once_then_verify_without_the_option(
    vault: _Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """pin-key saves the key in the configuration directory; verify uses it; another key is
    pinned only with --replace, after which the real bundle no longer verifies."""
    bundle, public = _exported(vault, tmp_path, capsys)
    assert _run(vault, "pin-key", public) == 0
    saved = tmp_path / "config" / "permanence" / "audit-verifier.pub"
    assert saved.read_text().strip() == public
    assert _run(vault, "verify", "--bundle", str(bundle)) == 0
    assert "The audit log verifies: 251 entries" in capsys.readouterr().out
    other = str(parse_signer(generate_signer_key(ORIGIN)).verifier)
    assert _run(vault, "pin-key", other) == 1
    _refused(capsys, "--replace")
    assert _run(vault, "pin-key", other, "--replace") == 0
    assert _run(vault, "verify", "--bundle", str(bundle)) == 1
    capsys.readouterr()
    assert _run(vault, "verify", "--bundle", str(bundle), "--verifier-key", public) == 0
    assert "is not the key pinned in" in capsys.readouterr().err


def test_verify_can_require_a_cosigner(
    vault: _Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--require-cosigner (repeatable) demands a checkpoint cosigned by that key, offline and
    on the live log; a key that cosigned nothing is refused."""
    key = tmp_path / "auditor.key"
    assert _run(vault, "keygen", "--name", "auditor.example", "--out", str(key)) == 0
    auditor = capsys.readouterr().out.strip().splitlines()[-1]
    assert _run(vault, "checkpoint") == 0
    assert _run(vault, "cosign", "--key", str(key)) == 0
    bundle, public = _exported(vault, tmp_path, capsys)
    pinned = ("--verifier-key", public)
    assert (
        _run(vault, "verify", "--bundle", str(bundle), *pinned, "--require-cosigner", auditor) == 0
    )
    assert "Cosigned by auditor.example: the first 251 entries" in capsys.readouterr().out
    assert _run(vault, "verify", "--require-cosigner", auditor) == 0
    assert "Cosigned by auditor.example" in capsys.readouterr().out
    stranger = str(parse_signer(generate_signer_key("witness.example")).verifier)
    twice = ("--require-cosigner", auditor, "--require-cosigner", stranger)
    assert _run(vault, "verify", "--bundle", str(bundle), *pinned, *twice) == 1
    _refused(capsys, "witness.example")
    assert _run(vault, "verify", *twice) == 1
    _refused(capsys, "witness.example")


def test_verify_checks_a_proof_file_with_the_pinned_key(
    vault: _Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--proof FILE checks an inclusion proof offline; a changed entry or another key fails."""
    proof = tmp_path / "entry42.tlog-proof"
    assert _run(vault, "prove", "--index", "42", "--out", str(proof)) == 0
    capsys.readouterr()
    assert _run(vault, "public-key") == 0
    public = capsys.readouterr().out.strip()
    assert _run(vault, "verify", "--proof", str(proof), "--verifier-key", public) == 0
    out = capsys.readouterr().out
    assert "The proof verifies: entry 42 " in out and '{"index":42,' in out
    lines = proof.read_text().split("\n")
    leaf = base64.b64decode(lines[1].removeprefix("extra "))
    lines[1] = "extra " + base64.b64encode(leaf.replace(b"192.0.2.10", b"192.0.2.99")).decode()
    changed = tmp_path / "changed.tlog-proof"
    changed.write_text("\n".join(lines))
    assert _run(vault, "verify", "--proof", str(changed), "--verifier-key", public) == 1
    _refused(capsys)
    other = str(parse_signer(generate_signer_key(ORIGIN)).verifier)
    assert _run(vault, "verify", "--proof", str(proof), "--verifier-key", other) == 1
    _refused(capsys)
    assert _run(vault, "verify", "--proof", str(proof)) == 1
    _refused(capsys, "no verifier key is pinned")


class _BusyDatabase:
    """The server keeps appending: after each write of the command, one more entry lands."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.read = db.read
        self.reading = db.reading

    def write(self, fn: Callable[[Connection], Any]) -> Any:
        result = self.db.write(fn)
        self.db.write(lambda c: AuditLog().append(c, entry(10_000)))
        return result


def test_export_stops_at_the_checkpoint_it_signed(
    vault: _Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An entry appended between the export's checkpoint and its read is left out: the bundle
    holds exactly the 251 entries its last checkpoint covers, and verifies."""
    real = vault.open

    @contextmanager
    def busy(args: argparse.Namespace) -> Iterator[Any]:
        with real(args) as ctx:
            busy_env = replace(ctx.env, db=_BusyDatabase(ctx.env.db))  # type: ignore[arg-type]
            yield _Context(busy_env, ctx.issuer)

    bundle = tmp_path / "bundle.json"
    parser = argparse.ArgumentParser(prog="permanence")
    register(parser.add_subparsers(dest="command"), busy)
    args = parser.parse_args(["audit", "export", "--out", str(bundle)])
    assert args.run(args) == 0
    obj = json.loads(bundle.read_text())
    assert obj["size"] == len(obj["entries"]) == 251
    assert json.loads(obj["entries"][-1])["action"] == "audit.exported"
    public = str(parse_signer(DataLayout(vault.root).audit_key_file.read_text()).verifier)
    capsys.readouterr()
    assert _run(vault, "verify", "--bundle", str(bundle), "--verifier-key", public) == 0


def test_audit_commands_record_the_command_line_actor(vault: _Vault, tmp_path: Path) -> None:
    """checkpoint, export and cosign record one actor: no account, role operator, a name
    naming the OS user and the command (it used to be a bare "command-line")."""
    key = tmp_path / "auditor.key"
    assert _run(vault, "keygen", "--name", "auditor.example", "--out", str(key)) == 0
    assert _run(vault, "checkpoint") == 0
    assert _run(vault, "export", "--out", str(tmp_path / "b.json")) == 0
    assert _run(vault, "cosign", "--key", str(key)) == 0
    conn = connect(DataLayout(vault.root).database, KEY)
    log = AuditLog()
    actors = [log.entry(conn, i).entry.actor for i in range(250, log.size(conn))]
    conn.close()
    user = pwd.getpwuid(os.geteuid()).pw_name
    assert [a.name for a in actors] == [
        f"{user} via permanence audit {command}" for command in ("checkpoint", "export", "cosign")
    ]
    assert {(a.account, a.role) for a in actors} == {(None, "operator")}


# -- review of the issue-10 work ---------------------------------------------------------


def _two_checkpoints(
    vault: _Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[Path, str]:
    assert _run(vault, "checkpoint") == 0
    return _exported(vault, tmp_path, capsys)


def test_verify_reports_signed_tree_sizes_not_checkpoint_numbers(
    vault: _Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A checkpoint's number is not signed: checkpoint 0 dropped and 1 renumbered 0 proves
    one signed tree size (reported as such), and checkpoint 1 copied as number 2 is refused
    (it used to verify as "3 signed checkpoints")."""
    bundle, public = _two_checkpoints(vault, tmp_path, capsys)

    def renumber(o: dict[str, Any]) -> None:
        o["checkpoints"] = [dict(o["checkpoints"][1], seq=0)]

    assert (
        _run(vault, "verify", "--bundle", str(_edit(bundle, renumber)), "--verifier-key", public)
        == 0
    )
    assert (
        "252 entries; the log's key signed 1 distinct tree size, covering the first 252 entries"
        in capsys.readouterr().out
    )

    def copy(o: dict[str, Any]) -> None:
        o["checkpoints"].append(dict(o["checkpoints"][1], seq=2))

    assert (
        _run(vault, "verify", "--bundle", str(_edit(bundle, copy)), "--verifier-key", public) == 1
    )
    _refused(capsys, "checkpoint 2 covers 252 entries", "not more than")


def test_the_logs_own_key_is_not_a_cosigner(
    vault: _Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--require-cosigner with the log's own key used to pass with 0 cosignatures."""
    bundle, public = _two_checkpoints(vault, tmp_path, capsys)
    args = ("verify", "--bundle", str(bundle), "--verifier-key", public)
    assert _run(vault, *args, "--require-cosigner", public) == 1
    _refused(capsys, "the log's own key", "a key other than the log's")


def test_a_deeply_nested_bundle_is_one_sentence(
    vault: _Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bundle of 100,000 '[' used to end in a RecursionError traceback."""
    _, public = _exported(vault, tmp_path, capsys)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000)
    assert _run(vault, "verify", "--bundle", str(deep), "--verifier-key", public) == 1
    _refused(capsys, "nested too deeply")


def test_a_missing_cosigner_key_file_says_so(
    vault: _Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--require-cosigner missing.pub used to say "malformed verifier key"."""
    bundle, public = _exported(vault, tmp_path, capsys)
    missing = str(tmp_path / "missing.pub")
    args = ("verify", "--bundle", str(bundle), "--verifier-key", public)
    assert _run(vault, *args, "--require-cosigner", missing) == 1
    _refused(capsys, f"cannot read {missing}", "No such file")
