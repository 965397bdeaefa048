"""Ed25519 signatures (libsodium ``crypto_sign_detached``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

import nacl.exceptions
import nacl.signing

from crypto.errors import CryptoError, MalformedInput

SEED_BYTES = 32
PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64


class BadSignature(CryptoError):
    """The signature does not verify under this public key and message."""


@dataclass(frozen=True, slots=True)
class SigningKey:
    """An Ed25519 secret key, kept as its 32-byte seed; the seed never shows in ``repr``."""

    seed: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.seed) != SEED_BYTES:
            raise MalformedInput(f"an Ed25519 seed is {SEED_BYTES} bytes")

    @classmethod
    def generate(cls, randbytes: Callable[[int], bytes] = os.urandom) -> SigningKey:
        return cls(randbytes(SEED_BYTES))

    @property
    def public_key(self) -> VerifyKey:
        return VerifyKey(bytes(nacl.signing.SigningKey(self.seed).verify_key))

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte detached signature of ``message``."""
        return nacl.signing.SigningKey(self.seed).sign(message).signature


@dataclass(frozen=True, slots=True)
class VerifyKey:
    """An Ed25519 public key."""

    key: bytes

    def __post_init__(self) -> None:
        if len(self.key) != PUBLIC_KEY_BYTES:
            raise MalformedInput(f"an Ed25519 public key is {PUBLIC_KEY_BYTES} bytes")

    def verify(self, message: bytes, signature: bytes) -> None:
        """Raise ``BadSignature`` unless ``signature`` signs ``message``."""
        if len(signature) != SIGNATURE_BYTES:
            raise BadSignature("invalid signature") from None
        try:
            nacl.signing.VerifyKey(self.key).verify(message, signature)
        except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError):
            raise BadSignature("invalid signature") from None
