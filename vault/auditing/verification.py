""" "Verify now": the whole log checked in a background thread, with progress.

An auditor starts a run; the tree and every checkpoint are verified
(``audit.verify.verify_database``) on a read snapshot of their own, and the
outcome is recorded as an ``audit.verified`` entry naming the first bad index
when there is one. A run and its progress are kept in ``audit_verification``, so that
with several server processes on one vault the page polling it may reach any of them;
a run whose process stopped (its heartbeat, vault/leases.py) shows as interrupted.
Runs are kept a day; the log keeps their outcome. At shutdown ``stop`` interrupts the
runs still going (their outcome is not recorded: the log was not fully checked) and
waits for their threads.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from audit.entry import Action, Outcome
from audit.errors import AuditError, LogInconsistent
from audit.keys import NoteVerifier
from audit.verify import verify_database
from vault import leases
from vault.clock import iso, parse_iso
from vault.env import Env, Principal, RequestInfo
from vault.errors import NotFound, VaultError
from vault.storage.store import Connection

MAX_KEPT = 32
KEPT_FOR = timedelta(days=1)  # runs older than this leave the table when another starts
PROGRESS_SECONDS = 0.5  # how often a run's progress is written for the other processes
INTERRUPTED = "interrupted: the server stopped before the check finished"
STOPPED = "interrupted: the server process running the check stopped"


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
    """This process's runs, kept in the database for every process (at most one at a time
    per account across them)."""

    def __init__(self, *, holder: str = leases.PROCESS) -> None:
        self._holder = holder
        self._runs: dict[str, VerificationRun] = {}  # the runs this process is running
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
        now = env.now()
        run_id = env.randbytes(8).hex()

        def tx(conn: Connection) -> str | None:
            """The account's run still going (in any process), else None: this one starts."""
            conn.execute(
                "DELETE FROM audit_verification WHERE started_at < ?",
                (iso(now - KEPT_FOR),),
            )
            for row in conn.execute(
                _SELECT + " WHERE account_id = ? AND finished = 0 ORDER BY started_at",
                (principal.account_id,),
            ).fetchall():
                if not _stale(conn, row, now):
                    return str(row[0])
            conn.execute(
                "INSERT INTO audit_verification (id, account_id, holder, started_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?)",
                (run_id, principal.account_id, self._holder, iso(now), iso(now)),
            )
            return None

        going = env.db.write(tx)
        if going is not None:
            return self.get(env, going, principal)
        run = VerificationRun(run_id, principal.account_id, now)
        with self._lock:
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

    def get(self, env: Env, run_id: str, principal: Principal) -> VerificationRun:
        """A run of ``principal``'s, started by this process or another one."""
        run = self._runs.get(run_id)
        if run is None:
            now = env.now()

            def read(conn: Connection) -> VerificationRun | None:
                row = conn.execute(_SELECT + " WHERE id = ?", (run_id,)).fetchone()
                return None if row is None else _loaded(row, _stale(conn, row, now))

            run = env.db.read(read)
        if run is None or run.account_id != principal.account_id:
            raise NotFound()
        return run


_SELECT = (
    "SELECT id, account_id, holder, started_at, done, total, finished, ok, size, checkpoints,"
    " cosignatures, pruned, bad_index, problem, recorded_at FROM audit_verification"
)


def _stale(conn: Connection, row: Any, now: datetime) -> bool:
    """A run not finished whose process has stopped (its heartbeat, vault/leases.py), or
    older than the runs kept (its process's heartbeat may be forgotten by then)."""
    if row[6]:
        return False
    return parse_iso(str(row[3])) < now - KEPT_FOR or not leases.alive(conn, str(row[2]), now)


def _loaded(row: Any, stale: bool) -> VerificationRun:
    run = VerificationRun(
        str(row[0]),
        str(row[1]),
        parse_iso(str(row[3])),
        done=int(row[4]),
        total=int(row[5]),
        finished=bool(row[6]) or stale,
        ok=None if row[7] is None else bool(row[7]),
        size=int(row[8]),
        checkpoints=int(row[9]),
        cosignatures=int(row[10]),
        pruned=int(row[11]),
        bad_index=None if row[12] is None else int(row[12]),
        problem=STOPPED if stale else (None if row[13] is None else str(row[13])),
        recorded_at=None if row[14] is None else int(row[14]),
    )
    return run


def _save(conn: Connection, run: VerificationRun, now: datetime) -> None:
    conn.execute(
        "UPDATE audit_verification SET updated_at = ?, done = ?, total = ?, finished = ?,"
        " ok = ?, size = ?, checkpoints = ?, cosignatures = ?, pruned = ?, bad_index = ?,"
        " problem = ?, recorded_at = ? WHERE id = ?",
        (
            iso(now),
            run.done,
            run.total,
            int(run.finished),
            None if run.ok is None else int(run.ok),
            run.size,
            run.checkpoints,
            run.cosignatures,
            run.pruned,
            run.bad_index,
            run.problem,
            run.recorded_at,
            run.id,
        ),
    )


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

    saved = [time.monotonic()]

    def progress(done: int, total: int) -> None:
        if stopping is not None and stopping.is_set():
            raise _Interrupted
        run.done, run.total = done, total
        if time.monotonic() - saved[0] >= PROGRESS_SECONDS:  # for the other processes
            saved[0] = time.monotonic()
            env.db.write(lambda conn: _save(conn, run, env.now()))

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

    def record(conn: Connection) -> int:
        at = env.record(
            conn,
            Action.AUDIT_VERIFIED,
            request,
            actor=principal.actor,
            outcome=Outcome.OK if run.ok else Outcome.FAILED,
            detail=detail,
        )
        finished = replace(run, finished=True, recorded_at=at)
        _save(conn, finished, env.now())  # a run started from ``start``: its row
        return at

    run.recorded_at = env.db.write(record)
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
        _save_quietly(env, run)
    except VaultError as e:  # the database failed: say so on the page
        run.ok, run.problem = False, type(e).__name__
        _save_quietly(env, run)
    finally:
        run.finished = True


def _save_quietly(env: Env, run: VerificationRun) -> None:
    """The run's end, for the other processes, if the database still takes it."""
    ended = replace(run, finished=True)
    with contextlib.suppress(VaultError):
        env.db.write(lambda conn: _save(conn, ended, env.now()))
