"""The escalation of urgent items: the ladder step by step until someone acknowledges.

An urgent deposit starts an escalation in its own transaction (``start``) and runs its
first step at once: the first person on call now is told. Each later step is due
``delay`` after the previous one (the practice's ladder, default
``escalation_delay_seconds``): the next person on call not yet told; when nobody is left,
the last step tells every active member and the secretary who deposited the item that it
is still unacknowledged, and the escalation ends (``exhausted``). Acknowledging the item
("Pris en charge", or handling it) ends it at once (``acknowledged``) and cancels what
was not sent yet.

Everything lives in the database (``escalation``, ``delivery``), so a restarted server
resumes every escalation where it was. A step runs inside a write transaction that
first checks it is still due, and moves ``next_at`` on: with several server processes on
one vault, SQLite's write lock lets one of them run it, and the others then find it not
due. Messages are sent by vault/notify/delivery.py, under a lease, outside any transaction;
nothing here ever blocks a deposit.

Every step is audited: ``escalation.started`` / ``.step`` / ``.ended``,
``notification.sent`` / ``.failed`` for each message, ``notification.opened`` for a link.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from audit.entry import Action, Actor
from vault.clock import iso
from vault.env import Env, RequestInfo
from vault.notify import channels, delivery, ladder
from vault.notify.contacts import reachable
from vault.storage.store import Connection

log = logging.getLogger("permanence.notify")

BATCH = 50
SYSTEM = RequestInfo(request_id="escalation")
_SYSTEM_ACTOR = Actor(account=None, name="system", role="system")


# -- starting and stepping --------------------------------------------------------------


def start(env: Env, conn: Connection, item_id: str, practice_id: str, author_id: str) -> None:
    """Start the escalation of an urgent item inside its deposit, and run its first step."""
    now = env.now()
    conn.execute(
        "INSERT INTO escalation (item_id, practice_id, author_id, state, step, next_at,"
        " started_at) VALUES (?, ?, ?, 'running', 0, ?, ?)",
        (item_id, practice_id, author_id, iso(now), iso(now)),
    )
    env.record(
        conn,
        Action.ESCALATION_STARTED,
        SYSTEM,
        actor=_SYSTEM_ACTOR,
        targets={"practice": practice_id, "item": item_id},
    )
    # The first step at once, but never at the deposit's expense: should it fail, it is
    # undone alone and the server's next round runs it (the step is due now).
    conn.execute("SAVEPOINT first_step")
    try:
        _step(env, conn, item_id, now)
    except Exception as e:
        conn.execute("ROLLBACK TO first_step")
        log.error(
            "the first step of an escalation failed (%s); the next round retries it",
            type(e).__name__,
        )
    conn.execute("RELEASE first_step")


def advance(env: Env) -> int:
    """Run every step that is due (each in its own write transaction); return how many ran."""
    due = env.db.read(
        lambda c: [
            str(r[0])
            for r in c.execute(
                "SELECT item_id FROM escalation WHERE state = 'running' AND next_at <= ?"
                " ORDER BY next_at LIMIT ?",
                (iso(env.now()), BATCH),
            )
        ]
    )
    ran = 0
    for item_id in due:

        def tx(conn: Connection, item_id: str = item_id) -> bool:
            return _step(env, conn, item_id, env.now())

        if env.db.write(tx):
            ran += 1
    return ran


def _step(env: Env, conn: Connection, item_id: str, now: datetime) -> bool:
    """Run the item's due step, if it is still due (another process may have run it)."""
    row = conn.execute(
        "SELECT practice_id, author_id, step FROM escalation"
        " WHERE item_id = ? AND state = 'running' AND next_at <= ?",
        (item_id, iso(now)),
    ).fetchone()
    if row is None:
        return False
    practice_id, author_id, step = str(row[0]), str(row[1]), int(row[2])
    steps = ladder.load(conn, env, practice_id)
    told = {
        str(r[0])
        for r in conn.execute(
            "SELECT DISTINCT account_id FROM delivery WHERE item_id = ? AND account_id IS NOT NULL",
            (item_id,),
        )
    }
    active = _active_members(conn, practice_id)
    # The next person on call, not told yet, whom some channel reaches (someone who
    # cannot be reached is passed over rather than waited for).
    nxt = next(
        (
            r.account_id
            for r in steps.on_call(now)
            if r.account_id in active
            and r.account_id not in told
            and _addresses(env, conn, r.account_id)
        ),
        None,
    )
    if nxt is not None or step == 0:
        # The next person on call; nobody on call at the first step: every member at once
        # (the secretary hears of it only after a delay without acknowledgement).
        recipients = (
            [(nxt, "urgent")] if nxt is not None else [(a, "urgent") for a in sorted(active)]
        )
        conn.execute(
            "UPDATE escalation SET step = step + 1, next_at = ? WHERE item_id = ?",
            (iso(now + timedelta(seconds=steps.delay_seconds)), item_id),
        )
        last = False
    else:  # the end of the ladder: every member, and the secretary who deposited it
        recipients = [(a, "unacknowledged") for a in sorted(active)]
        if _is_active(conn, author_id):
            recipients.append((author_id, "unacknowledged"))
        conn.execute(
            "UPDATE escalation SET step = step + 1, state = 'ended', outcome = 'exhausted',"
            " ended_at = ? WHERE item_id = ?",
            (iso(now), item_id),
        )
        last = True
    messages_queued = 0
    for account, purpose in recipients:
        for channel, address in _addresses(env, conn, account):
            _queue(conn, item_id, step, account, purpose, channel, address, now)
            messages_queued += 1
    if channels.configured(env, "webhook"):
        _queue(
            conn,
            item_id,
            step,
            None,
            "unacknowledged" if last else "urgent",
            "webhook",
            "webhook",
            now,
        )
    env.record(
        conn,
        Action.ESCALATION_STEP,
        SYSTEM,
        actor=_SYSTEM_ACTOR,
        targets={"practice": practice_id, "item": item_id, **({"account": nxt} if nxt else {})},
        detail={
            "step": step,
            "recipients": len(recipients),
            "messages": messages_queued,
            "last": last,
        },
    )
    if last:
        env.record(
            conn,
            Action.ESCALATION_ENDED,
            SYSTEM,
            actor=_SYSTEM_ACTOR,
            targets={"practice": practice_id, "item": item_id},
            detail={"outcome": "exhausted", "steps": step + 1},
        )
    return True


