"""Group commit: many callers, fewer durable commits, failures isolated."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

from tests.backends import open_connection
from vault.errors import WriteFailed
from vault.settings import Settings
from vault.storage.database import Database
from vault.storage.store import Connection
from vault.storage.writer import Writer


def _make_table(db: Database) -> None:
    db.write(lambda c: c.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, v TEXT NOT NULL)"))


def test_200_concurrent_writes_land_in_fewer_commits_and_a_failure_stays_alone(
    database: Database,
) -> None:
    """200 writers at once: 199 land, the one that raises is rolled back alone, < 200 commits."""
    _make_table(database)
    commits_before = database.writer.stats.commits
    barrier = threading.Barrier(50)

    def write(n: int) -> int:
        def tx(conn: Connection) -> int:
            conn.execute("INSERT INTO t (n, v) VALUES (?, ?)", (n, f"row {n}"))
            if n == 77:
                raise ValueError("deliberate failure")
            return n

        if n < 50:
            barrier.wait()
        return database.write(tx)

    with ThreadPoolExecutor(max_workers=64) as pool:
        futures = [pool.submit(write, n) for n in range(200)]
        outcomes = []
        for f in futures:
            try:
                outcomes.append(f.result())
            except ValueError:
                outcomes.append(-1)

    assert outcomes.count(-1) == 1
    rows = database.read(lambda c: [r[0] for r in c.execute("SELECT n FROM t ORDER BY n")])
    assert rows == [n for n in range(200) if n != 77]
    commits = database.writer.stats.commits - commits_before
    assert 0 < commits < 200


def test_result_is_returned_only_after_commit(database: Database) -> None:
    """When write() returns, a separate connection already sees the row."""
    _make_table(database)
    database.write(lambda c: c.execute("INSERT INTO t VALUES (1, 'one')"))
    assert database.read(lambda c: c.execute("SELECT v FROM t").fetchone()[0]) == "one"


def test_a_failed_transaction_leaves_nothing_of_itself(database: Database) -> None:
    """A transaction that wrote two rows then failed leaves neither row."""
    _make_table(database)

    def tx(conn: Connection) -> None:
        conn.execute("INSERT INTO t VALUES (1, 'a')")
        conn.execute("INSERT INTO t VALUES (2, 'b')")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        database.write(tx)
    assert database.read(lambda c: c.execute("SELECT count(*) FROM t").fetchone()[0]) == 0


def test_constraint_violation_becomes_write_failed(database: Database) -> None:
    """A driver integrity error reaches the caller as WriteFailed, not a driver exception."""
    _make_table(database)
    database.write(lambda c: c.execute("INSERT INTO t VALUES (1, 'a')"))
    with pytest.raises(WriteFailed):
        database.write(lambda c: c.execute("INSERT INTO t VALUES (1, 'again')"))


async def _async_write(database: Database) -> int:
    return await database.write_async(lambda c: c.execute("SELECT 41 + 1").fetchone()[0])


def test_async_callers_get_the_result(database: Database) -> None:
    """The asyncio entry point returns the transaction's value."""
    import asyncio

    assert asyncio.run(_async_write(database)) == 42


def test_closed_writer_refuses_new_work(database: Database) -> None:
    """After close, a write is refused clearly instead of hanging."""
    database.writer.close()
    with pytest.raises(WriteFailed, match="closed"):
        database.write(lambda c: None)


def test_many_coroutines_each_get_their_own_result_or_error(database: Database) -> None:
    """64 coroutines at once: each gets its own value, the failing one its own exception."""
    import asyncio

    _make_table(database)

    def tx_for(n: int) -> Callable[[Connection], int]:
        def tx(conn: Connection) -> int:
            conn.execute("INSERT INTO t (n, v) VALUES (?, ?)", (n, "x"))
            if n == 13:
                raise KeyError("thirteen")
            return n * 2

        return tx

    async def main() -> list[object]:
        return await asyncio.gather(
            *(database.write_async(tx_for(n)) for n in range(64)), return_exceptions=True
        )

    results = asyncio.run(main())
    assert [r for i, r in enumerate(results) if i != 13] == [n * 2 for n in range(64) if n != 13]
    assert isinstance(results[13], KeyError)
    assert database.read(lambda c: c.execute("SELECT count(*) FROM t").fetchone()[0]) == 63


def test_a_job_queued_after_the_stop_is_refused_not_left_waiting(database: Database) -> None:
    """A submission that slips in behind the stop signal gets WriteFailed instead of hanging."""
    writer = database.writer
    writer.close()
    from concurrent.futures import Future

    from vault.storage.writer import _Job

    late = _Job(lambda c: None, Future())
    writer._queue.put(late)  # as a racing submit() would have done
    writer.close()
    assert late.future is not None
    with pytest.raises(WriteFailed, match="closed"):
        late.future.result(timeout=5)


