"""Checking what a browser sends at enrolment and password change: sizes, versions, floors.

The server cannot open any of it; it checks the shape so that a broken or
malicious client cannot store something no browser could use later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from crypto.encoding import b64url_decode
from crypto.errors import (
    CryptoError,
    ExcessiveKdfParameters,
    MalformedInput,
    WeakKdfParameters,
)
from crypto.grants import GRANT_BYTES, check_practice_public_key
from crypto.kdf import KdfParams
from crypto.secret import Secret
from crypto.totp import SECRET_BYTES as TOTP_SECRET_BYTES
from crypto.user_keys import WRAPPED_BYTES, UserPublicKeys, WrapPurpose
from vault.errors import InvalidInput


def _bytes(data: Mapping[str, object], name: str, size: int) -> bytes:
    value = data.get(name)
    if not isinstance(value, str):
        raise InvalidInput()
    try:
        raw = b64url_decode(value)
    except CryptoError:
        raise InvalidInput() from None
    if len(raw) != size:
        raise InvalidInput()
    return raw


def _wrapped(data: Mapping[str, object], name: str, purpose: WrapPurpose) -> bytes:
    raw = _bytes(data, name, WRAPPED_BYTES)
    if raw[0] != 1 or raw[1] != purpose:
        raise InvalidInput()
    return raw


def kdf_params(data: object) -> KdfParams:
    if not isinstance(data, Mapping):
        raise InvalidInput()
    try:
        return KdfParams.from_json(data)
    except WeakKdfParameters:
        raise InvalidInput(
            "The password settings are below the required strength (Argon2id, 64 MiB, 3 passes)."
        ) from None
    except ExcessiveKdfParameters:
        raise InvalidInput(
            "The password settings are above what a browser can be asked for"
            " (at most 10 passes and 1 GiB)."
        ) from None
    except CryptoError:  # a missing field, a wrong type, a salt of the wrong length
        raise InvalidInput() from None


def auth_key(data: Mapping[str, object]) -> Secret:
    return Secret(_bytes(data, "auth_key", 32))


@dataclass(frozen=True, slots=True)
class PasswordMaterial:
    """What changes with the password: KDF parameters, auth key, keys wrapped under kek."""

    kdf: KdfParams
    auth_key: Secret
    wrapped_kek: bytes

    @classmethod
    def parse(cls, data: Mapping[str, object]) -> PasswordMaterial:
        return cls(
            kdf=kdf_params(data.get("kdf")),
            auth_key=auth_key(data),
            wrapped_kek=_wrapped(data, "wrapped_kek", WrapPurpose.PASSWORD),
        )


@dataclass(frozen=True, slots=True)
class EnrolmentMaterial:
    password: PasswordMaterial
    x25519_pk: bytes
    ed25519_pk: bytes
    wrapped_recovery: bytes
    practice_pk: bytes | None
    practice_grant: bytes | None
    # Drawn by the enrolling browser, never shown by the server before the invitee acts.
    totp_secret: Secret

    @classmethod
    def parse(cls, data: Mapping[str, object]) -> EnrolmentMaterial:
        has_practice = data.get("practice_pk") is not None
        material = cls._parse(data, has_practice)
        try:  # keys no one holds a secret for (all zeros, low order, not a point) are refused
            UserPublicKeys(material.x25519_pk, material.ed25519_pk)
            if material.practice_pk is not None:
                check_practice_public_key(material.practice_pk)
        except MalformedInput:
            raise InvalidInput() from None
        return material

    @classmethod
    def _parse(cls, data: Mapping[str, object], has_practice: bool) -> EnrolmentMaterial:
        return cls(
            password=PasswordMaterial.parse(data),
            x25519_pk=_bytes(data, "x25519_pk", 32),
            ed25519_pk=_bytes(data, "ed25519_pk", 32),
            wrapped_recovery=_wrapped(data, "wrapped_recovery", WrapPurpose.RECOVERY),
            practice_pk=_bytes(data, "practice_pk", 32) if has_practice else None,
            practice_grant=grant(data, "practice_grant") if has_practice else None,
            totp_secret=Secret(totp_secret(data)),
        )


def totp_secret(data: Mapping[str, object]) -> bytes:
    """The 20-byte authenticator secret the enrolling browser drew (``totp_secret``)."""
    return _bytes(data, "totp_secret", TOTP_SECRET_BYTES)


def grant(data: Mapping[str, object], name: str = "grant") -> bytes:
    raw = _bytes(data, name, GRANT_BYTES)
    if raw[0] != 1:
        raise InvalidInput()
    return raw
