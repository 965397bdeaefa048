"""The state of appointments: requested → confirmed, moved or declined.

An appointment is an item a secretary deposited (a form filled from the practice's
appointment template, sealed to the practice key: who, when, why are never in clear).
The server keeps only its state, who changed it and when, in the ``appointment`` table,
and changes it only here, each change audited in the same transaction:

- the secretary who deposited the item registers it as an appointment
  (``appointment.requested``), right after the deposit;
- a member of the practice confirms it (``appointment.confirmed``), moves it to another
  time (``appointment.moved``) or declines it (``appointment.declined``); a move or a
  refusal carries a REPLY document about the item (docs/format.md §11) with the new time
  or the reason, encrypted under the team key, stored in the same transaction, which the
  secretary reads on her desk to call the person back.

Members see the practice's appointments; a secretary sees only those she booked (she
calls those people back). Ids one may not reach are the audited 404 of items.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from audit.entry import Action
from crypto.instruction import DocType
from vault.clock import iso, parse_iso
from vault.env import Env, Principal, RequestInfo
from vault.errors import Conflict, Forbidden, InvalidInput
from vault.identity.roles import Role
from vault.ids import is_uuid
from vault.items.access import Denied, read_or_deny, write_or_deny
from vault.requests.writes import store_new
from vault.storage.store import Connection
from vault.team import access as team_access

REQUESTED, CONFIRMED, MOVED, DECLINED = "requested", "confirmed", "moved", "declined"
DECISIONS = (CONFIRMED, MOVED, DECLINED)
_ACTIONS = {
    CONFIRMED: Action.APPOINTMENT_CONFIRMED,
    MOVED: Action.APPOINTMENT_MOVED,
    DECLINED: Action.APPOINTMENT_DECLINED,
}
ALREADY_BOOKED = "This deposit is already an appointment."
ONLY_SECRETARIES = "Only the secretary who took the call books the appointment."
ONLY_MEMBERS = "Only the practice's members confirm, move or decline an appointment."
NOT_A_FORM = "Only a form deposited from the appointment template is an appointment."
NOT_A_DECISION = "An appointment is confirmed, moved or declined."
REPLY_NEEDED = "Say the new time or the reason: the secretary calls the person back with it."


@dataclass(frozen=True, slots=True)
class Who:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class AppointmentState:
    item_id: str
    practice_id: str
    status: str
    booked_by: Who
    booked_at: datetime
    decided_by: Who | None
    decided_at: datetime | None
    reply_id: str | None
    # The label the booking secretary sealed to her own key (docs/format.md §11), served to
    # her alone: who to call back, which she cannot read from the item.
    label: bytes | None = None


_SELECT = (
    "SELECT a.item_id, a.practice_id, a.status, a.booked_by, b.display_name, a.booked_at,"
    " a.decided_by, d.display_name, a.decided_at, a.reply_id"
    " FROM appointment a JOIN account b ON b.id = a.booked_by"
    " LEFT JOIN account d ON d.id = a.decided_by"
)


def _state(row: tuple[object, ...]) -> AppointmentState:
    item, pid, status, bby, bname, bat, dby, dname, dat, reply = row
    return AppointmentState(
        item_id=str(item),
        practice_id=str(pid),
        status=str(status),
        booked_by=Who(str(bby), str(bname)),
        booked_at=parse_iso(str(bat)),
        decided_by=None if dby is None else Who(str(dby), str(dname)),
        decided_at=None if dat is None else parse_iso(str(dat)),
        reply_id=None if reply is None else str(reply),
    )


def load(conn: Connection, practice_id: str, item_id: str) -> AppointmentState:
    """The appointment ``item_id`` of ``practice_id``; ``Denied`` when there is none."""
    if not is_uuid(item_id):
        raise Denied(practice=practice_id, item=item_id)
    row = conn.execute(
        _SELECT + " WHERE a.item_id = ? AND a.practice_id = ?", (item_id, practice_id)
    ).fetchone()
    if row is None:
        raise Denied(practice=practice_id, item=item_id)
    return _state(row)


def _targets(practice_id: str, item_id: str) -> dict[str, str]:
    return {"practice": practice_id, "item": item_id}


def book(
    env: Env, request: RequestInfo, principal: Principal, practice_id: str, item_id: str
) -> AppointmentState:
    """The secretary's deposit ``item_id`` becomes an appointment, ``requested``."""

    def tx(conn: Connection) -> AppointmentState:
        team_access.reach(conn, principal, practice_id)
        if principal.role != Role.SECRETARY:
            raise Forbidden(ONLY_SECRETARIES)
        if not is_uuid(item_id):
            raise Denied(practice=practice_id, item=item_id)
        row = conn.execute(
            "SELECT author_id, kind FROM item WHERE id = ? AND practice_id = ?",
            (item_id, practice_id),
        ).fetchone()
        if row is None or str(row[0]) != principal.account_id:
            raise Denied(practice=practice_id, item=item_id)
        if str(row[1]) != "form":
            raise InvalidInput(NOT_A_FORM)
        if conn.execute("SELECT 1 FROM appointment WHERE item_id = ?", (item_id,)).fetchone():
            raise Conflict(ALREADY_BOOKED)
        conn.execute(
            "INSERT INTO appointment (item_id, practice_id, booked_by, booked_at, status)"
            " VALUES (?, ?, ?, ?, 'requested')",
            (item_id, practice_id, principal.account_id, iso(env.now())),
        )
        env.record(
            conn,
            Action.APPOINTMENT_REQUESTED,
            request,
            actor=principal.actor,
            targets=_targets(practice_id, item_id),
        )
        return load(conn, practice_id, item_id)

    return write_or_deny(env, request, principal, tx)


