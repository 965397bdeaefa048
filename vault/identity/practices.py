"""Client practices: their key grants to members, and secretaries' assignments."""

from __future__ import annotations

from dataclasses import dataclass

from audit.entry import Action
from crypto.fingerprint import practice_fingerprint
from vault.clock import iso
from vault.env import Env, Principal, RequestInfo
from vault.errors import Conflict, Forbidden, NotFound
from vault.identity import accounts
from vault.identity.authentication import (
    confirm_second_factor,
    second_factor,
    second_factor_refusal,
)
from vault.identity.roles import Role
from vault.ids import is_uuid
from vault.storage.store import Connection


@dataclass(frozen=True, slots=True)
class Practice:
    id: str
    name: str
    fingerprint: str | None
    members: int
    secretaries: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GrantRequest:
    """A colleague who has enrolled but cannot read the practice's items yet."""

    account_id: str
    username: str
    display_name: str
    x25519_pk: bytes
    ed25519_pk: bytes  # the member's browser computes the fingerprint it shows from both keys


def list_practices(env: Env) -> list[Practice]:
    def read(conn: Connection) -> list[Practice]:
        result = []
        for pid, name, pk in conn.execute(
            "SELECT id, name, public_key FROM practice ORDER BY name"
        ).fetchall():
            members = conn.execute(
                "SELECT count(*) FROM account WHERE practice_id = ?", (pid,)
            ).fetchone()[0]
            secretaries = tuple(
                r[0]
                for r in conn.execute(
                    "SELECT a.username FROM assignment s JOIN account a ON a.id = s.secretary_id"
                    " WHERE s.practice_id = ? ORDER BY a.username",
                    (pid,),
                )
            )
            fp = None if pk is None else practice_fingerprint(bytes(pk))
            result.append(Practice(pid, name, fp, int(members), secretaries))
        return result

    return env.db.read(read)


def practice_name(env: Env, practice_id: str) -> str:
    row = env.db.read(
        lambda c: c.execute("SELECT name FROM practice WHERE id = ?", (practice_id,)).fetchone()
    )
    if row is None:
        raise NotFound()
    return str(row[0])


def name_and_key(env: Env, practice_id: str) -> tuple[str, bytes | None]:
    """A practice's name and public key (None until its first member has enrolled)."""
    row = env.db.read(
        lambda c: c.execute(
            "SELECT name, public_key FROM practice WHERE id = ?", (practice_id,)
        ).fetchone()
    )
    if row is None:
        raise NotFound()
    return str(row[0]), None if row[1] is None else bytes(row[1])


def key_holders(env: Env, principal: Principal) -> list[tuple[str, str]]:
    """Whom a waiting member can ask for the practice key: the practice's active members
    who hold it, as (display name, username). Names only, which the waiting member would
    learn from the practice anyway; nothing of the items."""
    if principal.role != Role.MEMBER or principal.practice_id is None:
        raise Forbidden()
    rows = env.db.read(
        lambda c: c.execute(
            "SELECT a.display_name, a.username FROM account a JOIN practice_grant g"
            " ON g.practice_id = a.practice_id AND g.account_id = a.id"
            " WHERE a.practice_id = ? AND a.status = 'active' AND a.id != ?"
            " ORDER BY a.display_name",
            (principal.practice_id, principal.account_id),
        ).fetchall()
    )
    return [(str(name), str(username)) for name, username in rows]


def pending_grants(env: Env, principal: Principal) -> list[GrantRequest]:
    if principal.role != Role.MEMBER or principal.practice_id is None:
        raise Forbidden()
    rows = env.db.read(
        lambda c: c.execute(
            "SELECT a.id, a.username, a.display_name, a.x25519_pk, a.ed25519_pk FROM account a"
            " WHERE a.practice_id = ? AND a.status = 'active' AND NOT EXISTS ("
            " SELECT 1 FROM practice_grant g WHERE g.practice_id = a.practice_id"
            " AND g.account_id = a.id) ORDER BY a.display_name",
            (principal.practice_id,),
        ).fetchall()
    )
    return [GrantRequest(aid, u, d, bytes(x), bytes(e)) for aid, u, d, x, e in rows]


