"""Recovery codes (docs/format.md §3): 20 random bytes shown once, printed for people.

``recovery_key = H(32, "permanence/v1/recovery-key", key = r)`` wraps the
user's secret keys a second time. The printed form is Crockford base32 of
``r || c`` (``c``: 3 checksum bytes), 37 characters in groups of 4 joined by
``-``. Typos are refused with ``InvalidRecoveryCode``.

A password reset proves the code was right by signing ``recovery_proof_message``
(docs/format.md §8) with the user's Ed25519 key, which only the recovery wrap
opens; the message carries a single-use server challenge, so a captured request
cannot be replayed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from crypto import _primitives
from crypto.encoding import crockford_decode, crockford_encode
from crypto.errors import InvalidRecoveryCode, MalformedInput
from crypto.kdf import SALT_BYTES
from crypto.secret import Secret
from crypto.user_keys import WRAPPED_BYTES

RECOVERY_BYTES = 20
CHECKSUM_BYTES = 3
KEY_LABEL = b"permanence/v1/recovery-key"
CHECKSUM_LABEL = b"permanence/v1/recovery-checksum\0"
PROOF_LABEL = b"permanence/v1/recovery\0"
CHALLENGE_BYTES = 32
AUTH_KEY_BYTES = 32
_GROUP = 4
_TYPO_FIXES = str.maketrans({"O": "0", "I": "1", "L": "1", " ": None, "-": None})


@dataclass(frozen=True, slots=True)
class RecoveryCode:
    """The 20 random bytes behind a printed recovery code; never shown in ``repr``."""

    raw: bytes = field(repr=False)

    def __post_init__(self) -> None:
        _primitives.require_length("recovery code", self.raw, RECOVERY_BYTES)

    @classmethod
    def generate(cls, randbytes: Callable[[int], bytes] = os.urandom) -> RecoveryCode:
        return cls(randbytes(RECOVERY_BYTES))

    @property
    def key(self) -> Secret:
        """``recovery_key``, the AEAD key that wraps the user's secret keys (purpose 0x02)."""
        return Secret(_primitives.generichash(32, KEY_LABEL, key=self.raw))

    def format(self) -> str:
        """The printed code, e.g. ``ABCD-EFGH-...-X`` (9 groups of 4 and one of 1)."""
        text = crockford_encode(self.raw + _checksum(self.raw))
        return "-".join(text[i : i + _GROUP] for i in range(0, len(text), _GROUP))

    @classmethod
    def parse(cls, text: str) -> RecoveryCode:
        """Read a typed code: case, spaces, dashes and O/I/L for 0/1 are forgiven."""
        cleaned = text.upper().translate(_TYPO_FIXES)
        try:
            data = crockford_decode(cleaned, RECOVERY_BYTES + CHECKSUM_BYTES)
        except MalformedInput:
            raise InvalidRecoveryCode from None
        raw, checksum = data[:RECOVERY_BYTES], data[RECOVERY_BYTES:]
        if checksum != _checksum(raw):
            raise InvalidRecoveryCode
        return cls(raw)


def _checksum(raw: bytes) -> bytes:
    return _primitives.generichash(32, CHECKSUM_LABEL + raw)[:CHECKSUM_BYTES]


def recovery_proof_message(
    user_id: uuid.UUID, challenge: bytes, salt: bytes, auth_key: bytes, wrapped_kek: bytes
) -> bytes:
    """What the resetting client signs with the user's Ed25519 key (docs/format.md §8).

    ``challenge`` is the single-use value ``/recover/start`` issued; ``salt``,
    ``auth_key`` and ``wrapped_kek`` are the new password's (§2, §3).
    """
    _primitives.require_length("recovery challenge", challenge, CHALLENGE_BYTES)
    _primitives.require_length("salt", salt, SALT_BYTES)
    _primitives.require_length("auth key", auth_key, AUTH_KEY_BYTES)
    _primitives.require_length("wrapped keys", wrapped_kek, WRAPPED_BYTES)
    return PROOF_LABEL + user_id.bytes + challenge + salt + auth_key + wrapped_kek
