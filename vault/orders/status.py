"""The state of an order form (bon de commande): ordered → approved → delivered.

What an order says (supplier, lines, prices, delivery) is the body of its item, sealed
to the practice key (docs/format.md §5, "Orders" in §10): the server never reads it. It
keeps only the state, who changed it and when, in the ``order_status`` table keyed by
the item id, and changes it only here, each change audited in the same transaction:

- the secretary who deposited the order marks it placed (``order.placed``), right after
  the deposit (again: nothing changes, so a retried request is harmless);
- a member of the practice approves it (``order.approved``);
- a member, or the secretary who placed it, records its delivery (``order.delivered``).

An item id the account may not reach is 404 (audited ``access.denied``), as for items.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from audit.entry import Action
from vault.clock import iso, parse_iso
from vault.env import Env, Principal, RequestInfo
from vault.errors import Conflict, Forbidden
from vault.identity.roles import Role
from vault.ids import is_uuid
from vault.items.access import Denied, holds_practice_key, read_or_deny, write_or_deny
from vault.storage.store import Connection

ORDERED, APPROVED, DELIVERED = "ordered", "approved", "delivered"
STATUSES = (ORDERED, APPROVED, DELIVERED)
# Item kinds an order may be: the form kind of docs/format.md §5 (the built-in order template).
ORDER_KINDS = frozenset({"form"})

NOT_AN_ORDER = "Only a form deposited as an order can be placed as an order."
ONLY_AUTHOR = "Only the secretary who deposited this order can place it."
ONLY_MEMBERS = "Only the practice's members approve orders."
NOT_ORDERED = "This order is not waiting for approval any more."
NOT_APPROVED = "Only an approved order can be marked delivered."


@dataclass(frozen=True, slots=True)
class Who:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class OrderState:
    item_id: str
    practice_id: str
    status: str
    ordered_by: Who
    ordered_at: datetime
    approved_by: Who | None
    approved_at: datetime | None
    delivered_by: Who | None
    delivered_at: datetime | None


_SELECT = (
    "SELECT o.item_id, o.practice_id, o.status, o.ordered_by, a.display_name, o.ordered_at,"
    " o.approved_by, b.display_name, o.approved_at, o.delivered_by, d.display_name,"
    " o.delivered_at FROM order_status o JOIN account a ON a.id = o.ordered_by"
    " LEFT JOIN account b ON b.id = o.approved_by LEFT JOIN account d ON d.id = o.delivered_by"
)


def _who(account: object, name: object) -> Who | None:
    return None if account is None else Who(str(account), str(name))


def _time(value: object) -> datetime | None:
    return None if value is None else parse_iso(str(value))


def _state(row: tuple[object, ...]) -> OrderState:
    iid, pid, status, oby, oname, oat, aby, aname, aat, dby, dname, dat = row
    return OrderState(
        item_id=str(iid),
        practice_id=str(pid),
        status=str(status),
        ordered_by=Who(str(oby), str(oname)),
        ordered_at=parse_iso(str(oat)),
        approved_by=_who(aby, aname),
        approved_at=_time(aat),
        delivered_by=_who(dby, dname),
        delivered_at=_time(dat),
    )


@dataclass(frozen=True, slots=True)
class _Item:
    practice_id: str
    author_id: str
    kind: str


def _item(conn: Connection, principal: Principal, item_id: str) -> _Item:
    """The item when the principal reaches it (a member of its practice holding the key, or
    the secretary who deposited it, still assigned); ``Denied`` otherwise."""
    if not is_uuid(item_id):
        raise Denied(item="invalid")
    row = conn.execute(
        "SELECT practice_id, author_id, kind FROM item WHERE id = ?", (item_id,)
    ).fetchone()
    if row is None:
        raise Denied(item=item_id)
    item = _Item(str(row[0]), str(row[1]), str(row[2]))
    if principal.role == Role.MEMBER:
        if principal.practice_id != item.practice_id or not holds_practice_key(conn, principal):
            raise Denied(item=item_id)
    elif principal.role == Role.SECRETARY:
        assigned = conn.execute(
            "SELECT 1 FROM assignment WHERE secretary_id = ? AND practice_id = ?",
            (principal.account_id, item.practice_id),
        ).fetchone()
        if item.author_id != principal.account_id or assigned is None:
            raise Denied(item=item_id)
    else:
        raise Denied(item=item_id)
    return item


def load(conn: Connection, item_id: str) -> OrderState | None:
    row = conn.execute(_SELECT + " WHERE o.item_id = ?", (item_id,)).fetchone()
    return None if row is None else _state(row)


def _record(
    env: Env,
    conn: Connection,
    request: RequestInfo,
    principal: Principal,
    action: Action,
    item: _Item,
    item_id: str,
) -> None:
    env.record(
        conn,
        action,
        request,
        actor=principal.actor,
        targets={"practice": item.practice_id, "item": item_id},
    )


def place(env: Env, request: RequestInfo, principal: Principal, item_id: str) -> OrderState:
    """The depositing secretary places her deposited order form: ``ordered``."""

    def tx(conn: Connection) -> OrderState:
        item = _item(conn, principal, item_id)
        if principal.role != Role.SECRETARY:
            raise Forbidden(ONLY_AUTHOR)
        if item.kind not in ORDER_KINDS:
            raise Conflict(NOT_AN_ORDER)
        state = load(conn, item_id)
        if state is not None:
            return state
        conn.execute(
            "INSERT INTO order_status (item_id, practice_id, status, ordered_by, ordered_at)"
            " VALUES (?, ?, 'ordered', ?, ?)",
            (item_id, item.practice_id, principal.account_id, iso(env.now())),
        )
        _record(env, conn, request, principal, Action.ORDER_PLACED, item, item_id)
        return _loaded(conn, item_id)

    return write_or_deny(env, request, principal, tx)


def _loaded(conn: Connection, item_id: str) -> OrderState:
    state = load(conn, item_id)
    if state is None:
        raise Denied(item=item_id)
    return state


def approve(env: Env, request: RequestInfo, principal: Principal, item_id: str) -> OrderState:
    """A member approves an order waiting for approval (again: nothing changes)."""

    def tx(conn: Connection) -> OrderState:
        item = _item(conn, principal, item_id)
        state = _loaded(conn, item_id)
        if principal.role != Role.MEMBER:
            raise Forbidden(ONLY_MEMBERS)
        if state.status == APPROVED:
            return state
        if state.status != ORDERED:
            raise Conflict(NOT_ORDERED)
        conn.execute(
            "UPDATE order_status SET status = 'approved', approved_by = ?, approved_at = ?"
            " WHERE item_id = ? AND status = 'ordered'",
            (principal.account_id, iso(env.now()), item_id),
        )
        _record(env, conn, request, principal, Action.ORDER_APPROVED, item, item_id)
        return _loaded(conn, item_id)

    return write_or_deny(env, request, principal, tx)


def mark_delivered(
    env: Env, request: RequestInfo, principal: Principal, item_id: str
) -> OrderState:
    """A member, or the secretary who placed it, records an approved order's delivery."""

    def tx(conn: Connection) -> OrderState:
        item = _item(conn, principal, item_id)
        state = _loaded(conn, item_id)
        if state.status == DELIVERED:
            return state
        if state.status != APPROVED:
            raise Conflict(NOT_APPROVED)
        conn.execute(
            "UPDATE order_status SET status = 'delivered', delivered_by = ?, delivered_at = ?"
            " WHERE item_id = ? AND status = 'approved'",
            (principal.account_id, iso(env.now()), item_id),
        )
        _record(env, conn, request, principal, Action.ORDER_DELIVERED, item, item_id)
        return _loaded(conn, item_id)

    return write_or_deny(env, request, principal, tx)


