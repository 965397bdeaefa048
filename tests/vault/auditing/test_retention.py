"""Retention of the audit log (issue 17): a year of content kept, older entries pruned to
their hashes, the log and every checkpoint still verifying, reads below the minimum index
refused, pruning audited, previewed, held by cosigning, and once a day."""

from __future__ import annotations

import dataclasses
import io
import itertools
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from audit import merkle
from audit.bundle import Bundle, verify_bundle, write_bundle
from audit.checkpoint import StoredCheckpoint
from audit.entry import Action, Actor, AuditEntry, encode
from audit.issuer import CheckpointIssuer, stored_checkpoints
from audit.proof import verify_proof_file
from audit.retention import EntryPruned
from audit.verify import verify_database
from tests.factories import REQ, Clock, open_test_vault
from vault.auditing import console, operations, retention
from vault.env import Principal
from vault.errors import Pruned
from vault.identity.roles import Role
from vault.opening import Vault
from vault.settings import Settings
from vault.storage.store import Connection

MONTHS = 18


def _start() -> datetime:
    """A day after now: every injected time is later than the vault's own first entries."""
    now = datetime.now(UTC).replace(microsecond=0)
    return datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)


def _add_months(at: datetime, months: int) -> datetime:
    total = at.month - 1 + months
    return at.replace(year=at.year + total // 12, month=total % 12 + 1)


def _fill(
    vault: Vault, start: datetime, count: int, *, checkpoints: int, months: int = MONTHS
) -> CheckpointIssuer:
    """``count`` entries spread evenly over ``months`` from ``start``, in one transaction,
    with a checkpoint signed every ``count // checkpoints`` entries (and at the end).

    Fast: the leaves and the subtree hashes they complete are computed here and inserted a
    chunk at a time (``executemany``), through the same guard triggers and audit index
    trigger as ``AuditLog.append``; the issuer then signs each checkpoint from the stored
    tree as it always does (so a wrong hash here would fail every verification)."""
    env, issuer = vault.env, vault.checkpointing.issuer
    span = (_add_months(start, months) - start) / count
    every = count // checkpoints

    def tx(conn: Connection) -> None:
        first = env.log.size(conn)
        levels: list[list[bytes]] = [
            [bytes(r[0]) for r in conn.execute("SELECT hash FROM audit_entries ORDER BY idx")]
        ]
        for lo in range(0, count, every):
            hi = min(lo + every, count)
            rows = []
            for i in range(lo, hi):
                at = start + span * i
                leaf = encode(
                    AuditEntry.new(
                        Action.ITEM_READ,
                        now=at,
                        actor=Actor(account=f"acc-{i % 11}", name=f"user{i % 11}", role="member"),
                        targets={"item": f"item-{i}", "practice": f"practice-{i % 3}"},
                        request=f"req-{i}",
                    ),
                    first + i,
                )
                h = merkle.leaf_hash(leaf)
                levels[0].append(h)
                rows.append((first + i, leaf, h))
            conn.executemany("INSERT INTO audit_entries (idx, leaf, hash) VALUES (?, ?, ?)", rows)
            level = 1
            while len(levels[level - 1]) >= 2:
                if len(levels) == level:
                    levels.append([])
                below, here = levels[level - 1], levels[level]
                done = len(here)
                for k in range(done, len(below) // 2):
                    here.append(merkle.node_hash(below[2 * k], below[2 * k + 1]))
                # the vault's own entries' subtrees are stored already
                new = [(level, k, here[k]) for k in range(max(done, first >> level), len(here))]
                conn.executemany("INSERT INTO audit_nodes (level, idx, hash) VALUES (?, ?, ?)", new)
                level += 1
            issuer.issue(conn, now=start + span * (hi - 1))

    env.db.write(tx)
    return issuer


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _opened(settings: Settings, clock: Clock) -> Iterator[Vault]:
    with open_test_vault(settings, now=clock) as opened:
        yield opened


@pytest.fixture
def aged(initialised: Settings, clock: Clock) -> Iterator[Vault]:
    """A small log over 18 months (1,800 entries, 6 checkpoints), the clock at its end."""
    start = _start()
    clock.at = _add_months(start, MONTHS)
    yield from _opened(initialised, clock)


def _dump(vault: Vault) -> list[object]:
    def read(conn: Connection) -> list[object]:
        return [
            conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()  # noqa: S608 - fixed names
            for t in (
                "audit_entries",
                "audit_nodes",
                "audit_checkpoints",
                "audit_retention",
                "audit_index",
            )
        ]

    return vault.env.db.read(read)


def test_100000_entries_over_18_months_pruned_at_12_still_verify(
    initialised: Settings, clock: Clock
) -> None:
    """The first "Done when" point of issue 17."""
    began = time.monotonic()
    start = _start()
    clock.at = _add_months(start, MONTHS)
    with open_test_vault(initialised, now=clock) as vault:
        env = vault.env
        first = env.db.read(env.log.size)  # the vault's own entries, from init
        issuer = _fill(vault, start, 100_000, checkpoints=20)
        built = time.monotonic() - began
        server = issuer.signer.verifier

        plan = retention.preview(env)
        cutoff = _add_months(start, MONTHS - 12)
        span = (_add_months(start, MONTHS) - start) / 100_000
        older = sum(1 for i in range(100_000) if start + span * i < cutoff)
        assert 33_000 < older < 34_000  # six months of eighteen
        assert (plan.minimum, plan.upto, plan.held_by) == (0, first + older, None)

        t = time.monotonic()
        pruned = retention.prune(env, REQ)
        pruning = time.monotonic() - t
        minimum = first + older
        assert pruned.plan.count == minimum and pruned.recorded_at is not None

        # Full verification passes: contents from the minimum index, hashes below it.
        t = time.monotonic()
        report = env.db.read(lambda c: verify_database(c, server, origin=server.name))
        verifying = time.monotonic() - t
        assert (report.size, report.checkpoints, report.pruned) == (
            first + 100_001,
            20,
            minimum,
        )

        # Inclusion proofs of kept entries, in the latest checkpoint and in an older one.
        latest = stored_checkpoints_of(vault)[-1]
        for index in (minimum, minimum + 1, minimum + 12_345, first + 99_999):
            proof = operations.prove(env, issuer, index)
            _, leaf = verify_proof_file(proof.text, server, origin=server.name)
            assert json.loads(leaf)["index"] == index
        older_cp = next(c for c in stored_checkpoints_of(vault) if c.checkpoint.size > minimum)
        hashes = env.db.read(
            lambda c: env.log.inclusion_proof(c, minimum, older_cp.checkpoint.size).hashes
        )
        leaf_hash = merkle.leaf_hash(env.db.read(lambda c: env.log.leaf(c, minimum)))
        merkle.verify_inclusion(
            leaf_hash, minimum, older_cp.checkpoint.size, hashes, older_cp.checkpoint.root
        )

        # Consistency proofs between any two checkpoints, pruned or not.
        cps = [c.checkpoint for c in stored_checkpoints_of(vault)]
        assert cps[0].size < minimum < cps[-1].size
        with env.db.reading() as conn:
            for a, b in itertools.combinations(cps, 2):
                proof_hashes = env.log.consistency_proof(conn, a.size, b.size).hashes
                merkle.verify_consistency(a.size, b.size, a.root, b.root, proof_hashes)

        # Reads below the minimum index: refused, with a sentence saying why.
        with pytest.raises(EntryPruned, match=f"readable from index {minimum}"):
            env.db.read(lambda c: env.log.leaf(c, minimum - 1))
        with pytest.raises(EntryPruned, match="retention period"):
            operations.prove(env, issuer, 0)
        auditor = Principal("auditor-id", "auditor", Role.AUDITOR)
        with pytest.raises(Pruned):
            console.entry(env, REQ, auditor, minimum - 1, server)
        with pytest.raises(Pruned):
            console.proof_file(env, REQ, auditor, 5, vault.checkpointing)

        # The export verifies offline and says from where contents were checked.
        out = io.StringIO()
        env.db.read(lambda c: write_bundle(c, out, server, origin=server.name))
        offline = verify_bundle(Bundle.parse(out.getvalue()), server)
        assert offline.pruned == minimum and offline.size == latest.checkpoint.size
    total = time.monotonic() - began
    print(
        f"\n100,000 entries built in {built:.1f} s, {minimum} pruned in {pruning:.2f} s,"
        f" verified in {verifying:.2f} s; whole test {total:.1f} s"
    )


def stored_checkpoints_of(vault: Vault) -> list[StoredCheckpoint]:
    verifier = vault.checkpointing.issuer.signer.verifier
    return vault.env.db.read(lambda c: stored_checkpoints(c, verifier))


def test_pruning_is_audited_and_clears_the_derived_indexes(aged: Vault) -> None:
    env = aged.env
    _fill(aged, _start(), 1800, checkpoints=6)
    done = retention.prune(env, REQ)
    assert done.recorded_at is not None
    last = env.db.read(lambda c: env.log.entry(c, done.recorded_at or 0)).entry
    assert last.action == "audit.pruned"
    assert dict(last.detail) == {
        "entries": done.plan.count,
        "from_index": 0,
        "min_index": done.plan.upto,
        "months": 12,
        "cutoff": done.plan.cutoff,
    }
    assert done.plan.count > 500
    left = env.db.read(lambda c: c.execute("SELECT min(idx) FROM audit_index").fetchone()[0])
    assert left == done.plan.upto  # who did what, below the minimum, is gone from the index


def test_the_dry_run_changes_nothing(aged: Vault) -> None:
    _fill(aged, _start(), 1800, checkpoints=6)
    before = _dump(aged)
    plan = retention.preview(aged.env)
    assert plan.count > 500
    assert _dump(aged) == before


def test_an_uncosigned_checkpoint_holds_pruning_when_cosigning_is_required(
    initialised: Settings, clock: Clock
) -> None:
    start = _start()
    clock.at = _add_months(start, MONTHS)
    settings = dataclasses.replace(initialised, audit_require_cosigning=True)
    with open_test_vault(settings, now=clock) as vault:
        env = vault.env
        _fill(vault, start, 1800, checkpoints=6)
        plan = retention.preview(env)
        assert (plan.upto, plan.held_by) == (0, retention.HELD_BY_COSIGNING)
        held = retention.prune(env, REQ)
        assert held.plan.count == 0 and held.recorded_at is None
        assert (
            env.db.read(
                lambda c: c.execute(
                    "SELECT count(*) FROM audit_entries WHERE leaf IS NULL"
                ).fetchone()[0]
            )
            == 0
        )

        # An auditor cosigns the checkpoint of 300 entries: pruning goes that far, no further.
        from audit import note as notes
        from audit.issuer import add_cosignature
        from tests.audit.helpers import make_signer

        auditor = make_signer("auditor.example", seed=9)
        cps = stored_checkpoints_of(vault)
        first = cps[0]  # covers the vault's own entry and the first 300
        assert 0 < first.checkpoint.size < plan.due
        cosigned = notes.add_signatures(
            first.note, [notes.signature(first.checkpoint.body(), auditor)]
        )
        server = vault.checkpointing.issuer.signer.verifier
        env.db.write(lambda c: add_cosignature(c, first.seq, cosigned, auditor.verifier, server))
        done = retention.prune(env, REQ)
        assert done.plan.upto == first.checkpoint.size
        assert done.plan.held_by == retention.HELD_BY_COSIGNING


def test_a_second_run_the_same_day_does_nothing(aged: Vault, clock: Clock) -> None:
    env = aged.env
    _fill(aged, _start(), 1800, checkpoints=6)
    first = retention.prune_daily(env)
    assert first.plan.count > 0 and not first.skipped
    recorded = env.db.read(lambda c: env.log.entry(c, first.recorded_at or 0)).entry
    assert (recorded.action, recorded.actor.name) == ("audit.pruned", "system")
    # Later the same day more entries are past the period and a checkpoint covers them ...
    clock.advance(3600)
    aged.checkpointing.issue_now(env)
    before = _dump(aged)
    again = retention.prune_daily(env)
    assert again.skipped and again.recorded_at is None
    assert _dump(aged) == before
    # ... the next day's run prunes them, once.
    clock.at = clock.at.replace(hour=0, minute=5) + timedelta(days=1)
    aged.checkpointing.issue_now(env)
    following = retention.prune_daily(env)
    assert not following.skipped and following.plan.minimum == first.plan.upto


def test_the_vault_still_verifies_after_a_prune_through_the_use_case(aged: Vault) -> None:
    env = aged.env
    _fill(aged, _start(), 1800, checkpoints=6)
    retention.prune(env, REQ)
    report = operations.verify_log(env, aged.checkpointing.issuer.signer.verifier)
    assert report.pruned > 500


def test_the_background_job_prunes_once_a_day(aged: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server's "audit retention" job prunes on its first round; its next rounds the
    same day append nothing."""
    import asyncio

    from vault import lifecycle

    env = aged.env
    _fill(aged, _start(), 1800, checkpoints=6)
    monkeypatch.setattr(lifecycle, "RETENTION_FIRST_AFTER", 0.0)
    monkeypatch.setattr(lifecycle, "RETENTION_EVERY_SECONDS", 0.02)
    jobs = [j for j in lifecycle.server_jobs(aged) if j.name == "audit retention"]
    assert len(jobs) == 1

    def pruned_entries() -> int:
        return int(
            env.db.read(
                lambda c: c.execute(
                    "SELECT count(*) FROM audit_index WHERE action = 'audit.pruned'"
                ).fetchone()[0]
            )
        )

    async def serve() -> None:
        async with lifecycle.Lifecycle(aged, jobs):
            for _ in range(200):
                await asyncio.sleep(0.02)
                if pruned_entries():
                    break
            await asyncio.sleep(0.3)  # a dozen more rounds, the same day

    asyncio.run(serve())
    assert pruned_entries() == 1
    assert (
        env.db.read(lambda c: c.execute("SELECT min_index FROM audit_retention").fetchone()[0])
        > 500
    )
