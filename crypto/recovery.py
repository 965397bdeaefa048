"""Recovery codes (docs/format.md §3): 20 random bytes shown once, printed for people.

``recovery_key = H(32, "permanence/v1/recovery-key", key = r)`` wraps the
user's secret keys a second time. The printed form is Crockford base32 of
``r || c`` (``c``: 3 checksum bytes), 37 characters in groups of 4 joined by
``-``. Typos are refused with ``InvalidRecoveryCode``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from crypto import _primitives
from crypto.encoding import crockford_decode, crockford_encode
from crypto.errors import InvalidRecoveryCode, MalformedInput
from crypto.secret import Secret

RECOVERY_BYTES = 20
CHECKSUM_BYTES = 3
KEY_LABEL = b"permanence/v1/recovery-key"
CHECKSUM_LABEL = b"permanence/v1/recovery-checksum\0"
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
