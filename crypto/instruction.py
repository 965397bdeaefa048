"""Instruction envelopes: documents a practice shares with its secretaries (docs/format.md §10).

``envelope = header (74) || signature (64) || nonce (24) || ciphertext``, the body
encrypted under the practice's team key of ``header.version`` with the header as
associated data, and the header and ciphertext hash signed by the author. The
server checks shape and signature without any key (``verify_instruction``);
holders of the team key open it (``open_instruction``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from crypto import _primitives
from crypto.envelope import decode_body, encode_body
from crypto.errors import DecryptionFailed, MalformedInput, UnsupportedVersion
from crypto.secret import Secret
from crypto.signing import BadSignature, SigningKey, VerifyKey

HEADER_BYTES = 74
SIGNATURE_BYTES = 64
MIN_ENVELOPE_BYTES = HEADER_BYTES + SIGNATURE_BYTES + _primitives.NONCE_BYTES + 16  # 178
SIGNATURE_LABEL = b"permanence/v1/instruction\0"
NO_SUBJECT = uuid.UUID(int=0)
MAX_COUNTER = 2**32 - 1

_SIGNATURE = slice(HEADER_BYTES, HEADER_BYTES + SIGNATURE_BYTES)
_NONCE = slice(_SIGNATURE.stop, _SIGNATURE.stop + _primitives.NONCE_BYTES)
_CIPHERTEXT = slice(_NONCE.stop, None)


class DocType(IntEnum):
    """What an instruction document is; REPLY is the only type a secretary may write."""

    PRACTICE_CARD = 0x01
    CALL_RULES = 0x02
    CUSTOM_FIELDS = 0x03
    CLOSURES = 0x04
    ON_CALL = 0x05
    FORM_TEMPLATES = 0x06
    CATALOGUE = 0x07  # suppliers and products of order forms
    BUSY_SLOTS = 0x08
    REQUEST = 0x10
    REPLY = 0x11

    @property
    def secretaries_may_write(self) -> bool:
        """Whether an assigned secretary may author this type (else members only)."""
        return self is DocType.REPLY


@dataclass(frozen=True, slots=True)
class InstructionHeader:
    """The signed, plaintext part of an instruction envelope: what the server sees."""

    type: DocType
    document_id: uuid.UUID
    client_id: uuid.UUID
    author_id: uuid.UUID
    subject_id: uuid.UUID
    version: int
    revision: int

    def __post_init__(self) -> None:
        if not (1 <= self.version <= MAX_COUNTER and 1 <= self.revision <= MAX_COUNTER):
            raise MalformedInput("a team key version and a revision are 1..2^32-1")

    def to_bytes(self) -> bytes:
        """``0x01 || type || id16(document) || id16(client) || id16(author) || id16(subject)
        || version (u32) || revision (u32)``."""
        return (
            bytes([_primitives.VERSION, self.type])
            + self.document_id.bytes
            + self.client_id.bytes
            + self.author_id.bytes
            + self.subject_id.bytes
            + self.version.to_bytes(4, "big")
            + self.revision.to_bytes(4, "big")
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> InstructionHeader:
        """Parse 74 header bytes: ``UnsupportedVersion`` for an unknown version byte, else
        any anomaly (length, unknown type, version or revision 0) is ``DecryptionFailed``."""
        if data[:1] != bytes([_primitives.VERSION]):
            raise UnsupportedVersion(data[0]) if data else DecryptionFailed
        if len(data) != HEADER_BYTES:
            raise DecryptionFailed
        try:
            return cls(
                type=DocType(data[1]),
                document_id=uuid.UUID(bytes=data[2:18]),
                client_id=uuid.UUID(bytes=data[18:34]),
                author_id=uuid.UUID(bytes=data[34:50]),
                subject_id=uuid.UUID(bytes=data[50:66]),
                version=int.from_bytes(data[66:70], "big"),
                revision=int.from_bytes(data[70:74], "big"),
            )
        except ValueError:  # an unknown type, or a zero version or revision
            raise DecryptionFailed from None


def _signed_message(header: bytes, nonce: bytes, ciphertext: bytes) -> bytes:
    return SIGNATURE_LABEL + header + _primitives.generichash(32, nonce + ciphertext)


def seal_instruction(
    team_key: Secret,
    header: InstructionHeader,
    body: Mapping[str, Any],
    signing_key: SigningKey,
    randbytes: Callable[[int], bytes] = os.urandom,
) -> bytes:
    """Encrypt ``body`` (canonical JSON) under the team key of ``header.version``, sign it."""
    _primitives.require_length("team key", team_key.value, 32)
    header_bytes = header.to_bytes()
    nonce = randbytes(_primitives.NONCE_BYTES)
    ciphertext = _primitives.aead_seal(team_key.value, nonce, encode_body(body), header_bytes)
    signature = signing_key.sign(_signed_message(header_bytes, nonce, ciphertext))
    return header_bytes + signature + nonce + ciphertext


def read_unverified_instruction_header(envelope: bytes) -> InstructionHeader:
    """The header WITHOUT checking the signature: only to find the author's key and version."""
    return InstructionHeader.from_bytes(envelope[:HEADER_BYTES])


def verify_instruction(envelope: bytes, verify_key: VerifyKey) -> InstructionHeader:
    """Server-side check (no key): shape and the author's signature; the verified header.

    The caller still compares the header's ids with the request and the signed-in
    account, the author's role with the type, and version and revision with its store.
    """
    header = read_unverified_instruction_header(envelope)
    if len(envelope) < MIN_ENVELOPE_BYTES:
        raise DecryptionFailed
    message = _signed_message(envelope[:HEADER_BYTES], envelope[_NONCE], envelope[_CIPHERTEXT])
    try:
        verify_key.verify(message, envelope[_SIGNATURE])
    except BadSignature:
        raise DecryptionFailed from None
    return header


def open_instruction(
    envelope: bytes,
    team_key: Secret,
    verify_key: VerifyKey,
    *,
    client_id: uuid.UUID,
    document_id: uuid.UUID,
    author_id: uuid.UUID,
    version: int,
    type: DocType | None = None,
    subject_id: uuid.UUID | None = None,
) -> tuple[InstructionHeader, dict[str, Any]]:
    """Verify and decrypt an envelope fetched as ``document_id`` of ``client_id``.

    ``verify_key`` is the registered key of ``author_id``; ``team_key`` is the key of
    ``version``. ``type`` and ``subject_id``, when given, must match too. Any mismatch or
    tampering is ``DecryptionFailed``; so is a body that is not a JSON object.
    """
    _primitives.require_length("team key", team_key.value, 32)
    header = verify_instruction(envelope, verify_key)
    expected = (client_id, document_id, author_id, version)
    if (header.client_id, header.document_id, header.author_id, header.version) != expected:
        raise DecryptionFailed
    if (type is not None and header.type != type) or (
        subject_id is not None and header.subject_id != subject_id
    ):
        raise DecryptionFailed
    body = _primitives.aead_open(
        team_key.value, envelope[_NONCE], envelope[_CIPHERTEXT], envelope[:HEADER_BYTES]
    )
    return header, decode_body(body)
