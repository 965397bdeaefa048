"""The opened vault database: one writer for every write, a bounded pool of read connections."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from crypto.secret import Secret
from vault.errors import StoreError
from vault.settings import Settings
from vault.storage.migrate import migrate
from vault.storage.store import Connection, connect, translated_errors
from vault.storage.writer import Writer

T = TypeVar("T")

# Enough for the web server's thread pool (40 threads) to read at once in practice,
# few enough that open files stay bounded (two descriptors per connection).
MAX_READERS = 32


class Database:
    """The vault's database (SQLCipher, or PostgreSQL at ``url``) with its group-commit writer.

    Writes go through ``write``/``write_async`` (one durable commit per group).
    Reads borrow a connection from a pool of at most ``max_readers``, opened on
    demand and kept for the next read, so they never wait for the writer and the
    number of open connections does not follow the number of threads that ever
    read (the web server's thread pool retires idle threads and starts new ones).
    """

    def __init__(
        self,
        path: Path | None,
        key: Secret | None,
        *,
        url: Secret | None = None,
        max_group: int = 256,
        max_readers: int = MAX_READERS,
    ) -> None:
        if max_readers < 1:
            raise ValueError("max_readers must be at least 1")
        self.path = path
        self._key = key
        self._url = url if url is not None and url.value else None
        conn = self._connect()
        migrate(conn)
        self._write_conn = conn
        self.writer = Writer(conn, max_group=max_group)
        self._max_readers = max_readers
        self._idle: list[Connection] = []  # last in, first out: the warmest connection first
        self._open = 0  # idle plus lent
        self._changed = threading.Condition()
        self._closed = False

    @classmethod
    def open(cls, settings: Settings, key: Secret | None = None, **options: Any) -> Database:
        """The database ``settings`` name: PostgreSQL at ``database_url`` (distributed), or
        the data directory's SQLCipher file opened with ``key`` (embedded)."""
        if settings.distributed_database:
            return cls(None, None, url=settings.database_url, **options)
        return cls(settings.layout.database, key, **options)

    @property
    def distributed(self) -> bool:
        """Whether this is the distributed backend's database (PostgreSQL)."""
        return self._url is not None

    def _connect(self) -> Connection:
        if self._url is not None:
            from vault.storage.postgres.connection import connect as connect_postgres

            return connect_postgres(self._url)
        if self.path is None or self._key is None:
            raise StoreError("no database to open: give a path and a key, or a database_url")
        return connect(self.path, self._key)

    @property
    def read_connections(self) -> int:
        """How many read connections are open (idle in the pool or lent to a read)."""
        with self._changed:
            return self._open

    def write(self, fn: Callable[[Connection], T]) -> T:
        return self.writer.run(fn)

    async def write_async(self, fn: Callable[[Connection], T]) -> T:
        return await self.writer.run_async(fn)

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A pooled read connection, in a read transaction (one snapshot), for this block."""
        conn = self._borrow()
        reusable = False
        try:
            with translated_errors():
                conn.execute("BEGIN")
                try:
                    yield conn
                finally:
                    conn.execute("ROLLBACK")
                    reusable = True  # whatever the block raised, the connection is clean
        finally:
            self._give_back(conn, reusable=reusable)

    def read(self, fn: Callable[[Connection], T]) -> T:
        with self.reading() as conn:
            return fn(conn)

    def ping(self) -> None:
        """One trivial read: raises ``StoreError`` unless the database answers (health checks)."""
        self.read(lambda conn: conn.execute("SELECT 1").fetchone())

    def _borrow(self) -> Connection:
        with self._changed:
            while True:
                if self._closed:
                    raise StoreError("the database is closed")
                if self._idle:
                    return self._idle.pop()
                if self._open < self._max_readers:
                    self._open += 1
                    break
                self._changed.wait()  # every connection is lent: wait for one to come back
        try:
            return self._connect()
        except BaseException:
            with self._changed:
                self._open -= 1
                self._changed.notify_all()
            raise

    def _give_back(self, conn: Connection, *, reusable: bool) -> None:
        with self._changed:
            if reusable and not self._closed:
                self._idle.append(conn)
                self._changed.notify()
                return
        # A connection whose transaction did not end cleanly, or one that comes back
        # after ``close``, is closed rather than lent again.
        conn.close()
        with self._changed:
            self._open -= 1
            self._changed.notify_all()

    def close(self) -> None:
        """Stop the writer, close every read connection once its current read has finished
        (closing one under a read crashed the process), then the writer's connection.
        Later reads and writes get ``StoreError``; closing twice is harmless."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()  # readers waiting for a connection give up
        self.writer.close()
        with self._changed:
            idle, self._idle = self._idle, []
            self._open -= len(idle)
        for conn in idle:
            conn.close()
        with self._changed:
            while self._open > 0:
                self._changed.wait()
        self._write_conn.close()
