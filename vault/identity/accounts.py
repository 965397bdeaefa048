"""Accounts and invitations: who exists, with which role, and how they get in.

An admin invites by role (a client member into a practice); a practice member
may invite a colleague into their own practice. The invitation link carries a
random token whose hash only is stored; it is single-use and expires.

Usernames are unique across the vault, so a member's invitation of a name
taken elsewhere must be refused; the refusal does not say that an account
exists (only a colleague of the member's own practice is named as such), is
audited, and is throttled per member (``throttle.INVITE_LIMIT``), so the form
cannot be used to list the vault's accounts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from audit.entry import Action, Outcome
from crypto.encoding import b64url_encode
from vault.clock import iso, parse_iso
from vault.env import Env, Principal, RequestInfo
from vault.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    InvitationInvalid,
    InvitationLimit,
    NotFound,
    Refused,
    Throttled,
)
from vault.identity import display_names, refusals, sessions, throttle
from vault.identity.roles import Role
from vault.identity.usernames import normal_username
from vault.ids import is_uuid, new_uuid
from vault.storage.store import Connection

INVITATION_DAYS = 7
# Each invitation creates a vault-wide username: a member invites this many colleagues a day.
MEMBER_INVITATIONS_PER_DAY = 20
TOKEN_BYTES = 32
_USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789.-_@+")


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    username: str
    display_name: str
    role: Role
    practice_id: str | None
    practice_name: str | None
    status: str
    created_at: datetime
    enrolled_at: datetime | None
    has_grant: bool


@dataclass(frozen=True, slots=True)
class Invitation:
    account_id: str
    token: str  # shown once, in the link; only its hash is stored

    def link(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}/enrol/{self.token}"


def invitation_hash(token: str) -> bytes:
    return hashlib.blake2b(token.encode(), digest_size=32, person=b"perm-invite").digest()


def check_username(username: str) -> str:
    name = normal_username(username)
    if not 3 <= len(name) <= 64 or not set(name) <= _USERNAME_CHARS:
        raise InvalidInput(
            "A username has 3 to 64 characters: letters, digits and . - _ @ + only.",
            field="username",
        )
    return name


def check_display_name(name: str) -> str:
    name = " ".join(name.split())
    if not 1 <= len(name) <= 100:
        raise InvalidInput("A display name has 1 to 100 characters.", field="display_name")
    display_names.check_characters(name)
    return name


def invite(
    env: Env,
    request: RequestInfo,
    by: Principal | None,
    *,
    username: str,
    display_name: str,
    role: Role,
    practice_name: str | None = None,
) -> Invitation:
    """Create an invited account and its single-use link (``by=None``: the command line)."""
    by_member = by is not None and by.role == Role.MEMBER
    if by is not None and by.role not in (Role.ADMIN, Role.MEMBER):
        raise Forbidden()
    if by_member and role != Role.MEMBER:
        raise Forbidden()  # a practice invites colleagues, nobody else
    if role == Role.MEMBER and not by_member and not (practice_name or "").strip():
        raise InvalidInput("A client member is invited into a practice: name it.", field="practice")
    if role != Role.MEMBER and practice_name:
        raise InvalidInput("Only client members belong to a practice.", field="practice")
    username = check_username(username)
    display_name = check_display_name(display_name)
    token = b64url_encode(env.randbytes(TOKEN_BYTES))
    account_id = new_uuid(env.randbytes)
    now = env.now()

    def tx(conn: Connection) -> Invitation | Refused:
        if by is not None and by_member:
            refused = _daily_limit(env, conn, request, by) or _member_refusal(
                env, conn, request, by, username
            )
            if refused is not None:
                return refused  # committed with its audit entry, then raised
        elif taken := conn.execute(
            "SELECT status, enrolled_at FROM account WHERE username = ?", (username,)
        ).fetchone():
            if taken[0] == "invited" and taken[1] is None:  # a lost or expired link
                raise Conflict(
                    "This person is invited already and has not enrolled yet: use"
                    " “New invitation link” next to their name in the list.",
                    field="username",
                )
            raise Conflict("This username is already taken.", field="username")
        practice_id: str | None = None
        if role == Role.MEMBER:
            if by is not None and by_member:
                practice_id = by.practice_id
            else:
                practice_id = _practice_for_invite(env, conn, request, by, str(practice_name))
        conn.execute(
            "INSERT INTO account (id, username, display_name, role, practice_id, status,"
            " created_at) VALUES (?, ?, ?, ?, ?, 'invited', ?)",
            (account_id, username, display_name, str(role), practice_id, iso(now)),
        )
        conn.execute(
            "INSERT INTO invitation (token_hash, account_id, created_by, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                invitation_hash(token),
                account_id,
                by.account_id if by else None,
                iso(now),
                iso(now + timedelta(days=INVITATION_DAYS)),
            ),
        )
        targets = {"account": account_id}
        if practice_id:
            targets["practice"] = practice_id
        env.record(
            conn,
            Action.ACCOUNT_INVITED,
            request,
            actor=by.actor if by else None,
            targets=targets,
            detail={"role": str(role), "username": username},
        )
        return Invitation(account_id, token)

    result = env.db.write(tx)
    if isinstance(result, Refused):
        raise result
    return result


def _daily_limit(env: Env, conn: Connection, request: RequestInfo, by: Principal) -> Refused | None:
    """A refusal once ``by`` has invited ``MEMBER_INVITATIONS_PER_DAY`` in the last 24 hours.

    Refusals are counted (``refusals``, reason ``daily_limit``): one entry per window.
    """
    now = env.now()
    subject = "invitations:" + by.account_id
    rows = conn.execute(
        "SELECT created_at FROM invitation WHERE created_by = ? AND created_at > ?"
        " ORDER BY created_at",
        (by.account_id, iso(now - throttle.WINDOW)),
    ).fetchall()
    if len(rows) < MEMBER_INVITATIONS_PER_DAY:
        refusals.flush(env, conn, [subject])  # the member's next entry comes: counts go first
        return None
    refusal = refusals.Refusal(
        Action.ACCOUNT_INVITED, by.account_id, lambda: by.actor, reason="daily_limit"
    )
    refusals.count(env, conn, request, subject, refusal)
    frees_one = parse_iso(rows[len(rows) - MEMBER_INVITATIONS_PER_DAY][0]) + throttle.WINDOW
    return InvitationLimit(max(1, int((frees_one - now).total_seconds()) + 1))


def _member_refusal(
    env: Env, conn: Connection, request: RequestInfo, by: Principal, username: str
) -> Refused | None:
    """Why a member may not invite ``username`` now, or None: throttled, or the name taken.

    A name taken in another practice (or by a secretary, an admin...) gets the same
    answer as any unusable name, counts as a refusal for the member's throttle, and is
    audited with the account it hit; a colleague of the member's own practice is named
    as such (the members page lists them anyway) and costs nothing.
    """
    now = env.now()
    subject = throttle.invite_subject(by.account_id)
    wait = throttle.wait_seconds(conn, subject, throttle.INVITE_LIMIT, now)
    if wait:
        refusal = refusals.Refusal(Action.ACCOUNT_INVITED, by.account_id, lambda: by.actor)
        refusals.count(env, conn, request, subject, refusal)
        return Throttled(wait)
    refusals.flush(env, conn, [subject])  # the member's next entry comes: counts go first
    row = conn.execute(
        "SELECT id, practice_id FROM account WHERE username = ?", (username,)
    ).fetchone()
    if row is None:
        return None
    if row[1] is not None and row[1] == by.practice_id:
        return Conflict("This person already has an account in your practice.", field="username")
    throttle.record_failure(conn, [subject], now)
    env.record(
        conn,
        Action.ACCOUNT_INVITED,
        request,
        actor=by.actor,
        outcome=Outcome.DENIED,
        targets={"account": str(row[0]), "practice": str(by.practice_id)},
        detail={"reason": "username_unavailable"},
    )
    return Conflict(
        "This username cannot be used: choose another one, for example with your practice's name.",
        field="username",
    )


def _practice_for_invite(
    env: Env, conn: Connection, request: RequestInfo, by: Principal | None, name: str
) -> str:
    name = " ".join(name.split())
    if not 1 <= len(name) <= 120:
        raise InvalidInput("A practice name has 1 to 120 characters.", field="practice")
    row = conn.execute("SELECT id FROM practice WHERE name = ?", (name,)).fetchone()
    if row:
        return str(row[0])
    practice_id = new_uuid(env.randbytes)
    conn.execute(
        "INSERT INTO practice (id, name, created_at) VALUES (?, ?, ?)",
        (practice_id, name, iso(env.now())),
    )
    env.record(
        conn,
        Action.CLIENT_CREATED,
        request,
        actor=by.actor if by else None,
        targets={"practice": practice_id},
    )
    return practice_id


def pending_invitation(conn: Connection, token: str, now: datetime) -> str:
    """The account id a live invitation token belongs to; ``InvitationInvalid`` otherwise."""
    if not token or len(token) > 100:
        raise InvitationInvalid()
    row = conn.execute(
        "SELECT i.account_id, i.expires_at, i.used_at, a.status FROM invitation i"
        " JOIN account a ON a.id = i.account_id WHERE i.token_hash = ?",
        (invitation_hash(token),),
    ).fetchone()
    if row is None or row[2] is not None or row[3] != "invited" or parse_iso(row[1]) <= now:
        raise InvitationInvalid()
    return str(row[0])


_SELECT = (
    "SELECT a.id, a.username, a.display_name, a.role, a.practice_id, p.name, a.status,"
    " a.created_at, a.enrolled_at,"
    " EXISTS (SELECT 1 FROM practice_grant g WHERE g.account_id = a.id"
    " AND g.practice_id = a.practice_id)"
    " FROM account a LEFT JOIN practice p ON p.id = a.practice_id"
)


def _account(row: tuple[object, ...]) -> Account:
    (aid, username, display, role, pid, pname, status, created, enrolled, grant) = row
    return Account(
        id=str(aid),
        username=str(username),
        display_name=str(display),
        role=Role(str(role)),
        practice_id=None if pid is None else str(pid),
        practice_name=None if pname is None else str(pname),
        status=str(status),
        created_at=parse_iso(str(created)),
        enrolled_at=None if enrolled is None else parse_iso(str(enrolled)),
        has_grant=bool(grant),
    )


def get(conn: Connection, account_id: str) -> Account:
    if not is_uuid(account_id):
        raise NotFound()
    row = conn.execute(_SELECT + " WHERE a.id = ?", (account_id,)).fetchone()
    if row is None:
        raise NotFound()
    return _account(row)


def account(env: Env, account_id: str) -> Account:
    """The account ``account_id`` (``NotFound`` if there is none)."""
    return env.db.read(lambda c: get(c, account_id))


def list_all(env: Env) -> list[Account]:
    return env.db.read(
        lambda c: [_account(r) for r in c.execute(_SELECT + " ORDER BY a.role, a.username")]
    )


def list_practice(env: Env, practice_id: str) -> list[Account]:
    return env.db.read(
        lambda c: [
            _account(r)
            for r in c.execute(
                _SELECT + " WHERE a.practice_id = ? ORDER BY a.display_name", (practice_id,)
            )
        ]
    )


def set_disabled(
    env: Env, request: RequestInfo, by: Principal, account_id: str, disabled: bool
) -> None:
    """Disable (revoking every session) or re-enable an account; never one's own."""
    if by.role != Role.ADMIN:
        raise Forbidden()
    if account_id == by.account_id:
        raise InvalidInput("You cannot disable your own account.")

    def tx(conn: Connection) -> None:
        account = get(conn, account_id)
        if disabled and account.status == "disabled":
            raise Conflict()
        if not disabled and account.status != "disabled":
            raise Conflict()
        if disabled:
            conn.execute(
                "UPDATE account SET status = 'disabled', disabled_at = ? WHERE id = ?",
                (iso(env.now()), account_id),
            )
            sessions.revoke_all(env, conn, account_id)
        else:
            status = "active" if account.enrolled_at else "invited"
            conn.execute(
                "UPDATE account SET status = ?, disabled_at = NULL WHERE id = ?",
                (status, account_id),
            )
        env.record(
            conn,
            Action.ACCOUNT_DISABLED if disabled else Action.ACCOUNT_ENABLED,
            request,
            actor=by.actor,
            targets={"account": account_id},
        )

    env.db.write(tx)
