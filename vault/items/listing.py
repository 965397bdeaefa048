"""Envelopes in batches, for the inbox's rows and the browser's search: listing is not reading.

The inbox page shows what each row is about (a caller, a subject, a file name), which only
the member's browser can decrypt: it asks for the page's envelopes in one request. The
server checks that every id is one of the practice's items (else the whole batch is the
same audited 404 as for one item), records **one** ``items.listed`` entry naming every id,
and changes no status: an item becomes ``read`` only when it is opened.

Searching the whole history is done in the browser too: it fetches every envelope of the
practice in batches (newest first, keyset), each batch one ``items.searched`` entry naming
the batch's first and last item and its size — never the query, which the server never sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from audit.entry import Action
from crypto.envelope import Urgency
from vault.clock import iso, parse_iso
from vault.env import Env, Principal, RequestInfo
from vault.errors import AwaitingPracticeKey, InvalidInput
from vault.identity.roles import Role
from vault.ids import is_uuid
from vault.items.access import HOLDS_PRACTICE_KEY, Denied, holds_practice_key, write_or_deny
from vault.items.inbox import Author
from vault.items.vocabulary import UrgencyLevel
from vault.storage.store import Connection

MAX_LISTED = 50  # one inbox page
SEARCH_BATCH = 500
IDS_PER_TARGET = 6  # 6 ids and 5 spaces: 221 characters, under an audit text's 256
BAD_BATCH = "Ask for between 1 and 50 different items at a time."


@dataclass(frozen=True, slots=True)
class Envelope:
    """One item's envelope with the server's record of it (for the browser to compare)."""

    id: str
    kind: str
    urgency: str
    status: str
    deposited_at: datetime
    call_started_at: datetime | None
    call_seconds: int | None
    author_id: str
    envelope: bytes
    form_template_id: str | None = None  # forms only: the template id in clear (§5)


@dataclass(frozen=True, slots=True)
class Batch:
    """Envelopes and their authors' registered keys; ``next_cursor`` for a search."""

    practice_id: str
    items: list[Envelope]
    authors: dict[str, Author]
    next_cursor: str | None = None
    total: int | None = None  # every item of the practice (a search's first batch only)


_SELECT = (
    "SELECT i.id, i.kind, i.urgency, i.status, i.deposited_at, i.call_started_at,"
    " i.call_seconds, i.author_id, i.envelope, i.form_template_id FROM item i"
)


def _envelope(row: Sequence[object]) -> Envelope:
    iid, kind, urgency, status, at, started, seconds, author, envelope, template = row
    return Envelope(
        id=str(iid),
        kind=str(kind),
        urgency=UrgencyLevel.of(Urgency(int(str(urgency)))).value,
        status=str(status),
        deposited_at=parse_iso(str(at)),
        call_started_at=None if started is None else parse_iso(str(started)),
        call_seconds=None if seconds is None else int(str(seconds)),
        author_id=str(author),
        envelope=bytes(envelope),  # type: ignore[call-overload]
        form_template_id=None if template is None else str(template),
    )


def _authors(conn: Connection, ids: set[str]) -> dict[str, Author]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    columns = "id, display_name, username, x25519_pk, ed25519_pk"
    sql = f"SELECT {columns} FROM account WHERE id IN ({marks})"  # noqa: S608 - placeholders only
    rows = conn.execute(sql, sorted(ids)).fetchall()
    return {
        str(r[0]): Author(str(r[0]), str(r[1]), str(r[2]), bytes(r[3]), bytes(r[4])) for r in rows
    }


def packed_ids(ids: Sequence[str]) -> dict[str, str]:
    """Audit targets naming every id: ``items_01`` … , six ids to a target, space-separated."""
    return {
        f"items_{n + 1:02d}": " ".join(ids[i : i + IDS_PER_TARGET])
        for n, i in enumerate(range(0, len(ids), IDS_PER_TARGET))
    }


def _record(
    env: Env,
    conn: Connection,
    request: RequestInfo,
    principal: Principal,
    action: Action,
    targets: dict[str, str],
    count: int,
) -> None:
    """The batch's one audit entry, and one line of the practice's "what was accessed"."""
    practice = str(principal.practice_id)
    index = env.record(
        conn,
        action,
        request,
        actor=principal.actor,
        targets={"practice": practice, **targets},
        detail={"count": count},
    )
    conn.execute(
        "INSERT INTO practice_access (practice_id, at, action, account_id, item_id, audit_index)"
        " VALUES (?, ?, ?, ?, NULL, ?)",
        (practice, iso(env.now()), str(action), principal.account_id, index),
    )


