"""The state of a practice's requests to its secretaries: open → taken → done.

What a request says is a REQUEST document encrypted under the practice's team key
(docs/format.md §10); the done note a REPLY document whose subject is the request.
The server keeps only the state, who changed it and when, in the ``request`` table,
and changes it only here, each change audited in the same transaction:

- a member of the practice opens a request (``request.opened``);
- an assigned secretary takes it (``request.taken``), so that two secretaries do not
  both call: a second one is refused with a 409 naming who took it and when;
- the secretary who took it (or any assigned secretary, if nobody did) marks it done
  with a short encrypted note (``request.done``).

Ids of a practice one may not reach are 404 (audited ``access.denied``), as for items.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from audit.entry import Action
from vault.clock import iso, parse_iso
from vault.env import Env, Principal, RequestInfo
from vault.errors import Conflict, Forbidden, RequestTaken
from vault.identity.roles import Role
from vault.ids import is_uuid
from vault.items.access import Denied, read_or_deny, write_or_deny
from vault.storage.store import Connection
from vault.team import access as team_access

OPEN, TAKEN, DONE = "open", "taken", "done"
EXISTS = "A request with this id already exists."
ONLY_SECRETARIES = "Only the practice's secretaries take requests and mark them done."
ONLY_MEMBERS = "Only the practice's members write requests."


@dataclass(frozen=True, slots=True)
class Who:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class RequestState:
    id: str
    practice_id: str
    practice_name: str
    status: str
    created_by: Who
    created_at: datetime
    taken_by: Who | None
    taken_at: datetime | None
    done_by: Who | None
    done_at: datetime | None
    reply_id: str | None


def reach(conn: Connection, principal: Principal, practice_id: str) -> None:
    """The practice's team only (its members holding its key, its assigned secretaries, all
    active and enrolled: the people its team key is sealed to); ``Denied`` otherwise."""
    team_access.reach(conn, principal, practice_id)


_SELECT = (
    "SELECT r.id, r.practice_id, p.name, r.status, r.created_by, c.display_name, r.created_at,"
    " r.taken_by, t.display_name, r.taken_at, r.done_by, d.display_name, r.done_at, r.reply_id"
    " FROM request r JOIN practice p ON p.id = r.practice_id"
    " JOIN account c ON c.id = r.created_by"
    " LEFT JOIN account t ON t.id = r.taken_by LEFT JOIN account d ON d.id = r.done_by"
)


def _who(account: object, name: object) -> Who | None:
    return None if account is None else Who(str(account), str(name))


def _time(value: object) -> datetime | None:
    return None if value is None else parse_iso(str(value))


def _state(row: tuple[object, ...]) -> RequestState:
    rid, pid, pname, status, cby, cname, cat, tby, tname, tat, dby, dname, dat, reply = row
    return RequestState(
        id=str(rid),
        practice_id=str(pid),
        practice_name=str(pname),
        status=str(status),
        created_by=Who(str(cby), str(cname)),
        created_at=parse_iso(str(cat)),
        taken_by=_who(tby, tname),
        taken_at=_time(tat),
        done_by=_who(dby, dname),
        done_at=_time(dat),
        reply_id=None if reply is None else str(reply),
    )


def load(conn: Connection, practice_id: str, request_id: str) -> RequestState:
    """The request ``request_id`` of ``practice_id``; ``Denied`` when there is none."""
    if not is_uuid(request_id):
        raise Denied(practice=practice_id, document=request_id)
    row = conn.execute(
        _SELECT + " WHERE r.id = ? AND r.practice_id = ?", (request_id, practice_id)
    ).fetchone()
    if row is None:
        raise Denied(practice=practice_id, document=request_id)
    return _state(row)


def _targets(practice_id: str, request_id: str) -> dict[str, str]:
    return {"practice": practice_id, "request": request_id}


def open_request(
    env: Env,
    conn: Connection,
    request: RequestInfo,
    principal: Principal,
    practice_id: str,
    request_id: str,
) -> None:
    """Inside the transaction that stores the REQUEST document: its state, ``open``."""
    reach(conn, principal, practice_id)
    if principal.role != Role.MEMBER:
        raise Forbidden(ONLY_MEMBERS)
    if not is_uuid(request_id):
        raise Denied(practice=practice_id, document=request_id)
    if conn.execute("SELECT 1 FROM request WHERE id = ?", (request_id,)).fetchone():
        raise Conflict(EXISTS)
    conn.execute(
        "INSERT INTO request (id, practice_id, created_by, created_at, status)"
        " VALUES (?, ?, ?, ?, 'open')",
        (request_id, practice_id, principal.account_id, iso(env.now())),
    )
    env.record(
        conn,
        Action.REQUEST_OPENED,
        request,
        actor=principal.actor,
        targets=_targets(practice_id, request_id),
    )


def _refuse_if_someone_else_has_it(state: RequestState, principal: Principal) -> None:
    if state.status == DONE and state.done_by is not None:
        raise RequestTaken(state.done_by.name, iso(state.done_at or state.created_at), done=True)
    if state.taken_by is not None and state.taken_by.id != principal.account_id:
        raise RequestTaken(state.taken_by.name, iso(state.taken_at or state.created_at), False)


def _secretary_of(conn: Connection, principal: Principal, practice_id: str) -> None:
    reach(conn, principal, practice_id)
    if principal.role != Role.SECRETARY:
        raise Forbidden(ONLY_SECRETARIES)


def take(
    env: Env, request: RequestInfo, principal: Principal, practice_id: str, request_id: str
) -> RequestState:
    """Take an open request (again: nothing changes); 409 naming who has it otherwise."""

    def tx(conn: Connection) -> RequestState:
        _secretary_of(conn, principal, practice_id)
        state = load(conn, practice_id, request_id)
        _refuse_if_someone_else_has_it(state, principal)
        if state.status == OPEN:
            conn.execute(
                "UPDATE request SET status = 'taken', taken_by = ?, taken_at = ?"
                " WHERE id = ? AND status = 'open'",
                (principal.account_id, iso(env.now()), request_id),
            )
            env.record(
                conn,
                Action.REQUEST_TAKEN,
                request,
                actor=principal.actor,
                targets=_targets(practice_id, request_id),
            )
        return load(conn, practice_id, request_id)

    return write_or_deny(env, request, principal, tx)


def mark_done(
    env: Env,
    conn: Connection,
    request: RequestInfo,
    principal: Principal,
    practice_id: str,
    request_id: str,
    reply_id: str,
) -> RequestState:
    """Inside the transaction that stores the done note (a REPLY document ``reply_id``):
    the request becomes done (taken by the same secretary if it was still open)."""
    _secretary_of(conn, principal, practice_id)
    state = load(conn, practice_id, request_id)
    _refuse_if_someone_else_has_it(state, principal)
    now = iso(env.now())
    conn.execute(
        "UPDATE request SET status = 'done', taken_by = coalesce(taken_by, ?),"
        " taken_at = coalesce(taken_at, ?), done_by = ?, done_at = ?, reply_id = ?"
        " WHERE id = ? AND status != 'done'",
        (principal.account_id, now, principal.account_id, now, reply_id, request_id),
    )
    env.record(
        conn,
        Action.REQUEST_DONE,
        request,
        actor=principal.actor,
        targets={**_targets(practice_id, request_id), "reply": reply_id},
    )
    return load(conn, practice_id, request_id)


def of_practice(
    env: Env, request: RequestInfo, principal: Principal, practice_id: str
) -> list[RequestState]:
    """Every request of the practice, newest first (members and assigned secretaries)."""

    def read(conn: Connection) -> list[RequestState]:
        reach(conn, principal, practice_id)
        return [
            _state(r)
            for r in conn.execute(
                _SELECT + " WHERE r.practice_id = ? ORDER BY r.created_at DESC, r.id DESC",
                (practice_id,),
            )
        ]

    return read_or_deny(env, request, principal, read)


def one(
    env: Env, request: RequestInfo, principal: Principal, practice_id: str, request_id: str
) -> RequestState:
    def read(conn: Connection) -> RequestState:
        reach(conn, principal, practice_id)
        return load(conn, practice_id, request_id)

    return read_or_deny(env, request, principal, read)