def one(env: Env, request: RequestInfo, principal: Principal, item_id: str) -> OrderState | None:
    """The order state of an item the principal reaches (``None``: not an order)."""

    def read(conn: Connection) -> OrderState | None:
        _item(conn, principal, item_id)
        return load(conn, item_id)

    return read_or_deny(env, request, principal, read)


def of_items(conn: Connection, item_ids: list[str]) -> dict[str, OrderState]:
    """The order states of ``item_ids`` the caller already reached (listing pages)."""
    if not item_ids:
        return {}
    marks = ", ".join("?" * len(item_ids))
    rows = conn.execute(_SELECT + f" WHERE o.item_id IN ({marks})", item_ids)
    return {s.item_id: s for s in map(_state, rows)}


def of_practice(env: Env, request: RequestInfo, principal: Principal) -> list[OrderState]:
    """Every order of the member's practice, newest first."""

    def read(conn: Connection) -> list[OrderState]:
        if principal.role != Role.MEMBER or not holds_practice_key(conn, principal):
            raise Denied(practice=principal.practice_id or "invalid")
        return [
            _state(r)
            for r in conn.execute(
                _SELECT + " WHERE o.practice_id = ? ORDER BY o.ordered_at DESC, o.item_id DESC",
                (principal.practice_id,),
            )
        ]

    return read_or_deny(env, request, principal, read)


def for_deposits(env: Env, principal: Principal, item_ids: list[str]) -> dict[str, OrderState]:
    """The order states of the secretary's own deposits among ``item_ids``."""

    def read(conn: Connection) -> dict[str, OrderState]:
        states = of_items(conn, item_ids)
        return {i: s for i, s in states.items() if s.ordered_by.id == principal.account_id}

    return env.db.read(read)
