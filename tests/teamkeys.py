"""What tests arrange for team keys and team documents, as a member's browser makes them.

``make_version`` draws a team key, signs its record and seals one grant per
recipient (the recipients the vault names, unless told otherwise), re-encrypting
given documents; ``document`` seals one revision. Not a test module: tests of
vault/team, web/routes/team and the command line import it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from crypto.grants import GrantKind, new_team_key, seal_grant
from crypto.instruction import NO_SUBJECT, DocType, InstructionHeader, seal_instruction
from crypto.secret import Secret
from crypto.teamkey import new_team_key_record, sign_team_key_record
from tests.factories import REQ, Person
from vault.env import Env
from vault.team import access, keys


@dataclass(frozen=True)
class Made:
    key: Secret
    new: keys.NewVersion


def team_of(env: Env, practice_id: str) -> list[access.TeamAccount]:
    return env.db.read(lambda c: access.recipients(c, practice_id))


def make_version(
    env: Env,
    practice_id: str,
    creator: Person,
    version: int,
    *,
    recipients: Sequence[access.TeamAccount] | None = None,
    documents: Sequence[tuple[str, bytes]] = (),
    key: Secret | None = None,
) -> Made:
    """A version's record, signature and grants for ``recipients`` (default: the team now)."""
    key = key or new_team_key()
    people = list(recipients if recipients is not None else team_of(env, practice_id))
    record = new_team_key_record(
        client_id=uuid.UUID(practice_id),
        version=version,
        creator_id=uuid.UUID(creator.id),
        created_at=int(env.now().timestamp()),
        key=key,
        recipients=[uuid.UUID(p.id) for p in people],
    )
    grants = {
        p.id: seal_grant(GrantKind.TEAM_KEY, uuid.UUID(practice_id), key, p.x25519_pk)
        for p in people
    }
    new = keys.NewVersion(
        version=version,
        record=record.encode(),
        signature=sign_team_key_record(record, creator.keys.signing_key),
        grants=grants,
        documents=tuple(documents),
    )
    return Made(key, new)


def create(env: Env, practice_id: str, creator: Person, version: int = 1, **kw: Any) -> Made:
    """``make_version`` then store it through the use case."""
    made = make_version(env, practice_id, creator, version, **kw)
    keys.create_version(env, REQ, creator.principal, practice_id, made.new)
    return made


def document(
    key: Secret,
    author: Person,
    practice_id: str,
    *,
    version: int,
    revision: int = 1,
    doc_type: DocType = DocType.PRACTICE_CARD,
    body: Mapping[str, Any] | None = None,
    document_id: str | None = None,
    subject_id: uuid.UUID = NO_SUBJECT,
) -> tuple[str, bytes]:
    """(document id, envelope) of one revision sealed under ``key`` by ``author``."""
    doc_id = document_id or str(uuid.uuid4())
    header = InstructionHeader(
        type=doc_type,
        document_id=uuid.UUID(doc_id),
        client_id=uuid.UUID(practice_id),
        author_id=uuid.UUID(author.id),
        subject_id=subject_id,
        version=version,
        revision=revision,
    )
    envelope = seal_instruction(
        key, header, dict(body or {"name": "Cabinet Martin"}), author.keys.signing_key
    )
    return doc_id, envelope
