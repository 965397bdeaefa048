"""The lifecycle of a serving vault: jobs start in order, stop in the reverse order, a job
that dies stops the others, and a shutdown waits for the work in flight."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from audit.keys import NoteVerifier
from tests.factories import REQ, add_account
from vault.auditing import verification
from vault.auditing.verification import INTERRUPTED
from vault.identity.roles import Role
from vault.lifecycle import Job, Lifecycle, periodic, server_jobs
from vault.opening import Vault


def _recording_job(name: str, events: list[str]) -> Job:
    async def run() -> None:
        events.append(f"start {name}")
        try:
            await asyncio.sleep(3600)
        finally:
            events.append(f"stop {name}")

    return Job(name, run)


def test_the_server_jobs_are_every_background_job(vault: Vault) -> None:
    """Checkpoints, refusals, orphans, notifications, digests, retention: a server's jobs."""
    assert [job.name for job in server_jobs(vault)] == [
        "process heartbeat",
        "audit checkpoint",
        "refusal count",
        "orphan collection",
        "notification delivery",
        "daily digest",
        "audit retention",
    ]


def test_with_a_witness_policy_the_server_also_submits_to_the_witnesses(vault: Vault) -> None:
    from dataclasses import replace

    from audit.witness_policy import parse_policy

    witnessed = replace(
        vault, checkpointing=replace(vault.checkpointing, witnesses=parse_policy("quorum none"))
    )
    assert [job.name for job in server_jobs(witnessed)][-1] == "audit witnesses"


def test_jobs_start_in_order_and_stop_in_the_reverse_order(vault: Vault) -> None:
    events: list[str] = []
    lifecycle = Lifecycle(vault, [_recording_job(n, events) for n in ("a", "b", "c")])

    async def serve() -> list[str]:
        async with lifecycle:
            await asyncio.sleep(0.05)
            running = lifecycle.running
        return running

    assert asyncio.run(serve()) == ["a", "b", "c"]
    assert events == ["start a", "start b", "start c", "stop c", "stop b", "stop a"]
    assert lifecycle.running == [] and lifecycle.failure is None


def test_a_job_that_fails_stops_the_others(vault: Vault) -> None:
    """A job ending with an exception (a bug: rounds catch their own errors) does not leave
    the other jobs running half a server."""
    events: list[str] = []

    async def broken() -> None:
        await asyncio.sleep(0.05)
        raise RuntimeError("bug")

    lifecycle = Lifecycle(
        vault, [_recording_job("a", events), Job("broken", broken), _recording_job("c", events)]
    )

    async def serve() -> list[str]:
        async with lifecycle:
            for _ in range(100):
                await asyncio.sleep(0.02)
                if not lifecycle.running:
                    break
            return lifecycle.running

    assert asyncio.run(serve()) == []
    assert lifecycle.failure == "broken"
    assert events == ["start a", "start c", "stop c", "stop a"]


def test_a_failed_round_is_retried_and_the_job_keeps_running(vault: Vault) -> None:
    rounds: list[int] = []

    def flaky() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise OSError("disk hiccup")

    lifecycle = Lifecycle(vault, [periodic("flaky", flaky, 0.01)])

    async def serve() -> list[str]:
        async with lifecycle:
            while len(rounds) < 3:
                await asyncio.sleep(0.01)
            return lifecycle.running

    assert asyncio.run(serve()) == ["flaky"]
    assert lifecycle.failure is None


def test_stop_waits_for_a_round_in_flight(vault: Vault) -> None:
    """A round running in its thread at shutdown finishes before ``stop`` returns, so the
    database is never closed under it."""
    started, release = threading.Event(), threading.Event()
    finished: list[bool] = []

    def slow_round() -> None:
        started.set()
        release.wait(10)
        finished.append(True)

    lifecycle = Lifecycle(vault, [periodic("slow", slow_round, 3600)])

    async def serve() -> None:
        async with lifecycle:
            while not started.is_set():
                await asyncio.sleep(0.01)
            threading.Timer(0.2, release.set).start()
            began = time.monotonic()
        assert time.monotonic() - began >= 0.15  # stop waited for the round

    asyncio.run(serve())
    assert finished == [True]


def test_stop_interrupts_a_verification_in_flight(
    vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A "verify now" still going at shutdown is interrupted and its thread joined; nothing
    is recorded for a log it did not finish checking."""
    going = threading.Event()

    def endless(conn: Any, verifier: Any, *, origin: str, progress: Any) -> None:
        going.set()
        done = 0
        while True:  # a huge log: progress is reported until the server stops
            done += 1
            progress(done, done + 1)
            time.sleep(0.001)

    monkeypatch.setattr(verification, "verify_database", endless)
    auditor = add_account(vault.env, Role.AUDITOR, "auditor")
    lifecycle = Lifecycle(vault, [])
    verifier: NoteVerifier = vault.checkpointing.issuer.signer.verifier

    async def serve() -> verification.VerificationRun:
        async with lifecycle:
            run = lifecycle.verifications.start(
                vault.env, REQ, auditor.principal, verifier, vault.checkpointing.issuer.origin
            )
            while not going.is_set():
                await asyncio.sleep(0.01)
            assert lifecycle.verifications.in_flight == 1
        return run

    run = asyncio.run(serve())
    assert lifecycle.verifications.in_flight == 0
    assert run.finished and run.ok is None and run.problem == INTERRUPTED
    assert run.recorded_at is None


def test_a_stopped_lifecycle_starts_again(vault: Vault) -> None:
    """An app served twice (two test clients in turn) runs its jobs again the second time."""
    events: list[str] = []
    lifecycle = Lifecycle(vault, [_recording_job("a", events)])

    async def serve() -> list[str]:
        async with lifecycle:
            await asyncio.sleep(0.02)
            return lifecycle.running

    assert asyncio.run(serve()) == ["a"]
    assert asyncio.run(serve()) == ["a"]
    assert events == ["start a", "stop a", "start a", "stop a"]
