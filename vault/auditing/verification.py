""" "Verify now": the whole log checked in a background thread, with progress.

An auditor starts a run; the tree and every checkpoint are verified
(``audit.verify.verify_database``) on a read snapshot of their own, and the
outcome is recorded as an ``audit.verified`` entry naming the first bad index
when there is one. Runs live in memory: a restart forgets them, the log keeps
their outcome. At shutdown ``stop`` interrupts the runs still going (their outcome is
not recorded: the log was not fully checked) and waits for their threads.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime

from audit.entry import Action, Outcome
from audit.errors import AuditError, LogInconsistent
from audit.keys import NoteVerifier
from audit.verify import verify_database
from vault.env import Env, Principal, RequestInfo
from vault.errors import NotFound, VaultError

MAX_KEPT = 32
INTERRUPTED = "interrupted: the server stopped before the check finished"


class _Interrupted(Exception):
    """Raised from a run's progress callback when the server stops."""


@dataclass
class VerificationRun:
    """What one run has done so far; read by the page that polls it."""

    id: str
    account_id: str
    started_at: datetime
    done: int = 0
    total: int = 0
    finished: bool = False
    ok: bool | None = None
    size: int = 0
    checkpoints: int = 0
    cosignatures: int = 0
    pruned: int = 0  # the minimum index: contents were checked from there, hashes below
    bad_index: int | None = None
    problem: str | None = None  # the verifier's own sentence (English, technical)
    recorded_at: int | None = None  # index of the audit.verified entry

    @property
    def percent(self) -> int:
        if self.finished:
            return 100
        return 0 if self.total == 0 else min(99, self.done * 100 // self.total)


class Verifications:
    """The runs of one server, at most one at a time per account."""

    def __init__(self) -> None:
        self._runs: dict[str, VerificationRun] = {}
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    def start(
        self,
        env: Env,
        request: RequestInfo,
        principal: Principal,
        verifier: NoteVerifier,
        origin: str,
    ) -> VerificationRun:
        with self._lock:
            for run in self._runs.values():
                if run.account_id == principal.account_id and not run.finished:
                    return run
            run = VerificationRun(secrets.token_hex(8), principal.account_id, env.now())
            self._runs[run.id] = run
            for old in list(self._runs)[:-MAX_KEPT]:
                del self._runs[old]
        thread = threading.Thread(
            target=_run,
            args=(env, request, principal, verifier, origin, run, self._stopping),
            name=f"verify-{run.id}",
            daemon=True,
        )
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()
        return run

    @property
    def in_flight(self) -> int:
        """How many runs are still going."""
        with self._lock:
            return sum(t.is_alive() for t in self._threads)

    def stop(self, timeout: float | None = None) -> None:
        """Interrupt the runs still going and wait for their threads (blocking)."""
        self._stopping.set()
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)

    def get(self, run_id: str, principal: Principal) -> VerificationRun:
        run = self._runs.get(run_id)
        if run is None or run.account_id != principal.account_id:
            raise NotFound()
        return run


def run_verification(
    env: Env,
    request: RequestInfo,
    principal: Principal,
    verifier: NoteVerifier,
    origin: str,
    run: VerificationRun,
    stopping: threading.Event | None = None,
) -> VerificationRun:
    """Verify and record the outcome (also called directly, without a thread)."""

    def progress(done: int, total: int) -> None:
        if stopping is not None and stopping.is_set():
            raise _Interrupted
        run.done, run.total = done, total

    try:
        report = env.db.read(
            lambda conn: verify_database(conn, verifier, origin=origin, progress=progress)
        )
        run.ok, run.size = True, report.size
        run.checkpoints, run.cosignatures = report.checkpoints, report.cosignatures
        run.pruned = report.pruned
    except LogInconsistent as e:
        run.ok, run.bad_index, run.problem = False, e.index, str(e)
    except AuditError as e:
        run.ok, run.problem = False, str(e)
    detail: dict[str, int | str | None] = {"size": run.size}
    if run.pruned:
        detail["contents_from"] = run.pruned
    if not run.ok:
        detail = {"first_bad_index": run.bad_index}
    run.recorded_at = env.db.write(
        lambda conn: env.record(
            conn,
            Action.AUDIT_VERIFIED,
            request,
            actor=principal.actor,
            outcome=Outcome.OK if run.ok else Outcome.FAILED,
            detail=detail,
        )
    )
    return run


def _run(
    env: Env,
    request: RequestInfo,
    principal: Principal,
    verifier: NoteVerifier,
    origin: str,
    run: VerificationRun,
    stopping: threading.Event,
) -> None:
    try:
        run_verification(env, request, principal, verifier, origin, run, stopping)
    except _Interrupted:  # the server stops: nothing recorded, the log was not fully checked
        run.ok, run.problem = None, INTERRUPTED
    except VaultError as e:  # the database failed: say so on the page
        run.ok, run.problem = False, type(e).__name__
    finally:
        run.finished = True
