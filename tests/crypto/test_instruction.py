"""Instruction envelopes under a team key: sealing, the server's check, opening."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from crypto import _primitives
from crypto.errors import DecryptionFailed, MalformedInput, UnsupportedVersion
from crypto.grants import new_team_key
from crypto.instruction import (
    HEADER_BYTES,
    MIN_ENVELOPE_BYTES,
    NO_SUBJECT,
    DocType,
    InstructionHeader,
    open_instruction,
    read_unverified_instruction_header,
    seal_instruction,
    verify_instruction,
)
from crypto.secret import Secret
from crypto.signing import SigningKey
from crypto.user_keys import UserKeyPair
from tests.vectors.generate import DeterministicRandom

CLIENT = uuid.UUID("7c9e6679-7425-40de-944b-e07fc1f90ae7")
DOC = uuid.UUID("3b241101-e2bb-4255-8caf-4136c566a962")
AUTHOR = uuid.UUID("00000000-0000-4000-8000-0000000000aa")
ITEM = uuid.UUID("00000000-0000-4000-8000-0000000000cc")
BODY = {"name": "Cabinet du Dr Martin", "hours": "8 h 30 \u2013 19 h"}


@pytest.fixture
def author() -> UserKeyPair:
    return UserKeyPair.generate(DeterministicRandom("instruction/author"))


@pytest.fixture
def key() -> Secret:
    return new_team_key(DeterministicRandom("instruction/key"))


def _header(**change: object) -> InstructionHeader:
    header = InstructionHeader(
        type=DocType.PRACTICE_CARD,
        document_id=DOC,
        client_id=CLIENT,
        author_id=AUTHOR,
        subject_id=NO_SUBJECT,
        version=3,
        revision=2,
    )
    return dataclasses.replace(header, **change)  # type: ignore[arg-type]


def _open(envelope: bytes, key: Secret, author: UserKeyPair, **change: object) -> object:
    expected: dict[str, object] = {
        "client_id": CLIENT,
        "document_id": DOC,
        "author_id": AUTHOR,
        "version": 3,
        **change,
    }
    return open_instruction(envelope, key, author.public_keys.verify_key, **expected)  # type: ignore[arg-type]


def test_round_trip(author: UserKeyPair, key: Secret) -> None:
    """An envelope verifies without the key and opens with it to the same header and body."""
    envelope = seal_instruction(key, _header(), BODY, author.signing_key)
    assert len(envelope) == MIN_ENVELOPE_BYTES + len(
        b'{"hours":"8 h 30 \xe2\x80\x93 19 h","name":"Cabinet du Dr Martin"}'
    )
    assert verify_instruction(envelope, author.public_keys.verify_key) == _header()
    assert read_unverified_instruction_header(envelope) == _header()
    header, body = open_instruction(
        envelope,
        key,
        author.public_keys.verify_key,
        client_id=CLIENT,
        document_id=DOC,
        author_id=AUTHOR,
        version=3,
        type=DocType.PRACTICE_CARD,
        subject_id=NO_SUBJECT,
    )
    assert (header, body) == (_header(), BODY)


def test_header_layout_and_refusals() -> None:
    """74 bytes in the order of §10; unknown type, zero counters, wrong length refused."""
    data = _header(type=DocType.REPLY, subject_id=ITEM).to_bytes()
    assert len(data) == HEADER_BYTES
    assert data[:2] == b"\x01\x11"
    assert data[50:66] == ITEM.bytes
    assert data[66:] == (3).to_bytes(4, "big") + (2).to_bytes(4, "big")
    assert InstructionHeader.from_bytes(data).subject_id == ITEM
    with pytest.raises(UnsupportedVersion):
        InstructionHeader.from_bytes(b"\x02" + data[1:])
    for bad in (
        b"",
        data[:-1],
        data[:1] + b"\x0f" + data[2:],  # a type nobody uses
        data[:66] + bytes(4) + data[70:],
        data[:70] + bytes(4),
    ):
        with pytest.raises(DecryptionFailed):
            InstructionHeader.from_bytes(bad)
    for field in ("version", "revision"):
        for value in (0, 2**32):
            with pytest.raises(MalformedInput):
                _header(**{field: value})


def test_only_replies_may_come_from_secretaries() -> None:
    """Types 0x01 to 0x10 are members' documents; a reply may be a secretary's."""
    assert [t for t in DocType if t.secretaries_may_write] == [DocType.REPLY]


def test_tampering_and_wrong_expectations_fail(author: UserKeyPair, key: Secret) -> None:
    """Every byte is covered; another document, practice, author, version, type, subject,
    key or signer is DecryptionFailed."""
    envelope = seal_instruction(key, _header(), BODY, author.signing_key)
    for index in range(1, len(envelope), 5):
        tampered = envelope[:index] + bytes([envelope[index] ^ 1]) + envelope[index + 1 :]
        with pytest.raises(DecryptionFailed):
            _open(tampered, key, author)
    with pytest.raises(DecryptionFailed):
        _open(envelope[: MIN_ENVELOPE_BYTES - 1], key, author)
    with pytest.raises(UnsupportedVersion):
        _open(b"\x09" + envelope[1:], key, author)
    for change in (
        {"client_id": ITEM},
        {"document_id": ITEM},
        {"author_id": ITEM},
        {"version": 2},
        {"type": DocType.CALL_RULES},
        {"subject_id": ITEM},
    ):
        with pytest.raises(DecryptionFailed):
            _open(envelope, key, author, **change)
    with pytest.raises(DecryptionFailed):
        _open(envelope, new_team_key(DeterministicRandom("other")), author)
    other = UserKeyPair.generate(DeterministicRandom("other author"))
    with pytest.raises(DecryptionFailed):
        _open(envelope, key, other)
    with pytest.raises(MalformedInput):
        _open(envelope, Secret(bytes(31)), author)
    with pytest.raises(MalformedInput):
        seal_instruction(Secret(bytes(31)), _header(), BODY, author.signing_key)


def test_a_body_that_is_not_an_object_fails(author: UserKeyPair, key: Secret) -> None:
    """A correctly signed and encrypted envelope whose plaintext is not a JSON object fails."""
    header = _header().to_bytes()
    nonce = bytes(24)
    ciphertext = _primitives.aead_seal(key.value, nonce, b"[1, 2]", header)
    message = (
        b"permanence/v1/instruction\0" + header + _primitives.generichash(32, nonce + ciphertext)
    )
    envelope = header + SigningKey(author.ed25519_seed.value).sign(message) + nonce + ciphertext
    verify_instruction(envelope, author.public_keys.verify_key)
    with pytest.raises(DecryptionFailed):
        _open(envelope, key, author)
