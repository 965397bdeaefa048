"""Alerts an auditor should look at, computed from the audit index on demand.

- a burst of failed sign-ins: at least ``BURST_COUNT`` failures for one
  username within ``BURST_MINUTES`` (unknown usernames too);
- an attempt to reach a practice outside one's assignments: an
  ``access.denied`` entry that names a practice;
- a verification that failed: an ``audit.verified`` entry with outcome ``failed``.

Each alert links to its entries (first and last index). Nothing is stored:
the log is the record, alerts are a way of reading it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from audit.entry import format_time, parse_time
from vault.storage.store import Connection

BURST_COUNT = 5
BURST_MINUTES = 10
MAX_LISTED = 50


@dataclass(frozen=True, slots=True)
class Alert:
    kind: str  # "login_burst", "practice_denied", "verification_failed"
    at: datetime  # when it started
    first_index: int
    last_index: int
    count: int
    who: str | None  # a username (possibly unknown to the vault)
    practice: str | None


def _since_index(conn: Connection, since: datetime) -> int:
    row = conn.execute(
        "SELECT min(first_idx) FROM audit_index_day WHERE day >= ?",
        ((since - timedelta(days=1)).date().isoformat(),),
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else 2**62


def login_bursts(conn: Connection, since: datetime) -> list[Alert]:
    lo = _since_index(conn, since)
    rows = conn.execute(
        "SELECT idx, at, name FROM audit_index WHERE action = 'login.failed'"
        " AND idx >= ? AND at >= ? ORDER BY idx",
        (lo, format_time(since)),
    ).fetchall()
    by_name: dict[str, list[tuple[int, datetime]]] = {}
    for idx, at, name in rows:
        by_name.setdefault(str(name or ""), []).append((int(idx), parse_time(str(at))))
    window = timedelta(minutes=BURST_MINUTES)
    alerts: list[Alert] = []
    for name, attempts in by_name.items():
        start = 0
        burst: tuple[int, int] | None = None  # (first, last) positions in attempts
        for end in range(len(attempts)):
            while attempts[end][1] - attempts[start][1] > window:
                start += 1
            if end - start + 1 >= BURST_COUNT:
                if burst is not None and start <= burst[1]:
                    burst = (burst[0], end)
                else:
                    if burst is not None:
                        alerts.append(_burst(name, attempts, burst))
                    burst = (start, end)
        if burst is not None:
            alerts.append(_burst(name, attempts, burst))
    return sorted(alerts, key=lambda a: a.last_index, reverse=True)[:MAX_LISTED]


def _burst(name: str, attempts: list[tuple[int, datetime]], span: tuple[int, int]) -> Alert:
    first, last = attempts[span[0]], attempts[span[1]]
    return Alert(
        "login_burst", first[1], first[0], last[0], span[1] - span[0] + 1, name or None, None
    )


def practice_denials(conn: Connection, since: datetime) -> list[Alert]:
    rows = conn.execute(
        "SELECT idx, at, name, practice FROM audit_index WHERE action = 'access.denied'"
        " AND practice IS NOT NULL AND idx >= ? AND at >= ? ORDER BY idx DESC LIMIT ?",
        (_since_index(conn, since), format_time(since), MAX_LISTED),
    ).fetchall()
    return [
        Alert("practice_denied", parse_time(str(at)), int(i), int(i), 1, name, practice)
        for i, at, name, practice in rows
    ]


def verification_failures(conn: Connection) -> list[Alert]:
    """Every failed verification ever recorded: rare, and never stale."""
    rows = conn.execute(
        "SELECT idx, at, name FROM audit_index WHERE action = 'audit.verified'"
        " AND outcome = 'failed' ORDER BY idx DESC LIMIT ?",
        (MAX_LISTED,),
    ).fetchall()
    return [
        Alert("verification_failed", parse_time(str(at)), int(i), int(i), 1, name, None)
        for i, at, name in rows
    ]


def alerts(conn: Connection, since: datetime) -> list[Alert]:
    """All current alerts, newest first."""
    found = [
        *verification_failures(conn),
        *login_bursts(conn, since),
        *practice_denials(conn, since),
    ]
    return sorted(found, key=lambda a: a.last_index, reverse=True)
