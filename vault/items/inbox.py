"""A practice's items as its members see them, and a secretary's own deposits.

Listing shows metadata only. Reading an envelope and downloading a file are
audited (and the entry committed) before anything is served; reading moves
an item from ``new`` to ``read``. Statuses move forward: new → read →
acknowledged → handled (a member may skip ahead), each change recorded with who
and when; a member may undo their own acknowledgement or "handled" for a short
while (vault/items/history.py), the undo recorded as a change of its own.

Every id that is not the principal's to reach is a plain ``NotFound``
(audited as ``access.denied``): nobody learns whether it exists elsewhere.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from audit.entry import Action
from crypto.envelope import Urgency
from crypto.fingerprint import user_fingerprint
from vault.clock import iso, parse_day, parse_iso
from vault.env import Env, Principal, RequestInfo
from vault.errors import (
    AwaitingPracticeKey,
    BlobMissing,
    BlobWrongSize,
    Conflict,
    InvalidInput,
)
from vault.identity.roles import Role
from vault.ids import is_uuid
from vault.items import history
from vault.items.access import (
    HOLDS_PRACTICE_KEY,
    Denied,
    holds_practice_key,
    read_or_deny,
    record_access,
    write_or_deny,
)
from vault.items.history import StatusChange
from vault.items.uploads import blob_store
from vault.items.vocabulary import FORWARD, HANDLING, Kind, Status, UrgencyLevel
from vault.notify import engine
from vault.storage.store import Connection

PAGE_SIZE = 50
BAD_STATUS = "This status change is not possible."
TOO_LATE_TO_UNDO = (
    "This change can no longer be undone: the time to undo it has passed, or the item"
    " has changed since."
)

log = logging.getLogger("permanence.vault")


@dataclass(frozen=True, slots=True)
class ItemSummary:
    id: str
    kind: str
    urgency: str
    status: str
    deposited_at: datetime
    size: int
    author_name: str
    practice_name: str
    call_started_at: datetime | None
    call_seconds: int | None
    # The latest status change: who made it and when (None for a listing without it).
    changed_by: str | None = None
    changed_at: datetime | None = None
    # Until when the reader may undo that change (None: not theirs, or too late).
    undo_until: datetime | None = None
    form_template_id: str | None = None  # forms only: the template id in clear (§5)


@dataclass(frozen=True, slots=True)
class Author:
    id: str
    name: str
    username: str
    x25519_pk: bytes
    ed25519_pk: bytes

    @property
    def fingerprint(self) -> str:
        return user_fingerprint(self.x25519_pk, self.ed25519_pk)


@dataclass(frozen=True, slots=True)
class ItemDetail:
    item: ItemSummary
    practice_id: str
    author: Author
    history: tuple[StatusChange, ...]


@dataclass(frozen=True, slots=True)
class InboxFilter:
    status: str | None = None
    urgency: str | None = None
    kind: str | None = None
    since: date | None = None
    until: date | None = None

    @classmethod
    def parse(cls, query: dict[str, str]) -> InboxFilter:
        """From query parameters; an unknown value is a 400, an empty one means "any"."""

        def pick(name: str, allowed: tuple[str, ...]) -> str | None:
            value = query.get(name) or None
            if value is not None and value not in allowed:
                raise InvalidInput()
            return value

        def day(name: str) -> date | None:
            value = query.get(name) or None
            return None if value is None else parse_day(value)

        return cls(
            status=pick("status", tuple(Status)),
            urgency=pick("urgency", tuple(UrgencyLevel)),
            kind=pick("kind", tuple(Kind)),
            since=day("since"),
            until=day("until"),
        )


@dataclass(frozen=True, slots=True)
class Page:
    items: list[ItemSummary]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class AccessRow:
    at: datetime
    action: str
    who: str | None
    item_id: str | None
    audit_index: int


_SELECT = (
    "SELECT i.id, i.kind, i.urgency, i.status, i.deposited_at, i.size, a.display_name, p.name,"
    " i.call_started_at, i.call_seconds, i.pinned, b.display_name, h.account_id, h.at, h.undo,"
    " i.form_template_id FROM item i"
    " JOIN account a ON a.id = i.author_id JOIN practice p ON p.id = i.practice_id"
    # The latest status change (item_status_by_item holds the rowids of each item's rows).
    " LEFT JOIN item_status h"
    " ON h.rowid = (SELECT max(s.rowid) FROM item_status s WHERE s.item_id = i.id)"
    " LEFT JOIN account b ON b.id = h.account_id"
)


def _summary(
    row: tuple[object, ...], reader: str | None = None, now: datetime | None = None
) -> ItemSummary:
    """One row of ``_SELECT``; with ``reader`` and ``now``, whether the reader may undo."""
    iid, kind, urgency, status, at, size, author, practice, started, seconds = row[:10]
    by_name, by_id, changed, undo, template = row[11:16]
    changed_at = None if changed is None else parse_iso(str(changed))
    until = (
        None
        if reader is None or now is None
        else history.undo_until(str(status), str(by_id), changed_at, bool(undo), reader)
    )
    return ItemSummary(
        id=str(iid),
        kind=str(kind),
        urgency=UrgencyLevel.of(Urgency(int(str(urgency)))).value,
        status=str(status),
        deposited_at=parse_iso(str(at)),
        size=int(str(size)),
        author_name=str(author),
        practice_name=str(practice),
        call_started_at=None if started is None else parse_iso(str(started)),
        call_seconds=None if seconds is None else int(str(seconds)),
        changed_by=None if by_name is None else str(by_name),
        changed_at=changed_at,
        undo_until=until if until is not None and now is not None and now <= until else None,
        form_template_id=None if template is None else str(template),
    )


def _cursor(row: tuple[object, ...]) -> str:
    return f"{row[10]}.{row[4]}.{row[0]}"


def _parse_cursor(text: str) -> tuple[int, str, str]:
    pinned, _, rest = text.partition(".")
    at, _, item_id = rest.rpartition(".")
    try:
        parse_iso(at)
    except ValueError:
        raise InvalidInput() from None
    if pinned not in ("0", "1") or not is_uuid(item_id):
        raise InvalidInput()
    return int(pinned), at, item_id


def inbox(
    env: Env, principal: Principal, filt: InboxFilter, after: str | None, limit: int = PAGE_SIZE
) -> Page:
    """One page of the practice's items: urgent unhandled first, then newest first (keyset)."""
    if principal.role != Role.MEMBER or principal.practice_id is None:
        raise InvalidInput()
    where = ["i.practice_id = ?"]
    args: list[object] = [principal.practice_id]
    if filt.status:
        where.append("i.status = ?")
        args.append(filt.status)
    if filt.urgency:
        where.append("i.urgency = ?")
        args.append(int(UrgencyLevel(filt.urgency).code))
    if filt.kind:
        where.append("i.kind = ?")
        args.append(filt.kind)
    if filt.since:
        where.append("i.deposited_at >= ?")
        args.append(filt.since.isoformat())
    if filt.until:
        where.append("i.deposited_at < ?")
        args.append((filt.until + timedelta(days=1)).isoformat())
    if after:
        where.append("(i.pinned, i.deposited_at, i.id) < (?, ?, ?)")
        args.extend(_parse_cursor(after))
    sql = (
        _SELECT
        + " WHERE "
        + " AND ".join(where)
        + " ORDER BY i.pinned DESC, i.deposited_at DESC, i.id DESC LIMIT ?"
    )
    args.append(limit + 1)

    def read(conn: Connection) -> list[tuple[object, ...]]:
        if not holds_practice_key(conn, principal):
            raise AwaitingPracticeKey()
        return list(conn.execute(sql, args).fetchall())

    rows = env.db.read(read)
    more = len(rows) > limit
    rows = rows[:limit]
    now = env.now()
    return Page(
        [_summary(r, principal.account_id, now) for r in rows],
        _cursor(rows[-1]) if more and rows else None,
    )


