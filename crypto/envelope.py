"""Item envelopes: call notes, messages and extracts (docs/format.md §5).

``envelope = header (63) || sealed_key (80) || signature (64) || nonce (24) || ciphertext``.
The depositor encrypts the body under a fresh content key bound to the header,
seals the key to the practice, and signs header, sealed key and ciphertext
hash. The server checks structure and signature without any secret
(``check_envelope``); a practice member opens it (``open_item``).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from crypto import _primitives
from crypto.errors import DecryptionFailed, MalformedInput, UnsupportedVersion
from crypto.secret import Secret
from crypto.signing import BadSignature, SigningKey, VerifyKey

HEADER_BYTES = 63
MAX_CALL_SECONDS = 24 * 3600
MAX_CALL_STARTED_AT = 2**53 - 1  # what a JavaScript number holds exactly
SEALED_KEY_BYTES = 32 + _primitives.SEAL_OVERHEAD  # 80
SIGNATURE_BYTES = 64
MIN_ENVELOPE_BYTES = (
    HEADER_BYTES + SEALED_KEY_BYTES + SIGNATURE_BYTES + _primitives.NONCE_BYTES + 16
)  # 247
SIGNATURE_LABEL = b"permanence/v1/item\0"

_SEALED_KEY = slice(HEADER_BYTES, HEADER_BYTES + SEALED_KEY_BYTES)
_SIGNATURE = slice(_SEALED_KEY.stop, _SEALED_KEY.stop + SIGNATURE_BYTES)
_NONCE = slice(_SIGNATURE.stop, _SIGNATURE.stop + _primitives.NONCE_BYTES)
_CIPHERTEXT = slice(_NONCE.stop, None)


class ItemKind(IntEnum):
    CALL_NOTE = 0x01
    MESSAGE = 0x02
    EXTRACT = 0x03
    FORM = 0x04


class Urgency(IntEnum):
    LOW = 0x00
    NORMAL = 0x01
    URGENT = 0x02


@dataclass(frozen=True, slots=True)
class ItemHeader:
    """The signed, plaintext part of an envelope: what the server may see of an item.

    ``call_started_at`` (Unix seconds, UTC) and ``call_seconds`` are a call note's call
    time; both are 0 for any other kind.
    """

    kind: ItemKind
    urgency: Urgency
    item_id: uuid.UUID
    client_id: uuid.UUID
    author_id: uuid.UUID
    call_started_at: int = 0
    call_seconds: int = 0

    def __post_init__(self) -> None:
        if self.kind == ItemKind.CALL_NOTE:
            started, seconds = self.call_started_at, self.call_seconds
            if not (0 <= started <= MAX_CALL_STARTED_AT and 0 <= seconds <= MAX_CALL_SECONDS):
                raise MalformedInput("a call starts at 0..2^53-1 and lasts 0..86400 seconds")
        elif self.call_started_at or self.call_seconds:
            raise MalformedInput("only a call note has a call time")

    def to_bytes(self) -> bytes:
        """``0x01 || kind || urgency || id16(item) || id16(client) || id16(author)
        || call_started_at (u64) || call_seconds (u32)``."""
        return (
            bytes([_primitives.VERSION, self.kind, self.urgency])
            + self.item_id.bytes
            + self.client_id.bytes
            + self.author_id.bytes
            + self.call_started_at.to_bytes(8, "big")
            + self.call_seconds.to_bytes(4, "big")
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> ItemHeader:
        """Parse 63 header bytes; an unknown version is ``UnsupportedVersion``, else any
        anomaly is ``DecryptionFailed`` (call time fields on another kind than a call note,
        a call longer than 24 hours or starting after 2^53 - 1 included)."""
        if data[:1] != bytes([_primitives.VERSION]):
            raise UnsupportedVersion(data[0]) if data else DecryptionFailed
        if len(data) != HEADER_BYTES:
            raise DecryptionFailed
        try:
            return cls(
                kind=ItemKind(data[1]),
                urgency=Urgency(data[2]),
                item_id=uuid.UUID(bytes=data[3:19]),
                client_id=uuid.UUID(bytes=data[19:35]),
                author_id=uuid.UUID(bytes=data[35:51]),
                call_started_at=int.from_bytes(data[51:59], "big"),
                call_seconds=int.from_bytes(data[59:63], "big"),
            )
        except ValueError:  # an unknown kind or urgency, or a call time MalformedInput refused
            raise DecryptionFailed from None


@dataclass(frozen=True, slots=True)
class OpenedItem:
    """A verified, decrypted item."""

    header: ItemHeader
    body: bytes

    def json(self) -> dict[str, Any]:
        """The body parsed as a JSON object (``DecryptionFailed`` if it is not one)."""
        return decode_body(self.body)


def encode_body(body: Mapping[str, Any]) -> bytes:
    """Canonical body: UTF-8 JSON object, keys sorted, no insignificant whitespace."""
    return json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _no_constant(name: str) -> Any:
    raise ValueError(name)  # NaN, Infinity, -Infinity: not JSON (JavaScript refuses them too)


def decode_body(body: bytes) -> dict[str, Any]:
    """Parse a body; anything but a UTF-8 JSON object is ``DecryptionFailed``.

    Non-canonical JSON (spacing, key order, escapes) is accepted, as JavaScript's
    ``JSON.parse`` accepts it; a repeated key keeps its last value in both.
    """
    try:
        value = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are both ValueErrors.
        raise DecryptionFailed from None
    if not isinstance(value, dict):
        raise DecryptionFailed
    return value


def _signed_message(header: bytes, sealed_key: bytes, nonce: bytes, ciphertext: bytes) -> bytes:
    ct_hash = _primitives.generichash(32, nonce + ciphertext)
    return SIGNATURE_LABEL + header + sealed_key + ct_hash


def seal_item(
    header: ItemHeader,
    body: bytes,
    practice_public_key: bytes,
    author_key: SigningKey,
    randbytes: Callable[[int], bytes] = os.urandom,
) -> bytes:
    """Encrypt ``body`` for the practice and sign it as ``author_key``; return the envelope."""
    content_key = randbytes(32)
    nonce = randbytes(_primitives.NONCE_BYTES)
    header_bytes = header.to_bytes()
    ciphertext = _primitives.aead_seal(content_key, nonce, body, header_bytes)
    sealed_key = _primitives.box_seal(content_key, practice_public_key)
    signature = author_key.sign(_signed_message(header_bytes, sealed_key, nonce, ciphertext))
    return header_bytes + sealed_key + signature + nonce + ciphertext


def read_unverified_header(envelope: bytes) -> ItemHeader:
    """Parse the header WITHOUT checking the signature: only to find which author key to use."""
    return ItemHeader.from_bytes(envelope[:HEADER_BYTES])


def check_envelope(envelope: bytes, author_verify_key: VerifyKey) -> ItemHeader:
    """Server-side check (no secret): structure, header fields and the author's signature.

    Returns the verified header. The caller must still compare its ids with
    the request (item, practice, depositor).
    """
    header = read_unverified_header(envelope)
    if len(envelope) < MIN_ENVELOPE_BYTES:
        raise DecryptionFailed
    message = _signed_message(
        envelope[:HEADER_BYTES], envelope[_SEALED_KEY], envelope[_NONCE], envelope[_CIPHERTEXT]
    )
    try:
        author_verify_key.verify(message, envelope[_SIGNATURE])
    except BadSignature:
        raise DecryptionFailed from None
    return header


def open_item(
    envelope: bytes,
    *,
    author_verify_key: VerifyKey,
    practice_secret_key: Secret,
    item_id: uuid.UUID,
    client_id: uuid.UUID,
    author_id: uuid.UUID,
) -> OpenedItem:
    """Verify, unseal and decrypt an envelope fetched as ``item_id`` of ``client_id``.

    ``author_id`` is whose ``author_verify_key`` the caller looked up. An
    envelope moved to another item or practice, or claiming another author,
    fails like any other tampering: ``DecryptionFailed``.
    """
    header = check_envelope(envelope, author_verify_key)
    if (header.item_id, header.client_id, header.author_id) != (item_id, client_id, author_id):
        raise DecryptionFailed
    content_key = _primitives.box_seal_open(envelope[_SEALED_KEY], practice_secret_key.value)
    body = _primitives.aead_open(
        content_key, envelope[_NONCE], envelope[_CIPHERTEXT], envelope[:HEADER_BYTES]
    )
    return OpenedItem(header=header, body=body)
