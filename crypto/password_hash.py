"""Server-side hash of ``auth_key`` with argon2-cffi (docs/format.md §2).

The server never sees the password: it stores an Argon2id PHC string of the
32-byte ``auth_key`` the browser derived, and compares nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

import argon2
import argon2.exceptions

from crypto.errors import InvalidPasswordHash, WeakKdfParameters
from crypto.secret import Secret

MIN_TIME_COST = 2
MIN_MEMORY_KIB = 19 * 1024
MIN_PARALLELISM = 1


@dataclass(frozen=True, slots=True)
class HashProfile:
    """Argon2id cost of the server-side hash; refuses anything below m=19 MiB, t=2, p=1."""

    time_cost: int = MIN_TIME_COST
    memory_kib: int = MIN_MEMORY_KIB
    parallelism: int = MIN_PARALLELISM

    def __post_init__(self) -> None:
        if (
            self.time_cost < MIN_TIME_COST
            or self.memory_kib < MIN_MEMORY_KIB
            or self.parallelism < MIN_PARALLELISM
        ):
            raise WeakKdfParameters("password-hash profile below m=19 MiB, t=2, p=1")

    def _hasher(self) -> argon2.PasswordHasher:
        return argon2.PasswordHasher(
            time_cost=self.time_cost,
            memory_cost=self.memory_kib,
            parallelism=self.parallelism,
            hash_len=32,
            salt_len=16,
            type=argon2.Type.ID,
        )


DEFAULT_PROFILE = HashProfile()


def hash_auth_key(auth_key: Secret, profile: HashProfile = DEFAULT_PROFILE) -> str:
    """Argon2id PHC string (``$argon2id$v=19$m=...``) of ``auth_key``, with a random salt."""
    return profile._hasher().hash(auth_key.value)


def verify_auth_key(stored: str, auth_key: Secret) -> bool:
    """True if ``auth_key`` matches ``stored``; ``InvalidPasswordHash`` if ``stored`` is corrupt."""
    try:
        return argon2.PasswordHasher().verify(stored, auth_key.value)
    except argon2.exceptions.VerifyMismatchError:
        return False
    except (argon2.exceptions.InvalidHashError, argon2.exceptions.VerificationError):
        raise InvalidPasswordHash("stored password hash is not a valid Argon2 hash") from None


def needs_rehash(stored: str, profile: HashProfile = DEFAULT_PROFILE) -> bool:
    """True if ``stored`` was made with other parameters than ``profile`` (rehash at login)."""
    try:
        return profile._hasher().check_needs_rehash(stored)
    except argon2.exceptions.InvalidHashError:
        raise InvalidPasswordHash("stored password hash is not a valid Argon2 hash") from None
