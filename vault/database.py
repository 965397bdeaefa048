"""The opened vault database: one writer for every write, a connection per reading thread."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from crypto.secret import Secret
from vault.errors import StoreError
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
        self._readers: list[_Reader] = []
        self._lock = threading.Lock()
        self._closed = False

    def write(self, fn: Callable[[Connection], T]) -> T:
        return self.writer.run(fn)

    async def write_async(self, fn: Callable[[Connection], T]) -> T:
        return await self.writer.run_async(fn)

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read connection for this thread, in a read transaction (one snapshot)."""
        reader: _Reader | None = getattr(self._local, "reader", None)
        if reader is None:
            reader = _Reader(connect(self.path, self._key))
            with self._lock:
                if self._closed:
                    reader.conn.close()
                    raise StoreError("the database is closed")
                self._readers.append(reader)
            self._local.reader = reader
        # Held for the whole read, so ``close`` never closes a connection in use (a
        # background task's read may outlive the request that started it).
        with reader.lock:
            if self._closed:
                raise StoreError("the database is closed")
            with translated_errors():
                reader.conn.execute("BEGIN")
                try:
                    yield reader.conn
                finally:
                    reader.conn.execute("ROLLBACK")

    def read(self, fn: Callable[[Connection], T]) -> T:
        with self.reading() as conn:
            return fn(conn)

    def close(self) -> None:
        """Stop the writer, then close each reader once its current read has finished."""
        with self._lock:
            self._closed = True
            readers, self._readers = self._readers, []
        self.writer.close()
        for reader in readers:
            with reader.lock:
                reader.conn.close()


@dataclass(slots=True)
class _Reader:
    conn: Connection
    lock: threading.Lock = field(default_factory=threading.Lock)
