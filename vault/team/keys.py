"""Team key versions: the state a browser needs, a new version, a newcomer's record.

``state`` tells a member or secretary of the practice which versions exist, the
caller's grants, whom a new version is sealed to and whether re-keying is due.
``create_version`` stores version ``n + 1`` — its signed record, one grant per
recipient and every document's current revision re-encrypted under it — in one
transaction; ``add_recipients`` stores a new record of the current version with
the grants of people who joined since (no new key). The server checks what it
can without the key: signatures, ids, lengths, and that the recipients are
exactly the practice's team now (so never someone who lost access).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from audit.entry import Action
from crypto.errors import CryptoError, UnsupportedVersion
from crypto.grants import GRANT_BYTES
from crypto.signing import VerifyKey
from crypto.teamkey import TeamKeyRecord, verify_team_key_record
from vault.clock import iso
from vault.env import Env, Principal, RequestInfo
from vault.errors import Conflict, InvalidInput
from vault.items.access import read_or_deny, write_or_deny
from vault.storage.store import Connection
from vault.team import access
from vault.team.access import TeamAccount
from vault.team.revisions import (
    BAD_VERSION,
    REKEY_DUE,
    TEAM_CHANGED,
    checked_revision,
    store_revision,
)

BAD_RECORD = "This team key record is not valid: its structure or signature is wrong."
BAD_GRANT = "A team key grant is not valid: it must be 99 bytes of format version 1."
STALE_VERSION = "Another team key version was made meanwhile: reload and try again."
NOTHING_TO_ADD = "Everyone of the practice already holds the current team key."
MAX_DOCUMENTS = 1000


@dataclass(frozen=True, slots=True)
class TeamVersion:
    version: int
    record: bytes
    signature: bytes
    creator: TeamAccount
    stored_at: str
    grant: bytes | None  # the caller's grant of this version, if any


@dataclass(frozen=True, slots=True)
class TeamState:
    practice_id: str
    current_version: int | None
    rekey_due: bool
    versions: list[TeamVersion]
    recipients: list[TeamAccount]  # members only (empty for a secretary)
    missing: list[str]  # recipients without a grant of the current version


@dataclass(frozen=True, slots=True)
class NewVersion:
    """What a member's browser sends to make a version (or a record of the current one)."""

    version: int
    record: bytes
    signature: bytes
    grants: Mapping[str, bytes]
    documents: Sequence[tuple[str, bytes]] = ()  # (document id, envelope)


def _versions(conn: Connection, practice_id: str, account_id: str) -> list[TeamVersion]:
    rows = conn.execute(
        "SELECT r.version, r.record, r.signature, r.creator_id, r.stored_at, g.sealed"
        " FROM team_key_record r LEFT JOIN team_key_grant g ON g.practice_id = r.practice_id"
        " AND g.version = r.version AND g.account_id = ?"
        " WHERE r.practice_id = ? AND r.seq = (SELECT max(seq) FROM team_key_record x"
        " WHERE x.practice_id = r.practice_id AND x.version = r.version)"
        " ORDER BY r.version",
        (account_id, practice_id),
    ).fetchall()
    out = []
    for version, record, signature, creator_id, stored_at, grant in rows:
        creator = access.team_account(conn, str(creator_id))
        out.append(
            TeamVersion(
                int(version),
                bytes(record),
                bytes(signature),
                creator,
                str(stored_at),
                None if grant is None else bytes(grant),
            )
        )
    return out


def _granted(conn: Connection, practice_id: str, version: int) -> set[str]:
    return {
        str(r[0])
        for r in conn.execute(
            "SELECT account_id FROM team_key_grant WHERE practice_id = ? AND version = ?",
            (practice_id, version),
        )
    }


def _missing(conn: Connection, practice_id: str, current: int | None) -> list[str]:
    if current is None:
        return []
    granted = _granted(conn, practice_id, current)
    return sorted(a.id for a in access.recipients(conn, practice_id) if a.id not in granted)


def state(env: Env, request: RequestInfo, principal: Principal, practice_id: str) -> TeamState:
    """The team key state of ``practice_id`` as the caller may see it (404 for outsiders)."""

    def read(conn: Connection) -> TeamState:
        access.reach(conn, principal, practice_id)
        versions = _versions(conn, practice_id, principal.account_id)
        current = versions[-1].version if versions else None
        is_member = principal.practice_id == practice_id
        return TeamState(
            practice_id=practice_id,
            current_version=current,
            rekey_due=access.rekey_due(conn, practice_id),
            versions=versions,
            recipients=access.recipients(conn, practice_id) if is_member else [],
            missing=_missing(conn, practice_id, current) if is_member else [],
        )

    return read_or_deny(env, request, principal, read)


def _checked_record(
    conn: Connection, principal: Principal, practice_id: str, new: NewVersion
) -> TeamKeyRecord:
    """The record, verified with the caller's key, naming this practice, version and caller."""
    me = access.team_account(conn, principal.account_id)
    try:
        record = verify_team_key_record(new.record, new.signature, VerifyKey(me.ed25519_pk))
    except UnsupportedVersion:
        raise InvalidInput(BAD_VERSION) from None
    except CryptoError:
        raise InvalidInput(BAD_RECORD) from None
    expected = (uuid.UUID(practice_id), new.version, uuid.UUID(principal.account_id))
    if (record.client_id, record.version, record.creator_id) != expected:
        raise InvalidInput(BAD_RECORD)
    return record


