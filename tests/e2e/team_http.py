"""A practice's team over real HTTP, as its members' and secretaries' clients speak it.

Signs people in with ``cli.client`` (keys derived and unwrapped on this side), makes
team key versions as a member's browser does (record signed, one grant per recipient
the server names), and seals, sends, fetches and opens team documents. Shared by the
canary test and the journey test; not a test module.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from cli.client import HttpTransport, Unlocked, sign_in
from crypto.encoding import b64url_decode, b64url_encode
from crypto.grants import GrantKind, new_team_key, seal_grant
from crypto.instruction import (
    NO_SUBJECT,
    DocType,
    InstructionHeader,
    open_instruction,
    read_unverified_instruction_header,
    seal_instruction,
)
from crypto.secret import Secret
from crypto.signing import VerifyKey
from crypto.teamkey import new_team_key_record, sign_team_key_record


@dataclass
class Client:
    transport: HttpTransport
    unlocked: Unlocked

    @property
    def id(self) -> str:
        return self.unlocked.account_id

    def put_json(self, path: str, data: dict[str, Any]) -> dict[str, Any]:
        return self.transport.put_json(path, data)


def signed_in(base_url: str, username: str, password: str, code: str) -> Client:
    transport = HttpTransport(base_url)
    unlocked = sign_in(transport, username, password, code)
    transport.load_csrf()
    return Client(transport, unlocked)


def create_team_key(member: Client, practice_id: str, version: int = 1) -> Secret:
    """A new version sealed to the recipients the server names, its record signed."""
    state = member.transport.get_json(f"/practices/{practice_id}/team")
    key = new_team_key()
    people = state["recipients"]
    record = new_team_key_record(
        client_id=uuid.UUID(practice_id),
        version=version,
        creator_id=uuid.UUID(member.id),
        created_at=1_764_633_600,
        key=key,
        recipients=sorted(uuid.UUID(p["id"]) for p in people),
    )
    grants = {
        p["id"]: b64url_encode(
            seal_grant(
                GrantKind.TEAM_KEY, uuid.UUID(practice_id), key, b64url_decode(p["x25519_pk"])
            )
        )
        for p in people
    }
    member.transport.post_json(
        f"/practices/{practice_id}/team/versions",
        {
            "version": version,
            "record": b64url_encode(record.encode()),
            "signature": b64url_encode(
                sign_team_key_record(record, member.unlocked.keys.signing_key)
            ),
            "grants": grants,
            "documents": [],
        },
    )
    return key


def seal_document(
    key: Secret,
    author: Client,
    practice_id: str,
    doc_type: DocType,
    body: dict[str, Any],
    *,
    subject_id: str | None = None,
    document_id: str | None = None,
    version: int = 1,
    revision: int = 1,
) -> tuple[str, str]:
    """(document id, envelope base64url) sealed under ``key`` and signed by ``author``."""
    doc_id = document_id or str(uuid.uuid4())
    header = InstructionHeader(
        type=doc_type,
        document_id=uuid.UUID(doc_id),
        client_id=uuid.UUID(practice_id),
        author_id=uuid.UUID(author.id),
        subject_id=uuid.UUID(subject_id) if subject_id else NO_SUBJECT,
        version=version,
        revision=revision,
    )
    envelope = seal_instruction(key, header, body, author.unlocked.keys.signing_key)
    return doc_id, b64url_encode(envelope)


def open_document(key: Secret, practice_id: str, document: dict[str, Any]) -> dict[str, Any]:
    """A document as the server sent it (§10 shape), verified with its author's key, opened."""
    envelope = b64url_decode(document["envelope"])
    version = read_unverified_instruction_header(envelope).version
    _, body = open_instruction(
        envelope,
        key,
        VerifyKey(b64url_decode(document["author"]["ed25519_pk"])),
        client_id=uuid.UUID(practice_id),
        document_id=uuid.UUID(document["document_id"]),
        author_id=uuid.UUID(document["author"]["id"]),
        version=version,
    )
    return body
