"""Who may reach a practice's items, and the audit entries that say so.

Ids of a practice one may not reach are answered 404 — never 403 — and the
attempt is audited (``deny``); every access to a practice's items is audited
and indexed for the practice's "what was accessed" page (``record_access``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from audit.entry import Action
from vault.clock import iso
from vault.env import Env, Principal, RequestInfo
from vault.errors import NotFound, VaultError
from vault.identity import denials
from vault.identity.roles import Role
from vault.ids import is_uuid
from vault.storage.store import Connection

T = TypeVar("T")


class Denied(VaultError):
    """Raised inside a transaction that finds ids the principal may not reach.

    Never shown as it is: the writer boundary (``write_or_deny``) lets the
    transaction roll back, then audits the attempt in a transaction of its own
    and raises ``NotFound``.
    """

    def __init__(self, **targets: str) -> None:
        super().__init__("ids this account may not reach")
        self.targets = targets


def _denial(
    env: Env, request: RequestInfo, principal: Principal, targets: dict[str, str]
) -> Callable[[Connection], None]:
    """The transaction that records a denial (``denials.record``: well-formed ids only,
    repeats counted per window)."""
    return lambda conn: denials.record(env, conn, request, principal, targets=targets)


def deny(env: Env, request: RequestInfo, principal: Principal, **targets: str) -> NotFound:
    """Audit an attempt on ids the principal may not reach; return the 404 to raise."""
    env.db.write(_denial(env, request, principal, targets))
    return NotFound()


def write_or_deny(
    env: Env, request: RequestInfo, principal: Principal, tx: Callable[[Connection], T]
) -> T:
    """Run ``tx`` in the writer; a ``Denied`` it raises becomes an audited 404."""
    try:
        return env.db.write(tx)
    except Denied as denied:
        raise deny(env, request, principal, **denied.targets) from None


def read_or_deny(
    env: Env, request: RequestInfo, principal: Principal, read: Callable[[Connection], T]
) -> T:
    """Run ``read`` in one snapshot; a ``Denied`` it raises becomes an audited 404."""
    try:
        return env.db.read(read)
    except Denied as denied:
        raise deny(env, request, principal, **denied.targets) from None


async def write_or_deny_async(
    env: Env, request: RequestInfo, principal: Principal, tx: Callable[[Connection], T]
) -> T:
    """``write_or_deny`` for a coroutine (the web server): no thread waits for the commit."""
    try:
        return await env.db.write_async(tx)
    except Denied as denied:
        await env.db.write_async(_denial(env, request, principal, denied.targets))
        raise NotFound() from None


def record_access(
    env: Env,
    conn: Connection,
    request: RequestInfo,
    principal: Principal | None,
    action: Action,
    practice_id: str,
    item_id: str,
    detail: dict[str, str | int | bool | None] | None = None,
) -> None:
    """An audit entry, indexed for the practice's "what was accessed" page."""
    index = env.record(
        conn,
        action,
        request,
        actor=principal.actor if principal else None,
        targets={"practice": practice_id, "item": item_id},
        detail=detail,
    )
    conn.execute(
        "INSERT INTO practice_access (practice_id, at, action, account_id, item_id, audit_index)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            practice_id,
            iso(env.now()),
            str(action),
            principal.account_id if principal else None,
            item_id,
            index,
        ),
    )


# SQL: the member (the second parameter) holds the key of the practice (the first).
HOLDS_PRACTICE_KEY = (
    "EXISTS (SELECT 1 FROM practice_grant g WHERE g.practice_id = ? AND g.account_id = ?)"
)


def holds_practice_key(conn: Connection, principal: Principal) -> bool:
    """Whether a member was granted the practice key: until then nothing of the practice is theirs.

    The first member creates the key (and its own grant) at enrolment; every later member
    waits until a colleague seals the key to them, so an account an admin invites into a
    practice is approved by the practice, not by the admin.
    """
    if principal.role != Role.MEMBER or principal.practice_id is None:
        return False
    row = conn.execute(
        "SELECT " + HOLDS_PRACTICE_KEY, (principal.practice_id, principal.account_id)
    ).fetchone()
    return bool(row[0])


def assigned(conn: Connection, principal: Principal, practice_id: str) -> bool:
    """Whether a secretary serves ``practice_id`` (whose key exists)."""
    if principal.role != Role.SECRETARY or not is_uuid(practice_id):
        return False
    row = conn.execute(
        "SELECT 1 FROM assignment s JOIN practice p ON p.id = s.practice_id"
        " WHERE s.secretary_id = ? AND s.practice_id = ? AND p.public_key IS NOT NULL",
        (principal.account_id, practice_id),
    ).fetchone()
    return row is not None
