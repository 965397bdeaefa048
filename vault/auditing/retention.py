"""Retention of the audit log as use cases: preview, prune (audited), once a day.

Entries older than ``audit_retention_months`` (default 12) lose their content;
their hashes stay, so the log and every checkpoint still verify
(``audit.retention``). Pruning stops at the latest signed checkpoint, and, when
``audit_require_cosigning`` is set, at the latest checkpoint an auditor has
cosigned. It records an ``audit.pruned`` entry (how many entries, the new
minimum index) in the same transaction, and removes the pruned entries' rows
from the console's and the practices' access indexes (derived, never
authoritative). The background job runs it at most once per UTC day: the day
of the last run is stored with the minimum index, in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from audit import retention
from audit.entry import SYSTEM, Action, format_time
from vault.env import Env, RequestInfo
from vault.storage.store import Connection

# Why pruning stops before everything older than the period.
HELD_BY_CHECKPOINT = "checkpoint"
HELD_BY_COSIGNING = "cosigning"


@dataclass(frozen=True, slots=True)
class PrunePlan:
    """What a pruning does (or did) now."""

    months: int
    cutoff: str  # RFC 3339 UTC: entries older than this are past the period
    minimum: int  # the minimum index before
    upto: int  # the minimum index after
    due: int  # the minimum index the period alone would allow
    held_by: str | None  # what keeps ``upto`` below ``due``, if anything
    size: int  # entries in the log

    @property
    def count(self) -> int:
        """How many entries lose their content."""
        return self.upto - self.minimum


@dataclass(frozen=True, slots=True)
class Pruned:
    plan: PrunePlan
    recorded_at: int | None  # index of the audit.pruned entry; None if nothing was pruned
    skipped: bool = False  # the daily job had already run today


def _first_not_older(conn: Connection, minimum: int, cutoff: str) -> int:
    """The lowest index from ``minimum`` whose entry is not older than ``cutoff``
    (the log's size if there is none): every entry below it, from ``minimum``, is older."""
    day = cutoff[:10]
    later = conn.execute(
        "SELECT min(first_idx) FROM audit_index_day WHERE day > ?", (day,)
    ).fetchone()[0]
    span = conn.execute(
        "SELECT first_idx, last_idx FROM audit_index_day WHERE day = ?", (day,)
    ).fetchone()
    found: list[int] = [] if later is None else [int(later)]
    if span is not None:
        row = conn.execute(
            "SELECT min(idx) FROM audit_index WHERE idx BETWEEN ? AND ? AND at >= ?",
            (int(span[0]), int(span[1]), cutoff),
        ).fetchone()
        if row[0] is not None:
            found.append(int(row[0]))
    size = int(conn.execute("SELECT coalesce(max(idx) + 1, 0) FROM audit_entries").fetchone()[0])
    return max(minimum, min([*found, size]))


def plan(env: Env, conn: Connection, now: datetime) -> PrunePlan:
    """What pruning at ``now`` would do, read in ``conn``."""
    months = env.settings.audit_retention_months
    cosigned_only = env.settings.audit_require_cosigning
    cutoff = retention.cutoff_time(conn, now, months)
    minimum = retention.minimum_index(conn)
    due = _first_not_older(conn, minimum, cutoff)
    signed = retention.signed_bound(conn, cosigned_only=False)
    bound = retention.signed_bound(conn, cosigned_only=True) if cosigned_only else signed
    upto = max(minimum, min(due, bound))
    held_by = None
    if upto < due:
        held_by = HELD_BY_COSIGNING if cosigned_only and bound < signed else HELD_BY_CHECKPOINT
    return PrunePlan(months, cutoff, minimum, upto, due, held_by, env.log.size(conn))


def preview(env: Env) -> PrunePlan:
    """``permanence audit prune --dry-run``: the plan, in one read snapshot; nothing changes."""
    now = env.now()
    return env.db.read(lambda conn: plan(env, conn, now))


def _prune(env: Env, conn: Connection, request: RequestInfo, now: datetime) -> Pruned:
    found = plan(env, conn, now)
    recorded: int | None = None
    if found.count > 0:
        # First the entry (the triggers measure the period back from the newest entry).
        recorded = env.record(
            conn,
            Action.AUDIT_PRUNED,
            request,
            at=now,
            detail={
                "entries": found.count,
                "from_index": found.minimum,
                "min_index": found.upto,
                "months": found.months,
                "cutoff": found.cutoff,
            },
        )
    retention.prune(conn, found.upto, found.months, now)
    if found.count > 0:
        conn.execute("DELETE FROM audit_index WHERE idx < ?", (found.upto,))
        conn.execute("DELETE FROM practice_access WHERE audit_index < ?", (found.upto,))
    return Pruned(found, recorded)


def prune(env: Env, request: RequestInfo) -> Pruned:
    """``permanence audit prune``: prune what the period allows now, in one transaction."""
    now = env.now()
    return env.db.write(lambda conn: _prune(env, conn, request, now))


def prune_daily(env: Env) -> Pruned:
    """The background job's round: prune unless it already ran this UTC day."""
    now = env.now()
    today = format_time(now)[:10]

    def tx(conn: Connection) -> Pruned:
        last = retention.state(conn).pruned_at
        if last is not None and last[:10] >= today:
            return Pruned(plan(env, conn, now), None, skipped=True)
        return _prune(env, conn, RequestInfo(actor=SYSTEM), now)

    return env.db.write(tx)


@dataclass(frozen=True, slots=True)
class RetentionSummary:
    """What the console and the practice's access page say about retention."""

    months: int
    minimum: int  # entries below it were pruned
    oldest_kept: datetime | None  # the time of the first readable entry
    pruned_at: datetime | None  # the last pruning run
    require_cosigning: bool


def summary(env: Env, conn: Connection) -> RetentionSummary:
    from audit.entry import parse_time

    state = retention.state(conn)
    row = conn.execute(
        "SELECT at FROM audit_index WHERE idx >= ? ORDER BY idx LIMIT 1", (state.minimum,)
    ).fetchone()
    return RetentionSummary(
        env.settings.audit_retention_months,
        state.minimum,
        None if row is None else parse_time(str(row[0])),
        None if state.pruned_at is None else parse_time(state.pruned_at),
        env.settings.audit_require_cosigning,
    )
