"""What runs beside the requests while a vault is served, owned by one object.

``Lifecycle`` owns every background job of a serving vault: the process's
heartbeat (vault/leases.py), the checkpoint ticker, the witnesses' submissions (with
a witness policy), the refusal-count sweeper, the escalation of urgent items, the
orphan collection, the members' daily digests and the audit log's retention
(periodic jobs, each round in a worker thread), and the state that lives as long as the server: the
"verify now" runs and the pending exports. ``start`` starts the jobs in
order; ``stop`` interrupts the verifications and waits for their threads, then stops the jobs in the
reverse order (a round in progress finishes first: its thread is never
abandoned), so the caller may close the database afterwards.

Several server processes may serve one vault, each with its own lifecycle: every
job's round is one write transaction that checks inside it whether work is left, or
runs under a lease (vault/leases.py), so background work runs once across processes
(docs/operations.md, "Several processes").

A round that fails is logged by its type and retried at the next one, as
the server keeps serving. A job that ends by itself with an exception is a
bug: it is logged, and the lifecycle stops the other jobs rather than serve
half of them (``failure`` names it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from vault import leases
from vault.auditing import retention
from vault.auditing.checkpoints import TICK_SECONDS
from vault.auditing.export import Exports
from vault.auditing.verification import Verifications
from vault.auditing.witnessing import publish_round
from vault.identity import refusals
from vault.items import deposits
from vault.notify import digest, engine
from vault.opening import Vault

log = logging.getLogger("permanence.lifecycle")

NOTIFY_EVERY_SECONDS = 2.0
ORPHANS_EVERY_SECONDS = 3600.0
# Each round prunes only if no pruning ran yet this UTC day (stored, so exactly once a day
# across restarts and processes): hourly rounds start it within an hour of midnight.
RETENTION_EVERY_SECONDS = 3600.0
RETENTION_FIRST_AFTER = 60.0
DIGEST_EVERY_SECONDS = 30.0


async def _in_thread(fn: Callable[[], object]) -> None:
    """Run ``fn`` in a worker thread; a cancel waits for it to finish before it propagates."""
    work = asyncio.ensure_future(asyncio.to_thread(fn))
    try:
        await asyncio.shield(work)
    except asyncio.CancelledError:
        await asyncio.wait([work])  # the thread is never abandoned under a closing database
        if not work.cancelled():
            work.exception()  # retrieved: the round's own error no longer matters
        raise


@dataclass(frozen=True, slots=True)
class Job:
    """A named coroutine that runs until it is cancelled."""

    name: str
    run: Callable[[], Coroutine[Any, Any, None]]


def periodic(name: str, fn: Callable[[], object], every: float, *, first_after: float = 0.0) -> Job:
    """A job calling ``fn`` in a worker thread every ``every`` seconds, the first time after
    ``first_after``; a round that raises is logged by type and the next round tries again."""

    async def loop() -> None:
        await asyncio.sleep(first_after)
        while True:
            try:
                await _in_thread(fn)
            except Exception as exc:  # keep serving: the next round tries again
                log.error("%s failed: %s", name, type(exc).__name__)
            await asyncio.sleep(every)

    return Job(name, loop)


def server_jobs(vault: Vault) -> list[Job]:
    """The serving vault's jobs, in the order they start (they stop in the reverse one)."""
    env, checkpointing = vault.env, vault.checkpointing
    return [
        periodic("process heartbeat", lambda: leases.beat(env), leases.HEARTBEAT_SECONDS),
        periodic(
            "audit checkpoint",
            lambda: checkpointing.tick(env),
            TICK_SECONDS,
            first_after=TICK_SECONDS,
        ),
        periodic("refusal count", lambda: refusals.flush_closed(env), refusals.SWEEP_SECONDS),
        periodic("orphan collection", lambda: _collect_orphans(vault), ORPHANS_EVERY_SECONDS),
        periodic("notification delivery", lambda: engine.tick(env), NOTIFY_EVERY_SECONDS),
        periodic("daily digest", lambda: digest.run_due(env), DIGEST_EVERY_SECONDS),
        periodic(
            "audit retention",
            lambda: retention.prune_daily(env),
            RETENTION_EVERY_SECONDS,
            first_after=RETENTION_FIRST_AFTER,
        ),
        *_witness_jobs(vault),
    ]


def _collect_orphans(vault: Vault) -> None:
    """Once an hour across every process on the vault (a lease), not once per process."""
    env = vault.env
    leases.once_per(
        env, "orphan collection", ORPHANS_EVERY_SECONDS, lambda: deposits.collect_orphans(env)
    )


def _witness_jobs(vault: Vault) -> list[Job]:
    """With a witness policy: each new checkpoint submitted to the witnesses lacking it."""
    policy, issuer = vault.checkpointing.witnesses, vault.checkpointing.issuer
    if policy is None:
        return []
    verifier = issuer.signer.verifier
    return [
        periodic(
            "audit witnesses",
            lambda: publish_round(vault.env, verifier, policy),
            TICK_SECONDS,
            first_after=TICK_SECONDS,
        )
    ]


class Lifecycle:
    """Every background job and long-lived state of one serving vault."""

    def __init__(self, vault: Vault, jobs: Sequence[Job] | None = None) -> None:
        self.vault = vault
        self.verifications = Verifications()
        self.exports = Exports()
        self.jobs = tuple(server_jobs(vault) if jobs is None else jobs)
        self.failure: str | None = None  # the job that ended with an exception, if one did
        self._tasks: list[asyncio.Task[None]] = []
        self._watcher: asyncio.Task[None] | None = None

    @property
    def running(self) -> list[str]:
        """The names of the jobs still running, in start order."""
        return [t.get_name() for t in self._tasks if not t.done()]

    async def start(self) -> None:
        """Start the jobs in order (again after a ``stop``: an app served twice, in tests)."""
        if self.running:
            raise RuntimeError("the lifecycle has already started")
        if self._tasks:  # stopped before: its verifications were interrupted for good
            self.verifications, self._tasks, self.failure = Verifications(), [], None
        for job in self.jobs:
            self._tasks.append(asyncio.create_task(job.run(), name=job.name))
        self._watcher = asyncio.create_task(self._watch(), name="lifecycle watcher")

    async def stop(self) -> None:
        """Interrupt verifications, then stop the jobs in the reverse of their start order."""
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        await _in_thread(self.verifications.stop)
        await self._stop_jobs()

    async def _stop_jobs(self) -> None:
        for task in reversed(self._tasks):
            task.cancel()
            await asyncio.wait([task])  # a round in its thread finishes first
            if not task.cancelled() and task.exception() is not None and self.failure is None:
                self.failure = task.get_name()

    async def _watch(self) -> None:
        """Wait for a job to end by itself; stop the others when one does."""
        if not self._tasks:
            return
        done, _ = await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
        ended = next(iter(done))
        problem = None if ended.cancelled() else ended.exception()
        self.failure = ended.get_name()
        log.error(
            "background job %s ended (%s); stopping the others",
            ended.get_name(),
            type(problem).__name__ if problem else "without an error",
        )
        await self._stop_jobs()

    async def __aenter__(self) -> Lifecycle:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


__all__ = [
    "DIGEST_EVERY_SECONDS",
    "NOTIFY_EVERY_SECONDS",
    "ORPHANS_EVERY_SECONDS",
    "RETENTION_EVERY_SECONDS",
    "Job",
    "Lifecycle",
    "periodic",
    "server_jobs",
]
