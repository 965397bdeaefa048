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
due. A message is sent outside any transaction, under a lease: the process claims the
row (``claimed_by``, ``claimed_until``) in a write transaction, sends, and records the
outcome; another process leaves a claimed row alone until the lease expires (the
claimer died mid-send). A failed send is retried with a growing delay, forever, and
shows as "failed" (retrying) in the trail; nothing here ever blocks a deposit.

Every step is audited: ``escalation.started`` / ``.step`` / ``.ended``,
``notification.sent`` / ``.failed`` for each message, ``notification.opened`` for a link.
"""

from __future__ import annotations

import hmac
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from hashlib import sha256
from zoneinfo import ZoneInfo

from audit.entry import Action, Actor, Outcome
from crypto.encoding import b64url_encode
from vault.clock import iso, parse_iso
from vault.env import Env, Principal, RequestInfo
from vault.notify import channels, ladder, messages
from vault.notify.contacts import reachable
from vault.storage.store import Connection

log = logging.getLogger("permanence.notify")

RETRY_FIRST_SECONDS = channels.RETRY_FIRST_SECONDS
RETRY_MAX_SECONDS = channels.RETRY_MAX_SECONDS
retry_delay = channels.retry_delay
LEASE_SECONDS = 120  # longer than any one send (SMTP 20 s, HTTP 10 s, plus margins)
BATCH = 50
SYSTEM = RequestInfo(request_id="escalation")
_SYSTEM_ACTOR = Actor(account=None, name="system", role="system")
# Who this process is when it claims a message (one id per server process).
PROCESS = uuid.uuid4().hex
_LINK_LABEL = b"permanence notification link\x00"


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


# -- sending ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Claimed:
    id: int
    item_id: str
    step: int
    account_id: str | None
    purpose: str
    channel: str
    address: str
    attempts: int
    practice_id: str
    practice: str
    language: str
    deposited_at: datetime
    timezone: str


def _claim(env: Env, worker: str, now: datetime) -> list[_Claimed]:
    def tx(conn: Connection) -> list[_Claimed]:
        rows = conn.execute(
            "SELECT d.id, d.item_id, d.step, d.account_id, d.purpose, d.channel, d.address,"
            " d.attempts, e.practice_id, p.name, a.language, i.deposited_at"
            " FROM delivery d JOIN escalation e ON e.item_id = d.item_id"
            " JOIN practice p ON p.id = e.practice_id JOIN item i ON i.id = d.item_id"
            " LEFT JOIN account a ON a.id = d.account_id"
            " WHERE d.state IN ('pending', 'failed') AND d.next_at <= ?"
            " AND (d.claimed_until IS NULL OR d.claimed_until <= ?) ORDER BY d.id LIMIT ?",
            (iso(now), iso(now), BATCH),
        ).fetchall()
        conn.executemany(
            "UPDATE delivery SET claimed_by = ?, claimed_until = ? WHERE id = ?",
            [(worker, iso(now + timedelta(seconds=LEASE_SECONDS)), r[0]) for r in rows],
        )
        zones = {str(p): ladder.load(conn, env, str(p)).timezone for p in {r[8] for r in rows}}
        return [
            _Claimed(
                int(r[0]),
                str(r[1]),
                int(r[2]),
                None if r[3] is None else str(r[3]),
                str(r[4]),
                str(r[5]),
                str(r[6]),
                int(r[7]),
                str(r[8]),
                str(r[9]),
                str(r[10] or env.settings.default_language),
                parse_iso(str(r[11])),
                zones[str(r[8])],
            )
            for r in rows
        ]

    return env.db.write(tx)


def link_token(env: Env, delivery_id: int) -> str:
    mac = hmac.new(env.server_secret.value, _LINK_LABEL + str(delivery_id).encode(), sha256)
    return f"{delivery_id}.{b64url_encode(mac.digest()[:16])}"


def _text(env: Env, d: _Claimed) -> messages.Text:
    link = env.settings.base_url.rstrip("/") + "/n/" + link_token(env, d.id)
    if d.purpose == "urgent":
        return messages.urgent(d.practice, link, d.language)
    if d.account_id is not None and _is_secretary(env, d.account_id):
        local = d.deposited_at.astimezone(ZoneInfo(d.timezone))
        return messages.unacknowledged_to_secretary(d.practice, local, link, d.language)
    return messages.still_urgent(d.practice, link, d.language)


def _is_secretary(env: Env, account_id: str) -> bool:
    row = env.db.read(
        lambda c: c.execute("SELECT role FROM account WHERE id = ?", (account_id,)).fetchone()
    )
    return row is not None and row[0] == "secretary"


def _send(env: Env, d: _Claimed, mail: channels.MailSend | None) -> None:
    if d.channel == "webhook":
        link = env.settings.base_url.rstrip("/") + "/inbox"
        event = messages.webhook_event(
            d.purpose,
            practice_id=d.practice_id,
            practice=d.practice,
            item_id=d.item_id,
            step=d.step,
            link=link,
            at=env.now(),
        )
        channels.send_webhook(env.settings.webhook, event, env.now())
        return
    text = _text(env, d)
    if d.channel == "sms":
        channels.send_sms(env.settings.sms, d.address, text.short)
    elif mail is None:
        channels.send_mail(env.settings.smtp, d.address, text.subject, text.body)
    else:
        try:
            mail(
                d.address,
                channels.mail(env.settings.smtp.sender, d.address, text.subject, text.body),
            )
        except OSError as e:
            raise channels.ChannelFailed(type(e).__name__) from None


def deliver_due(
    env: Env, *, worker: str = PROCESS, mail: channels.MailSend | None = None
) -> tuple[int, int]:
    """Claim and send every due message; return (sent, failed)."""
    sent = failed = 0
    for d in _claim(env, worker, env.now()):
        try:
            _send(env, d, mail)
        except channels.ChannelFailed as e:
            failed += 1
            log.warning("a notification by %s failed (%s); it will be retried", d.channel, e)
            _finish(env, d, worker, error=str(e))
        else:
            sent += 1
            _finish(env, d, worker, error=None)
    return sent, failed


def _finish(env: Env, d: _Claimed, worker: str, *, error: str | None) -> None:
    now = env.now()
    attempt = d.attempts + 1

    def tx(conn: Connection) -> None:
        if error is None:
            conn.execute(
                "UPDATE delivery SET state = 'sent', sent_at = ?, attempts = ?,"
                " claimed_by = NULL, claimed_until = NULL WHERE id = ? AND claimed_by = ?",
                (iso(now), attempt, d.id, worker),
            )
        else:
            conn.execute(
                "UPDATE delivery SET state = CASE WHEN state = 'cancelled' THEN 'cancelled'"
                " ELSE 'failed' END, failed_at = ?, attempts = ?, next_at = ?,"
                " claimed_by = NULL, claimed_until = NULL WHERE id = ? AND claimed_by = ?",
                (iso(now), attempt, iso(now + retry_delay(attempt)), d.id, worker),
            )
        targets = {"practice": d.practice_id, "item": d.item_id}
        if d.account_id is not None:
            targets["account"] = d.account_id
        env.record(
            conn,
            Action.NOTIFICATION_SENT if error is None else Action.NOTIFICATION_FAILED,
            SYSTEM,
            actor=_SYSTEM_ACTOR,
            outcome=Outcome.OK if error is None else Outcome.FAILED,
            targets=targets,
            detail={
                "delivery": d.id,
                "step": d.step,
                "channel": d.channel,
                "purpose": d.purpose,
                "attempt": attempt,
                "error": error,
                "retrying": error is not None,
            },
        )

    env.db.write(tx)


def tick(env: Env) -> tuple[int, int]:
    """One round of the server's job: run the due steps, then send what is due."""
    advance(env)
    return deliver_due(env)


