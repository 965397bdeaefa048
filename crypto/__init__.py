"""Key derivation, wrapping, envelopes, signatures, password hashing and TOTP.

Pure functions over libsodium (PyNaCl), argon2-cffi and pyotp; no I/O.
The byte layouts are specified in docs/format.md (format v1).
"""

from __future__ import annotations

from crypto.encoding import b64url_decode, b64url_encode
from crypto.envelope import (
    ItemHeader,
    ItemKind,
    OpenedItem,
    Urgency,
    check_envelope,
    decode_body,
    encode_body,
    open_item,
    read_unverified_header,
    seal_item,
)
from crypto.errors import (
    CryptoError,
    DecryptionFailed,
    ExcessiveKdfParameters,
    InvalidPasswordHash,
    InvalidRecoveryCode,
    MalformedInput,
    UnsupportedVersion,
    WeakKdfParameters,
)
from crypto.fingerprint import practice_fingerprint, user_fingerprint
from crypto.grants import GrantKind, PracticeKeyPair, new_team_key, open_grant, seal_grant
from crypto.kdf import (
    KdfParams,
    PasswordKeys,
    derive_auth_key,
    derive_kek,
    derive_master,
    derive_password_keys,
    fake_kdf_params,
    fake_salt,
)
from crypto.password_hash import HashProfile, hash_auth_key, needs_rehash, verify_auth_key
from crypto.pseudonym import name_pseudonym
from crypto.recovery import RecoveryCode
from crypto.secret import Secret
from crypto.signing import BadSignature, SigningKey, VerifyKey
from crypto.stream import (
    FileManifest,
    StreamDecryptor,
    StreamEncryptor,
    StreamInfo,
    decrypt_stream,
    encrypt_stream,
    new_file_key,
)
from crypto.user_keys import (
    UserKeyPair,
    UserPublicKeys,
    WrapPurpose,
    unwrap_user_keys,
    wrap_user_keys,
)

__all__ = [
    "BadSignature",
    "CryptoError",
    "DecryptionFailed",
    "ExcessiveKdfParameters",
    "FileManifest",
    "GrantKind",
    "HashProfile",
    "InvalidPasswordHash",
    "InvalidRecoveryCode",
    "ItemHeader",
    "ItemKind",
    "KdfParams",
    "MalformedInput",
    "OpenedItem",
    "PasswordKeys",
    "PracticeKeyPair",
    "RecoveryCode",
    "Secret",
    "SigningKey",
    "StreamDecryptor",
    "StreamEncryptor",
    "StreamInfo",
    "UnsupportedVersion",
    "Urgency",
    "UserKeyPair",
    "UserPublicKeys",
    "VerifyKey",
    "WeakKdfParameters",
    "WrapPurpose",
    "b64url_decode",
    "b64url_encode",
    "check_envelope",
    "decode_body",
    "decrypt_stream",
    "derive_auth_key",
    "derive_kek",
    "derive_master",
    "derive_password_keys",
    "encode_body",
    "encrypt_stream",
    "fake_kdf_params",
    "fake_salt",
    "hash_auth_key",
    "name_pseudonym",
    "needs_rehash",
    "new_file_key",
    "new_team_key",
    "open_grant",
    "open_item",
    "practice_fingerprint",
    "read_unverified_header",
    "seal_grant",
    "seal_item",
    "unwrap_user_keys",
    "user_fingerprint",
    "verify_auth_key",
    "wrap_user_keys",
]