def _addresses(env: Env, conn: Connection, account_id: str) -> list[tuple[str, str]]:
    """Where to tell ``account_id`` of an urgent item, by the channels this deployment has
    (a verified phone number is of no use once the SMS gateway is gone)."""
    return [
        (channel, address)
        for channel, address in reachable(conn, account_id, "urgent")
        if channel in ("email", "sms") and channels.configured(env, channel)
    ]


def _active_members(conn: Connection, practice_id: str) -> set[str]:
    return {
        str(r[0])
        for r in conn.execute(
            "SELECT id FROM account WHERE practice_id = ? AND role = 'member'"
            " AND status = 'active'",
            (practice_id,),
        )
    }


def _is_active(conn: Connection, account_id: str) -> bool:
    row = conn.execute("SELECT status FROM account WHERE id = ?", (account_id,)).fetchone()
    return row is not None and row[0] == "active"


def _queue(
    conn: Connection,
    item_id: str,
    step: int,
    account: str | None,
    purpose: str,
    channel: str,
    address: str,
    now: datetime,
) -> None:
    conn.execute(
        "INSERT INTO delivery (item_id, step, account_id, purpose, channel, address, state,"
        " next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
        (item_id, step, account, purpose, channel, address, iso(now), iso(now)),
    )


# -- acknowledging ----------------------------------------------------------------------


def acknowledged(env: Env, conn: Connection, item_id: str, account_id: str) -> bool:
    """The item was acknowledged (or handled) by ``account_id``, inside that transaction:
    its escalation stops and what was not sent yet is cancelled (a message being sent at
    this moment still ends as sent or cancelled). False unless this was the first
    acknowledgement of an item with an escalation."""
    now = env.now()
    row = conn.execute(
        "SELECT practice_id, state, step FROM escalation WHERE item_id = ?"
        " AND acknowledged_at IS NULL",
        (item_id,),
    ).fetchone()
    if row is None:
        return False
    practice_id, state, step = str(row[0]), str(row[1]), int(row[2])
    conn.execute(
        "UPDATE escalation SET acknowledged_at = ?, acknowledged_by = ? WHERE item_id = ?",
        (iso(now), account_id, item_id),
    )
    if state == "running":
        conn.execute(
            "UPDATE escalation SET state = 'ended', outcome = 'acknowledged', ended_at = ?"
            " WHERE item_id = ?",
            (iso(now), item_id),
        )
    conn.execute(
        "UPDATE delivery SET state = 'cancelled' WHERE item_id = ?"
        " AND state IN ('pending', 'failed') AND purpose != 'acknowledged'",
        (item_id,),
    )
    if channels.configured(env, "webhook"):
        _queue(conn, item_id, max(step - 1, 0), None, "acknowledged", "webhook", "webhook", now)
    if state == "running":
        env.record(
            conn,
            Action.ESCALATION_ENDED,
            SYSTEM,
            actor=_SYSTEM_ACTOR,
            targets={"practice": practice_id, "item": item_id, "account": account_id},
            detail={"outcome": "acknowledged", "steps": step},
        )
    return True


def tick(env: Env) -> tuple[int, int]:
    """One round of the server's job: run the due steps, then send what is due."""
    advance(env)
    return delivery.deliver_due(env)
