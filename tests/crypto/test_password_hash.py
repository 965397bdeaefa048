"""Server-side Argon2id hash of auth_key."""

from __future__ import annotations

import pytest

from crypto.errors import InvalidPasswordHash, WeakKdfParameters
from crypto.password_hash import HashProfile, hash_auth_key, needs_rehash, verify_auth_key
from crypto.secret import Secret

KEY = Secret(bytes(range(32)))


def test_hash_is_an_argon2id_phc_string_at_the_profile() -> None:
    """The stored string is Argon2id, m=19 MiB, t=2, p=1, and salted (two hashes differ)."""
    stored = hash_auth_key(KEY)
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert stored != hash_auth_key(KEY)


def test_verify_accepts_the_key_and_refuses_another() -> None:
    """The right auth_key verifies; a different one returns False (no exception)."""
    stored = hash_auth_key(KEY)
    assert verify_auth_key(stored, KEY) is True
    assert verify_auth_key(stored, Secret(bytes(32))) is False


@pytest.mark.parametrize("stored", ["", "plain", "$argon2id$v=19$m=19456,t=2,p=1$AAAA$AAAA"])
def test_corrupt_hash_is_a_clear_error(stored: str) -> None:
    """A stored value that is not a valid Argon2 hash raises InvalidPasswordHash."""
    with pytest.raises(InvalidPasswordHash):
        verify_auth_key(stored, KEY)


def test_needs_rehash_follows_the_profile() -> None:
    """A hash at the default profile is current; a stronger profile asks for a rehash."""
    stored = hash_auth_key(KEY)
    assert needs_rehash(stored) is False
    assert needs_rehash(stored, HashProfile(time_cost=3)) is True
    with pytest.raises(InvalidPasswordHash):
        needs_rehash("plain")


@pytest.mark.parametrize(
    "profile", [{"time_cost": 1}, {"memory_kib": 19 * 1024 - 1}, {"parallelism": 0}]
)
def test_weak_profiles_are_refused(profile: dict[str, int]) -> None:
    """Anything below m=19 MiB, t=2, p=1 is refused."""
    with pytest.raises(WeakKdfParameters):
        HashProfile(**profile)