def _check_recipients(
    conn: Connection, practice_id: str, record: TeamKeyRecord, grants: Mapping[str, bytes]
) -> set[str]:
    """The record's recipients must be exactly the team now; each grant well-formed."""
    team = {a.id for a in access.recipients(conn, practice_id)}
    if {str(r) for r in record.recipients} != team:
        raise Conflict(TEAM_CHANGED)
    for grant in grants.values():
        if len(grant) != GRANT_BYTES or grant[:1] != b"\x01":
            raise InvalidInput(BAD_GRANT)
    return team


def _store_grants(
    env: Env,
    conn: Connection,
    principal: Principal,
    practice_id: str,
    version: int,
    grants: Mapping[str, bytes],
) -> None:
    conn.executemany(
        "INSERT INTO team_key_grant (practice_id, version, account_id, sealed, granted_by,"
        " stored_at) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (practice_id, version, account_id, grant, principal.account_id, iso(env.now()))
            for account_id, grant in sorted(grants.items())
        ],
    )


def _store_record(
    env: Env,
    conn: Connection,
    principal: Principal,
    practice_id: str,
    new: NewVersion,
    record: TeamKeyRecord,
    seq: int,
) -> None:
    conn.execute(
        "INSERT INTO team_key_record (practice_id, version, seq, record, signature, creator_id,"
        " key_commit, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            practice_id,
            new.version,
            seq,
            new.record,
            new.signature,
            principal.account_id,
            record.commit,
            iso(env.now()),
        ),
    )


def reach_as_member(env: Env, request: RequestInfo, principal: Principal, practice_id: str) -> None:
    """Before a request's body is read: an outsider gets the audited 404 whatever he sent
    (never a 400 that tells him the practice exists), a secretary of it the 403."""
    read_or_deny(
        env, request, principal, lambda conn: access.reach_as_member(conn, principal, practice_id)
    )


def create_version(
    env: Env, request: RequestInfo, principal: Principal, practice_id: str, new: NewVersion
) -> int:
    """Store version ``n + 1`` with its grants and re-encrypted documents; its number."""

    def tx(conn: Connection) -> int:
        access.reach_as_member(conn, principal, practice_id)
        newest = access.newest_record(conn, practice_id)
        current = 0 if newest is None else newest[0]
        if new.version != current + 1:
            raise Conflict(STALE_VERSION)
        left_out = access.lost_access(conn, practice_id)
        record = _checked_record(conn, principal, practice_id, new)
        team = _check_recipients(conn, practice_id, record, new.grants)
        if set(new.grants) != team:
            raise Conflict(TEAM_CHANGED)
        stored = {
            str(r[0])
            for r in conn.execute(
                "SELECT id FROM team_document WHERE practice_id = ?", (practice_id,)
            )
        }
        sent = [doc_id for doc_id, _ in new.documents]
        if len(set(sent)) != len(sent) or set(sent) != stored:
            raise Conflict(TEAM_CHANGED)
        checked = [
            checked_revision(conn, principal, practice_id, doc_id, envelope, version=new.version)
            for doc_id, envelope in new.documents
        ]
        _store_record(env, conn, principal, practice_id, new, record, 1)
        _store_grants(env, conn, principal, practice_id, new.version, new.grants)
        env.record(
            conn,
            Action.TEAM_KEY_CREATED,
            request,
            actor=principal.actor,
            targets={"practice": practice_id},
            detail={
                "version": new.version,
                "recipients": len(team),
                "documents": len(checked),
                "left_out": ",".join(left_out),
            },
        )
        for revision in checked:
            store_revision(env, conn, request, principal, practice_id, revision, rekey=True)
        return new.version

    return write_or_deny(env, request, principal, tx)


def add_recipients(
    env: Env, request: RequestInfo, principal: Principal, practice_id: str, new: NewVersion
) -> int:
    """Store a new record of the current version naming people who joined, with their grants."""

    def tx(conn: Connection) -> int:
        access.reach_as_member(conn, principal, practice_id)
        newest = access.newest_record(conn, practice_id)
        if newest is None or new.version != newest[0]:
            raise Conflict(STALE_VERSION)
        if access.rekey_due(conn, practice_id):
            raise Conflict(REKEY_DUE)
        record = _checked_record(conn, principal, practice_id, new)
        if record.commit != newest[1].commit:
            raise InvalidInput(BAD_RECORD)
        _check_recipients(conn, practice_id, record, new.grants)
        missing = _missing(conn, practice_id, new.version)
        if not missing:
            raise Conflict(NOTHING_TO_ADD)
        if sorted(new.grants) != missing:
            raise Conflict(TEAM_CHANGED)
        _store_record(env, conn, principal, practice_id, new, record, newest[2] + 1)
        _store_grants(env, conn, principal, practice_id, new.version, new.grants)
        env.record(
            conn,
            Action.TEAM_RECIPIENTS_ADDED,
            request,
            actor=principal.actor,
            targets={"practice": practice_id},
            detail={"version": new.version, "added": ",".join(missing)},
        )
        return new.version

    return write_or_deny(env, request, principal, tx)
