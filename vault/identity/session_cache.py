"""What a session lookup read, kept in memory for the next requests of the same session.

Every request of a signed-in browser looks its session up (``sessions.lookup``): one read
transaction joining the session, its account and the account's practice grant. Under
load that read, and the hop to a worker thread it needs, is a large part of a deposit's
cost (docs/performance.md). The cache keeps the row read, per session, and answers from it
while both hold:

- nothing this process committed since the row was read changed a session's revocation,
  an account or a practice grant: the writer's TEMP triggers on those tables move a
  ``ChangeWatch`` (``vault/storage/writer.py``) after each such commit, and a row read
  under an older generation is never used — a sign-out, a revoked session, a disabled
  account or a new grant takes effect on the very next request;
- the row is younger than ``MAX_AGE``: a change made by *another process* on the same
  vault (``permanence users disable`` run beside the server) is not seen by the triggers,
  and takes effect within that delay.

The expiry and idle checks still run on every request, on the cached times; touching
``last_seen_at`` (once a minute) is a write, as before. At most ``MAX_ENTRIES`` sessions
are kept, the least recently used dropped first.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from vault.storage.database import Database
from vault.storage.writer import ChangeWatch

MAX_AGE = timedelta(seconds=2)
MAX_ENTRIES = 10_000
WATCHED = [
    "AFTER UPDATE OF revoked_at ON session",
    "AFTER DELETE ON session",
    "AFTER UPDATE ON account",
    "AFTER DELETE ON account",
    "AFTER INSERT ON practice_grant",
    "AFTER UPDATE ON practice_grant",
    "AFTER DELETE ON practice_grant",
]


@dataclass(slots=True)
class _Entry:
    row: tuple[Any, ...]
    read_at: datetime
    generation: int


class SessionCache:
    """Rows of ``sessions.lookup``'s query by session hash, under the rules above."""

    def __init__(self, watch: ChangeWatch) -> None:
        self._watch = watch
        self._entries: OrderedDict[bytes, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def generation(self) -> int:
        """Take it *before* reading a row to ``put``."""
        return self._watch.generation

    def get(self, id_hash: bytes, now: datetime) -> tuple[Any, ...] | None:
        with self._lock:
            entry = self._entries.get(id_hash)
            if entry is None:
                return None
            fresh = timedelta(0) <= now - entry.read_at <= MAX_AGE
            if not fresh or entry.generation != self._watch.generation:
                del self._entries[id_hash]
                return None
            self._entries.move_to_end(id_hash)
            return entry.row

    def put(self, id_hash: bytes, row: tuple[Any, ...], now: datetime, generation: int) -> None:
        with self._lock:
            self._entries[id_hash] = _Entry(row, now, generation)
            self._entries.move_to_end(id_hash)
            while len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)

    def forget(self, id_hash: bytes) -> None:
        with self._lock:
            self._entries.pop(id_hash, None)

    def __len__(self) -> int:
        return len(self._entries)


_caches: weakref.WeakKeyDictionary[Database, SessionCache] = weakref.WeakKeyDictionary()
_creating = threading.Lock()


def existing(db: Database) -> SessionCache | None:
    """The database's session cache if a lookup made it already; never waits for the writer
    (for ``sessions.peek``, on the event loop)."""
    return _caches.get(db)


def cache_for(db: Database) -> SessionCache:
    """The database's session cache, made (and its triggers installed) on first use."""
    cache = _caches.get(db)
    if cache is None:
        with _creating:
            cache = _caches.get(db)
            if cache is None:
                cache = SessionCache(db.writer.watch("permanence_identity_changed", WATCHED))
                _caches[db] = cache
    return cache