class _PausingQueue(queue.SimpleQueue):  # type: ignore[type-arg]
    """The writer's queue, holding the first job's ``put`` until the test releases it:
    the moment between a caller's check of ``_closed`` and its job reaching the queue."""

    def __init__(self) -> None:
        self.entered, self.release = threading.Event(), threading.Event()
        self._paused = False

    def put(self, item: object, block: bool = True, timeout: float | None = None) -> None:
        if item is not None and not self._paused:
            self._paused = True
            self.entered.set()
            self.release.wait(10)
        super().put(item, block, timeout)


class _SpyLock:
    """A lock that reports when someone has to wait for it."""

    def __init__(self, contended: threading.Event) -> None:
        self._lock = threading.Lock()
        self._contended = contended

    def __enter__(self) -> None:
        if not self._lock.acquire(blocking=False):
            self._contended.set()
            self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


def test_a_submit_racing_close_is_run_or_refused_never_left_waiting(
    initialised: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job whose caller saw the writer open, but reached the queue while close() ran,
    is answered (here: run, since it was first) instead of waiting for ever."""
    conn = open_connection(initialised)
    with monkeypatch.context() as patch:
        patch.setattr(queue, "SimpleQueue", _PausingQueue)
        writer = Writer(conn)
    pausing = writer._queue
    assert isinstance(pausing, _PausingQueue)
    progress = threading.Event()
    writer._lock = _SpyLock(progress)  # type: ignore[assignment]
    futures: list[Future[int]] = []
    submitter = threading.Thread(target=lambda: futures.append(writer.submit(lambda c: 42)))
    submitter.start()
    assert pausing.entered.wait(10)  # the caller is past the check, queueing its job

    def close_then_tell() -> None:
        writer.close()
        progress.set()

    closer = threading.Thread(target=close_then_tell)
    closer.start()
    assert progress.wait(10)  # close() has either finished, or waits for the caller
    pausing.release.set()
    submitter.join(10)
    closer.join(10)
    try:
        assert futures[0].result(timeout=5) == 42
    finally:
        writer.close()
        conn.close()
    with pytest.raises(WriteFailed, match="closed"):
        writer.submit(lambda c: None)


class _Escape(BaseException):
    """An exception outside ``Exception``, as a library's own control flow may raise."""


@pytest.mark.parametrize("error", [KeyboardInterrupt, SystemExit, _Escape, GeneratorExit])
def test_a_job_raising_outside_exception_fails_alone_and_the_writer_keeps_writing(
    database: Database, error: type[BaseException]
) -> None:
    """A transaction raising SystemExit or the like gets WriteFailed at once, nothing of it
    is kept, and the next write still commits (it used to kill the writer thread)."""
    _make_table(database)

    def tx(conn: Connection) -> None:
        conn.execute("INSERT INTO t VALUES (1, 'interrupted')")
        raise error

    with pytest.raises(WriteFailed, match=f"interrupted by {error.__name__}"):
        database.writer.submit(tx).result(timeout=10)
    assert database.writer.alive
    database.writer.submit(lambda c: c.execute("INSERT INTO t VALUES (2, 'kept')")).result(10)
    rows = database.read(lambda c: c.execute("SELECT n, v FROM t").fetchall())
    assert [tuple(r) for r in rows] == [(2, "kept")]


def test_an_async_job_raising_system_exit_fails_as_write_failed(database: Database) -> None:
    """A coroutine's transaction raising SystemExit gives the coroutine WriteFailed; the
    event loop keeps running (a SystemExit set on its future would have stopped it)."""
    import asyncio

    def tx(conn: Connection) -> None:
        raise SystemExit(3)

    async def main() -> str:
        try:
            await asyncio.wait_for(database.write_async(tx), 10)
        except WriteFailed as e:
            return str(e)
        return "no error"

    assert "interrupted by SystemExit" in asyncio.run(main())
    assert database.write(lambda c: c.execute("SELECT 1").fetchone()[0]) == 1


class _DiesOnCommit:
    """A real connection whose COMMIT raises outside ``Exception`` (a bug in the writer's
    own code path, which no job can catch)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        if sql == "COMMIT":
            raise _Escape("injected")
        return self._conn.execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> Any:
        return self._conn.executemany(sql, parameters)

    def close(self) -> None:
        self._conn.close()


def test_a_dead_writer_fails_its_callers_and_refuses_new_work_at_once(
    initialised: Settings,
) -> None:
    """If the writer thread dies, the jobs it held get WriteFailed, it reports itself not
    alive, and later submissions are refused at once (they used to be queued and hang)."""
    conn = open_connection(initialised)
    writer = Writer(_DiesOnCommit(conn))
    try:
        with pytest.raises(WriteFailed, match="stopped after an unexpected _Escape"):
            writer.submit(lambda c: 1).result(timeout=10)
        writer._thread.join(10)
        assert not writer.alive
        with pytest.raises(WriteFailed, match="no write is possible until the server restarts"):
            writer.submit(lambda c: 2)
    finally:
        writer.close()
        conn.close()
