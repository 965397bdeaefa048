"""Checking and storing one revision of a team document (docs/format.md §10, server checks).

Shared by a document's write and by re-keying, which stores every document's
current revision re-encrypted under the new version.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from audit.entry import Action
from crypto.errors import CryptoError, UnsupportedVersion
from crypto.instruction import MIN_ENVELOPE_BYTES, DocType, InstructionHeader, verify_instruction
from crypto.signing import VerifyKey
from vault.clock import iso
from vault.env import Env, Principal, RequestInfo
from vault.errors import Conflict, Forbidden, InvalidInput
from vault.identity.roles import Role
from vault.items.access import Denied
from vault.storage.store import Connection
from vault.team import access

MAX_ENVELOPE_BYTES = 256 * 1024

BAD_ENVELOPE = "This document is not a valid envelope: its structure, size or signature is wrong."
BAD_VERSION = "This format version is not supported."
MISMATCH = (
    "This envelope does not match the document: practice, document, author or subject differ."
)
NO_KEY = "The practice has no team key yet: a member must create it first."
REKEY_DUE = (
    "Someone lost access to this practice: a member must renew the team key"
    " before anything new is written."
)
OLD_KEY = "The practice's team key has changed: reload to write under the new key."
STALE = "This document changed since you opened it: reload it and try again."
TEAM_CHANGED = "The team changed meanwhile: reload and try again."
NOT_YOURS = "Only its author or a member of the practice can change this document."


@dataclass(frozen=True, slots=True)
class CheckedRevision:
    header: InstructionHeader
    envelope: bytes
    new_document: bool


def _verified(conn: Connection, principal: Principal, envelope: bytes) -> InstructionHeader:
    if not MIN_ENVELOPE_BYTES <= len(envelope) <= MAX_ENVELOPE_BYTES:
        if envelope[:1] not in (b"", b"\x01"):
            raise InvalidInput(BAD_VERSION)
        raise InvalidInput(BAD_ENVELOPE)
    me = access.team_account(conn, principal.account_id)
    try:
        return verify_instruction(envelope, VerifyKey(me.ed25519_pk))
    except UnsupportedVersion:
        raise InvalidInput(BAD_VERSION) from None
    except CryptoError:
        raise InvalidInput(BAD_ENVELOPE) from None


def checked_revision(
    conn: Connection,
    principal: Principal,
    practice_id: str,
    document_id: str,
    envelope: bytes,
    *,
    version: int,
) -> CheckedRevision:
    """The server checks of §10 for ``envelope`` as the next revision of ``document_id``,
    written by ``principal`` under team key ``version`` (the newest, checked by the caller)."""
    header = _verified(conn, principal, envelope)
    expected = (uuid.UUID(practice_id), uuid.UUID(document_id), uuid.UUID(principal.account_id))
    if (header.client_id, header.document_id, header.author_id) != expected:
        raise InvalidInput(MISMATCH)
    if principal.role != Role.MEMBER and not DocType(header.type).secretaries_may_write:
        raise Forbidden(access.MEMBERS_ONLY)
    if header.version != version:
        raise Conflict(OLD_KEY)
    row = conn.execute(
        "SELECT practice_id, type, subject_id, revision, created_by FROM team_document"
        " WHERE id = ?",
        (document_id,),
    ).fetchone()
    if row is None:
        if header.revision != 1:
            raise Conflict(STALE)
        return CheckedRevision(header, envelope, new_document=True)
    stored_practice, doc_type, subject_id, revision, created_by = row
    if stored_practice != practice_id:
        raise Denied(practice=practice_id, document=document_id)
    if (int(doc_type), str(subject_id)) != (int(header.type), str(header.subject_id)):
        raise InvalidInput(MISMATCH)
    if principal.role != Role.MEMBER and created_by != principal.account_id:
        raise Forbidden(NOT_YOURS)
    if header.revision != int(revision) + 1:
        raise Conflict(STALE)
    return CheckedRevision(header, envelope, new_document=False)


def store_revision(
    env: Env,
    conn: Connection,
    request: RequestInfo,
    principal: Principal,
    practice_id: str,
    checked: CheckedRevision,
    *,
    rekey: bool = False,
) -> str:
    """Store a checked revision and its ``instruction.written`` entry; the stored time."""
    header, now = checked.header, iso(env.now())
    document_id = str(header.document_id)
    if checked.new_document:
        conn.execute(
            "INSERT INTO team_document (id, practice_id, type, subject_id, created_by, revision,"
            " created_at) VALUES (?, ?, ?, ?, ?, 1, ?)",
            (
                document_id,
                practice_id,
                int(header.type),
                str(header.subject_id),
                principal.account_id,
                now,
            ),
        )
    else:
        conn.execute(
            "UPDATE team_document SET revision = ? WHERE id = ?", (header.revision, document_id)
        )
    conn.execute(
        "INSERT INTO team_revision (document_id, revision, version, author_id, envelope,"
        " stored_at) VALUES (?, ?, ?, ?, ?, ?)",
        (document_id, header.revision, header.version, principal.account_id, checked.envelope, now),
    )
    env.record(
        conn,
        Action.INSTRUCTION_WRITTEN,
        request,
        actor=principal.actor,
        targets={"practice": practice_id, "document": document_id},
        detail={
            "type": int(header.type),
            "revision": header.revision,
            "version": header.version,
            "size": len(checked.envelope),
            "rekey": rekey,
        },
    )
    return now
