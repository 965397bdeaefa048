"""The daily digest: once a day, at the time a member chose, how many items await her.

Off unless the member turns it on (one click on ``/account``, at ``DEFAULT_TIME``; she
may change the time). At that local time, in the practice's time zone
(``Settings.timezone``), she is told three counts and a link, through the channels she
chose for normal messages (``contacts.reachable(..., "normal")``): items deposited in the
last 24 hours, urgent items not yet acknowledged, items handled today. No practice name,
caller, reason or any other content.

Exactly once per member and day, across restarts and several server processes: the
background job (``run_due``, from ``vault.lifecycle``) writes one ``digest_run`` row per
member and local day (its primary key is (account, day): a second process inserts
nothing), then claims due rows with a lease in one write transaction, so only one process
sends a given row; the row is marked sent after the send. A process killed between the
send and that mark leaves the lease to expire and the digest is sent again: the one case
of a repeat, never a loss. A failed send is retried with the notifications' backoff, that
day only; a digest is never sent for a day that has passed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from audit.entry import Action, Actor, Outcome
from vault.clock import iso
from vault.env import Env, Principal, RequestInfo
from vault.errors import Forbidden, InvalidInput
from vault.identity.roles import Role
from vault.notify import channels, contacts
from vault.notify.contacts import EMAIL, NORMAL
from vault.storage.store import Connection

log = logging.getLogger("permanence.digest")

DEFAULT_TIME = "08:00"
LEASE_SECONDS = 120
SYSTEM = RequestInfo(request_id="digest")
_SYSTEM_ACTOR = Actor(account=None, name="system", role="system")
_TIME_RE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
BAD_TIME = "Type the digest's time as hours and minutes, such as 08:00 or 18:30."
ONLY_MEMBERS = "Only practice members receive a daily digest."

# (channel, address, subject, text): hand one digest to the mail server or gateway, or raise.
SendDigest = Callable[[str, str, str, str], None]


@dataclass(frozen=True, slots=True)
class DigestSetting:
    enabled: bool
    local_time: str


@dataclass(frozen=True, slots=True)
class Counts:
    new: int  # deposited in the last 24 hours
    urgent_open: int  # urgent, neither acknowledged nor handled
    handled_today: int  # marked handled since local midnight


def setting_of(conn: Connection, account_id: str) -> DigestSetting:
    row = conn.execute(
        "SELECT enabled, local_time FROM digest_setting WHERE account_id = ?", (account_id,)
    ).fetchone()
    return (
        DigestSetting(False, DEFAULT_TIME)
        if row is None
        else DigestSetting(bool(row[0]), str(row[1]))
    )


def of_account(env: Env, account_id: str) -> DigestSetting:
    return env.db.read(lambda c: setting_of(c, account_id))


def check_time(typed: str) -> str:
    text = typed.strip().replace("h", ":").replace("H", ":")
    if re.fullmatch(r"\d:\d\d", text):
        text = "0" + text
    if not _TIME_RE.match(text):
        raise InvalidInput(BAD_TIME, field="time")
    return text


def set_digest(
    env: Env, info: RequestInfo, principal: Principal, enabled: bool, local_time: str | None = None
) -> DigestSetting:
    """Turn a member's digest on or off, at ``local_time`` (kept as it was if not given)."""
    if principal.role is not Role.MEMBER:
        raise Forbidden(ONLY_MEMBERS)
    at = None if local_time is None else check_time(local_time)

    def tx(conn: Connection) -> DigestSetting:
        setting = DigestSetting(enabled, at or setting_of(conn, principal.account_id).local_time)
        conn.execute(
            "INSERT INTO digest_setting (account_id, enabled, local_time) VALUES (?, ?, ?)"
            " ON CONFLICT (account_id) DO UPDATE SET enabled = excluded.enabled,"
            " local_time = excluded.local_time",
            (principal.account_id, int(setting.enabled), setting.local_time),
        )
        env.record(
            conn,
            Action.DIGEST_CHANGED,
            info,
            actor=principal.actor,
            targets={"account": principal.account_id},
            detail={"enabled": setting.enabled, "at": setting.local_time},
        )
        return setting

    return env.db.write(tx)


