"""Confirming a contact detail by a code sent through its channel, and choosing channels.

A member (or secretary) types an e-mail address or a phone number; the vault sends a
six-digit code to it through that channel (e-mail or SMS) and keeps only a salted hash
of it, keyed with the server secret, for ``CODE_MINUTES``; ``MAX_ATTEMPTS`` wrong codes
end it. Typing the right code makes the detail verified, replacing the previous one of
that channel. The code is never logged, audited or shown again.

The code is sent before anything is stored: a mail server or gateway that refuses it
leaves no pending code behind (``CodeNotSent``, audited ``failed``). Asking again within
``RESEND_SECONDS`` is refused (``CodeResendTooSoon``, a 429), so the form cannot be
used to flood an address.

Every change is audited in its own transaction: ``contact.code_sent``,
``contact.verified`` (``denied`` for a refused code), ``contact.removed``,
``contact.channels_chosen``; never the address (metadata kept in its table only).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
from collections.abc import Callable
from datetime import timedelta

from audit.entry import Action, Outcome
from vault.clock import iso, parse_iso
from vault.env import Env, Principal, RequestInfo
from vault.errors import CodeNotSent, CodeRefused, CodeResendTooSoon, Forbidden, InvalidInput
from vault.identity.roles import Role
from vault.notify import channels, contacts
from vault.notify.contacts import NORMAL, URGENT
from vault.storage.store import Connection

log = logging.getLogger("permanence.contacts")

CODE_DIGITS = 6
CODE_MINUTES = 15
MAX_ATTEMPTS = 5
RESEND_SECONDS = 60
ROLES = (Role.MEMBER, Role.SECRETARY)  # the people a notification or the ladder tells

ONLY_PEOPLE = "Only practice members and secretaries keep contact details here."
NO_CODE = "No code is waiting for this detail: ask for a new code."
WRONG_CODE = "This code is not the one we sent: check it and type it again."
EXPIRED_CODE = "This code has expired: ask for a new code."
TOO_MANY = "Too many wrong codes: ask for a new code."
NOT_VERIFIED = "Verify this contact detail before choosing it."
URGENT_NEEDS_ONE = "Choose at least one channel for urgent messages."

# (channel, address, text): hand one code to the mail server or SMS gateway, or raise.
SendCode = Callable[[str, str, str], None]


def code_text(code: str) -> str:
    """The message carrying a code: the code and its validity, nothing else."""
    return (
        f"Permanence : votre code de confirmation est {code} (valable {CODE_MINUTES} minutes)."
        f"\nYour Permanence confirmation code is {code} (valid {CODE_MINUTES} minutes).\n"
    )


def default_sender(env: Env) -> SendCode:
    """Codes through escalation's channels: e-mail over SMTP, SMS through the gateway."""

    def send_code(channel: str, address: str, text: str) -> None:
        channels.send_code(env, channel, address, text)

    return send_code


def _hash(env: Env, salt: bytes, code: str) -> bytes:
    return hashlib.blake2b(
        code.encode(),
        key=env.server_secret.value[:64],
        salt=salt,
        person=b"perm-contact",
        digest_size=32,
    ).digest()


def _new_code(env: Env) -> str:
    return str(int.from_bytes(env.randbytes(8), "big") % 10**CODE_DIGITS).zfill(CODE_DIGITS)


def _check_role(principal: Principal) -> None:
    if principal.role not in ROLES:
        raise Forbidden(ONLY_PEOPLE)


def request_code(
    env: Env,
    info: RequestInfo,
    principal: Principal,
    channel: str,
    typed_address: str,
    send: SendCode | None = None,
) -> str:
    """Send a code to ``typed_address`` through ``channel``; return the address as stored."""
    _check_role(principal)
    address = contacts.normal_address(channel, typed_address)
    account = principal.account_id
    now = env.now()
    last = env.db.read(
        lambda c: c.execute(
            "SELECT created_at FROM contact_code WHERE account_id = ? AND channel = ?",
            (account, channel),
        ).fetchone()
    )
    if last is not None:
        wait = parse_iso(str(last[0])) + timedelta(seconds=RESEND_SECONDS) - now
        if wait > timedelta(0):
            raise CodeResendTooSoon(math.ceil(wait.total_seconds()))
    code = _new_code(env)
    salt = env.randbytes(16)
    try:
        (send or default_sender(env))(channel, address, code_text(code))
    except Exception as exc:  # any failure of the channel is the same refusal
        log.warning("a %s verification code could not be sent: %s", channel, type(exc).__name__)
        env.db.write(
            lambda c: _audit(
                env, c, info, principal, Action.CONTACT_CODE_SENT, channel, Outcome.FAILED
            )
        )
        raise CodeNotSent() from None

    def tx(conn: Connection) -> None:
        conn.execute(
            "INSERT INTO contact_code (account_id, channel, address, salt, code_hash,"
            " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (account_id, channel) DO UPDATE SET address = excluded.address,"
            " salt = excluded.salt, code_hash = excluded.code_hash,"
            " created_at = excluded.created_at, expires_at = excluded.expires_at, attempts = 0",
            (
                account,
                channel,
                address,
                salt,
                _hash(env, salt, code),
                iso(now),
                iso(now + timedelta(minutes=CODE_MINUTES)),
            ),
        )
        _audit(env, conn, info, principal, Action.CONTACT_CODE_SENT, channel)

    env.db.write(tx)
    return address


