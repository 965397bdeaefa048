"""The opened vault database: one writer for every write, a connection per reading thread."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from crypto.secret import Secret
from vault.migrate import migrate
from vault.store import Connection, connect, translated_errors
from vault.writer import Writer

T = TypeVar("T")


class Database:
    """SQLCipher database with its group-commit writer.

    Writes go through ``write``/``write_async`` (one durable commit per group);
    reads use a connection of the calling thread, so they never wait for the writer.
    """

    def __init__(self, path: Path, key: Secret, *, max_group: int = 256) -> None:
        self.path = path
        self._key = key
        conn = connect(path, key)
        migrate(conn)
        self.writer = Writer(conn, max_group=max_group)
        self._local = threading.local()
        self._readers: list[Connection] = []
        self._lock = threading.Lock()

    def write(self, fn: Callable[[Connection], T]) -> T:
        return self.writer.run(fn)

    async def write_async(self, fn: Callable[[Connection], T]) -> T:
        return await self.writer.run_async(fn)

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read connection for this thread, in a read transaction (one snapshot)."""
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, self._key)
            self._local.conn = conn
            with self._lock:
                self._readers.append(conn)
        with translated_errors():
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("ROLLBACK")

    def read(self, fn: Callable[[Connection], T]) -> T:
        with self.reading() as conn:
            return fn(conn)

    def close(self) -> None:
        self.writer.close()
        with self._lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
