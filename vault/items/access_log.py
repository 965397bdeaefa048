"""The practice's "what was accessed" page: every access to its items, told apart.

Listing a page of the inbox (``items.listed``, one entry for the page), fetching the
history for a search in the browser (``items.searched``, one entry a batch), opening an
item (``item.read``), downloading a file (``item.downloaded``), depositing and changing a
status are different things and shown so; each line says how many items an entry covers
and, for a listing, which. Read from the practice's access index and the entries'
own leaves (their ``detail`` and ``targets``), never from anything else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from audit.entry import json_count
from vault.clock import parse_iso
from vault.env import Env, Principal
from vault.errors import AwaitingPracticeKey, InvalidInput
from vault.identity.roles import Role
from vault.items.access import holds_practice_key
from vault.storage.store import Connection

# What the page can show alone: a name → the SQL condition over x (index) and j (leaf text).
KINDS = {
    "listed": "x.action = 'items.listed'",
    "searched": "(x.action = 'items.searched'"
    " OR (x.action = 'item.read' AND j ->> '$.detail.purpose' = 'search'))",
    "opened": "(x.action = 'item.read' AND coalesce(j ->> '$.detail.purpose', '') <> 'search')",
    "downloaded": "x.action = 'item.downloaded'",
    "deposited": "x.action = 'item.deposited'",
    "status": "x.action = 'item.status_changed'",
}


@dataclass(frozen=True, slots=True)
class Access:
    at: datetime
    kind: str  # a key of KINDS, or the action's name for anything else
    who: str | None
    item_id: str | None
    audit_index: int
    count: int  # items the entry covers
    item_ids: tuple[str, ...]  # a listing's ids (a search batch names only its first and last)


def _kind(action: str, purpose: object) -> str:
    if action == "items.listed":
        return "listed"
    if action == "items.searched" or (action == "item.read" and purpose == "search"):
        return "searched"
    return {
        "item.read": "opened",
        "item.downloaded": "downloaded",
        "item.deposited": "deposited",
        "item.status_changed": "status",
    }.get(action, action)


def _ids(targets_text: object) -> tuple[str, ...]:
    if not isinstance(targets_text, str):
        return ()
    targets = json.loads(targets_text)
    packed = [v for k, v in sorted(targets.items()) if k.startswith("items_")]
    return tuple(i for value in packed for i in str(value).split())


def accesses(
    env: Env,
    principal: Principal,
    before: int | None = None,
    kind: str | None = None,
    limit: int = 100,
) -> tuple[list[Access], int | None]:
    """The practice's accesses, newest first (by audit index), of one ``kind`` or all."""
    if principal.role != Role.MEMBER or principal.practice_id is None:
        raise InvalidInput()
    if kind is not None and kind not in KINDS:
        raise InvalidInput()
    condition = "" if kind is None else " AND " + KINDS[kind]  # one of KINDS' fixed texts
    sql = (
        "SELECT x.at, x.action, a.display_name, x.item_id, x.audit_index,"  # noqa: S608
        " j -> '$.detail.count', j ->> '$.detail.purpose', j -> '$.targets'"
        " FROM practice_access x LEFT JOIN account a ON a.id = x.account_id"
        " JOIN (SELECT idx, CAST(leaf AS TEXT) AS j FROM audit_entries) e"
        " ON e.idx = x.audit_index WHERE x.practice_id = ? AND x.audit_index < ?"
        f"{condition} ORDER BY x.audit_index DESC LIMIT ?"
    )

    def read(conn: Connection) -> list[tuple[object, ...]]:
        if not holds_practice_key(conn, principal):
            raise AwaitingPracticeKey()
        return list(
            conn.execute(
                sql,
                (principal.practice_id, before if before is not None else 2**62, limit + 1),
            ).fetchall()
        )

    rows = env.db.read(read)
    result = []
    for at, action, who, item, idx, count, purpose, targets in rows[:limit]:
        action_name = str(action)
        ids = _ids(targets) if action_name == "items.listed" else ()
        result.append(
            Access(
                at=parse_iso(str(at)),
                kind=_kind(action_name, purpose),
                who=None if who is None else str(who),
                item_id=None if item is None else str(item),
                audit_index=int(str(idx)),
                count=json_count(count) or 1,
                item_ids=ids,
            )
        )
    return result, (result[-1].audit_index if len(rows) > limit else None)
