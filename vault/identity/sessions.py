"""Server-side sessions: a random id in a cookie, only its hash in the database.

Idle timeout and absolute lifetime come from the settings; a session is
refused (and forgotten) past either. ``last_seen_at`` is refreshed at most
once a minute so reading a page is not a write. What a lookup reads is kept a
moment for the session's next requests (``vault/identity/session_cache.py``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from audit.entry import Action
from crypto.encoding import b64url_encode
from vault.clock import iso, parse_iso
from vault.env import Env, Principal, RequestInfo
from vault.identity import session_cache
from vault.identity.roles import Role
from vault.storage.store import Connection

TOKEN_BYTES = 32
TOUCH_EVERY = timedelta(seconds=60)


def token_hash(token: str) -> bytes:
    return hashlib.blake2b(token.encode(), digest_size=32, person=b"perm-session").digest()


@dataclass(frozen=True, slots=True)
class SessionInfo:
    id_hash: bytes
    principal: Principal
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    must_reenrol_totp: bool
    # A member nobody has granted the practice key yet: reaches nothing of the practice.
    awaiting_practice_key: bool = False


@dataclass(frozen=True, slots=True)
class SessionRow:
    """A session as its owner sees it in the list of their sessions."""

    handle: str  # a short public handle (hex of the hash prefix), never the token
    created_at: datetime
    last_seen_at: datetime
    ip: str | None
    user_agent: str | None
    current: bool


def create(
    env: Env, conn: Connection, account_id: str, ip: str | None, user_agent: str | None
) -> tuple[str, str]:
    """Insert a new session; return (token for the cookie, CSRF token)."""
    token = b64url_encode(env.randbytes(TOKEN_BYTES))
    csrf = b64url_encode(env.randbytes(TOKEN_BYTES))
    now = iso(env.now())
    conn.execute(
        "INSERT INTO session (id_hash, account_id, csrf_token, created_at, last_seen_at, ip,"
        " user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (token_hash(token), account_id, csrf, now, now, ip, (user_agent or "")[:200]),
    )
    return token, csrf


_LOOKUP = (
    "SELECT s.csrf_token, s.created_at, s.last_seen_at, s.revoked_at, a.id, a.username,"
    " a.role, a.practice_id, a.status, a.must_reenroll_totp, a.ed25519_pk,"
    " a.role = 'member' AND NOT EXISTS (SELECT 1 FROM practice_grant g"
    " WHERE g.practice_id = a.practice_id AND g.account_id = a.id)"
    " FROM session s JOIN account a ON a.id = s.account_id WHERE s.id_hash = ?"
)
SEEN = 2  # last_seen_at's place in a row of _LOOKUP


def peek(env: Env, token: str) -> SessionInfo | Literal[False] | None:
    """``lookup``'s answer when it needs neither a read nor a write (the session's row is
    in the cache, its ``last_seen_at`` recent), else False: call ``lookup`` in a thread."""
    if not token or len(token) > 100:
        return None
    h = token_hash(token)
    now = env.now()
    cache = session_cache.existing(env.db)  # made by the first lookup, in a worker thread
    row = None if cache is None else cache.get(h, now)
    if row is None or now - parse_iso(row[SEEN]) > TOUCH_EVERY:
        return False
    return _session(env, h, row, now)


def lookup(env: Env, token: str) -> SessionInfo | None:
    """The live session for ``token``, or None (unknown, revoked, idle or too old)."""
    if not token or len(token) > 100:
        return None
    h = token_hash(token)
    cache = session_cache.cache_for(env.db)
    now = env.now()
    row = cache.get(h, now)
    if row is None:
        generation = cache.generation  # before the read: see session_cache
        row = env.db.read(lambda c: c.execute(_LOOKUP, (h,)).fetchone())
        if row is None:
            return None
        row = tuple(row)
        cache.put(h, row, now, generation)
    if now - parse_iso(row[SEEN]) > TOUCH_EVERY and _live(env, row, now):
        env.db.write(
            lambda c: c.execute(
                "UPDATE session SET last_seen_at = ? WHERE id_hash = ?", (iso(now), h)
            )
        )
        cache.forget(h)  # read again next time, with its new last_seen_at
        row = (*row[:SEEN], iso(now), *row[SEEN + 1 :])
    return _session(env, h, row, now)


def _live(env: Env, row: tuple[Any, ...], now: datetime) -> bool:
    created, seen, revoked, status = row[1], row[SEEN], row[3], row[8]
    expired = now - parse_iso(seen) > timedelta(
        seconds=env.settings.session_idle_seconds
    ) or now - parse_iso(created) > timedelta(seconds=env.settings.session_absolute_seconds)
    return revoked is None and status == "active" and not expired


def _session(env: Env, h: bytes, row: tuple[Any, ...], now: datetime) -> SessionInfo | None:
    if not _live(env, row, now):
        return None
    csrf, created, seen, _, account_id, username, role, practice, _, reenrol, pk = row[:11]
    principal = Principal(
        account_id, username, Role(role), practice, None if pk is None else bytes(pk)
    )
    return SessionInfo(
        h, principal, csrf, parse_iso(created), parse_iso(seen), bool(reenrol), bool(row[11])
    )


def tab_binding(id_hash: bytes) -> str:
    """The value that ties a session's browser tabs together (docs/design.md §7): tabs
    share unlocked keys only on the channel named after it. Derived one way from the
    session's hash, so it reveals neither the cookie nor the hash, and differs per session."""
    return hashlib.blake2b(id_hash, digest_size=16, person=b"perm-tab-keys").hexdigest()


