"""Threads of replies: under a deposited item, and under a request (docs/items.md).

A reply is a REPLY document (docs/format.md §10) whose subject is the item or the
request it answers, encrypted under the team key and signed by its author. Who
reaches a thread:

- on an item: the practice's members (holding its key) and the secretary who
  deposited it, while she is assigned to the practice; another secretary, even one
  assigned to the practice, gets the 404 of an outsider (the team key would let her
  decrypt, so this is a server rule: she is never sent the envelopes);
- on a request: the practice's members and its assigned secretaries.

Writing a reply records ``instruction.written``; each thread read one ``instruction.read``
naming the documents read.
"""

from __future__ import annotations

from audit.entry import Action
from crypto.instruction import DocType
from vault.env import Env, Principal, RequestInfo
from vault.identity.roles import Role
from vault.ids import is_uuid
from vault.items.access import Denied, write_or_deny
from vault.requests import state
from vault.requests.writes import store_new
from vault.storage.store import Connection
from vault.team import access as team_access
from vault.team.documents import StoredDocument

__all__ = [
    "item_practice",
    "item_thread",
    "replies_about",
    "reply_to_item",
    "reply_to_request",
    "request_thread",
]


def item_practice(conn: Connection, principal: Principal, item_id: str) -> str:
    """The practice of ``item_id`` when the principal reaches its thread; ``Denied`` otherwise."""
    if not is_uuid(item_id) or principal.role not in (Role.MEMBER, Role.SECRETARY):
        raise Denied(item=item_id)
    row = conn.execute(
        "SELECT practice_id, author_id FROM item WHERE id = ?", (item_id,)
    ).fetchone()
    if row is None:
        raise Denied(item=item_id)
    practice_id, author_id = str(row[0]), str(row[1])
    if principal.role == Role.SECRETARY and author_id != principal.account_id:
        raise Denied(item=item_id)
    if principal.role == Role.MEMBER and principal.practice_id != practice_id:
        raise Denied(item=item_id)
    if not team_access.is_recipient(conn, practice_id, principal.account_id):
        raise Denied(item=item_id)
    return practice_id


def replies_about(conn: Connection, practice_id: str, subject_id: str) -> list[StoredDocument]:
    """The latest revision of every REPLY about ``subject_id``, oldest first."""
    rows = conn.execute(
        "SELECT d.id, d.type, d.subject_id, r.version, r.revision, r.envelope, r.author_id,"
        " r.stored_at FROM team_document d JOIN team_revision r ON r.document_id = d.id"
        " WHERE d.practice_id = ? AND d.type = ? AND d.subject_id = ? AND r.revision = d.revision"
        " ORDER BY d.created_at, d.rowid",
        (practice_id, int(DocType.REPLY), subject_id),
    ).fetchall()
    return [
        StoredDocument(
            str(doc_id),
            int(doc_type),
            str(subject),
            int(version),
            int(revision),
            bytes(envelope),
            team_access.team_account(conn, str(author_id)),
            str(stored_at),
        )
        for doc_id, doc_type, subject, version, revision, envelope, author_id, stored_at in rows
    ]


def _read(
    env: Env,
    conn: Connection,
    request: RequestInfo,
    principal: Principal,
    practice_id: str,
    subject: dict[str, str],
) -> list[StoredDocument]:
    subject_id = next(iter(subject.values()))
    documents = replies_about(conn, practice_id, subject_id)
    env.record(
        conn,
        Action.INSTRUCTION_READ,
        request,
        actor=principal.actor,
        targets={"practice": practice_id, **subject},
        detail={"documents": ",".join(d.document_id for d in documents), "count": len(documents)},
    )
    return documents


def item_thread(
    env: Env, request: RequestInfo, principal: Principal, item_id: str
) -> tuple[str, list[StoredDocument]]:
    """The replies about an item, oldest first, and its practice (audited)."""

    def tx(conn: Connection) -> tuple[str, list[StoredDocument]]:
        practice_id = item_practice(conn, principal, item_id)
        return practice_id, _read(env, conn, request, principal, practice_id, {"item": item_id})

    return write_or_deny(env, request, principal, tx)


def reply_to_item(
    env: Env,
    request: RequestInfo,
    principal: Principal,
    item_id: str,
    reply_id: str,
    envelope: bytes,
) -> str:
    """Store a reply about an item; the stored time."""

    def tx(conn: Connection) -> str:
        practice_id = item_practice(conn, principal, item_id)
        return store_new(
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

    return write_or_deny(env, request, principal, tx)


def request_thread(
    env: Env, request: RequestInfo, principal: Principal, practice_id: str, request_id: str
) -> list[StoredDocument]:
    """The done note and the answers about a request, oldest first (audited)."""

    def tx(conn: Connection) -> list[StoredDocument]:
        state.reach(conn, principal, practice_id)
        state.load(conn, practice_id, request_id)
        return _read(env, conn, request, principal, practice_id, {"request": request_id})

    return write_or_deny(env, request, principal, tx)


def reply_to_request(
    env: Env,
    request: RequestInfo,
    principal: Principal,
    practice_id: str,
    request_id: str,
    reply_id: str,
    envelope: bytes,
) -> str:
    """Store an answer about a request (the done note itself goes with ``complete_request``)."""

    def tx(conn: Connection) -> str:
        state.reach(conn, principal, practice_id)
        state.load(conn, practice_id, request_id)
        return store_new(
            env,
            conn,
            request,
            principal,
            practice_id,
            reply_id,
            envelope,
            doc_type=DocType.REPLY,
            subject_id=request_id,
        )

    return write_or_deny(env, request, principal, tx)
