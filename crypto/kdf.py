"""Password → master → auth_key and kek (docs/format.md §2).

The browser derives ``master`` with Argon2id from the password, then two keys
with keyed BLAKE2b-256 and fixed labels: ``auth_key`` (sent to the server at
login) and ``kek`` (wraps the user's secret keys, never leaves the browser).
Parameters below the floor are refused before anything is derived, so a
server cannot downgrade them (``WeakKdfParameters``); parameters above the
ceiling too, so it cannot freeze a browser tab (``ExcessiveKdfParameters``).
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import nacl.bindings as sodium

from crypto import _primitives
from crypto.encoding import b64url_decode, b64url_encode
from crypto.errors import ExcessiveKdfParameters, MalformedInput, WeakKdfParameters
from crypto.secret import Secret

ALG_ARGON2ID13 = "argon2id13"
MIN_OPS = 3
MIN_MEM = 64 * 1024 * 1024
MAX_OPS = 10
MAX_MEM = 1024 * 1024 * 1024
DEFAULT_OPS = MIN_OPS
DEFAULT_MEM = MIN_MEM
SALT_BYTES = 16
MASTER_BYTES = 32

AUTH_KEY_LABEL = b"permanence/v1/auth-key"
KEK_LABEL = b"permanence/v1/key-encryption-key"
FAKE_SALT_LABEL = b"permanence/v1/fake-salt\0"


@dataclass(frozen=True, slots=True)
class KdfParams:
    """Argon2id parameters that travel with an account; checked against the floor on creation."""

    salt: bytes
    ops: int = DEFAULT_OPS
    mem: int = DEFAULT_MEM
    alg: str = field(default=ALG_ARGON2ID13)

    def __post_init__(self) -> None:
        if self.alg != ALG_ARGON2ID13:
            raise WeakKdfParameters(f"unsupported key-derivation algorithm {self.alg!r}")
        if self.ops < MIN_OPS or self.mem < MIN_MEM:
            raise WeakKdfParameters(
                f"key-derivation parameters below the floor (ops >= {MIN_OPS}, mem >= {MIN_MEM})"
            )
        if self.ops > MAX_OPS or self.mem > MAX_MEM:
            # A hostile server must not be able to freeze a browser tab either.
            raise ExcessiveKdfParameters(
                f"key-derivation parameters above the ceiling (ops <= {MAX_OPS}, mem <= {MAX_MEM})"
            )
        _primitives.require_length("KDF salt", self.salt, SALT_BYTES)

    @classmethod
    def generate(cls, randbytes: Callable[[int], bytes] = os.urandom) -> KdfParams:
        """Default parameters with a fresh random salt, for a new account."""
        return cls(salt=randbytes(SALT_BYTES))

    def to_json(self) -> dict[str, str | int]:
        """The JSON object sent to the browser: ``alg``, ``ops``, ``mem``, base64url ``salt``."""
        return {"alg": self.alg, "ops": self.ops, "mem": self.mem, "salt": b64url_encode(self.salt)}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> KdfParams:
        """Parse ``to_json``'s output; refuse a missing field or a wrong type."""
        alg, ops, mem, salt = (data.get(k) for k in ("alg", "ops", "mem", "salt"))
        if not (
            isinstance(alg, str) and type(ops) is int and type(mem) is int and isinstance(salt, str)
        ):
            raise MalformedInput("KDF parameters need alg (str), ops, mem (int), salt (str)")
        return cls(salt=b64url_decode(salt), ops=ops, mem=mem, alg=alg)


@dataclass(frozen=True, slots=True)
class PasswordKeys:
    """What a password yields: the key sent to the server and the key that wraps user keys."""

    auth_key: Secret
    kek: Secret


def normalize_password(password: str) -> bytes:
    """UTF-8 of the password after Unicode NFKC normalisation."""
    return unicodedata.normalize("NFKC", password).encode("utf-8")


def derive_master(password: str, params: KdfParams) -> Secret:
    """``master = ARGON2ID(32, NFKC(password), salt, ops, mem)`` (slow on purpose)."""
    return Secret(
        sodium.crypto_pwhash_alg(
            MASTER_BYTES,
            normalize_password(password),
            params.salt,
            params.ops,
            params.mem,
            sodium.crypto_pwhash_ALG_ARGON2ID13,
        )
    )


def derive_auth_key(master: Secret) -> Secret:
    """``auth_key = H(32, "permanence/v1/auth-key", key = master)``."""
    return Secret(_primitives.generichash(32, AUTH_KEY_LABEL, key=master.value))


def derive_kek(master: Secret) -> Secret:
    """``kek = H(32, "permanence/v1/key-encryption-key", key = master)``."""
    return Secret(_primitives.generichash(32, KEK_LABEL, key=master.value))


def derive_password_keys(password: str, params: KdfParams) -> PasswordKeys:
    """Run Argon2id once and derive both ``auth_key`` and ``kek`` from its output."""
    master = derive_master(password, params)
    return PasswordKeys(auth_key=derive_auth_key(master), kek=derive_kek(master))


def fake_salt(server_secret: Secret, username: str) -> bytes:
    """Deterministic salt for an unknown username, so pre-login does not reveal who exists."""
    message = FAKE_SALT_LABEL + username.lower().encode("utf-8")
    return _primitives.generichash(SALT_BYTES, message, key=server_secret.value)


def fake_kdf_params(server_secret: Secret, username: str) -> KdfParams:
    """Default parameters with ``fake_salt``: what pre-login answers for an unknown name."""
    return KdfParams(salt=fake_salt(server_secret, username))
