"""The opened database: pooled read connections, and a close that never pulls one from a read."""

from __future__ import annotations

import threading
import time

import pytest

from tests.backends import DISTRIBUTED, open_connection, open_database
from tests.descriptors import database_connections, open_descriptors
from vault.errors import StoreError
from vault.settings import Settings
from vault.storage.database import Database
from vault.storage.store import Connection


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
    assert database.read_connections == 0
    with pytest.raises(StoreError, match="closed"):
        database.read(lambda c: c.execute("SELECT 1").fetchone())


def _burst(database: Database, threads: int) -> None:
    """``threads`` new threads read at the same moment, then end (as the web server's
    thread pool retires its idle threads after a quiet spell)."""
    together = threading.Barrier(threads)

    def read() -> None:
        def overlapping(conn: Connection) -> None:
            conn.execute("SELECT count(*) FROM schema_migrations").fetchone()
            together.wait(10)  # every thread holds a connection at once

        database.read(overlapping)

    workers = [threading.Thread(target=read) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(10)


def test_reads_from_ever_new_threads_keep_connections_and_descriptors_flat(
    initialised: Settings,
) -> None:
    """Five bursts of eight fresh threads: connections and open files stay where the first
    burst left them (one connection per thread kept until close grew by eight per burst)."""
    database = open_database(initialised)

    def connections() -> int:  # on the database file (SQLCipher), or to the server
        if DISTRIBUTED:
            return _server_connections(initialised)
        return database_connections(initialised.layout.database)

    try:
        _burst(database, 8)
        opened, descriptors = connections(), len(open_descriptors())
        for _ in range(4):
            _burst(database, 8)
        assert connections() == opened
        assert len(open_descriptors()) == descriptors
        assert database.read_connections <= 8
    finally:
        database.close()
    deadline = time.monotonic() + 10  # a server process ends a moment after its client
    while connections() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert connections() == 0


def _server_connections(settings: Settings) -> int:
    """This process's connections to the PostgreSQL database (the server's own count)."""
    watcher = open_connection(settings)
    try:
        row = watcher.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND application_name = 'permanence' AND pid <> pg_backend_pid()"
        ).fetchone()
        return int(row[0])
    finally:
        watcher.close()


def test_read_connections_are_bounded_and_lent_again(initialised: Settings) -> None:
    """With a bound of two, a third concurrent read waits for a connection to come back and
    then reads on it; no third connection is opened."""
    database = open_database(initialised, max_readers=2)
    held = [threading.Event(), threading.Event()]
    release = [threading.Event(), threading.Event()]
    used: dict[str, int] = {}
    opened: list[int] = []

    def holder(n: int) -> None:
        def tx(conn: Connection) -> None:
            used[f"holder{n}"] = id(conn)
            held[n].set()
            release[n].wait(10)

        database.read(tx)

    def third(conn: Connection) -> None:
        used["third"] = id(conn)
        opened.append(database.read_connections)

    try:
        holders = [threading.Thread(target=holder, args=(n,)) for n in range(2)]
        for t in holders:
            t.start()
        assert held[0].wait(10) and held[1].wait(10)
        waiter = threading.Thread(target=database.read, args=(third,))
        waiter.start()
        release[0].set()
        waiter.join(10)
        release[1].set()
        for t in holders:
            t.join(10)
        assert used["third"] in (used["holder0"], used["holder1"])
        assert opened == [2]
        assert database.read_connections == 2
    finally:
        for r in release:
            r.set()
        database.close()


def test_a_read_waiting_for_a_connection_is_refused_when_the_database_closes(
    initialised: Settings,
) -> None:
    """A reader queued for a connection gets StoreError at close instead of waiting for ever."""
    database = open_database(initialised, max_readers=1)
    held, release = threading.Event(), threading.Event()
    outcome: list[BaseException] = []

    def hold(conn: Connection) -> None:
        held.set()
        release.wait(10)

    def wait_for_one() -> None:
        try:
            database.read(lambda c: None)
        except StoreError as e:
            outcome.append(e)

    holder = threading.Thread(target=database.read, args=(hold,))
    holder.start()
    assert held.wait(10)
    waiter = threading.Thread(target=wait_for_one)
    waiter.start()
    closer = threading.Thread(target=database.close)
    closer.start()
    waiter.join(10)
    release.set()
    holder.join(10)
    closer.join(10)
    assert not closer.is_alive() and not waiter.is_alive()
    assert len(outcome) == 1 and "closed" in str(outcome[0])


def test_a_failed_read_gives_its_connection_back_clean(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read that raises rolls back, and its connection serves the next read with a fresh
    snapshot (it is neither closed and reopened nor left in its old transaction)."""
    opened: list[Connection] = []

    connect = Database._connect

    def counting_connect(self: Database) -> Connection:
        conn = connect(self)
        opened.append(conn)
        return conn

    monkeypatch.setattr(Database, "_connect", counting_connect)

    def fail(conn: Connection) -> None:
        conn.execute("SELECT 1").fetchone()
        raise ValueError("deliberate")

    catalog = "pg_tables WHERE tablename" if DISTRIBUTED else "sqlite_master WHERE name"

    def tables(conn: Connection) -> int:
        return int(conn.execute(f"SELECT count(*) FROM {catalog} = 't'").fetchone()[0])  # noqa: S608

    with pytest.raises(ValueError, match="deliberate"):
        database.read(fail)
    database.write(lambda c: c.execute("CREATE TABLE t (n INTEGER)"))  # a commit in between
    assert database.read(tables) == 1  # a fresh snapshot, not one left open by the failure
    # The read connection opened with the vault (its keys check) served all three reads:
    # a connection closed after the failure would have made the next read open another.
    assert opened == []
    assert database.read_connections == 1


def _key(settings: Settings):  # type: ignore[no-untyped-def]
    from vault.storage.datadir import database_key

    return database_key(settings)