def _audit(
    env: Env,
    conn: Connection,
    info: RequestInfo,
    principal: Principal,
    action: Action,
    channel: str,
    outcome: Outcome = Outcome.OK,
    **detail: str | int | bool | None,
) -> None:
    env.record(
        conn,
        action,
        info,
        actor=principal.actor,
        outcome=outcome,
        targets={"account": principal.account_id},
        detail={"channel": channel, **detail},
    )


def confirm_code(
    env: Env, info: RequestInfo, principal: Principal, channel: str, typed_code: str
) -> str:
    """Verify the detail a code was sent to, if ``typed_code`` is that code; return the
    address. A wrong code counts an attempt; an expired or exhausted one is dropped."""
    _check_role(principal)
    contacts.check_channel(channel)
    code = "".join(ch for ch in typed_code if not ch.isspace())
    account = principal.account_id
    now = env.now()

    def tx(conn: Connection) -> str | tuple[str, str]:
        row = conn.execute(
            "SELECT address, salt, code_hash, expires_at, attempts FROM contact_code"
            " WHERE account_id = ? AND channel = ?",
            (account, channel),
        ).fetchone()
        if row is None:
            return ("none", NO_CODE)
        address, salt, stored, expires_at, attempts = row
        drop = "DELETE FROM contact_code WHERE account_id = ? AND channel = ?"
        if parse_iso(str(expires_at)) <= now:
            conn.execute(drop, (account, channel))
            reason = ("expired", EXPIRED_CODE)
        elif not hmac.compare_digest(_hash(env, bytes(salt), code), bytes(stored)):
            if int(attempts) + 1 >= MAX_ATTEMPTS:
                conn.execute(drop, (account, channel))
                reason = ("attempts", TOO_MANY)
            else:
                conn.execute(
                    "UPDATE contact_code SET attempts = attempts + 1"
                    " WHERE account_id = ? AND channel = ?",
                    (account, channel),
                )
                reason = ("wrong", WRONG_CODE)
        else:
            conn.execute(drop, (account, channel))
            conn.execute(
                "INSERT INTO contact (account_id, channel, address, verified_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (account_id, channel) DO UPDATE"
                " SET address = excluded.address, verified_at = excluded.verified_at",
                (account, channel, str(address), iso(now)),
            )
            _audit(env, conn, info, principal, Action.CONTACT_VERIFIED, channel)
            return str(address)
        _audit(
            env,
            conn,
            info,
            principal,
            Action.CONTACT_VERIFIED,
            channel,
            Outcome.DENIED,
            reason=reason[0],
        )
        return reason

    result = env.db.write(tx)  # a wrong attempt is counted even though it is refused
    if isinstance(result, tuple):
        raise CodeRefused(result[1])
    return result


def remove_detail(env: Env, info: RequestInfo, principal: Principal, channel: str) -> None:
    """Forget a verified detail (and a code waiting for that channel)."""
    _check_role(principal)
    contacts.check_channel(channel)
    account = principal.account_id

    def tx(conn: Connection) -> None:
        conn.execute(
            "DELETE FROM contact_code WHERE account_id = ? AND channel = ?", (account, channel)
        )
        gone = conn.execute(
            "DELETE FROM contact WHERE account_id = ? AND channel = ?", (account, channel)
        ).rowcount
        if gone:
            _audit(env, conn, info, principal, Action.CONTACT_REMOVED, channel)

    env.db.write(tx)


def choose_channels(
    env: Env, info: RequestInfo, principal: Principal, urgency: str, channels: list[str]
) -> tuple[str, ...]:
    """The channels telling ``principal`` of ``urgency`` (urgent: at least one), among her
    verified details."""
    _check_role(principal)
    contacts.check_urgency(urgency)
    picked = tuple(
        ch for ch in contacts.CHANNELS if ch in {contacts.check_channel(c) for c in channels}
    )
    if urgency == URGENT and not picked:
        raise InvalidInput(URGENT_NEEDS_ONE, field="channels")
    account = principal.account_id

    def tx(conn: Connection) -> None:
        details = contacts.verified(conn, account)
        if any(ch not in details for ch in picked):
            raise InvalidInput(NOT_VERIFIED, field="channels")
        conn.execute(
            "INSERT INTO contact_choice (account_id, urgency, channels) VALUES (?, ?, ?)"
            " ON CONFLICT (account_id, urgency) DO UPDATE SET channels = excluded.channels",
            (account, urgency, ",".join(picked)),
        )
        env.record(
            conn,
            Action.CONTACT_CHANNELS_CHOSEN,
            info,
            actor=principal.actor,
            targets={"account": account},
            detail={"urgency": urgency, "channels": ",".join(picked)},
        )

    env.db.write(tx)
    return picked


__all__ = [
    "CODE_MINUTES",
    "MAX_ATTEMPTS",
    "NORMAL",
    "RESEND_SECONDS",
    "URGENT",
    "SendCode",
    "choose_channels",
    "code_text",
    "confirm_code",
    "remove_detail",
    "request_code",
]
