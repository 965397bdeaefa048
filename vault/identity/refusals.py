"""Refusals of a throttled client are counted, not appended one by one.

Without this, a client hammering while throttled added one audit entry per
request (one anonymous client: 180 to 260 entries a second). Instead, each
refusal adds one to its subject's open count — a row of ``refusal_count``
written in the refusal's own transaction, so a count survives a crash — and
the count becomes **one** audit entry, with outcome ``denied`` and ``detail``
``{"reason", "subject", "count", "first_at", "last_at"}``:

- when the window (``WINDOW`` from its first refusal) has closed: at the
  subject's next refusal, or when the server's sweeper finds it
  (``flush_closed``, every ``SWEEP_SECONDS`` while serving, and at start-up
  for counts left by a server that stopped);
- before the subject's next audited attempt (``flush``), so that the log
  keeps the order of what happened.

The subject of a sign-in refusal is always the source address, whichever
limit (the address's or the name's) refused it: a source then costs the log
at most one such entry per window, however many names it tries. The entry's
actor is who the refusals named (an account, or a name's pseudonym) while
they all named the same one, and empty once they named several. A count is
never dropped: a row leaves the table only in the transaction that appends
its entry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from audit.entry import Action, Actor, Outcome
from vault.clock import iso, parse_iso
from vault.env import Env, RequestInfo
from vault.storage.store import Connection

WINDOW = timedelta(seconds=60)
SWEEP_SECONDS = 5.0
_FLUSH_BATCH = 500  # counts appended per sweeping transaction, so each stays short


@dataclass(frozen=True, slots=True)
class Refusal:
    """What a counted refusal is recorded as: its action, who it named, and why it was refused.

    ``actor_key`` tells two refusals' actors apart without looking them up (a throttle
    subject); ``actor`` is asked only when a window opens.
    """

    action: Action
    actor_key: str
    actor: Callable[[], Actor]
    reason: str = "throttled"


def count(env: Env, conn: Connection, request: RequestInfo, subject: str, refusal: Refusal) -> None:
    """Add one refusal to ``subject``'s open count (closing a window that has ended first)."""
    now = env.now()
    row = conn.execute(
        "SELECT first_at FROM refusal_count WHERE subject = ?", (subject,)
    ).fetchone()
    if row is not None and parse_iso(str(row[0])) + WINDOW <= now:
        _append(env, conn, subject)
        row = None
    if row is None:
        actor = refusal.actor()
        conn.execute(
            "INSERT INTO refusal_count (subject, action, actor_key, actor_account, actor_name,"
            " actor_role, reason, ip, first_at, last_at, count)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
            (
                subject,
                str(refusal.action),
                refusal.actor_key,
                actor.account,
                actor.name,
                actor.role,
                refusal.reason,
                request.ip,
                iso(now),
                iso(now),
            ),
        )
    else:
        # Every CASE reads the row as it was: a different actor empties all of them at once.
        conn.execute(
            "UPDATE refusal_count SET count = count + 1, last_at = :at, ip = :ip,"
            " actor_account = CASE WHEN actor_key = :key THEN actor_account END,"
            " actor_name = CASE WHEN actor_key = :key THEN actor_name END,"
            " actor_role = CASE WHEN actor_key = :key THEN actor_role END,"
            " actor_key = CASE WHEN actor_key = :key THEN actor_key END"
            " WHERE subject = :subject",
            {"at": iso(now), "ip": request.ip, "key": refusal.actor_key, "subject": subject},
        )


def flush(env: Env, conn: Connection, subjects: Sequence[str]) -> None:
    """Append the open counts of ``subjects`` now: their next audited attempt is coming."""
    for subject in subjects:
        _append(env, conn, subject)


def pending_closed(conn: Connection, now: datetime) -> bool:
    """Whether some count's window has closed (a cheap read before a sweeping write)."""
    row = conn.execute(
        "SELECT 1 FROM refusal_count WHERE first_at <= ? LIMIT 1", (iso(now - WINDOW),)
    ).fetchone()
    return row is not None


def flush_closed(env: Env) -> int:
    """Append every count whose window has closed; return how many were appended."""
    if not env.db.read(lambda conn: pending_closed(conn, env.now())):
        return 0

    def tx(conn: Connection) -> int:
        rows = conn.execute(
            "SELECT subject FROM refusal_count WHERE first_at <= ? ORDER BY first_at LIMIT ?",
            (iso(env.now() - WINDOW), _FLUSH_BATCH),
        ).fetchall()
        for (subject,) in rows:
            _append(env, conn, str(subject))
        return len(rows)

    appended = 0
    while batch := env.db.write(tx):
        appended += batch
        if batch < _FLUSH_BATCH:
            break
    return appended


def _append(env: Env, conn: Connection, subject: str) -> None:
    row = conn.execute(
        "SELECT action, actor_account, actor_name, actor_role, reason, ip, first_at, last_at,"
        " count FROM refusal_count WHERE subject = ?",
        (subject,),
    ).fetchone()
    if row is None:
        return
    action, account, name, role, reason, ip, first_at, last_at, refused = row
    env.record(
        conn,
        Action(action),
        RequestInfo(ip=ip),
        actor=Actor(account=account, name=name, role=role),
        outcome=Outcome.DENIED,
        detail={
            "reason": reason,
            "subject": subject.split(":", 1)[0],
            "count": int(refused),
            "first_at": first_at,
            "last_at": last_at,
        },
    )
    conn.execute("DELETE FROM refusal_count WHERE subject = ?", (subject,))
