"""Key fingerprints for people to compare aloud (docs/format.md §3).

Crockford base32 of the first 10 bytes of a labelled BLAKE2b-256 digest:
16 characters in four groups of 4, e.g. ``7KQ2 M9XD 0TRE 4BWA``.
"""

from __future__ import annotations

from crypto import _primitives
from crypto.encoding import crockford_encode

LABEL = b"permanence/v1/fingerprint\0"
USER_KEYS = b"\x01"
PRACTICE_KEY = b"\x02"


def user_fingerprint(x25519_public_key: bytes, ed25519_public_key: bytes) -> str:
    """Fingerprint of a user's two public keys (receiving, signing)."""
    _primitives.require_length("X25519 public key", x25519_public_key, 32)
    _primitives.require_length("Ed25519 public key", ed25519_public_key, 32)
    return _display(USER_KEYS + x25519_public_key + ed25519_public_key)


def practice_fingerprint(practice_public_key: bytes) -> str:
    """Fingerprint of a client practice's X25519 public key."""
    _primitives.require_length("practice public key", practice_public_key, 32)
    return _display(PRACTICE_KEY + practice_public_key)


def _display(tagged_keys: bytes) -> str:
    text = crockford_encode(_primitives.generichash(32, LABEL + tagged_keys)[:10])
    return " ".join(text[i : i + 4] for i in range(0, 16, 4))
