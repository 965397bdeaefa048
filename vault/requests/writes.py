"""Storing a new request or reply document together with what it changes, in one transaction.

The document checks are the team key's (``vault.team.revisions``: signature with the
author's registered key, ids, newest key version, revision 1); here the type and
subject must also be what the route says, so that a REPLY sent as the done note of a
request is about that request, and a request cannot be sent as a reply.
"""

from __future__ import annotations

from crypto.instruction import NO_SUBJECT, DocType
from vault.env import Env, Principal, RequestInfo
from vault.errors import Conflict, InvalidInput
from vault.ids import is_uuid
from vault.items.access import write_or_deny
from vault.requests import state
from vault.storage.store import Connection
from vault.team import access as team_access
from vault.team.revisions import NO_KEY, REKEY_DUE, checked_revision, store_revision

WRONG_DOCUMENT = "This envelope is not the kind of document this address takes, or not about it."
ALREADY_STORED = "A document with this id already exists."


def store_new(
    env: Env,
    conn: Connection,
    request: RequestInfo,
    principal: Principal,
    practice_id: str,
    document_id: str,
    envelope: bytes,
    *,
    doc_type: DocType,
    subject_id: str,
) -> str:
    """Inside a transaction: check and store ``envelope`` as revision 1 of a new document
    of ``doc_type`` about ``subject_id``; the stored time."""
    if not is_uuid(document_id):
        raise InvalidInput(WRONG_DOCUMENT)
    team_access.reach(conn, principal, practice_id)
    newest = team_access.newest_record(conn, practice_id)
    if newest is None:
        raise Conflict(NO_KEY)
    if team_access.rekey_due(conn, practice_id):
        raise Conflict(REKEY_DUE)
    checked = checked_revision(
        conn, principal, practice_id, document_id, envelope, version=newest[0]
    )
    if not checked.new_document:
        raise Conflict(ALREADY_STORED)
    header = checked.header
    if header.type != doc_type or str(header.subject_id) != subject_id:
        raise InvalidInput(WRONG_DOCUMENT)
    return store_revision(env, conn, request, principal, practice_id, checked)


def create_request(
    env: Env,
    request: RequestInfo,
    principal: Principal,
    practice_id: str,
    request_id: str,
    envelope: bytes,
) -> state.RequestState:
    """A member's new request: the REQUEST document and its state ``open``, together."""

    def tx(conn: Connection) -> state.RequestState:
        state.open_request(env, conn, request, principal, practice_id, request_id)
        store_new(
            env,
            conn,
            request,
            principal,
            practice_id,
            request_id,
            envelope,
            doc_type=DocType.REQUEST,
            subject_id=str(NO_SUBJECT),
        )
        return state.load(conn, practice_id, request_id)

    return write_or_deny(env, request, principal, tx)


def complete_request(
    env: Env,
    request: RequestInfo,
    principal: Principal,
    practice_id: str,
    request_id: str,
    reply_id: str,
    envelope: bytes,
) -> state.RequestState:
    """The secretary's done note (a REPLY about the request) and the state ``done``, together."""

    def tx(conn: Connection) -> state.RequestState:
        done = state.mark_done(env, conn, request, principal, practice_id, request_id, reply_id)
        store_new(
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
        return done

    return write_or_deny(env, request, principal, tx)
