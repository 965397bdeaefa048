"""Who reaches a practice's team key and documents, and whom a new version is sealed to.

Members of the practice who hold its key and secretaries assigned to it reach
them; anyone else is answered like a stranger to the practice's items: an
audited 404 (``vault.items.access.Denied``). The **recipients** of a new version
are exactly those people, active and enrolled; an admin or an auditor never is one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crypto.teamkey import TeamKeyRecord
from vault.env import Principal
from vault.errors import Forbidden
from vault.identity.roles import Role
from vault.ids import is_uuid
from vault.items.access import Denied
from vault.storage.store import Connection

MEMBERS_ONLY = "Only the practice's members can write this kind of document."


@dataclass(frozen=True, slots=True)
class TeamAccount:
    """An account as the team routes show it: enough to verify and to seal to."""

    id: str
    name: str
    role: str
    x25519_pk: bytes
    ed25519_pk: bytes


# Active, enrolled members holding the practice key, and active assigned secretaries.
_RECIPIENTS = (
    "SELECT a.id, a.display_name, a.role, a.x25519_pk, a.ed25519_pk FROM account a"
    " WHERE a.status = 'active' AND a.x25519_pk IS NOT NULL"
    " AND a.ed25519_pk IS NOT NULL AND ("
    " (a.role = 'member' AND a.practice_id = ?1 AND EXISTS (SELECT 1 FROM practice_grant g"
    "  WHERE g.practice_id = ?1 AND g.account_id = a.id))"
    " OR (a.role = 'secretary' AND EXISTS (SELECT 1 FROM assignment s"
    "  WHERE s.practice_id = ?1 AND s.secretary_id = a.id)))"
    " ORDER BY a.role, a.display_name, a.id"
)


def _team_account(row: Any) -> TeamAccount:
    ident, name, role, x_pk, ed_pk = row
    return TeamAccount(str(ident), str(name), str(role), bytes(x_pk), bytes(ed_pk))


def team_account(conn: Connection, account_id: str) -> TeamAccount:
    """An enrolled account's name, role and public keys. Only called for accounts that
    signed something stored or that ``reach`` found among the recipients (who have keys);
    anything else is ``Denied``."""
    row = conn.execute(
        "SELECT a.id, a.display_name, a.role, a.x25519_pk, a.ed25519_pk FROM account a"
        " WHERE a.id = ? AND a.x25519_pk IS NOT NULL AND a.ed25519_pk IS NOT NULL",
        (account_id,),
    ).fetchone()
    if row is None:
        raise Denied(account=account_id)
    return _team_account(row)


def recipients(conn: Connection, practice_id: str) -> list[TeamAccount]:
    """Whom a version made now is sealed to: the practice's members and its secretaries."""
    return [_team_account(r) for r in conn.execute(_RECIPIENTS, (practice_id,))]


def is_recipient(conn: Connection, practice_id: str, account_id: str) -> bool:
    return any(a.id == account_id for a in recipients(conn, practice_id))


def reach(conn: Connection, principal: Principal, practice_id: str) -> None:
    """Raise ``Denied`` (an audited 404) unless the principal is one of the practice's team."""
    if (
        not is_uuid(practice_id)
        or principal.role not in (Role.MEMBER, Role.SECRETARY)
        or (principal.role == Role.MEMBER and principal.practice_id != practice_id)
        or not is_recipient(conn, practice_id, principal.account_id)
    ):
        raise Denied(practice=practice_id if is_uuid(practice_id) else "invalid")


def reach_as_member(conn: Connection, principal: Principal, practice_id: str) -> None:
    """``reach``, then ``Forbidden`` for a secretary (the team key's own routes are members')."""
    reach(conn, principal, practice_id)
    if principal.role != Role.MEMBER:
        raise Forbidden(MEMBERS_ONLY)


def newest_record(conn: Connection, practice_id: str) -> tuple[int, TeamKeyRecord, int] | None:
    """(version, parsed newest record of it, its seq) of the practice's current version."""
    row = conn.execute(
        "SELECT version, record, seq FROM team_key_record WHERE practice_id = ?"
        " ORDER BY version DESC, seq DESC LIMIT 1",
        (practice_id,),
    ).fetchone()
    if row is None:
        return None
    # The server stored only records it had parsed.
    return int(row[0]), TeamKeyRecord.decode(bytes(row[1])), int(row[2])


def lost_access(conn: Connection, practice_id: str) -> list[str]:
    """Recipients of the current version's newest record who are no longer of the team."""
    newest = newest_record(conn, practice_id)
    if newest is None:
        return []
    current = {a.id for a in recipients(conn, practice_id)}
    return sorted(str(r) for r in newest[1].recipients if str(r) not in current)


def rekey_due(conn: Connection, practice_id: str) -> bool:
    """Whether someone lost access since the current version: the next must leave them out."""
    return bool(lost_access(conn, practice_id))