def _member_item(conn: Connection, principal: Principal, item_id: str) -> tuple[object, ...]:
    """The practice's item ``item_id`` as the member reaches it; ``Denied`` otherwise."""
    if principal.role != Role.MEMBER or principal.practice_id is None or not is_uuid(item_id):
        raise Denied(item=item_id)
    row: tuple[object, ...] | None = conn.execute(
        _SELECT + " WHERE i.id = ? AND i.practice_id = ? AND " + HOLDS_PRACTICE_KEY,
        (item_id, principal.practice_id, principal.practice_id, principal.account_id),
    ).fetchone()
    if row is None:
        raise Denied(item=item_id)
    return row


def detail(env: Env, request: RequestInfo, principal: Principal, item_id: str) -> ItemDetail:
    """Metadata, author keys and status history of one of the practice's items (no content)."""

    def read(conn: Connection) -> ItemDetail:
        row = _member_item(conn, principal, item_id)
        author = conn.execute(
            "SELECT a.id, a.display_name, a.username, a.x25519_pk, a.ed25519_pk FROM item i"
            " JOIN account a ON a.id = i.author_id WHERE i.id = ?",
            (item_id,),
        ).fetchone()
        return ItemDetail(
            _summary(row, principal.account_id, env.now()),
            str(principal.practice_id),
            Author(
                str(author[0]), str(author[1]), str(author[2]), bytes(author[3]), bytes(author[4])
            ),
            history.load(conn, item_id),
        )

    return read_or_deny(env, request, principal, read)


