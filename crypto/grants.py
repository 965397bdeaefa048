"""Key grants: a practice's secret key or team key sealed to one person (docs/format.md §4).

``grant = 0x01 || SEAL(0x01 || kind || id16(client_id) || key, recipient_x25519_pk)``.
Opening checks the inner version, the kind and the client id the caller
expects; any mismatch is ``DecryptionFailed``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from crypto import _primitives
from crypto.errors import DecryptionFailed, UnsupportedVersion
from crypto.fingerprint import practice_fingerprint
from crypto.secret import Secret

GRANT_PLAIN_BYTES = 50
GRANT_BYTES = 1 + GRANT_PLAIN_BYTES + _primitives.SEAL_OVERHEAD  # 99


class GrantKind(IntEnum):
    """What a grant carries."""

    PRACTICE_SECRET_KEY = 0x01
    TEAM_KEY = 0x02


@dataclass(frozen=True, slots=True)
class PracticeKeyPair:
    """A client practice's X25519 key pair; items' content keys are sealed to its public key."""

    secret_key: Secret

    def __post_init__(self) -> None:
        _primitives.require_length("practice secret key", self.secret_key.value, 32)

    @classmethod
    def generate(cls, randbytes: Callable[[int], bytes] = os.urandom) -> PracticeKeyPair:
        return cls(Secret(randbytes(32)))

    @property
    def public_key(self) -> bytes:
        return _primitives.x25519_public_key(self.secret_key.value)

    @property
    def fingerprint(self) -> str:
        return practice_fingerprint(self.public_key)


def check_practice_public_key(public_key: bytes) -> bytes:
    """A practice public key someone registers: 32 bytes, not of low order (``MalformedInput``)."""
    return _primitives.require_x25519_public_key("practice public key", public_key)


def new_team_key(randbytes: Callable[[int], bytes] = os.urandom) -> Secret:
    """A fresh 32-byte team key (AEAD key for instructions to a practice's secretaries)."""
    return Secret(randbytes(32))


def seal_grant(
    kind: GrantKind, client_id: uuid.UUID, key: Secret, recipient_public_key: bytes
) -> bytes:
    """Seal ``key`` (practice secret key or team key of ``client_id``) to one recipient."""
    _primitives.require_length("granted key", key.value, 32)
    plain = bytes([_primitives.VERSION, kind]) + client_id.bytes + key.value
    return bytes([_primitives.VERSION]) + _primitives.box_seal(plain, recipient_public_key)


def open_grant(
    grant: bytes, kind: GrantKind, client_id: uuid.UUID, recipient_secret_key: Secret
) -> Secret:
    """Open a grant with the recipient's X25519 secret key; return the granted key."""
    if grant[:1] != bytes([_primitives.VERSION]):
        raise UnsupportedVersion(grant[0]) if grant else DecryptionFailed
    if len(grant) != GRANT_BYTES:
        raise DecryptionFailed
    plain = _primitives.box_seal_open(grant[1:], recipient_secret_key.value)
    expected = bytes([_primitives.VERSION, kind]) + client_id.bytes
    if plain[:18] != expected:
        raise DecryptionFailed
    return Secret(plain[18:])
