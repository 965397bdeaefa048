"""``permanence witness ...`` (cli/witness_cmd.py): the witness's key file and its refusals."""

from __future__ import annotations

import stat
from pathlib import Path

from audit.cosignature import parse_cosignature_verifier, parse_cosigner_signer
from tests.audit.witness_process import witness_process
from tests.cli.running import assert_one_clear_sentence, run
from vault.settings import Settings


def test_public_key_creates_the_key_once_mode_0600(tmp_path: Path) -> None:
    key = tmp_path / "witness.key"
    first = run("witness", "public-key", "--key", str(key), "--name", "w.auditor.example")
    assert first.returncode == 0, first.stderr
    verifier = parse_cosignature_verifier(first.stdout.strip())
    assert verifier.name == "w.auditor.example"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert parse_cosigner_signer(key.read_text()).verifier == verifier
    again = run("witness", "public-key", "--key", str(key))
    assert again.stdout == first.stdout  # the same key, not a new one


def test_a_missing_name_a_shared_key_file_or_another_name_are_refused(tmp_path: Path) -> None:
    key = tmp_path / "witness.key"
    assert_one_clear_sentence(run("witness", "public-key", "--key", str(key)))
    assert not key.exists()
    assert run("witness", "public-key", "--key", str(key), "--name", "w.example").returncode == 0
    other = run("witness", "public-key", "--key", str(key), "--name", "x.example")
    assert_one_clear_sentence(other)
    key.chmod(0o644)
    shared = run("witness", "public-key", "--key", str(key))
    assert_one_clear_sentence(shared)
    assert "chmod 600" in shared.stderr


def test_serve_refuses_a_log_key_that_is_not_one(tmp_path: Path) -> None:
    done = run(
        "witness",
        "serve",
        "--key",
        str(tmp_path / "k"),
        "--name",
        "w.example",
        "--log-key",
        "log.example+00000000+AQ==",
        "--state-dir",
        str(tmp_path / "s"),
    )
    assert_one_clear_sentence(done)


def test_audit_witness_submits_and_says_whether_the_checkpoint_is_published(
    initialised: Settings, tmp_path: Path
) -> None:
    data = ["--data-dir", str(initialised.data_dir)]
    assert run(*data, "audit", "checkpoint").returncode == 0
    log_key = run(*data, "audit", "public-key").stdout.strip()
    with witness_process(tmp_path / "w", "w.example", log_key) as w:
        policy = tmp_path / "policy"
        down = "http://127.0.0.1:9"
        other = run("witness", "public-key", "--key", str(tmp_path / "o.key"), "--name", "o.ex")
        policy.write_text(f"witness w {w.verifier} {w.url}\nquorum w\n", encoding="utf-8")
        env = {"PERMANENCE_WITNESS_POLICY": str(policy)}
        done = run(*data, "audit", "witness", env=env)
        assert done.returncode == 0, done.stderr
        assert "w: cosigned" in done.stdout and ": published" in done.stdout
        policy.write_text(
            f"witness w {w.verifier} {w.url}\nwitness o {other.stdout.strip()} {down}\n"
            "group both all w o\nquorum both\n",
            encoding="utf-8",
        )
        done = run(*data, "audit", "witness", env=env)
        assert done.returncode == 1
        assert "w: already" in done.stdout and "o: unreachable" in done.stdout
        assert "NOT published (quorum: 2 of w, o)" in done.stdout
    no_policy = run(*data, "audit", "witness")
    assert_one_clear_sentence(no_policy)


def test_two_witnesses_cannot_share_a_state_directory(tmp_path: Path) -> None:
    from audit.keys import NoteSigner
    from crypto.signing import SigningKey

    log_key = str(NoteSigner("log.example", SigningKey(bytes(32))).verifier)
    with witness_process(tmp_path / "w", "w.example", log_key):
        second = run(
            *("witness", "serve", "--key", str(tmp_path / "w" / "witness.key")),
            *("--log-key", log_key, "--state-dir", str(tmp_path / "w" / "state"), "--port", "0"),
        )
        assert_one_clear_sentence(second)
        assert "already running" in second.stderr
