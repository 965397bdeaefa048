"""Retention: pruning the content of old entries while the tree keeps verifying.

An entry older than the retention period loses its leaf bytes (set to NULL);
its leaf hash, every subtree hash and every checkpoint stay, so roots,
inclusion proofs of the entries kept and consistency proofs between any two
checkpoints are computed exactly as before. The one row of ``audit_retention``
(migration 16 of the vault) holds the *minimum index*, as C2SP tlog-tiles
names it: entries below it are pruned, entries from it are readable. Pruning
runs in index order and only ever raises the minimum index; the database's
triggers refuse anything else (``vault/storage/schema/0016_retention.sql``).

The tables are the vault's to create; a database without ``audit_retention``
(an older schema) has nothing pruned: its minimum index is 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from audit.connection import Connection
from audit.entry import format_time
from audit.errors import AuditError


class EntryPruned(AuditError):
    """The entry asked for is below the minimum index: only its hash is kept."""

    def __init__(self, index: int, minimum: int) -> None:
        super().__init__(
            f"entry {index} is older than the audit log's retention period: its content was"
            f" pruned and only its hash is kept; entries are readable from index {minimum}"
        )
        self.index = index
        self.minimum = minimum


@dataclass(frozen=True, slots=True)
class RetentionState:
    minimum: int  # entries below it are pruned
    months: int | None  # the period applied by the last pruning (None: never pruned)
    pruned_at: str | None  # RFC 3339 UTC time of the last run


def state(conn: Connection) -> RetentionState:
    try:
        row = conn.execute(
            "SELECT min_index, months, pruned_at FROM audit_retention WHERE id = 0"
        ).fetchone()
    except Exception as e:  # the driver's own error type, for an older schema
        if "no such table" in str(e):
            return RetentionState(0, None, None)
        raise
    if row is None:
        return RetentionState(0, None, None)
    ran = None if row[2] is None else str(row[2])
    return RetentionState(int(row[0]), int(row[1]) if ran else None, ran)


def minimum_index(conn: Connection) -> int:
    """The first readable entry: every entry below it is pruned."""
    return state(conn).minimum


def cutoff_time(conn: Connection, now: datetime, months: int) -> str:
    """``now`` minus ``months`` calendar months, as the triggers compute it (RFC 3339 UTC)."""
    del conn  # computed here, the same on every backend
    return format_time(months_before(now, months))


def months_before(at: datetime, months: int) -> datetime:
    """SQLite's ``'-N months'`` modifier, which the triggers use: the month moves back, the
    day of the month stays and overflows into the next month (31 March less one month is
    3 March, as ``strftime`` gives it); the time of day stays."""
    at = at.astimezone(UTC)
    year, month = divmod(at.year * 12 + at.month - 1 - months, 12)
    return at.replace(year=year, month=month + 1, day=1) + timedelta(days=at.day - 1)


def signed_bound(conn: Connection, *, cosigned_only: bool) -> int:
    """How far pruning may go: the size of the latest checkpoint (every pruned entry was
    signed while its content was there), or of the latest one cosigned by a key other
    than the log's (stored cosignatures are checked when added) if ``cosigned_only``."""
    if cosigned_only:
        row = conn.execute(
            "SELECT max(c.size) FROM audit_checkpoints c"
            " WHERE EXISTS (SELECT 1 FROM audit_cosignatures s WHERE s.seq = c.seq)"
        ).fetchone()
    else:
        row = conn.execute("SELECT max(size) FROM audit_checkpoints").fetchone()
    return 0 if row[0] is None else int(row[0])


def prune(conn: Connection, upto: int, months: int, now: datetime) -> int:
    """Raise the minimum index to ``upto`` and drop the content of the entries below it,
    inside the caller's transaction; return how many entries were pruned.

    The caller has already appended the pruning's own audit entry (timed ``now``): the
    triggers measure the period back from the newest entry.
    """
    before = minimum_index(conn)
    upto = max(upto, before)
    conn.execute(
        "UPDATE audit_retention SET min_index = ?, months = ?, pruned_at = ? WHERE id = 0",
        (upto, months, format_time(now)),
    )
    if upto > before:
        conn.execute(
            "UPDATE audit_entries SET leaf = NULL WHERE idx >= ? AND idx < ?", (before, upto)
        )
    return upto - before
