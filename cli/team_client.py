"""The team key on the command line: what web/static/js/app/team.js does, in Python.

``team_keys`` fetches the practice's team state and, for a member, first makes version 1,
the next version when re-keying is due (a random key sealed to the remaining team,
every current revision re-encrypted and signed here) or a record adding newcomers. A
key is used only if its record verifies with its creator's registered key, the creator
is a member whose key fingerprint matches the one pinned here, and the record names the
practice and version, commits to the key and lists this account (docs/format.md §10).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from cli.client import ClientError, HttpTransport, Unlocked
from cli.known_keys import KeyRole, KnownKeys
from crypto.encoding import b64url_decode, b64url_encode
from crypto.errors import DecryptionFailed
from crypto.fingerprint import user_fingerprint
from crypto.grants import GrantKind, new_team_key, seal_grant
from crypto.instruction import (
    DocType,
    InstructionHeader,
    open_instruction,
    read_unverified_instruction_header,
    seal_instruction,
)
from crypto.secret import Secret
from crypto.signing import VerifyKey
from crypto.teamkey import (
    TeamKeyRecord,
    new_team_key_record,
    open_team_key,
    sign_team_key_record,
)

NO_KEY = "the practice has no team key yet: a member must write its instructions first"


@dataclass(frozen=True)
class Team:
    practice_id: str
    current: int | None
    keys: dict[int, Secret]


@dataclass(frozen=True)
class Opened:
    """One document, verified and decrypted; ``author`` is the signed author's account."""

    header: InstructionHeader
    body: dict[str, Any]
    author: dict[str, Any]
    stored_at: str


def _check_account(known: KnownKeys, account: dict[str, Any]) -> None:
    """The account's fingerprint, computed here, against the one pinned (pinned if new)."""
    fingerprint = user_fingerprint(
        b64url_decode(account["x25519_pk"]), b64url_decode(account["ed25519_pk"])
    )
    pin = known.check(
        KeyRole.AUTHOR,
        str(account["id"]),
        fingerprint,
        f"key of {account['name']}",
        str(account["name"]),
    )
    known.remember(pin)


def _open_versions(
    state: dict[str, Any], practice_id: str, unlocked: Unlocked, known: KnownKeys
) -> dict[int, Secret]:
    keys: dict[int, Secret] = {}
    for v in state["versions"]:
        if not v.get("grant"):
            continue
        creator = v["creator"]
        if creator["role"] != "member":
            raise DecryptionFailed
        _check_account(known, creator)
        keys[int(v["version"])] = open_team_key(
            b64url_decode(v["grant"]),
            record=b64url_decode(v["record"]),
            signature=b64url_decode(v["signature"]),
            creator_verify_key=VerifyKey(b64url_decode(creator["ed25519_pk"])),
            creator_id=uuid.UUID(creator["id"]),
            client_id=uuid.UUID(practice_id),
            version=int(v["version"]),
            recipient_id=uuid.UUID(unlocked.account_id),
            recipient_secret_key=unlocked.keys.x25519_secret,
        )
    return keys


def open_document(d: dict[str, Any], practice_id: str, keys: dict[int, Secret]) -> Opened:
    """Verify and open one listed document (signature, ids, author's role for the type)."""
    envelope = b64url_decode(d["envelope"])
    unverified = read_unverified_instruction_header(envelope)
    key = keys.get(unverified.version)
    author = d["author"]
    if key is None or (author["role"] != "member" and not unverified.type.secretaries_may_write):
        raise DecryptionFailed
    header, body = open_instruction(
        envelope,
        key,
        VerifyKey(b64url_decode(author["ed25519_pk"])),
        client_id=uuid.UUID(practice_id),
        document_id=uuid.UUID(d["document_id"]),
        author_id=uuid.UUID(author["id"]),
        version=unverified.version,
        type=DocType(int(d["type"])),
    )
    return Opened(header, body, author, str(d["stored_at"]))


