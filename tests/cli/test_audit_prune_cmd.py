"""``permanence audit prune [--dry-run]`` and the commands reading a pruned log."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from audit.checkpoint import StoredCheckpoint
from audit.entry import Action, AuditEntry
from audit.issuer import CheckpointIssuer
from cli.audit_cmd import register
from tests.factories import Clock, open_test_vault
from vault.env import Env
from vault.opening import Vault
from vault.settings import Settings
from vault.storage.store import Connection


@dataclass
class _Context:
    env: Env
    issuer: CheckpointIssuer


@pytest.fixture
def aged(initialised: Settings) -> Iterator[Vault]:
    """200 entries from tomorrow, a checkpoint, and the clock thirteen months later."""
    clock = Clock()
    start = datetime.now(UTC) + timedelta(days=1)
    clock.at = start
    with open_test_vault(initialised, now=clock) as vault:
        env = vault.env

        def tx(conn: Connection) -> StoredCheckpoint:
            for i in range(200):
                env.log.append(
                    conn, AuditEntry.new(Action.AUDIT_VIEWED, now=start + timedelta(minutes=i))
                )
            return vault.checkpointing.issuer.issue(conn, now=start + timedelta(hours=4))

        env.db.write(tx)
        clock.at = start + timedelta(days=400)
        yield vault


def _run(vault: Vault, *argv: str) -> int:
    @contextmanager
    def open_context(args: argparse.Namespace) -> Iterator[_Context]:
        yield _Context(vault.env, vault.checkpointing.issuer)

    parser = argparse.ArgumentParser(prog="permanence")
    register(parser.add_subparsers(dest="command"), open_context)
    args = parser.parse_args(["audit", *argv])
    code: int = args.run(args)
    return code


def _contents(vault: Vault) -> list[object]:
    return vault.env.db.read(
        lambda c: c.execute("SELECT idx, leaf FROM audit_entries ORDER BY idx").fetchall()
    )


def test_dry_run_says_what_and_changes_nothing_then_prune_does_it(
    aged: Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _contents(aged)
    assert _run(aged, "prune", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "Retention: 12 months" in out
    assert (
        "Would prune the content of 201 entries (0..200); entries are readable from index 201"
        in out
    )
    assert "Dry run: nothing was changed." in out
    assert _contents(aged) == before

    assert _run(aged, "prune") == 0
    out = capsys.readouterr().out
    assert "Pruned the content of 201 entries (0..200)" in out
    assert _run(aged, "prune") == 0
    assert "Nothing to prune: entries are readable from index 201" in capsys.readouterr().out

    assert _run(aged, "verify") == 0
    assert "Contents checked from entry 201" in capsys.readouterr().out

    assert _run(aged, "prove", "--index", "3", "--out", str(tmp_path / "p")) == 1
    err = capsys.readouterr().err
    assert "entry 3 is older than the audit log's retention period" in err
    assert "l'entrée 3 est plus ancienne que la durée de conservation" in err
    assert "Traceback" not in err and not (tmp_path / "p").exists()
    assert _run(aged, "prove", "--index", "201", "--out", str(tmp_path / "p")) == 0
    capsys.readouterr()

    # The export after pruning verifies offline, saying from where contents were checked.
    assert _run(aged, "public-key") == 0
    public = capsys.readouterr().out.strip()
    bundle = tmp_path / "bundle.json"
    assert _run(aged, "export", "--out", str(bundle)) == 0
    capsys.readouterr()
    assert _run(aged, "verify", "--bundle", str(bundle), "--verifier-key", public) == 0
    assert "Contents checked from entry 201" in capsys.readouterr().out


def test_a_checkpoint_not_yet_cosigned_holds_pruning_when_required(
    initialised: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    import dataclasses

    settings = dataclasses.replace(initialised, audit_require_cosigning=True)
    clock = Clock()
    start = datetime.now(UTC) + timedelta(days=1)
    clock.at = start
    with open_test_vault(settings, now=clock) as vault:
        env = vault.env
        env.db.write(
            lambda c: (
                env.log.append(c, AuditEntry.new(Action.AUDIT_VIEWED, now=start)),
                vault.checkpointing.issuer.issue(c, now=start),
            )
        )
        clock.at = start + timedelta(days=400)
        assert _run(vault, "prune") == 0
        out = capsys.readouterr().out
        assert "Nothing to prune" in out
        assert "no auditor has cosigned a checkpoint covering them yet" in out