def _change_status(
    env: Env,
    conn: Connection,
    request: RequestInfo,
    principal: Principal,
    item_id: str,
    to: str,
    undone: str | None = None,
) -> None:
    """Set the status, append its history row and its audit entry; ``undone`` names the
    status an undo takes back (``item.status_undone``)."""
    now = iso(env.now())
    practice = str(principal.practice_id)
    # Pinned: urgent and not handled (an undone "handled" pins an urgent item again).
    conn.execute(
        "UPDATE item SET status = ?, pinned = CASE WHEN ? = 'handled' THEN 0"
        " WHEN urgency = ? THEN 1 ELSE pinned END WHERE id = ?",
        (to, to, int(Urgency.URGENT), item_id),
    )
    conn.execute(
        "INSERT INTO item_status (item_id, status, account_id, at, undo) VALUES (?, ?, ?, ?, ?)",
        (item_id, to, principal.account_id, now, int(undone is not None)),
    )
    if undone is None:
        action, detail_of = Action.ITEM_STATUS_CHANGED, {"status": to}
    else:
        action, detail_of = Action.ITEM_STATUS_UNDONE, {"status": to, "undone": undone}
    record_access(env, conn, request, principal, action, practice, item_id, dict(detail_of))
    if undone is None and to in HANDLING:  # "Pris en charge" (or handled) stops the escalation
        engine.acknowledged(env, conn, item_id, principal.account_id)


def read_envelope(
    env: Env, request: RequestInfo, principal: Principal, item_id: str, *, search: bool = False
) -> bytes:
    """The envelope, after its ``item.read`` entry committed; a new item becomes read
    (not when the browser only decrypts to search)."""

    def tx(conn: Connection) -> bytes:
        _member_item(conn, principal, item_id)
        envelope, status = conn.execute(
            "SELECT envelope, status FROM item WHERE id = ?", (item_id,)
        ).fetchone()
        record_access(
            env,
            conn,
            request,
            principal,
            Action.ITEM_READ,
            str(principal.practice_id),
            item_id,
            {"purpose": "search" if search else "read"},
        )
        if status == Status.NEW and not search:
            _change_status(env, conn, request, principal, item_id, Status.READ.value)
        return bytes(envelope)

    return write_or_deny(env, request, principal, tx)


@dataclass(frozen=True, slots=True)
class Download:
    """An extract's file stream, ready to send: its size and its bytes, in chunks."""

    size: int
    chunks: Iterator[bytes]


