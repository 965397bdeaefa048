"""Grants of a practice secret key or team key to one recipient."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import _primitives
from crypto.errors import DecryptionFailed, MalformedInput, UnsupportedVersion
from crypto.grants import (
    GRANT_BYTES,
    GrantKind,
    PracticeKeyPair,
    check_practice_public_key,
    new_team_key,
    open_grant,
    seal_grant,
)
from crypto.secret import Secret
from crypto.user_keys import UserKeyPair
from tests.vectors.generate import DeterministicRandom

CLIENT = uuid.UUID("7c9e6679-7425-40de-944b-e07fc1f90ae7")


@pytest.fixture
def member() -> UserKeyPair:
    return UserKeyPair.generate(DeterministicRandom("member"))


@settings(max_examples=25)
@given(st.sampled_from(GrantKind), st.uuids(), st.binary(min_size=32, max_size=32))
def test_round_trip(kind: GrantKind, client_id: uuid.UUID, key: bytes) -> None:
    """A sealed grant is 99 bytes and opens to the granted key for the recipient."""
    recipient = UserKeyPair.generate()
    grant = seal_grant(kind, client_id, Secret(key), recipient.public_keys.x25519)
    assert len(grant) == GRANT_BYTES == 99
    assert open_grant(grant, kind, client_id, recipient.x25519_secret) == Secret(key)


def test_kind_client_and_recipient_are_checked(member: UserKeyPair) -> None:
    """Another kind, another practice or another recipient all give DecryptionFailed."""
    practice = PracticeKeyPair.generate(DeterministicRandom("p"))
    grant = seal_grant(
        GrantKind.PRACTICE_SECRET_KEY, CLIENT, practice.secret_key, member.public_keys.x25519
    )
    stranger = UserKeyPair.generate(DeterministicRandom("stranger"))
    for kind, client, secret in [
        (GrantKind.TEAM_KEY, CLIENT, member.x25519_secret),
        (GrantKind.PRACTICE_SECRET_KEY, uuid.UUID(int=0), member.x25519_secret),
        (GrantKind.PRACTICE_SECRET_KEY, CLIENT, stranger.x25519_secret),
    ]:
        with pytest.raises(DecryptionFailed):
            open_grant(grant, kind, client, secret)


def test_every_flipped_byte_and_truncation_fail(member: UserKeyPair) -> None:
    """Version → UnsupportedVersion; any other flipped byte or a cut grant → DecryptionFailed."""
    team_key = new_team_key(DeterministicRandom("team"))
    grant = seal_grant(GrantKind.TEAM_KEY, CLIENT, team_key, member.public_keys.x25519)
    for index in range(len(grant)):
        flipped = bytearray(grant)
        flipped[index] ^= 0x01
        with pytest.raises(UnsupportedVersion if index == 0 else DecryptionFailed):
            open_grant(bytes(flipped), GrantKind.TEAM_KEY, CLIENT, member.x25519_secret)
    for cut in (0, 1, 98):
        with pytest.raises(DecryptionFailed):
            open_grant(grant[:cut], GrantKind.TEAM_KEY, CLIENT, member.x25519_secret)


def test_inner_version_is_checked(member: UserKeyPair) -> None:
    """A grant whose sealed plaintext starts with version 2 is refused."""
    plain = b"\x02\x02" + CLIENT.bytes + bytes(32)
    grant = b"\x01" + _primitives.box_seal(plain, member.public_keys.x25519)
    with pytest.raises(DecryptionFailed):
        open_grant(grant, GrantKind.TEAM_KEY, CLIENT, member.x25519_secret)


def test_practice_key_pair() -> None:
    """A practice key pair has a 32-byte public key, a fingerprint, and checks its length."""
    practice = PracticeKeyPair.generate(DeterministicRandom("p"))
    assert practice.public_key == _primitives.x25519_public_key(practice.secret_key.value)
    assert len(practice.fingerprint) == 19
    with pytest.raises(MalformedInput):
        PracticeKeyPair(Secret(bytes(31)))
    with pytest.raises(MalformedInput):
        seal_grant(GrantKind.TEAM_KEY, CLIENT, Secret(bytes(31)), practice.public_key)
    with pytest.raises(MalformedInput):
        seal_grant(GrantKind.TEAM_KEY, CLIENT, Secret(bytes(32)), bytes(31))


@pytest.mark.parametrize("key", ["00" * 32, "ec" + "ff" * 30 + "7f"])
def test_a_low_order_practice_public_key_is_refused(key: str) -> None:
    with pytest.raises(MalformedInput, match="practice public key is of low order"):
        check_practice_public_key(bytes.fromhex(key))
    real = PracticeKeyPair.generate().public_key
    assert check_practice_public_key(real) == real
