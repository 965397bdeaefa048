"""Sending the messages of escalations, each once, under a lease; the notification link.

A message (a ``delivery`` row queued by vault/notify/engine.py) is sent outside any
transaction, under a lease: this process claims the row (``claimed_by``,
``claimed_until``) in a write transaction, sends, and records the outcome; another
process leaves a claimed row alone until the lease expires, or until the claimer's
heartbeat has stopped (vault/leases.py: a server process killed mid-send loses its
claims within seconds); the message then goes again, at least once, never lost. A failed send is
retried with a growing delay, forever, and shows as "failed" (retrying) in the trail.
Audited ``notification.sent`` / ``notification.failed`` per attempt, and
``notification.opened`` the first time the recipient follows the message's link.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from hashlib import sha256
from zoneinfo import ZoneInfo

from audit.entry import Action, Actor, Outcome
from crypto.encoding import b64url_encode
from vault import leases
from vault.clock import iso, parse_iso
from vault.env import Env, Principal, RequestInfo
from vault.notify import channels, ladder, messages
from vault.storage.store import Connection

log = logging.getLogger("permanence.notify")

RETRY_FIRST_SECONDS = channels.RETRY_FIRST_SECONDS
RETRY_MAX_SECONDS = channels.RETRY_MAX_SECONDS
retry_delay = channels.retry_delay
# Longer than any one send: SMTP's 20 s are per exchange (connect, EHLO, STARTTLS, AUTH,
# MAIL, RCPT, DATA), HTTP's 10 s per connect and read.
LEASE_SECONDS = 300
BATCH = 50
SYSTEM = RequestInfo(request_id="escalation")
_SYSTEM_ACTOR = Actor(account=None, name="system", role="system")
# Who this process is when it claims a message (one id per server process, the holder of
# its heartbeat).
PROCESS = leases.PROCESS
_LINK_LABEL = b"permanence notification link\x00"


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


def _claim(env: Env, worker: str, now: datetime, limit: int) -> list[_Claimed]:
    def tx(conn: Connection) -> list[_Claimed]:
        rows = conn.execute(
            "SELECT d.id, d.item_id, d.step, d.account_id, d.purpose, d.channel, d.address,"
            " d.attempts, e.practice_id, p.name, a.language, i.deposited_at"
            " FROM delivery d JOIN escalation e ON e.item_id = d.item_id"
            " JOIN practice p ON p.id = e.practice_id JOIN item i ON i.id = d.item_id"
            " LEFT JOIN account a ON a.id = d.account_id"
            " WHERE d.state IN ('pending', 'failed') AND d.next_at <= ?"
            " AND (d.claimed_until IS NULL OR d.claimed_until <= ?"
            # or its claimer's heartbeat has stopped (vault/leases.py)
            " OR EXISTS (SELECT 1 FROM job_lease h WHERE h.name = 'process:' || d.claimed_by"
            " AND h.until <= ?))"
            " ORDER BY d.id LIMIT ?",
            (iso(now), iso(now), iso(now), limit),
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
    """Send the due messages (at most ``BATCH`` a round); return (sent, failed).

    Each is claimed just before it is sent, so that a lease never covers time spent
    sending others: however slow a relay, a message's lease outlasts its own send."""
    sent = failed = 0
    for _ in range(BATCH):
        claimed = _claim(env, worker, env.now(), 1)
        if not claimed:
            break
        (d,) = claimed
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
