"""Group commit: one writer thread, many callers, one durable commit per group.

Callers hand the writer a *transaction function* ``fn(conn) -> T``. The writer
takes every function waiting in its queue (up to ``max_group``), runs each
inside its own SAVEPOINT of one ``BEGIN IMMEDIATE`` transaction, commits once
(durable: WAL with ``synchronous=FULL``), and only then answers each caller.
A function that raises is rolled back to its savepoint and fails alone; the
others in its group still commit. If the commit itself fails, every caller of
the group gets ``WriteFailed`` and nothing of the group is kept.

Nothing leaves a caller waiting for ever: queueing and closing take one lock,
so a job is either queued ahead of the stop signal (and runs) or refused; a
function that raises outside ``Exception`` (``SystemExit``, ``KeyboardInterrupt``)
fails alone with ``WriteFailed``; and should the thread itself die, everything
queued and everything submitted afterwards gets ``WriteFailed`` at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from vault.errors import VaultError, WriteFailed
from vault.storage.store import Connection, translated_errors

T = TypeVar("T")
Transaction = Callable[[Connection], T]


@dataclass(slots=True)
class _Job:
    fn: Callable[[Connection], Any]
    # A thread's future; None for asyncio callers, who have their loop and future instead,
    # resolved in one callback per group (a concurrent Future would cost a lock each).
    future: Future[Any] | None = None
    loop: asyncio.AbstractEventLoop | None = None
    afuture: asyncio.Future[Any] | None = None


@dataclass(slots=True)
class WriterStats:
    commits: int = 0
    transactions: int = 0
    failed: int = 0


class ChangeWatch:
    """A count of the commits that changed some watched rows (``Writer.watch``).

    The count moves *after* the commit, so a reader that takes ``generation`` before it
    reads, and keeps what it read only while the count has not moved, never keeps rows
    older than a commit it could have seen. Only this writer's commits are counted: a
    change by another process on the same database file is not.
    """

    def __init__(self) -> None:
        self.generation = 0
        self._fired = False

    def fired(self) -> None:  # called by the watched triggers, inside the transaction
        self._fired = True

    def committed(self) -> None:
        if self._fired:
            self._fired = False
            self.generation += 1


class Writer:
    """The single writer of a database connection."""

    def __init__(self, conn: Connection, *, max_group: int = 256) -> None:
        self._conn = conn
        self._max_group = max_group
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self.stats = WriterStats()
        self._thread = threading.Thread(target=self._run, name="permanence-writer", daemon=True)
        # Held while checking ``_closed`` and queueing, and while closing: no job can slip
        # in behind the stop signal.
        self._lock = threading.Lock()
        self._closed = False
        self._refusal = "the writer is closed"
        self._watches: list[ChangeWatch] = []
        self._thread.start()

    def watch(self, name: str, triggers: list[str]) -> ChangeWatch:
        """A ``ChangeWatch`` moved by every commit in which one of ``triggers`` fired.

        Each trigger is ``"AFTER <event> ON <table>"`` (e.g. ``AFTER UPDATE OF revoked_at
        ON session``); they are created as TEMP triggers of this connection only, calling
        the SQL function ``name``, so the schema and other connections are untouched. On
        PostgreSQL (no TEMP triggers on shared tables) the connection itself matches each
        statement it runs against ``triggers`` (``vault.storage.postgres.connection``).
        """
        watch = ChangeWatch()

        def install(conn: Connection) -> None:
            add_watch = getattr(conn, "add_watch", None)
            if add_watch is not None:  # PostgreSQL: the connection watches its own statements
                add_watch(triggers, watch.fired)
                return
            conn.create_function(name, 0, watch.fired)  # type: ignore[attr-defined]
            for n, when in enumerate(triggers):
                conn.execute(
                    f"CREATE TEMP TRIGGER IF NOT EXISTS {name}_{n} {when}"
                    f" BEGIN SELECT {name}(); END"
                )

        self.run(install)
        self._watches.append(watch)
        return watch

    # -- callers -------------------------------------------------------------

    def submit(self, fn: Callable[[Connection], T]) -> Future[T]:
        future: Future[T] = Future()
        self._enqueue(_Job(fn, future))
        return future

    def _enqueue(self, job: _Job) -> None:
        with self._lock:
            if self._closed:
                raise WriteFailed(self._refusal)
            self._queue.put(job)

    def run(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` in the next group and return its result once durable."""
        return self.submit(fn).result()

    async def run_async(self, fn: Callable[[Connection], T]) -> T:
        """Like ``run`` for a coroutine: the event loop is woken once per group, not per caller."""
        loop = asyncio.get_running_loop()
        job = _Job(fn, loop=loop, afuture=loop.create_future())
        self._enqueue(job)
        result: T = await job.afuture  # type: ignore[misc]
        return result

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and not self._closed

    def close(self) -> None:
        """Finish what is queued, then stop the thread; later submissions are refused."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._queue.put(None)
        self._thread.join()
        self._refuse_queued()

    def _refuse_queued(self) -> None:
        """Answer every job still queued with the refusal (once nothing will run them)."""
        late: list[tuple[_Job, bool, Any]] = []
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                late.append((job, False, WriteFailed(self._refusal)))
        self._answer(late)

    # -- the thread ----------------------------------------------------------

    def _run(self) -> None:
        group: list[_Job] = []
        try:
            self._serve(group)
        except BaseException as e:  # a bug or an interrupt: stop, and say so to every caller
            self._stop_after(e, group)

    def _stop_after(self, error: BaseException, group: list[_Job]) -> None:
        with self._lock:
            self._closed = True
            self._refusal = (
                f"the writer stopped after an unexpected {type(error).__name__};"
                " no write is possible until the server restarts"
            )
        self._rollback_quietly()
        # Futures already answered are skipped (``_resolve`` skips them for asyncio callers).
        unanswered = [j for j in group if j.future is None or not j.future.done()]
        self._answer([(j, False, WriteFailed(self._refusal)) for j in unanswered])
        self._refuse_queued()

    def _serve(self, group: list[_Job]) -> None:
        """Take groups from the queue and commit them until the stop signal.

        ``group`` is filled in place, so that ``_run`` knows whom to answer if this dies.
        """
        while True:
            group.clear()
            first = self._queue.get()
            if first is None:
                return
            group.append(first)
            stop = False
            while len(group) < self._max_group:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                group.append(job)
            self._commit_group(group)
            if stop:
                return

    def _commit_group(self, group: list[_Job]) -> None:
        conn = self._conn
        outcomes: list[tuple[_Job, bool, Any]] = []
        try:
            with translated_errors():
                conn.execute("BEGIN IMMEDIATE")
                for job in group:
                    conn.execute("SAVEPOINT job")
                    try:
                        with translated_errors():
                            value = job.fn(conn)
                    except BaseException as e:  # an Exception goes back as it was raised
                        conn.execute("ROLLBACK TO job")
                        conn.execute("RELEASE job")
                        outcomes.append((job, False, _as_failure(e)))
                    else:
                        conn.execute("RELEASE job")
                        outcomes.append((job, True, value))
                conn.execute("COMMIT")
            for watch in self._watches:
                watch.committed()
        except VaultError as e:
            self._rollback_quietly()
            failure = WriteFailed(f"the commit failed: {e}")
            self.stats.failed += len(group)
            self._answer([(job, False, failure) for job in group])
            return
        self.stats.commits += 1
        self.stats.transactions += len(outcomes)
        self.stats.failed += sum(1 for _, ok, _ in outcomes if not ok)
        self._answer(outcomes)

    @staticmethod
    def _answer(outcomes: list[tuple[_Job, bool, Any]]) -> None:
        """Hand each caller its result; one wake-up per event loop for asyncio callers."""
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Job, bool, Any]]] = {}
        for job, ok, value in outcomes:
            if job.loop is not None:
                by_loop.setdefault(job.loop, []).append((job, ok, value))
            elif job.future is None:  # neither kind of caller: nobody to answer
                continue
            elif ok:
                job.future.set_result(value)
            else:
                job.future.set_exception(value)
        for loop, batch in by_loop.items():
            try:
                loop.call_soon_threadsafe(_resolve, batch)
            except RuntimeError:  # the caller's loop has closed: nobody is waiting
                continue

    def _rollback_quietly(self) -> None:
        # No transaction left to roll back is fine: the commit may have failed after ending it.
        with contextlib.suppress(Exception):
            self._conn.execute("ROLLBACK")


def _as_failure(error: BaseException) -> Exception:
    """What the caller of a failed function gets: its exception, or for one outside
    ``Exception`` (which would stop the caller's thread or event loop) a ``WriteFailed``."""
    if isinstance(error, Exception):
        return error
    failure = WriteFailed(
        f"the transaction was interrupted by {type(error).__name__}; nothing of it was written"
    )
    failure.__cause__ = error
    return failure


def _resolve(batch: list[tuple[_Job, bool, Any]]) -> None:
    """In the caller's event loop: set every future of the batch (skipping cancelled ones)."""
    for job, ok, value in batch:
        future = job.afuture
        if future is None or future.done():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