def _local_midnight(env: Env, now: datetime) -> datetime:
    local = now.astimezone(env.settings.hours.zone)
    return datetime.combine(local.date(), time(0), tzinfo=env.settings.hours.zone)


def counts(conn: Connection, env: Env, practice_id: str, now: datetime) -> Counts:
    """The digest's three numbers for a practice at ``now`` (nothing but numbers)."""
    new = conn.execute(
        "SELECT count(*) FROM item WHERE practice_id = ?"
        " AND deposited_at > ? AND deposited_at <= ?",
        (practice_id, iso(now - timedelta(hours=24)), iso(now)),
    ).fetchone()[0]
    urgent = conn.execute(
        "SELECT count(*) FROM item WHERE practice_id = ? AND urgency = 2"
        " AND status IN ('new', 'read')",
        (practice_id,),
    ).fetchone()[0]
    handled = conn.execute(
        "SELECT count(DISTINCT i.id) FROM item i JOIN item_status h ON h.item_id = i.id"
        " WHERE i.practice_id = ? AND i.status = 'handled' AND h.status = 'handled'"
        " AND h.undo = 0 AND h.at >= ? AND h.at <= ?",
        (practice_id, iso(_local_midnight(env, now)), iso(now)),
    ).fetchone()[0]
    return Counts(int(new), int(urgent), int(handled))


def text_of(c: Counts, base_url: str) -> tuple[str, str]:
    """The digest's subject and body, in French and English: three counts and a link."""
    link = base_url.rstrip("/") + "/inbox"

    def fr(n: int, one: str, many: str) -> str:
        return f"{n} {one if n <= 1 else many}"

    def en(n: int, one: str, many: str) -> str:
        return f"{n} {one if n == 1 else many}"

    body = (
        "Votre résumé du jour dans Permanence\u00a0:\n"
        f"- {fr(c.new, 'nouveau message', 'nouveaux messages')} en 24\u00a0h\n"
        f"- {fr(c.urgent_open, 'message urgent', 'messages urgents')} non pris en charge\n"
        f"- {fr(c.handled_today, 'message traité', 'messages traités')} aujourd\u2019hui\n"
        f"{link}\n\n"
        "Your daily digest in Permanence:\n"
        f"- {en(c.new, 'new message', 'new messages')} in 24 hours\n"
        f"- {en(c.urgent_open, 'urgent message', 'urgent messages')} not acknowledged\n"
        f"- {en(c.handled_today, 'message', 'messages')} handled today\n"
        f"{link}\n"
    )
    return "Permanence : résumé du jour / daily digest", body


def sms_text_of(c: Counts, base_url: str) -> str:
    """The digest as one short SMS: the three counts and the link."""
    link = base_url.rstrip("/") + "/inbox"
    return (
        f"Permanence\u00a0: {c.new} nouveaux (24\u00a0h), {c.urgent_open} urgents non pris en"
        f" charge, {c.handled_today} traités aujourd\u2019hui / {c.new} new, {c.urgent_open}"
        f" urgent not acknowledged, {c.handled_today} handled today. {link}"
    )


def channel_sender(env: Env) -> SendDigest:
    """Digests through escalation's channels: e-mail over SMTP, SMS through the gateway."""

    def send_digest(channel: str, address: str, subject: str, text: str) -> None:
        if channel == EMAIL:
            channels.send_mail(env.settings.smtp, address, subject, text)
        else:
            channels.send_sms(env.settings.sms, address, text)

    return send_digest


def _open_due_days(env: Env, now: datetime) -> None:
    """One pending row for each member whose digest time has come today (none twice)."""
    local = now.astimezone(env.settings.hours.zone)
    day, clock = local.date().isoformat(), local.strftime("%H:%M")
    env.db.write(
        lambda c: c.execute(
            "INSERT OR IGNORE INTO digest_run (account_id, day, status, next_at, created_at)"
            " SELECT s.account_id, ?, 'pending', ?, ? FROM digest_setting s"
            " JOIN account a ON a.id = s.account_id"
            " WHERE s.enabled = 1 AND s.local_time <= ? AND a.role = 'member'"
            " AND a.status = 'active' AND a.practice_id IS NOT NULL",
            (day, iso(now), iso(now), clock),
        )
    )


