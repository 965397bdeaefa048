"""``permanence audit ...`` end to end on a real SQLCipher database, through argparse."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from audit.keys import generate_signer_key, parse_signer
from audit.log import AuditLog
from audit.proof import verify_proof_file
from cli.audit_cmd import register
from tests.audit.helpers import ORIGIN, attacker, fill, open_db
from vault.settings import DataLayout
from vault.store import Connection
from vault.writer import Writer


@dataclass
class _Context:
    conn: Connection
    writer: Writer
    layout: DataLayout


@dataclass
class _Vault:
    root: Path

    @contextmanager
    def open(self, args: argparse.Namespace) -> Iterator[_Context]:
        layout = DataLayout(self.root)
        conn = open_db(layout.database)
        writer = Writer(conn)
        try:
            yield _Context(conn, writer, layout)
        finally:
            writer.close()
            conn.close()


@pytest.fixture
def vault(tmp_path: Path) -> _Vault:
    """A data directory with an audit signing key (mode 0600) and a 250-entry log."""
    layout = DataLayout(tmp_path / "data")
    layout.keys_dir.mkdir(parents=True)
    fd = os.open(layout.audit_key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(generate_signer_key(ORIGIN) + "\n")
    conn = open_db(layout.database)
    writer = Writer(conn)
    fill(writer, 0, 250)
    writer.close()
    conn.close()
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
    assert "The audit log verifies: 252 entries, 2 signed checkpoints" in out.out
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
    conn = open_db(DataLayout(vault.root).database)
    assert conn.execute("SELECT count(*) FROM audit_cosignatures").fetchone()[0] == 1
    assert AuditLog().size(conn) == 252  # the checkpoint and the cosignature were logged
    conn.close()
    assert _run(vault, "keygen", "--name", "x", "--out", str(key)) == 1  # never overwritten


def test_missing_files_are_one_sentence(vault: _Vault, capsys: pytest.CaptureFixture[str]) -> None:
    """A bundle that does not exist gives one clear sentence and exit status 1."""
    assert _run(vault, "verify", "--bundle", "/nonexistent/bundle.json") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot read /nonexistent/bundle.json" in err
