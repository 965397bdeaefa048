"""User key pairs and their wrapping under kek and the recovery key."""

from __future__ import annotations

import uuid

import nacl.bindings as sodium
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import _primitives
from crypto.errors import DecryptionFailed, MalformedInput, UnsupportedVersion
from crypto.secret import Secret
from crypto.user_keys import (
    WRAPPED_BYTES,
    UserKeyPair,
    UserPublicKeys,
    WrapPurpose,
    unwrap_user_keys,
    wrap_user_keys,
)
from tests.vectors.generate import DeterministicRandom

USER = uuid.UUID("16fd2706-8baf-433b-82eb-8c7fada847da")
KEK = Secret(b"k" * 32)


@pytest.fixture
def keys() -> UserKeyPair:
    return UserKeyPair.generate(DeterministicRandom("user"))


@settings(max_examples=30)
@given(
    st.binary(min_size=32, max_size=32),
    st.binary(min_size=32, max_size=32),
    st.binary(min_size=32, max_size=32),
    st.uuids(),
    st.sampled_from(WrapPurpose),
)
def test_wrap_round_trip(
    x: bytes, seed: bytes, wrap_key: bytes, user_id: uuid.UUID, purpose: WrapPurpose
) -> None:
    """Any key pair wrapped for a user and purpose unwraps to itself; the blob is 107 bytes."""
    keys = UserKeyPair(Secret(x), Secret(seed))
    wrapped = wrap_user_keys(keys, Secret(wrap_key), purpose, user_id)
    assert len(wrapped) == WRAPPED_BYTES == 107
    assert wrapped[:2] == bytes([1, purpose])
    assert unwrap_user_keys(wrapped, Secret(wrap_key), purpose, user_id) == keys


def test_public_keys_and_signing(keys: UserKeyPair) -> None:
    """The public keys match the secrets: a signature verifies, JSON carries both keys."""
    public = keys.public_keys
    public.verify_key.verify(b"m", keys.signing_key.sign(b"m"))
    assert public.x25519 == _primitives.x25519_public_key(keys.x25519_secret.value)
    assert public.to_json()["x25519"] != public.to_json()["ed25519"]
    assert len(public.fingerprint) == 19
    assert keys.to_bytes().value == b"\x01" + keys.x25519_secret.value + keys.ed25519_seed.value


def test_wrong_key_user_or_purpose_fails(keys: UserKeyPair) -> None:
    """Another kek, another user id, or the recovery purpose all give DecryptionFailed."""
    wrapped = wrap_user_keys(keys, KEK, WrapPurpose.PASSWORD, USER)
    for args in [
        (Secret(b"j" * 32), WrapPurpose.PASSWORD, USER),
        (KEK, WrapPurpose.PASSWORD, uuid.UUID(int=1)),
        (KEK, WrapPurpose.RECOVERY, USER),
    ]:
        with pytest.raises(DecryptionFailed, match=r"^decryption failed$"):
            unwrap_user_keys(wrapped, *args)


def test_purpose_is_bound_by_the_associated_data(keys: UserKeyPair) -> None:
    """Relabelling a kek-wrapped blob as recovery fails even with the right key."""
    wrapped = wrap_user_keys(keys, KEK, WrapPurpose.PASSWORD, USER)
    relabelled = wrapped[:1] + b"\x02" + wrapped[2:]
    with pytest.raises(DecryptionFailed):
        unwrap_user_keys(relabelled, KEK, WrapPurpose.RECOVERY, USER)


def test_every_flipped_byte_fails(keys: UserKeyPair) -> None:
    """Version → UnsupportedVersion; purpose, nonce, ciphertext, tag → DecryptionFailed."""
    wrapped = wrap_user_keys(keys, KEK, WrapPurpose.PASSWORD, USER)
    for index in range(len(wrapped)):
        flipped = bytearray(wrapped)
        flipped[index] ^= 0x01
        expected = UnsupportedVersion if index == 0 else DecryptionFailed
        with pytest.raises(expected):
            unwrap_user_keys(bytes(flipped), KEK, WrapPurpose.PASSWORD, USER)


@pytest.mark.parametrize("cut", [0, 1, 2, 106])
def test_truncated_blobs_fail(keys: UserKeyPair, cut: int) -> None:
    """Empty or short blobs fail as DecryptionFailed, never with another error."""
    wrapped = wrap_user_keys(keys, KEK, WrapPurpose.PASSWORD, USER)
    with pytest.raises(DecryptionFailed):
        unwrap_user_keys(wrapped[:cut], KEK, WrapPurpose.PASSWORD, USER)


def test_inner_version_must_be_one() -> None:
    """An authentic blob whose inner user_secrets version is not 0x01 is refused."""
    ad = b"permanence/v1/user-keys\0\x01" + USER.bytes
    nonce = bytes(24)
    sealed = _primitives.aead_seal(KEK.value, nonce, b"\x02" + bytes(64), ad)
    with pytest.raises(DecryptionFailed):
        unwrap_user_keys(b"\x01\x01" + nonce + sealed, KEK, WrapPurpose.PASSWORD, USER)


def test_wrong_sizes_are_malformed() -> None:
    """Secrets and public keys must be 32 bytes."""
    with pytest.raises(MalformedInput):
        UserKeyPair(Secret(bytes(31)), Secret(bytes(32)))
    with pytest.raises(MalformedInput):
        UserKeyPair(Secret(bytes(32)), Secret(bytes(33)))
    with pytest.raises(MalformedInput):
        UserPublicKeys(bytes(31), bytes(32))
    with pytest.raises(MalformedInput):
        UserPublicKeys(bytes(32), bytes(31))


# X25519 keys of low order: every shared secret with them is one of a few public values.
LOW_ORDER_X25519 = [
    "00" * 32,  # the all-zero key (accepted at enrolment before)
    "01" + "00" * 31,
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",  # order 8
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",  # order 8
    "ec" + "ff" * 30 + "7f",  # p - 1
    "ed" + "ff" * 30 + "7f",  # p, i.e. 0 written non-canonically
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880",  # top bit set
]
# Ed25519 keys that are not a point of the prime-order subgroup.
T8 = "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"  # order 8
BAD_ED25519 = [
    "00" * 32,  # a point of order 4
    "01" + "00" * 31,  # the identity
    "02" + "00" * 31,  # not on the curve
    T8,
    "ed" + "ff" * 30 + "7f",  # y = p, not canonical
]


@pytest.mark.parametrize("x25519", LOW_ORDER_X25519)
def test_low_order_x25519_public_keys_are_refused(x25519: str) -> None:
    good = UserKeyPair.generate().public_keys
    with pytest.raises(MalformedInput, match="low order"):
        UserPublicKeys(bytes.fromhex(x25519), good.ed25519)


@pytest.mark.parametrize("ed25519", BAD_ED25519)
def test_ed25519_public_keys_that_are_not_valid_points_are_refused(ed25519: str) -> None:
    good = UserKeyPair.generate().public_keys
    with pytest.raises(MalformedInput, match="not a valid Ed25519 point"):
        UserPublicKeys(good.x25519, bytes.fromhex(ed25519))


def test_a_valid_key_with_a_small_order_component_is_refused() -> None:
    """A real signing key plus the order-8 point is on the curve but outside the subgroup."""
    good = UserKeyPair.generate().public_keys
    mixed = sodium.crypto_core_ed25519_add(good.ed25519, bytes.fromhex(T8))
    with pytest.raises(MalformedInput):
        UserPublicKeys(good.x25519, mixed)
    assert UserPublicKeys(good.x25519, good.ed25519) == good
