"""Group commit: many callers, fewer durable commits, failures isolated."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from vault.database import Database
from vault.errors import WriteFailed
from vault.store import Connection


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
    from vault.writer import _Job

    late = _Job(lambda c: None)
    writer._queue.put(late)  # as a racing submit() would have done
    writer.close()
    with pytest.raises(WriteFailed, match="closed"):
        late.future.result(timeout=5)
