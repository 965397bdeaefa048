"""Slowing, then refusing, password guessing: per account and per IP, never global.

Failures are rows in ``login_failure`` (so limits survive a restart), keyed by
subject: ``account:<pseudonym>`` — the keyed hash of the lowercase username
(``crypto.pseudonym``), the same for unknown usernames, so the throttle says
nothing about who exists and the table never holds a typed name — and
``ip:<address>``. Refusals while a subject waits are counted apart
(``vault.identity.refusals``). From the
``delay_from``-th failure in 24 hours, each further attempt must wait a delay
that doubles with every failure (capped); at ``max_failures`` the subject is
refused until its oldest failure is 24 hours old. One account under attack
never locks out another, and a clinic's shared address has a larger budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from crypto.pseudonym import name_pseudonym
from crypto.secret import Secret
from vault.clock import iso, parse_iso
from vault.identity.usernames import normal_username
from vault.storage.store import Connection

WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Limit:
    delay_from: int
    max_failures: int
    max_delay_seconds: int = 300


ACCOUNT_LIMIT = Limit(delay_from=3, max_failures=25)
IP_LIMIT = Limit(delay_from=10, max_failures=200)
# A member's invitations refused because the username is taken: a few typos a day, not a scan.
INVITE_LIMIT = Limit(delay_from=3, max_failures=10)

# Anonymous recovery starts per source address: each stores a challenge (a forced commit).
RECOVERY_LIMIT = Limit(delay_from=5, max_failures=50)


def account_subject(server_secret: Secret, username: str) -> str:
    """``account:`` and the pseudonym of the normalised name: never the typed text."""
    return "account:" + name_pseudonym(server_secret, normal_username(username))


def invite_subject(account_id: str) -> str:
    """A member's refused invitations (``vault.identity.accounts.invite``)."""
    return "invite:" + account_id


def recovery_subject(ip: str | None) -> str:
    """A source address's recovery starts (``vault.identity.credentials.recovery_start``)."""
    return "recover:" + (ip or "unknown")


def ip_subject(ip: str | None) -> str:
    return "ip:" + (ip or "unknown")


def wait_seconds(conn: Connection, subject: str, limit: Limit, now: datetime) -> int:
    """Seconds before ``subject`` may try again; 0 when it may try now."""
    rows = conn.execute(
        "SELECT at FROM login_failure WHERE subject = ? AND at > ? ORDER BY at",
        (subject, iso(now - WINDOW)),
    ).fetchall()
    count = len(rows)
    if count >= limit.max_failures:
        oldest = parse_iso(rows[0][0])
        return max(1, int((oldest + WINDOW - now).total_seconds()) + 1)
    if count < limit.delay_from:
        return 0
    delay = min(2 ** (count - limit.delay_from), limit.max_delay_seconds)
    last = parse_iso(rows[-1][0])
    remaining = (last + timedelta(seconds=delay) - now).total_seconds()
    return max(0, int(remaining + 0.999))


def record_failure(conn: Connection, subjects: list[str], now: datetime) -> list[int]:
    """Count a failure for each subject; return the rows' ids (see ``discard``).

    The subjects' failures older than the window go at the same time, so the
    table holds at most a day of failures per active subject.
    """
    rows = []
    for subject in subjects:
        conn.execute(
            "DELETE FROM login_failure WHERE subject = ? AND at <= ?", (subject, iso(now - WINDOW))
        )
        row = conn.execute(
            "INSERT INTO login_failure (subject, at) VALUES (?, ?) RETURNING rowid",
            (subject, iso(now)),
        ).fetchone()
        rows.append(int(row[0]))
    return rows


def discard(conn: Connection, rows: list[int]) -> None:
    """Take back failures counted in advance for an attempt that succeeded."""
    conn.executemany("DELETE FROM login_failure WHERE rowid = ?", [(r,) for r in rows])


def forget(conn: Connection, subject: str) -> None:
    """A successful sign-in clears that account's failures (not its IP's)."""
    conn.execute("DELETE FROM login_failure WHERE subject = ?", (subject,))


def prune(conn: Connection, now: datetime) -> None:
    conn.execute("DELETE FROM login_failure WHERE at <= ?", (iso(now - WINDOW),))