def revoke(env: Env, conn: Connection, id_hash: bytes) -> None:
    conn.execute(
        "UPDATE session SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL",
        (iso(env.now()), id_hash),
    )


def revoke_all(env: Env, conn: Connection, account_id: str) -> int:
    cur = conn.execute(
        "UPDATE session SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL",
        (iso(env.now()), account_id),
    )
    return int(cur.rowcount)


def handle_of(id_hash: bytes) -> str:
    return id_hash[:8].hex()


def list_for(env: Env, account_id: str, current: bytes | None) -> list[SessionRow]:
    now = env.now()
    idle = iso(now - timedelta(seconds=env.settings.session_idle_seconds))
    oldest = iso(now - timedelta(seconds=env.settings.session_absolute_seconds))
    rows = env.db.read(
        lambda c: c.execute(
            "SELECT id_hash, created_at, last_seen_at, ip, user_agent FROM session"
            " WHERE account_id = ? AND revoked_at IS NULL AND last_seen_at > ?"
            " AND created_at > ? ORDER BY last_seen_at DESC",
            (account_id, idle, oldest),
        ).fetchall()
    )
    return [
        SessionRow(handle_of(h), parse_iso(c), parse_iso(s), ip, ua, h == current)
        for h, c, s, ip, ua in rows
    ]


def find_by_handle(conn: Connection, account_id: str, handle: str) -> bytes | None:
    for (h,) in conn.execute(
        "SELECT id_hash FROM session WHERE account_id = ? AND revoked_at IS NULL", (account_id,)
    ).fetchall():
        if handle_of(h) == handle:
            return bytes(h)
    return None


async def sign_out(env: Env, request: RequestInfo, session: SessionInfo) -> None:
    """End ``session`` (the account signs out), audited."""

    def tx(conn: Connection) -> None:
        revoke(env, conn, session.id_hash)
        env.record(conn, Action.LOGOUT, request, actor=session.principal.actor)

    await env.db.write_async(tx)


async def revoke_other(env: Env, request: RequestInfo, principal: Principal, handle: str) -> None:
    """End one of the principal's own sessions, named by its handle (an unknown one: nothing)."""

    def tx(conn: Connection) -> None:
        h = find_by_handle(conn, principal.account_id, handle)
        if h is not None:
            revoke(env, conn, h)
            env.record(
                conn,
                Action.SESSION_REVOKED,
                request,
                actor=principal.actor,
                targets={"account": principal.account_id},
            )

    await env.db.write_async(tx)