def _claim(env: Env, now: datetime) -> list[tuple[str, str, int, str]]:
    """Lease today's due rows to this process: (account, day, attempts, practice)."""
    day = now.astimezone(env.settings.hours.zone).date().isoformat()

    def tx(conn: Connection) -> list[tuple[str, str, int, str]]:
        rows = conn.execute(
            "UPDATE digest_run SET leased_until = ? WHERE status = 'pending' AND day = ?"
            " AND next_at <= ? AND (leased_until IS NULL OR leased_until <= ?)"
            " RETURNING account_id, day, attempts",
            (iso(now + timedelta(seconds=LEASE_SECONDS)), day, iso(now), iso(now)),
        ).fetchall()
        out = []
        for account, d, attempts in rows:
            practice = conn.execute(
                "SELECT practice_id FROM account WHERE id = ?", (account,)
            ).fetchone()[0]
            out.append((str(account), str(d), int(attempts), str(practice)))
        return out

    return env.db.write(tx)


def run_due(env: Env, send: SendDigest | None = None) -> tuple[int, int]:
    """Send every digest due now, each once; return (sent, failed) digests."""
    now = env.now()
    _open_due_days(env, now)
    sent = failed = 0
    for account, day, attempts, practice in _claim(env, now):

        def read(
            conn: Connection, a: str = account, p: str = practice
        ) -> tuple[Counts, list[tuple[str, str]]]:
            return counts(conn, env, p, now), contacts.reachable(conn, a, NORMAL)

        numbers, targets = env.db.read(read)
        subject, body = text_of(numbers, env.settings.base_url)
        short = sms_text_of(numbers, env.settings.base_url)
        sender = send or channel_sender(env)
        errors: list[str] = []
        for channel, address in targets:
            try:
                sender(channel, address, subject, body if channel == EMAIL else short)
            except Exception as exc:  # any channel failure: retried later
                errors.append(type(exc).__name__)
                log.warning("a %s digest could not be sent: %s", channel, type(exc).__name__)
        ok = not targets or len(errors) < len(targets)
        sent, failed = sent + ok, failed + (not ok)
        _finish(env, account, day, attempts, ok, errors[0] if errors else None, targets)
    return sent, failed


def _finish(
    env: Env,
    account: str,
    day: str,
    attempts: int,
    ok: bool,
    error: str | None,
    targets: list[tuple[str, str]],
) -> None:
    now = env.now()

    def tx(conn: Connection) -> None:
        if ok:
            conn.execute(
                "UPDATE digest_run SET status = 'sent', sent_at = ?, attempts = attempts + 1,"
                " leased_until = NULL WHERE account_id = ? AND day = ?",
                (iso(now), account, day),
            )
        else:
            conn.execute(
                "UPDATE digest_run SET attempts = attempts + 1, next_at = ?, leased_until = NULL"
                " WHERE account_id = ? AND day = ?",
                (iso(now + channels.retry_delay(attempts + 1)), account, day),
            )
        env.record(
            conn,
            Action.DIGEST_SENT if ok else Action.DIGEST_FAILED,
            SYSTEM,
            actor=_SYSTEM_ACTOR,
            outcome=Outcome.OK if ok else Outcome.FAILED,
            targets={"account": account},
            detail={
                "day": day,
                "attempt": attempts + 1,
                "channels": ",".join(ch for ch, _ in targets),
                "error": error,
            },
        )

    env.db.write(tx)


__all__ = [
    "DEFAULT_TIME",
    "Counts",
    "DigestSetting",
    "check_time",
    "counts",
    "of_account",
    "run_due",
    "set_digest",
    "setting_of",
    "sms_text_of",
    "text_of",
]