def grant(
    env: Env, request: RequestInfo, principal: Principal, account_id: str, sealed: bytes, code: str
) -> None:
    """Store a practice-key grant sealed by a member's browser to a colleague (fresh TOTP)."""
    if principal.role != Role.MEMBER or principal.practice_id is None or not is_uuid(account_id):
        raise NotFound()

    reserved = second_factor(env, request, principal)

    def tx(conn: Connection) -> None:
        if not confirm_second_factor(env, conn, principal, code, reserved):
            raise second_factor_refusal(env, conn, principal, code)
        mine = conn.execute(
            "SELECT 1 FROM practice_grant WHERE practice_id = ? AND account_id = ?",
            (principal.practice_id, principal.account_id),
        ).fetchone()
        if mine is None:
            raise Forbidden("You do not hold the practice key yourself yet.")
        target = accounts.get(conn, account_id)
        if target.practice_id != principal.practice_id or target.status != "active":
            raise NotFound()
        if target.has_grant:
            raise Conflict()
        conn.execute(
            "INSERT INTO practice_grant (practice_id, account_id, sealed, granted_by, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (principal.practice_id, account_id, sealed, principal.account_id, iso(env.now())),
        )
        env.record(
            conn,
            Action.KEY_GRANTED,
            request,
            actor=principal.actor,
            targets={"practice": str(principal.practice_id), "account": account_id},
        )

    env.db.write(tx)


def set_assignment(
    env: Env,
    request: RequestInfo,
    by: Principal | None,
    secretary_id: str,
    practice_id: str,
    assigned: bool,
) -> None:
    """Assign a secretary to a practice, or end the assignment (admins; None: the console)."""
    if by is not None and by.role != Role.ADMIN:
        raise Forbidden()
    if not (is_uuid(secretary_id) and is_uuid(practice_id)):
        raise NotFound()

    def tx(conn: Connection) -> None:
        secretary = accounts.get(conn, secretary_id)
        if secretary.role != Role.SECRETARY:
            raise NotFound()
        if conn.execute("SELECT 1 FROM practice WHERE id = ?", (practice_id,)).fetchone() is None:
            raise NotFound()
        if assigned:
            cur = conn.execute(
                "INSERT OR IGNORE INTO assignment (secretary_id, practice_id, created_by,"
                " created_at) VALUES (?, ?, ?, ?)",
                (secretary_id, practice_id, by.account_id if by else None, iso(env.now())),
            )
        else:
            cur = conn.execute(
                "DELETE FROM assignment WHERE secretary_id = ? AND practice_id = ?",
                (secretary_id, practice_id),
            )
        if cur.rowcount != 1:
            raise Conflict()
        env.record(
            conn,
            Action.ASSIGNMENT_ADDED if assigned else Action.ASSIGNMENT_REMOVED,
            request,
            actor=by.actor if by else None,
            targets={"account": secretary_id, "practice": practice_id},
        )

    env.db.write(tx)


def assign_by_name(
    env: Env, request: RequestInfo, secretary: str, practice: str, assigned: bool
) -> None:
    """``set_assignment`` by the secretary's username and the practice's name (the
    command line, whose request names its actor)."""

    def find(c: Connection) -> tuple[object, object]:
        return (
            c.execute(
                "SELECT id FROM account WHERE username = ? AND role = 'secretary'",
                (secretary.strip().lower(),),
            ).fetchone(),
            c.execute("SELECT id FROM practice WHERE name = ?", (practice,)).fetchone(),
        )

    account_row, practice_row = env.db.read(find)
    if not isinstance(account_row, tuple) or not isinstance(practice_row, tuple):
        raise NotFound(
            f"no secretary {secretary!r} or no practice {practice!r};"
            " see 'permanence users list' and 'permanence assignments list'"
        )
    set_assignment(env, request, None, str(account_row[0]), str(practice_row[0]), assigned)


def assigned_practices(env: Env, secretary_id: str) -> list[tuple[str, str, bytes | None]]:
    """(id, name, public key) of the practices a secretary serves."""
    return env.db.read(
        lambda c: [
            (r[0], r[1], None if r[2] is None else bytes(r[2]))
            for r in c.execute(
                "SELECT p.id, p.name, p.public_key FROM assignment s"
                " JOIN practice p ON p.id = s.practice_id WHERE s.secretary_id = ?"
                " ORDER BY p.name",
                (secretary_id,),
            )
        ]
    )