def _record(
    practice_id: str, version: int, unlocked: Unlocked, key: Secret, recipients: list[Any]
) -> tuple[TeamKeyRecord, bytes]:
    record = new_team_key_record(
        client_id=uuid.UUID(practice_id),
        version=version,
        creator_id=uuid.UUID(unlocked.account_id),
        created_at=int(datetime.now(UTC).timestamp()),
        key=key,
        recipients=[uuid.UUID(r["id"]) for r in recipients],
    )
    return record, sign_team_key_record(record, unlocked.keys.signing_key)


def _grants(
    practice_id: str, key: Secret, recipients: list[Any], known: KnownKeys
) -> dict[str, str]:
    grants = {}
    for r in recipients:
        _check_account(known, r)
        grant = seal_grant(
            GrantKind.TEAM_KEY, uuid.UUID(practice_id), key, b64url_decode(r["x25519_pk"])
        )
        grants[str(r["id"])] = b64url_encode(grant)
    return grants


def _make_version(
    transport: HttpTransport,
    state: dict[str, Any],
    practice_id: str,
    unlocked: Unlocked,
    known: KnownKeys,
    keys: dict[int, Secret],
) -> None:
    version = int(state["current_version"] or 0) + 1
    key = new_team_key()
    documents = []
    if state["current_version"] is not None:
        listed = transport.get_json(f"/practices/{practice_id}/documents")["documents"]
        for d in listed:
            opened = open_document(d, practice_id, keys)
            header = replace(
                opened.header,
                version=version,
                revision=opened.header.revision + 1,
                author_id=uuid.UUID(unlocked.account_id),
            )
            envelope = seal_instruction(key, header, opened.body, unlocked.keys.signing_key)
            documents.append({"document_id": d["document_id"], "envelope": b64url_encode(envelope)})
    record, signature = _record(practice_id, version, unlocked, key, state["recipients"])
    transport.post_json(
        f"/practices/{practice_id}/team/versions",
        {
            "version": version,
            "record": b64url_encode(record.encode()),
            "signature": b64url_encode(signature),
            "grants": _grants(practice_id, key, state["recipients"], known),
            "documents": documents,
        },
    )


def _add_recipients(
    transport: HttpTransport,
    state: dict[str, Any],
    practice_id: str,
    unlocked: Unlocked,
    known: KnownKeys,
    keys: dict[int, Secret],
) -> None:
    version = int(state["current_version"])
    key = keys.get(version)
    if key is None:
        raise DecryptionFailed
    record, signature = _record(practice_id, version, unlocked, key, state["recipients"])
    missing = [r for r in state["recipients"] if r["id"] in state["missing"]]
    transport.post_json(
        f"/practices/{practice_id}/team/recipients",
        {
            "version": version,
            "record": b64url_encode(record.encode()),
            "signature": b64url_encode(signature),
            "grants": _grants(practice_id, key, missing, known),
        },
    )


def team_keys(
    transport: HttpTransport, unlocked: Unlocked, known: KnownKeys, practice_id: str
) -> Team:
    """The team keys this account holds, after any version or record a member must make."""
    state = transport.get_json(f"/practices/{practice_id}/team")
    if unlocked.practice_id == practice_id:
        keys = _open_versions(state, practice_id, unlocked, known)
        if state["current_version"] is None or state["rekey_due"]:
            _make_version(transport, state, practice_id, unlocked, known, keys)
            state = transport.get_json(f"/practices/{practice_id}/team")
        elif state["missing"]:
            _add_recipients(transport, state, practice_id, unlocked, known, keys)
            state = transport.get_json(f"/practices/{practice_id}/team")
    if state["current_version"] is None:
        raise ClientError(NO_KEY, 0)
    keys = _open_versions(state, practice_id, unlocked, known)
    current = int(state["current_version"])
    return Team(practice_id, current if current in keys else None, keys)