def _member(conn: Connection, principal: Principal) -> str:
    """The member's practice, whose key they hold (as for the inbox page itself)."""
    if principal.role != Role.MEMBER or principal.practice_id is None:
        raise InvalidInput()
    if not holds_practice_key(conn, principal):
        raise AwaitingPracticeKey()
    return principal.practice_id


def listed(env: Env, request: RequestInfo, principal: Principal, item_ids: object) -> Batch:
    """The envelopes of ``item_ids`` (one inbox page), after one ``items.listed`` entry.

    Every id must be one of the practice's items, else nothing is served and the first
    id that is not is the audited 404 of a single item. No status changes.
    """
    if (
        not isinstance(item_ids, list)
        or not 1 <= len(item_ids) <= MAX_LISTED
        or not all(isinstance(i, str) for i in item_ids)
        or len(set(item_ids)) != len(item_ids)
    ):
        raise InvalidInput(BAD_BATCH)
    ids: list[str] = list(item_ids)

    def tx(conn: Connection) -> Batch:
        practice = _member(conn, principal)
        bad = next((i for i in ids if not is_uuid(i)), None)
        if bad is not None:
            raise Denied(item=bad)
        marks = ",".join("?" * len(ids))
        where = f" WHERE i.id IN ({marks}) AND i.practice_id = ? AND "
        rows = conn.execute(
            _SELECT + where + HOLDS_PRACTICE_KEY, (*ids, practice, practice, principal.account_id)
        ).fetchall()
        found = {str(r[0]): _envelope(r) for r in rows}
        missing = next((i for i in ids if i not in found), None)
        if missing is not None:
            raise Denied(item=missing)
        items = [found[i] for i in ids]
        _record(env, conn, request, principal, Action.ITEMS_LISTED, packed_ids(ids), len(ids))
        return Batch(practice, items, _authors(conn, {e.author_id for e in items}))

    return write_or_deny(env, request, principal, tx)


def _search_cursor(text: str) -> tuple[str, str]:
    at, _, item_id = text.rpartition(".")
    try:
        parse_iso(at)
    except ValueError:
        raise InvalidInput() from None
    if not is_uuid(item_id):
        raise InvalidInput()
    return at, item_id


def searched(
    env: Env,
    request: RequestInfo,
    principal: Principal,
    after: str | None,
    limit: int = SEARCH_BATCH,
    template: str | None = None,
) -> Batch:
    """The next batch of every item of the practice, newest first, for the browser's search
    index; one ``items.searched`` entry (first and last id, count) unless the batch is empty.

    With ``template`` (a form template's id), only the forms of that template: a records
    table (docs/items.md "Forms"); the entry then names the template too.
    """
    bound = None if after is None else _search_cursor(after)
    if template is not None and not is_uuid(template):
        raise InvalidInput()

    def tx(conn: Connection) -> Batch:
        practice = _member(conn, principal)
        where, args = "i.practice_id = ?", [practice]
        if template is not None:
            where += " AND i.form_template_id = ?"
            args.append(template)
        if bound is not None:
            where += " AND (i.deposited_at, i.id) < (?, ?)"
            args.extend(bound)
        rows = conn.execute(
            _SELECT
            + " WHERE "
            + where
            + " AND "
            + HOLDS_PRACTICE_KEY
            + " ORDER BY i.deposited_at DESC, i.id DESC LIMIT ?",
            (*args, practice, principal.account_id, limit + 1),
        ).fetchall()
        more = len(rows) > limit
        items = [_envelope(r) for r in rows[:limit]]
        if items:
            targets = {"first": items[0].id, "last": items[-1].id}
            if template is not None:
                targets["template"] = template
            _record(env, conn, request, principal, Action.ITEMS_SEARCHED, targets, len(items))
        cursor = f"{rows[limit - 1][4]}.{items[-1].id}" if more and items else None
        total = None
        if bound is None:
            count = "SELECT count(*) FROM item WHERE practice_id = ?"
            count_args: list[str] = [practice]
            if template is not None:
                count += " AND form_template_id = ?"
                count_args.append(template)
            (total,) = conn.execute(count, count_args).fetchone()
        authors = _authors(conn, {e.author_id for e in items})
        return Batch(practice, items, authors, cursor, None if total is None else int(total))

    return write_or_deny(env, request, principal, tx)


def urgent_unhandled(env: Env, principal: Principal) -> int:
    """How many urgent items of the member's practice are not handled yet (0 for anyone else)."""
    if principal.role != Role.MEMBER or principal.practice_id is None:
        return 0
    practice = principal.practice_id

    def read(conn: Connection) -> int:
        pinned = "SELECT count(*) FROM item i WHERE i.practice_id = ? AND i.pinned = 1 AND "
        row = conn.execute(
            pinned + HOLDS_PRACTICE_KEY, (practice, practice, principal.account_id)
        ).fetchone()
        return int(row[0])

    return env.db.read(read)
