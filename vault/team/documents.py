"""A practice's team documents: writing the next revision, reading (every read audited).

Instructions, requests and replies (docs/format.md §10) are envelopes the server
cannot open. A write is checked as §10 says (``revisions.checked_revision``) and
refused while re-keying is due or under any key but the newest; every answer that
carries envelopes records one ``instruction.read`` entry naming the documents read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from audit.entry import Action
from crypto.instruction import DocType
from vault.env import Env, Principal, RequestInfo
from vault.errors import Conflict
from vault.identity.roles import Role
from vault.ids import is_uuid
from vault.items.access import Denied, deny, write_or_deny
from vault.storage.store import Connection
from vault.team import access
from vault.team.access import TeamAccount
from vault.team.revisions import NO_KEY, REKEY_DUE, checked_revision, store_revision

# SQL: a reply about an item that the secretary (the parameter) did not deposit. Every
# assigned secretary holds the team key, but only the depositor is sent an item's thread.
_OTHERS_ITEM_REPLY = (
    "(d.type = 17 AND EXISTS (SELECT 1 FROM item i WHERE i.id = d.subject_id AND i.author_id != ?))"
)


# One audit detail value holds at most 8192 characters: 200 ids of 37 (with a comma).
IDS_PER_ENTRY = 200


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """One stored revision of a document, with its author's current keys."""

    document_id: str
    type: int
    subject_id: str
    version: int
    revision: int
    envelope: bytes
    author: TeamAccount
    stored_at: str


@dataclass(frozen=True, slots=True)
class Written:
    document_id: str
    revision: int
    stored_at: str
    created: bool


def write_document(
    env: Env,
    request: RequestInfo,
    principal: Principal,
    practice_id: str,
    document_id: str,
    envelope: bytes,
) -> Written:
    """Store ``envelope`` as the next revision of ``document_id`` (new documents: revision 1)."""
    if not is_uuid(document_id):
        raise deny(env, request, principal, **access_denied(practice_id, document_id).targets)

    def tx(conn: Connection) -> Written:
        access.reach(conn, principal, practice_id)
        newest = access.newest_record(conn, practice_id)
        if newest is None:
            raise Conflict(NO_KEY)
        if access.rekey_due(conn, practice_id):
            raise Conflict(REKEY_DUE)
        checked = checked_revision(
            conn, principal, practice_id, document_id, envelope, version=newest[0]
        )
        header = checked.header
        if header.type == DocType.REPLY and not _may_reply_about(
            conn, principal, practice_id, str(header.subject_id)
        ):
            raise access_denied(practice_id, document_id)
        stored_at = store_revision(env, conn, request, principal, practice_id, checked)
        return Written(document_id, checked.header.revision, stored_at, checked.new_document)

    return write_or_deny(env, request, principal, tx)


def _may_reply_about(
    conn: Connection, principal: Principal, practice_id: str, subject_id: str
) -> bool:
    """A reply is about a request of this practice, or an item of this practice the writer
    reaches: a member any of them, a secretary only her own deposit. Anything else (an
    unknown id, another practice's item or request, another secretary's deposit) is not."""
    if conn.execute(
        "SELECT 1 FROM request WHERE id = ? AND practice_id = ?", (subject_id, practice_id)
    ).fetchone():
        return True
    row = conn.execute(
        "SELECT author_id FROM item WHERE id = ? AND practice_id = ?", (subject_id, practice_id)
    ).fetchone()
    if row is None:
        return False
    return principal.role == Role.MEMBER or str(row[0]) == principal.account_id


def access_denied(practice_id: str, document_id: str) -> Denied:
    return Denied(
        practice=practice_id if is_uuid(practice_id) else "invalid",
        document=document_id if is_uuid(document_id) else "invalid",
    )


_SELECT = (
    "SELECT d.id, d.type, d.subject_id, r.version, r.revision, r.envelope, r.author_id,"
    " r.stored_at FROM team_document d JOIN team_revision r ON r.document_id = d.id"
)


def _stored(conn: Connection, rows: list[Any]) -> list[StoredDocument]:
    out = []
    authors: dict[str, TeamAccount] = {}
    for doc_id, doc_type, subject, version, revision, envelope, author_id, stored_at in rows:
        author = authors.get(str(author_id)) or access.team_account(conn, str(author_id))
        authors[author.id] = author
        out.append(
            StoredDocument(
                str(doc_id),
                int(doc_type),
                str(subject),
                int(version),
                int(revision),
                bytes(envelope),
                author,
                str(stored_at),
            )
        )
    return out


def _record_read(
    env: Env,
    conn: Connection,
    request: RequestInfo,
    principal: Principal,
    practice_id: str,
    documents: list[StoredDocument],
) -> None:
    """One ``instruction.read`` entry per batch (per 200 documents): ids, never content."""
    ids = sorted({d.document_id for d in documents})
    for start in range(0, len(ids), IDS_PER_ENTRY):
        chunk = ids[start : start + IDS_PER_ENTRY]
        env.record(
            conn,
            Action.INSTRUCTION_READ,
            request,
            actor=principal.actor,
            targets={"practice": practice_id},
            detail={"documents": ",".join(chunk), "count": len(chunk)},
        )


def list_documents(
    env: Env,
    request: RequestInfo,
    principal: Principal,
    practice_id: str,
    *,
    doc_type: DocType | None = None,
    subject_id: str | None = None,
) -> list[StoredDocument]:
    """The latest revision of each matching document, oldest document first (audited)."""

    def tx(conn: Connection) -> list[StoredDocument]:
        access.reach(conn, principal, practice_id)
        sql = _SELECT + " WHERE d.practice_id = ? AND r.revision = d.revision"
        args: list[object] = [practice_id]
        if doc_type is not None:
            sql += " AND d.type = ?"
            args.append(int(doc_type))
        if subject_id is not None:
            sql += " AND d.subject_id = ?"
            args.append(subject_id)
        if principal.role == Role.SECRETARY:
            sql += " AND NOT " + _OTHERS_ITEM_REPLY
            args.append(principal.account_id)
        rows = conn.execute(sql + " ORDER BY d.created_at, d.rowid", args).fetchall()
        documents = _stored(conn, rows)
        _record_read(env, conn, request, principal, practice_id, documents)
        return documents

    return write_or_deny(env, request, principal, tx)


def read_document(
    env: Env,
    request: RequestInfo,
    principal: Principal,
    practice_id: str,
    document_id: str,
    *,
    history: bool = False,
) -> list[StoredDocument]:
    """The latest revision of one document, or with ``history`` every revision (oldest
    first, the latest last); audited. Another practice's or an unknown id is a 404."""
    if not is_uuid(document_id):
        raise deny(env, request, principal, **access_denied(practice_id, document_id).targets)

    def tx(conn: Connection) -> list[StoredDocument]:
        access.reach(conn, principal, practice_id)
        sql = _SELECT + " WHERE d.id = ? AND d.practice_id = ?"
        args: list[object] = [document_id, practice_id]
        if not history:
            sql += " AND r.revision = d.revision"
        if principal.role == Role.SECRETARY:
            sql += " AND NOT " + _OTHERS_ITEM_REPLY
            args.append(principal.account_id)
        rows = conn.execute(sql + " ORDER BY r.revision", args).fetchall()
        if not rows:
            raise access_denied(practice_id, document_id)
        documents = _stored(conn, rows)
        _record_read(env, conn, request, principal, practice_id, documents)
        return documents

    return write_or_deny(env, request, principal, tx)
