"""Content-free notifications of urgent items, queued with the deposit and sent later.

An urgent deposit writes one queue row per practice member in the deposit's
own transaction, so a notification is never lost and an SMTP outage never
blocks or fails a deposit. ``deliver_due`` (run by the server's background
task) sends what is due over SMTP, audits ``notification.sent`` or
``notification.failed``, and retries failures with a growing delay.

The mail says only how many urgent items arrived, with a link: no practice
name, caller, reason or any other content. Members receive it at their
username when it is an e-mail address (usernames may contain ``@``).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from audit.entry import Action, Actor, Outcome
from vault.clock import iso, parse_iso
from vault.env import Env, RequestInfo
from vault.settings import SmtpSettings, SmtpTls
from vault.storage.store import Connection

RETRY_FIRST_SECONDS = 30
RETRY_MAX_SECONDS = 3600
BATCH = 100
SYSTEM = RequestInfo(request_id="notifications")
_SYSTEM_ACTOR = Actor(account=None, name="system", role="system")

Send = Callable[[str, EmailMessage], None]


def enqueue(env: Env, conn: Connection, item_id: str, practice_id: str) -> int:
    """Queue the notification of an urgent item to each active member (inside the deposit)."""
    now = iso(env.now())
    cur = conn.execute(
        "INSERT INTO notification (item_id, practice_id, account_id, status, next_at, created_at)"
        " SELECT ?, ?, id, 'pending', ?, ? FROM account"
        " WHERE practice_id = ? AND role = 'member' AND status = 'active'"
        " AND username LIKE '%_@_%'",
        (item_id, practice_id, now, now, practice_id),
    )
    return int(cur.rowcount)


def retry_delay(attempts: int) -> timedelta:
    """30 s, 60 s, 120 s, … capped at an hour: retried forever, never dropped."""
    return timedelta(
        seconds=min(RETRY_FIRST_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS)
    )


def message(sender: str, to: str, count: int, base_url: str) -> EmailMessage:
    """The content-free mail, in French and English."""
    link = base_url.rstrip("/") + "/inbox"
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    if count == 1:
        mail["Subject"] = "Permanence : 1 nouveau message urgent / 1 new urgent message"
        fr, en = "1 nouveau message urgent", "1 new urgent message"
    else:
        mail["Subject"] = (
            f"Permanence : {count} nouveaux messages urgents / {count} new urgent messages"
        )
        fr, en = f"{count} nouveaux messages urgents", f"{count} new urgent messages"
    mail.set_content(
        f"{fr} vous attend dans Permanence :\n{link}\n\n{en} is waiting in Permanence:\n{link}\n"
    )
    return mail


def smtp_sender(settings: SmtpSettings, timeout: float = 20) -> Send:
    """Send one mail with smtplib, as the settings say (plain, STARTTLS or implicit TLS)."""

    def send(to: str, mail: EmailMessage) -> None:
        client: smtplib.SMTP
        if settings.tls is SmtpTls.TLS:
            client = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
        with client:
            if settings.tls is SmtpTls.STARTTLS:
                client.starttls(context=ssl.create_default_context())
            if settings.username:
                client.login(settings.username, settings.password.value.decode())
            client.send_message(mail, from_addr=settings.sender, to_addrs=[to])

    return send


@dataclass(frozen=True, slots=True)
class _Due:
    ids: tuple[int, ...]
    account_id: str
    address: str
    attempts: int
    items: tuple[tuple[str, str], ...]  # (item, practice)


def _due(env: Env, now: datetime) -> list[_Due]:
    rows = env.db.read(
        lambda c: c.execute(
            "SELECT n.id, n.account_id, a.username, n.attempts, n.item_id, n.practice_id"
            " FROM notification n JOIN account a ON a.id = n.account_id"
            " WHERE n.status = 'pending' AND n.next_at <= ? ORDER BY n.id LIMIT ?",
            (iso(now), BATCH),
        ).fetchall()
    )
    by_account: dict[str, list[tuple[int, str, int, str, str]]] = {}
    for nid, account, address, attempts, item, practice in rows:
        by_account.setdefault(account, []).append((nid, address, attempts, item, practice))
    return [
        _Due(
            ids=tuple(r[0] for r in group),
            account_id=account,
            address=group[0][1],
            attempts=max(r[2] for r in group),
            items=tuple((r[3], r[4]) for r in group),
        )
        for account, group in by_account.items()
    ]


def deliver_due(env: Env, send: Send | None = None) -> tuple[int, int]:
    """Send every due notification (one mail per member); return (sent, failed) mails."""
    send = send or smtp_sender(env.settings.smtp)
    sent = failed = 0
    for due in _due(env, env.now()):
        mail = message(env.settings.smtp.sender, due.address, len(due.items), env.settings.base_url)
        try:
            send(due.address, mail)
        except (OSError, smtplib.SMTPException) as e:
            failed += 1
            _finish(env, due, ok=False, error=type(e).__name__)
        else:
            sent += 1
            _finish(env, due, ok=True, error=None)
    return sent, failed


def _finish(env: Env, due: _Due, *, ok: bool, error: str | None) -> None:
    now = env.now()
    marks = ",".join("?" * len(due.ids))

    def tx(conn: Connection) -> None:
        if ok:
            conn.execute(
                f"UPDATE notification SET status = 'sent', sent_at = ?, attempts = attempts + 1"  # noqa: S608 - placeholders only
                f" WHERE id IN ({marks})",
                (iso(now), *due.ids),
            )
        else:
            conn.execute(
                f"UPDATE notification SET attempts = attempts + 1, next_at = ?"  # noqa: S608 - placeholders only
                f" WHERE id IN ({marks})",
                (iso(now + retry_delay(due.attempts + 1)), *due.ids),
            )
        for item, practice in due.items:
            env.record(
                conn,
                Action.NOTIFICATION_SENT if ok else Action.NOTIFICATION_FAILED,
                SYSTEM,
                actor=_SYSTEM_ACTOR,
                outcome=Outcome.OK if ok else Outcome.FAILED,
                targets={"practice": practice, "item": item, "account": due.account_id},
                detail={"attempt": due.attempts + 1, "error": error},
            )

    env.db.write(tx)


def pending_count(env: Env) -> int:
    return int(
        env.db.read(
            lambda c: c.execute(
                "SELECT count(*) FROM notification WHERE status = 'pending'"
            ).fetchone()[0]
        )
    )


def next_attempt(env: Env, item_id: str) -> datetime | None:
    row = env.db.read(
        lambda c: c.execute(
            "SELECT min(next_at) FROM notification WHERE item_id = ? AND status = 'pending'",
            (item_id,),
        ).fetchone()
    )
    return None if row[0] is None else parse_iso(str(row[0]))
