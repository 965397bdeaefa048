"""Vectors of docs/format.md §10 (team key records, grants, instruction envelopes).

Part of ``generate.py``'s output (keys ``team_keys`` and ``instructions``);
schema in tests/vectors/README.md.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from crypto.encoding import b64url_encode as b64
from crypto.envelope import encode_body
from crypto.grants import GrantKind, seal_grant
from crypto.instruction import DocType, InstructionHeader, seal_instruction
from crypto.secret import Secret
from crypto.signing import SigningKey
from crypto.teamkey import SIGNATURE_LABEL, TeamKeyRecord, sign_team_key_record, team_key_commit
from tests.vectors.generate import (
    DeterministicRandom,
    _fixed,
    _practice,
    _user,
    deterministic_sealing,
)

Json = dict[str, Any]
CREATED_AT = (1795772465, 1796377265)  # 2026-11-27T09:41:05Z, a week later


def _keys() -> list[Secret]:
    rng = DeterministicRandom("team-keys")
    return [Secret(rng(32)) for _ in CREATED_AT]


def _team_keys() -> list[Json]:
    """Version 1 sealed to the member and the secretary; version 2 (after her assignment
    ended) to the member alone."""
    client_id, _ = _practice("practice")
    member_id, member = _user("user-keys/member")
    secretary_id, secretary = _user("user-keys/secretary")
    people = {member_id: member, secretary_id: secretary}
    rng = DeterministicRandom("team-key-grants")
    out = []
    for version, (key, created_at, recipients) in enumerate(
        zip(_keys(), CREATED_AT, ([member_id, secretary_id], [member_id]), strict=True), start=1
    ):
        record = TeamKeyRecord(
            client_id=client_id,
            version=version,
            creator_id=member_id,
            created_at=created_at,
            commit=team_key_commit(key),
            recipients=tuple(recipients),
        )
        grants = []
        with deterministic_sealing(rng) as ephemeral:
            for recipient_id in record.recipients:
                keys = people[recipient_id]
                grant = seal_grant(GrantKind.TEAM_KEY, client_id, key, keys.public_keys.x25519)
                grants.append(
                    {
                        "recipient_id": str(recipient_id),
                        "recipient_x25519_secret": b64(keys.x25519_secret.value),
                        "recipient_x25519_public": b64(keys.public_keys.x25519),
                        "ephemeral_secret": b64(ephemeral[-1]),
                        "grant": b64(grant),
                    }
                )
        out.append(
            {
                "client_id": str(client_id),
                "version": version,
                "creator_id": str(member_id),
                "creator_ed25519_seed": b64(member.ed25519_seed.value),
                "creator_ed25519_public": b64(member.public_keys.ed25519),
                "created_at": created_at,
                "key": b64(key.value),
                "commit": b64(record.commit),
                "recipients": [str(r) for r in record.recipients],
                "record": b64(record.encode()),
                "signature": b64(sign_team_key_record(record, member.signing_key)),
                "grants": grants,
            }
        )
    return out


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def _refused_records(first: Json) -> list[Json]:
    """Records every reader refuses: tampered, or signed by the creator but malformed."""
    from tests.vectors.generate import _unb64

    record, signature = _unb64(first["record"]), _unb64(first["signature"])
    seed = SigningKey(_unb64(first["creator_ed25519_seed"]))
    recipients = record[79:]
    swapped = record[:79] + recipients[16:] + recipients[:16]
    repeated = record[:77] + (3).to_bytes(2, "big") + recipients + recipients[16:]
    unversioned = record[:17] + bytes(4) + record[21:]
    empty = record[:77] + bytes(2)

    def signed(name: str, data: bytes) -> Json:
        sig = seed.sign(SIGNATURE_LABEL + data)
        return {
            "name": name,
            "record": b64(data),
            "signature": b64(sig),
            "error": "DecryptionFailed",
        }

    cases = [
        {
            "name": f"flipped byte in {name}",
            "record": b64(_flip(record, index)),
            "signature": b64(signature),
            "error": "UnsupportedVersion" if index == 0 else "DecryptionFailed",
        }
        for name, index in (
            ("version byte", 0),
            ("client_id", 1),
            ("version", 20),
            ("creator_id", 21),
            ("created_at", 44),
            ("commit", 45),
            ("count", 78),
            ("a recipient", 90),
        )
    ]
    cases += [
        {
            "name": "flipped byte in the signature",
            "record": b64(record),
            "signature": b64(_flip(signature, 5)),
            "error": "DecryptionFailed",
        },
        {
            "name": "truncated",
            "record": b64(record[:-1]),
            "signature": b64(signature),
            "error": "DecryptionFailed",
        },
        signed("recipients out of order (signed)", swapped),
        signed("a recipient repeated (signed)", repeated),
        signed("version 0 (signed)", unversioned),
        signed("no recipient (signed)", empty),
    ]
    return cases


def _instructions() -> list[Json]:
    """A practice card and call rules by the member, a reply by the secretary."""
    client_id, _ = _practice("practice")
    member_id, member = _user("user-keys/member")
    secretary_id, secretary = _user("user-keys/secretary")
    keys = _keys()
    rng = DeterministicRandom("instructions")
    subject = uuid.UUID(bytes=rng(16), version=4)
    cases: list[tuple[DocType, Any, Any, uuid.UUID, int, int, Json]] = [
        (
            DocType.PRACTICE_CARD,
            member_id,
            member,
            uuid.UUID(int=0),
            1,
            1,
            {
                "name": "Cabinet du Dr Martin",
                "address": "12 rue de la Paix, 75002 Paris",
                "hours": "lun.\u2013ven. 8 h 30 \u2013 19 h",
                "tell_callers": "En cas d'urgence vitale\u00a0: composer le 15.",
            },
        ),
        (
            DocType.CALL_RULES,
            member_id,
            member,
            uuid.UUID(int=0),
            2,
            3,
            {"rules": [{"call_type": "urgence", "say": "Faites le 15.", "fields": []}]},
        ),
        (
            DocType.REPLY,
            secretary_id,
            secretary,
            subject,
            1,
            1,
            {"text": "Rappelée, RDV pris lundi 9 h"},
        ),
    ]
    out = []
    for doc_type, author_id, author, subject_id, version, revision, body in cases:
        header = InstructionHeader(
            type=doc_type,
            document_id=uuid.UUID(bytes=rng(16), version=4),
            client_id=client_id,
            author_id=author_id,
            subject_id=subject_id,
            version=version,
            revision=revision,
        )
        nonce = rng(24)
        key = keys[version - 1]
        envelope = seal_instruction(key, header, body, author.signing_key, _fixed(nonce))
        ciphertext = envelope[162:]
        out.append(
            {
                "type": int(doc_type),
                "document_id": str(header.document_id),
                "client_id": str(client_id),
                "author_id": str(author_id),
                "subject_id": str(subject_id),
                "version": version,
                "revision": revision,
                "author_ed25519_seed": b64(author.ed25519_seed.value),
                "author_ed25519_public": b64(author.public_keys.ed25519),
                "team_key": b64(key.value),
                "body": encode_body(body).decode("utf-8"),
                "header": b64(envelope[:74]),
                "nonce": b64(nonce),
                "ciphertext": b64(ciphertext),
                "ct_hash": b64(hashlib.blake2b(nonce + ciphertext, digest_size=32).digest()),
                "signature": b64(envelope[74:138]),
                "envelope": b64(envelope),
            }
        )
    return out


def _refused_envelopes(first: Json) -> list[Json]:
    from tests.vectors.generate import _unb64

    envelope = _unb64(first["envelope"])
    fields = {
        "version byte": 0,
        "type": 1,
        "document_id": 2,
        "client_id": 18,
        "author_id": 34,
        "subject_id": 50,
        "version": 69,
        "revision": 73,
        "signature": 74 + 10,
        "nonce": 138 + 5,
        "ciphertext": 162 + 1,
        "tag": len(envelope) - 1,
    }
    cases = [
        {
            "name": f"flipped byte in {name}",
            "envelope": b64(_flip(envelope, index)),
            "error": "UnsupportedVersion" if index == 0 else "DecryptionFailed",
        }
        for name, index in fields.items()
    ]
    cases.append(
        {"name": "truncated", "envelope": b64(envelope[:177]), "error": "DecryptionFailed"}
    )
    return cases


def team_vectors() -> tuple[Json, Json]:
    """The ``team_keys`` and ``instructions`` sections."""
    versions = _team_keys()
    instructions = _instructions()
    return (
        {"versions": versions, "refused": _refused_records(versions[0])},
        {"envelopes": instructions, "refused": _refused_envelopes(instructions[0])},
    )
