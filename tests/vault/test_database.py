"""The opened database: reads per thread, and a close that never pulls a connection from a read."""

from __future__ import annotations

import threading
import time

import pytest

from vault.database import Database
from vault.errors import StoreError
from vault.store import Connection


def test_close_waits_for_a_read_in_progress_and_refuses_later_ones(database: Database) -> None:
    """A background read still running when the app shuts down finishes before its connection
    is closed (closing it under the read crashed the process); later reads get StoreError."""
    started, release = threading.Event(), threading.Event()
    results: list[int] = []

    def slow(conn: Connection) -> int:
        started.set()
        release.wait(10)
        return int(conn.execute("SELECT 41 + 1").fetchone()[0])

    reader = threading.Thread(target=lambda: results.append(database.read(slow)))
    reader.start()
    assert started.wait(10)
    closer = threading.Thread(target=database.close)
    closer.start()
    time.sleep(0.2)
    assert closer.is_alive()  # waiting for the read, not closing under it
    release.set()
    reader.join(10)
    closer.join(10)
    assert results == [42]
    with pytest.raises(StoreError, match="closed"):
        database.read(lambda c: c.execute("SELECT 1").fetchone())


def test_each_thread_reads_with_its_own_connection(database: Database) -> None:
    """Two threads get two connections; one thread keeps its own across reads."""
    seen: list[int] = []

    def who(conn: Connection) -> int:
        return id(conn)

    def twice() -> None:
        seen.extend([database.read(who), database.read(who)])

    threads = [threading.Thread(target=twice) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen[0] == seen[1] and seen[2] == seen[3] and seen[0] != seen[2]
