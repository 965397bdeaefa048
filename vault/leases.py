"""Leases on background jobs, so that several server processes on one vault run each once.

Most periodic jobs need none: each of their rounds is one write transaction that
checks, inside the transaction, whether there is work left (a checkpoint only when the
tree grew, a pruning only once a UTC day, a refusal count only while its row is there),
and write transactions of every process are serialised (SQLite's ``BEGIN IMMEDIATE``,
PostgreSQL's advisory lock). A job whose work happens *outside* a transaction — network
requests, files — takes a row of ``job_lease`` by name instead:

- ``hold`` for the time of a round (the witnesses' submissions): another process's
  round finds the lease held and skips; the lease is given back at the round's end, and
  a holder that died loses it when ``until`` passes;
- ``once_per`` a period (orphan collection): the first process whose round comes takes
  the lease for the whole period and runs; the others skip until the period is over.

The holder is this process's random id, drawn at import (one per server process).
A serving process also keeps a heartbeat (``beat``, every ``HEARTBEAT_SECONDS``): the
lease ``process:<id>`` renewed for ``HEARTBEAT_LEASE`` seconds. Work leased to a process
whose heartbeat has stopped (killed, or its machine gone) may be taken over at once
rather than when its own, longer, lease ends (the notifications, vault/notify/delivery.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TypeVar

from vault.clock import iso
from vault.env import Env
from vault.storage.store import Connection

T = TypeVar("T")

PROCESS = uuid.uuid4().hex
HEARTBEAT_SECONDS = 2.0
HEARTBEAT_LEASE = 10.0
# A heartbeat is the lease ``process:<holder>``. Work leased to a holder is taken over
# when that row exists and has expired; a holder that never beat (a command, a test)
# is not taken over: its own lease stands.
_PROCESS_PREFIX = "process:"


def claim(
    conn: Connection,
    name: str,
    holder: str,
    until: datetime,
    now: datetime,
    *,
    renew: bool = True,
) -> bool:
    """Take the lease ``name`` until ``until`` if it is free or expired, or (``renew``)
    ``holder``'s own; inside the caller's write transaction."""
    row = conn.execute("SELECT holder, until FROM job_lease WHERE name = ?", (name,)).fetchone()
    if row is not None and str(row[1]) > iso(now) and not (renew and str(row[0]) == holder):
        return False
    conn.execute(
        "INSERT INTO job_lease (name, holder, until) VALUES (?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until",
        (name, holder, iso(until)),
    )
    return True


def release(conn: Connection, name: str, holder: str, now: datetime) -> None:
    """Give the lease back (only ``holder``'s own): it expires now."""
    conn.execute(
        "UPDATE job_lease SET until = ? WHERE name = ? AND holder = ?", (iso(now), name, holder)
    )


@contextmanager
def hold(env: Env, name: str, seconds: float, *, holder: str = PROCESS) -> Iterator[bool]:
    """Hold the lease ``name`` for this block (at most ``seconds``): yields whether this
    process holds it; the block should do nothing when it does not."""
    now = env.now()
    held = env.db.write(lambda c: claim(c, name, holder, now + timedelta(seconds=seconds), now))
    try:
        yield held
    finally:
        if held:
            env.db.write(lambda c: release(c, name, holder, env.now()))


def once_per(
    env: Env, name: str, seconds: float, fn: Callable[[], T], *, holder: str = PROCESS
) -> T | None:
    """Run ``fn`` unless some process (this one included) ran it less than ``seconds`` ago;
    None when skipped. The lease is taken before ``fn`` runs and kept for the period: a
    round that fails is tried again by the next period's."""
    now = env.now()
    until = now + timedelta(seconds=seconds)
    if not env.db.write(lambda c: claim(c, name, holder, until, now, renew=False)):
        return None
    return fn()


def beat(env: Env, *, holder: str = PROCESS) -> None:
    """Renew this process's heartbeat; forget heartbeats stopped for more than a day."""
    now = env.now()

    def tx(conn: Connection) -> None:
        until = now + timedelta(seconds=HEARTBEAT_LEASE)
        claim(conn, _PROCESS_PREFIX + holder, holder, until, now)
        conn.execute(
            "DELETE FROM job_lease WHERE substr(name, 1, ?) = ? AND until < ?",
            (len(_PROCESS_PREFIX), _PROCESS_PREFIX, iso(now - timedelta(days=1))),
        )

    env.db.write(tx)


def alive(conn: Connection, holder: str, now: datetime) -> bool:
    """Whether ``holder`` is still there: its heartbeat lives, or it never kept one."""
    row = conn.execute(
        "SELECT until FROM job_lease WHERE name = ?", (_PROCESS_PREFIX + holder,)
    ).fetchone()
    return row is None or str(row[0]) > iso(now)
