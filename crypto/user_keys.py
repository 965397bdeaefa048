"""A user's key pairs and their wrapping (docs/format.md §3).

Each user has an X25519 key pair (receiving grants) and an Ed25519 key pair
(signing deposits). The two secrets are serialised as
``0x01 || x25519_sk || ed25519_seed`` and wrapped with AEAD twice: under
``kek`` (purpose 0x01) and under the recovery key (purpose 0x02), with the
user id in the associated data.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from crypto import _primitives
from crypto.encoding import b64url_encode
from crypto.errors import DecryptionFailed, UnsupportedVersion
from crypto.fingerprint import user_fingerprint
from crypto.secret import Secret
from crypto.signing import SigningKey, VerifyKey

SECRETS_BYTES = 65
WRAPPED_BYTES = 1 + 1 + 24 + SECRETS_BYTES + 16  # 107
AD_LABEL = b"permanence/v1/user-keys\0"


class WrapPurpose(IntEnum):
    """Which key wraps the user's secrets: the password's ``kek`` or the recovery key."""

    PASSWORD = 0x01
    RECOVERY = 0x02


@dataclass(frozen=True, slots=True)
class UserPublicKeys:
    """What the server stores and shows: the two 32-byte public keys.

    Refused (``MalformedInput``): an X25519 key of low order (all zeros among them) and
    an Ed25519 key that is not a valid point of the prime-order subgroup."""

    x25519: bytes
    ed25519: bytes

    def __post_init__(self) -> None:
        _primitives.require_x25519_public_key("X25519 public key", self.x25519)
        _primitives.require_ed25519_public_key("Ed25519 public key", self.ed25519)

    @property
    def verify_key(self) -> VerifyKey:
        return VerifyKey(self.ed25519)

    @property
    def fingerprint(self) -> str:
        return user_fingerprint(self.x25519, self.ed25519)

    def to_json(self) -> dict[str, str]:
        """``{"x25519": b64url, "ed25519": b64url}``."""
        return {"x25519": b64url_encode(self.x25519), "ed25519": b64url_encode(self.ed25519)}


@dataclass(frozen=True, slots=True)
class UserKeyPair:
    """A user's two secret keys: the X25519 secret key and the Ed25519 seed."""

    x25519_secret: Secret
    ed25519_seed: Secret

    def __post_init__(self) -> None:
        _primitives.require_length("X25519 secret key", self.x25519_secret.value, 32)
        _primitives.require_length("Ed25519 seed", self.ed25519_seed.value, 32)

    @classmethod
    def generate(cls, randbytes: Callable[[int], bytes] = os.urandom) -> UserKeyPair:
        return cls(x25519_secret=Secret(randbytes(32)), ed25519_seed=Secret(randbytes(32)))

    @property
    def signing_key(self) -> SigningKey:
        return SigningKey(self.ed25519_seed.value)

    @property
    def public_keys(self) -> UserPublicKeys:
        return UserPublicKeys(
            x25519=_primitives.x25519_public_key(self.x25519_secret.value),
            ed25519=self.signing_key.public_key.key,
        )

    def to_bytes(self) -> Secret:
        """``user_secrets = 0x01 || x25519_sk || ed25519_seed`` (65 bytes)."""
        return Secret(
            bytes([_primitives.VERSION]) + self.x25519_secret.value + self.ed25519_seed.value
        )


def _ad(purpose: WrapPurpose, user_id: uuid.UUID) -> bytes:
    return AD_LABEL + bytes([purpose]) + user_id.bytes


def wrap_user_keys(
    keys: UserKeyPair,
    wrap_key: Secret,
    purpose: WrapPurpose,
    user_id: uuid.UUID,
    randbytes: Callable[[int], bytes] = os.urandom,
) -> bytes:
    """``0x01 || purpose || nonce || AEAD_SEAL(wrap_key, nonce, user_secrets, ad)`` (121 bytes)."""
    nonce = randbytes(_primitives.NONCE_BYTES)
    sealed = _primitives.aead_seal(
        wrap_key.value, nonce, keys.to_bytes().value, _ad(purpose, user_id)
    )
    return bytes([_primitives.VERSION, purpose]) + nonce + sealed


def unwrap_user_keys(
    wrapped: bytes, wrap_key: Secret, purpose: WrapPurpose, user_id: uuid.UUID
) -> UserKeyPair:
    """Open a wrapped key blob for ``user_id``; any mismatch is ``DecryptionFailed``."""
    if wrapped[:1] != bytes([_primitives.VERSION]):
        raise UnsupportedVersion(wrapped[0]) if wrapped else DecryptionFailed
    if len(wrapped) != WRAPPED_BYTES or wrapped[1] != purpose:
        raise DecryptionFailed
    plain = _primitives.aead_open(
        wrap_key.value, wrapped[2:26], wrapped[26:], _ad(purpose, user_id)
    )
    if plain[0] != _primitives.VERSION:
        # Authenticated, so written by a v1 writer: a different inner version is a corrupt blob.
        raise DecryptionFailed
    return UserKeyPair(x25519_secret=Secret(plain[1:33]), ed25519_seed=Secret(plain[33:65]))
