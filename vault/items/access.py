"""Who may reach a practice's items, and the audit entries that say so.

Ids of a practice one may not reach are answered 404 — never 403 — and the
attempt is audited (``deny``); every access to a practice's items is audited
and indexed for the practice's "what was accessed" page (``record_access``).
"""

from __future__ import annotations

from audit.entry import Action
from vault.clock import iso
from vault.env import Env, Principal, RequestInfo
from vault.errors import NotFound
from vault.identity import denials
from vault.identity.roles import Role
from vault.ids import is_uuid
from vault.storage.store import Connection


def deny(env: Env, request: RequestInfo, principal: Principal, **targets: str) -> NotFound:
    """Audit an attempt on ids the principal may not reach; return the 404 to raise.

    Recorded by ``denials.record``: well-formed ids only, repeats counted per window.
    """
    env.db.write(lambda conn: denials.record(env, conn, request, principal, targets=targets))
    return NotFound()


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
