"""Counts over the audit index for the console's pictures: per day, per practice, per hour.

Days and hours are local to the deployment's ``timezone``. Only ids, times
and action names are read (``audit_index``), and the ``detail.count`` of
failed sign-ins counted while throttled (``vault.identity.refusals``), never an
entry's content.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from audit.entry import format_time, json_count, parse_time
from vault.business_hours import BusinessHours
from vault.storage.store import Connection

# As in the SQL below. A listing of the inbox and a search batch are one access each.
ACCESS_ACTIONS = (
    "item.read",
    "item.downloaded",
    "instruction.read",
    "items.listed",
    "items.searched",
)


@dataclass(frozen=True, slots=True)
class Window:
    """Local days ``first`` .. ``last`` (both included)."""

    first: date
    last: date

    @classmethod
    def ending(cls, today: date, days: int) -> Window:
        return cls(today - timedelta(days=days - 1), today)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


@dataclass(frozen=True, slots=True)
class ActivityStats:
    window: Window
    accesses: dict[str, Counter[date]]  # practice id -> accesses per local day
    failed_logins: Counter[date]
    by_hour: Counter[tuple[int, int]]  # (weekday, hour) -> accesses
    off_hours: tuple[
        tuple[int, datetime, str, str | None], ...
    ]  # newest (index, at, who, practice)


def _bounds(conn: Connection, window: Window, hours: BusinessHours) -> tuple[str, str, int, int]:
    start = datetime.combine(window.first, datetime.min.time(), hours.zone)
    end = datetime.combine(window.last + timedelta(days=1), datetime.min.time(), hours.zone)
    lo, hi = conn.execute(
        "SELECT min(first_idx), max(last_idx) FROM audit_index_day WHERE day BETWEEN ? AND ?",
        (
            (start - timedelta(days=1)).date().isoformat(),
            (end + timedelta(days=1)).date().isoformat(),
        ),
    ).fetchone()
    return format_time(start), format_time(end), int(lo or 0), int(-1 if hi is None else hi)


def activity(
    conn: Connection, window: Window, hours: BusinessHours, *, off_hours_listed: int = 20
) -> ActivityStats:
    start, end, lo, hi = _bounds(conn, window, hours)
    accesses: dict[str, Counter[date]] = {}
    by_hour: Counter[tuple[int, int]] = Counter()
    off: list[tuple[int, datetime, str, str | None]] = []
    rows = conn.execute(
        "SELECT idx, at, name, practice FROM audit_index"
        " WHERE action IN ('item.read', 'item.downloaded', 'instruction.read',"
        " 'items.listed', 'items.searched')"
        " AND idx BETWEEN ? AND ? AND at >= ? AND at < ? ORDER BY idx DESC",
        (lo, hi, start, end),
    ).fetchall()
    for idx, at, name, practice in rows:
        when = parse_time(str(at))
        local = hours.local(when)
        accesses.setdefault(str(practice or ""), Counter())[local.date()] += 1
        by_hour[(local.weekday(), local.hour)] += 1
        if not hours.contains(when) and len(off) < off_hours_listed:
            off.append((int(idx), when, str(name or ""), practice))
    failed: Counter[date] = Counter()
    for at, counted in conn.execute(
        "SELECT i.at, CAST(e.leaf AS TEXT) -> '$.detail.count' FROM audit_index i"
        " JOIN audit_entries e ON e.idx = i.idx WHERE i.action = 'login.failed'"
        " AND i.idx BETWEEN ? AND ? AND i.at >= ? AND i.at < ?",
        (lo, hi, start, end),
    ).fetchall():
        # An entry counted while throttled stands for ``detail.count`` refusals.
        refused = json_count(counted) or 1
        failed[hours.local(parse_time(str(at))).date()] += refused
    return ActivityStats(window, accesses, failed, by_hour, tuple(off))