def decide(
    env: Env,
    request: RequestInfo,
    principal: Principal,
    practice_id: str,
    item_id: str,
    status: str,
    reply: tuple[str, bytes] | None,
) -> AppointmentState:
    """A member confirms, moves or declines; ``reply`` (document id, REPLY envelope about
    the item) says the new time or the reason, required for a move or a refusal."""

    def tx(conn: Connection) -> AppointmentState:
        team_access.reach(conn, principal, practice_id)
        if principal.role != Role.MEMBER:
            raise Forbidden(ONLY_MEMBERS)
        load(conn, practice_id, item_id)
        if status not in DECISIONS:
            raise InvalidInput(NOT_A_DECISION)
        if reply is None and status != CONFIRMED:
            raise InvalidInput(REPLY_NEEDED)
        targets = _targets(practice_id, item_id)
        reply_id = None
        if reply is not None:
            reply_id, envelope = reply
            store_new(
                env,
                conn,
                request,
                principal,
                practice_id,
                reply_id,
                envelope,
                doc_type=DocType.REPLY,
                subject_id=item_id,
            )
            targets["reply"] = reply_id
        conn.execute(
            "UPDATE appointment SET status = ?, decided_by = ?, decided_at = ?, reply_id = ?"
            " WHERE item_id = ?",
            (status, principal.account_id, iso(env.now()), reply_id, item_id),
        )
        env.record(conn, _ACTIONS[status], request, actor=principal.actor, targets=targets)
        return load(conn, practice_id, item_id)

    return write_or_deny(env, request, principal, tx)


def of_practice(
    env: Env, request: RequestInfo, principal: Principal, practice_id: str
) -> list[AppointmentState]:
    """The practice's appointments, newest booking first: every one for its members, her
    own for a secretary."""

    def read(conn: Connection) -> list[AppointmentState]:
        team_access.reach(conn, principal, practice_id)
        sql, args = _SELECT + " WHERE a.practice_id = ?", [practice_id]
        if principal.role == Role.MEMBER:
            sql += " ORDER BY a.booked_at DESC, a.item_id"
            return [_state(r) for r in conn.execute(sql, args)]
        sql += " AND a.booked_by = ? ORDER BY a.booked_at DESC, a.item_id"
        args.append(principal.account_id)
        labels = {
            str(item): bytes(sealed)
            for item, sealed in conn.execute(
                "SELECT l.item_id, l.sealed FROM deposit_label l JOIN appointment a"
                " ON a.item_id = l.item_id WHERE a.practice_id = ? AND l.author_id = ?",
                (practice_id, principal.account_id),
            )
        }
        return [
            replace(s, label=labels.get(s.item_id))
            for s in (_state(r) for r in conn.execute(sql, args))
        ]

    return read_or_deny(env, request, principal, read)