# -- the notification link --------------------------------------------------------------


def open_link(
    env: Env, request: RequestInfo, principal: Principal, token: str
) -> tuple[str, str] | None:
    """Record that the recipient of a notification opened its link (the first time,
    audited); return (item id, practice id), or None for anything else (a link that is
    not genuine, or someone else's)."""
    number, _, _ = token.partition(".")
    if not number.isdigit() or len(number) > 18:
        return None
    if not hmac.compare_digest(link_token(env, int(number)), token):
        return None
    delivery_id = int(number)

    def tx(conn: Connection) -> tuple[str, str] | None:
        row = conn.execute(
            "SELECT d.item_id, e.practice_id, d.account_id, d.opened_at, d.channel"
            " FROM delivery d JOIN escalation e ON e.item_id = d.item_id WHERE d.id = ?",
            (delivery_id,),
        ).fetchone()
        if row is None:
            return None
        item_id, practice_id, account, opened, channel = row
        if account is None or str(account) != principal.account_id:
            return None
        if opened is None:
            conn.execute(
                "UPDATE delivery SET opened_at = ? WHERE id = ?", (iso(env.now()), delivery_id)
            )
            env.record(
                conn,
                Action.NOTIFICATION_OPENED,
                request,
                actor=principal.actor,
                targets={"practice": str(practice_id), "item": str(item_id)},
                detail={"delivery": delivery_id, "channel": str(channel)},
            )
        return str(item_id), str(practice_id)

    return env.db.write(tx)


def pending_count(env: Env) -> int:
    return int(
        env.db.read(
            lambda c: c.execute(
                "SELECT count(*) FROM delivery WHERE state IN ('pending', 'failed')"
            ).fetchone()[0]
        )
    )
