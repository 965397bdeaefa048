"""Password → master → auth_key, kek; parameter floor; fake salts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.errors import ExcessiveKdfParameters, MalformedInput, WeakKdfParameters
from crypto.kdf import (
    MIN_MEM,
    KdfParams,
    derive_auth_key,
    derive_kek,
    derive_master,
    derive_password_keys,
    fake_kdf_params,
    fake_salt,
    normalize_password,
)
from crypto.secret import Secret
from tests.vectors.generate import DeterministicRandom

SALT = bytes(range(16))


@pytest.mark.parametrize(
    ("ops", "mem", "alg"),
    [(2, MIN_MEM, "argon2id13"), (3, MIN_MEM - 1, "argon2id13"), (3, MIN_MEM, "argon2i13")],
)
def test_parameters_below_the_floor_are_refused(ops: int, mem: int, alg: str) -> None:
    """ops < 3, mem < 64 MiB or another algorithm are refused before any derivation."""
    with pytest.raises(WeakKdfParameters):
        KdfParams(salt=SALT, ops=ops, mem=mem, alg=alg)


@pytest.mark.parametrize(("ops", "mem"), [(11, MIN_MEM), (3, 1024 * 1024 * 1024 + 1)])
def test_parameters_above_the_ceiling_are_refused(ops: int, mem: int) -> None:
    """ops > 10 or mem > 1 GiB are refused with their own error (not "below the floor"):
    a server must not freeze the browser either."""
    with pytest.raises(ExcessiveKdfParameters, match="above the ceiling"):
        KdfParams(salt=SALT, ops=ops, mem=mem)


def test_floor_itself_and_stronger_are_accepted() -> None:
    """Exactly ops=3, mem=64 MiB is the default and is accepted, as are stronger values."""
    assert KdfParams(salt=SALT) == KdfParams(salt=SALT, ops=3, mem=67108864, alg="argon2id13")
    assert KdfParams(salt=SALT, ops=4, mem=2 * MIN_MEM).ops == 4


def test_salt_must_be_16_bytes() -> None:
    """A short salt is a malformed input."""
    with pytest.raises(MalformedInput):
        KdfParams(salt=bytes(15))


def test_generate_draws_the_salt_from_randbytes() -> None:
    """New-account parameters are the defaults with a salt from the injected randomness."""
    params = KdfParams.generate(DeterministicRandom("salt"))
    assert params.salt == DeterministicRandom("salt")(16)
    assert (params.ops, params.mem) == (3, MIN_MEM)


def test_json_round_trip_and_refusals() -> None:
    """to_json/from_json round-trip; a wrong type, a missing field or a weak value is refused."""
    params = KdfParams(salt=SALT, ops=5)
    assert KdfParams.from_json(params.to_json()) == params
    with pytest.raises(MalformedInput):
        KdfParams.from_json({**params.to_json(), "ops": "5"})
    with pytest.raises(MalformedInput):
        KdfParams.from_json({"alg": "argon2id13", "ops": 3, "mem": MIN_MEM})
    with pytest.raises(WeakKdfParameters):
        KdfParams.from_json({**params.to_json(), "mem": 1024})


def test_derivation_is_nfkc_normalised_and_salted() -> None:
    """Composed and decomposed spellings give one master; another salt gives another."""
    params = KdfParams(salt=SALT)
    composed = derive_master("caf\u00e9 \ufb01", params)
    assert derive_master("cafe\u0301 fi", params) == composed
    assert derive_master("caf\u00e9 \ufb01", KdfParams(salt=bytes(16))) != composed
    assert len(composed.value) == 32
    assert normalize_password("\ufb01") == b"fi"


def test_password_keys_are_the_labelled_derivations() -> None:
    """derive_password_keys gives auth_key and kek of the same master, and they differ."""
    params = KdfParams(salt=SALT)
    keys = derive_password_keys("pw", params)
    master = derive_master("pw", params)
    assert keys.auth_key == derive_auth_key(master)
    assert keys.kek == derive_kek(master)
    assert keys.auth_key != keys.kek


@settings(max_examples=50)
@given(st.binary(min_size=32, max_size=32), st.binary(min_size=32, max_size=32))
def test_labels_separate_keys(a: bytes, b: bytes) -> None:
    """auth_key and kek are distinct, deterministic, and change with the master."""
    assert derive_auth_key(Secret(a)) == derive_auth_key(Secret(a))
    assert derive_auth_key(Secret(a)) != derive_kek(Secret(a))
    if a != b:
        assert derive_kek(Secret(a)) != derive_kek(Secret(b))


def test_fake_salt_is_stable_case_insensitive_and_secret_dependent() -> None:
    """Same name (any case) → same salt; another name or server secret → another salt."""
    secret = Secret(bytes(32))
    salt = fake_salt(secret, "Nobody")
    assert salt == fake_salt(secret, "nobody")
    assert len(salt) == 16
    assert salt != fake_salt(secret, "nobody2")
    assert salt != fake_salt(Secret(b"\x01" * 32), "nobody")
    assert fake_kdf_params(secret, "NOBODY") == KdfParams(salt=salt)