def open_download(env: Env, request: RequestInfo, principal: Principal, item_id: str) -> Download:
    """The extract's stream and size, after its ``item.downloaded`` entry committed.

    The blob is opened before this returns: a missing one (or a blob store that cannot be
    reached) is a 503 before any byte is sent."""

    def tx(conn: Connection) -> int:
        _member_item(conn, principal, item_id)
        (size,) = conn.execute("SELECT blob_size FROM item WHERE id = ?", (item_id,)).fetchone()
        if size is None:  # not an extract: nothing to download
            raise Denied(item=item_id)
        record_access(
            env,
            conn,
            request,
            principal,
            Action.ITEM_DOWNLOADED,
            str(principal.practice_id),
            item_id,
            {"size": int(size)},
        )
        return int(size)

    size = write_or_deny(env, request, principal, tx)
    try:
        chunks = blob_store(env).read_item(item_id, size=size)
    except BlobMissing:
        log.error("blob of an item is missing from the blob store")
        raise
    except BlobWrongSize as e:  # replaced or damaged: never send other bytes than recorded
        log.error(
            "blob of an item has %d bytes in the blob store, its item row %d: refused",
            e.stored,
            e.expected,
        )
        raise
    return Download(size, chunks)


def set_status(
    env: Env, request: RequestInfo, principal: Principal, item_id: str, status: str
) -> None:
    """Move an item forward (new → read → acknowledged → handled, skipping ahead allowed);
    anything else is a 409."""
    if status not in tuple(Status):
        raise InvalidInput()

    def tx(conn: Connection) -> None:
        _member_item(conn, principal, item_id)
        (current,) = conn.execute("SELECT status FROM item WHERE id = ?", (item_id,)).fetchone()
        if (current, status) not in FORWARD:
            raise Conflict(BAD_STATUS)
        _change_status(env, conn, request, principal, item_id, status)

    write_or_deny(env, request, principal, tx)


def undo_status(env: Env, request: RequestInfo, principal: Principal, item_id: str) -> str:
    """Take back the reader's own latest acknowledgement or "handled" within
    ``history.UNDO_WINDOW``: the item goes back to the status before it, recorded as a
    change of its own (``item.status_undone``). Return that status; too late is a 409."""

    def tx(conn: Connection) -> str:
        _member_item(conn, principal, item_id)
        (current,) = conn.execute("SELECT status FROM item WHERE id = ?", (item_id,)).fetchone()
        target = history.undo_target(history.load(conn, item_id), principal.account_id, env.now())
        if target is None or target[0].status != current or current not in HANDLING:
            raise Conflict(TOO_LATE_TO_UNDO)
        back = target[1]
        _change_status(env, conn, request, principal, item_id, back, undone=str(current))
        return back

    return write_or_deny(env, request, principal, tx)


def my_deposits(env: Env, principal: Principal, after: str | None, limit: int = PAGE_SIZE) -> Page:
    """A secretary's own deposits with their status, newest first; never their content."""
    if principal.role != Role.SECRETARY:
        raise InvalidInput()
    where, args = ["i.author_id = ?"], [principal.account_id]
    if after:
        _, at, item_id = _parse_cursor(after)
        where.append("(i.deposited_at, i.id) < (?, ?)")
        args.extend([at, item_id])
    sql = (
        _SELECT
        + " WHERE "
        + " AND ".join(where)
        + " ORDER BY i.deposited_at DESC, i.id DESC LIMIT ?"
    )
    rows = env.db.read(lambda c: c.execute(sql, [*args, limit + 1]).fetchall())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page([_summary(r) for r in rows], _cursor(rows[-1]) if more and rows else None)


def access_log(
    env: Env, principal: Principal, before: int | None = None, limit: int = 100
) -> tuple[list[AccessRow], int | None]:
    """Every recorded access to the practice's items, newest first (by audit index)."""
    if principal.role != Role.MEMBER or principal.practice_id is None:
        raise InvalidInput()

    def read(conn: Connection) -> list[tuple[Any, ...]]:
        if not holds_practice_key(conn, principal):
            raise AwaitingPracticeKey()
        return list(
            conn.execute(
                "SELECT x.at, x.action, a.display_name, x.item_id, x.audit_index"
                " FROM practice_access x LEFT JOIN account a ON a.id = x.account_id"
                " WHERE x.practice_id = ? AND x.audit_index < ?"
                " ORDER BY x.audit_index DESC LIMIT ?",
                (principal.practice_id, before if before is not None else 2**62, limit + 1),
            ).fetchall()
        )

    rows = env.db.read(read)
    result = [
        AccessRow(parse_iso(str(at)), str(action), who, item, int(idx))
        for at, action, who, item, idx in rows[:limit]
    ]
    return result, (result[-1].audit_index if len(rows) > limit else None)
