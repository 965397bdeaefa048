"""Key derivation, wrapping, envelopes, signatures, password hashing and TOTP.

Pure functions over libsodium (PyNaCl), argon2-cffi and pyotp; no I/O.
The byte layouts are specified in docs/format.md (format v1).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
    from crypto.instruction import (
        DocType,
        InstructionHeader,
        open_instruction,
        read_unverified_instruction_header,
        seal_instruction,
        verify_instruction,
    )
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
    from crypto.teamkey import (
        TeamKeyRecord,
        new_team_key_record,
        open_team_key,
        sign_team_key_record,
        team_key_commit,
        verify_team_key_record,
    )
    from crypto.user_keys import (
        UserKeyPair,
        UserPublicKeys,
        WrapPurpose,
        unwrap_user_keys,
        wrap_user_keys,
    )

# Each public name is imported on first use, so that importing one submodule (say for
# the command line's help) does not load the whole package and the libraries below it.
_EXPORTS = {
    "b64url_decode": "crypto.encoding",
    "b64url_encode": "crypto.encoding",
    "ItemHeader": "crypto.envelope",
    "ItemKind": "crypto.envelope",
    "OpenedItem": "crypto.envelope",
    "Urgency": "crypto.envelope",
    "check_envelope": "crypto.envelope",
    "decode_body": "crypto.envelope",
    "encode_body": "crypto.envelope",
    "open_item": "crypto.envelope",
    "read_unverified_header": "crypto.envelope",
    "seal_item": "crypto.envelope",
    "CryptoError": "crypto.errors",
    "DecryptionFailed": "crypto.errors",
    "ExcessiveKdfParameters": "crypto.errors",
    "InvalidPasswordHash": "crypto.errors",
    "InvalidRecoveryCode": "crypto.errors",
    "MalformedInput": "crypto.errors",
    "UnsupportedVersion": "crypto.errors",
    "WeakKdfParameters": "crypto.errors",
    "practice_fingerprint": "crypto.fingerprint",
    "user_fingerprint": "crypto.fingerprint",
    "GrantKind": "crypto.grants",
    "PracticeKeyPair": "crypto.grants",
    "new_team_key": "crypto.grants",
    "open_grant": "crypto.grants",
    "seal_grant": "crypto.grants",
    "DocType": "crypto.instruction",
    "InstructionHeader": "crypto.instruction",
    "open_instruction": "crypto.instruction",
    "read_unverified_instruction_header": "crypto.instruction",
    "seal_instruction": "crypto.instruction",
    "verify_instruction": "crypto.instruction",
    "KdfParams": "crypto.kdf",
    "PasswordKeys": "crypto.kdf",
    "derive_auth_key": "crypto.kdf",
    "derive_kek": "crypto.kdf",
    "derive_master": "crypto.kdf",
    "derive_password_keys": "crypto.kdf",
    "fake_kdf_params": "crypto.kdf",
    "fake_salt": "crypto.kdf",
    "HashProfile": "crypto.password_hash",
    "hash_auth_key": "crypto.password_hash",
    "needs_rehash": "crypto.password_hash",
    "verify_auth_key": "crypto.password_hash",
    "name_pseudonym": "crypto.pseudonym",
    "RecoveryCode": "crypto.recovery",
    "Secret": "crypto.secret",
    "BadSignature": "crypto.signing",
    "SigningKey": "crypto.signing",
    "VerifyKey": "crypto.signing",
    "FileManifest": "crypto.stream",
    "StreamDecryptor": "crypto.stream",
    "StreamEncryptor": "crypto.stream",
    "StreamInfo": "crypto.stream",
    "decrypt_stream": "crypto.stream",
    "encrypt_stream": "crypto.stream",
    "new_file_key": "crypto.stream",
    "TeamKeyRecord": "crypto.teamkey",
    "new_team_key_record": "crypto.teamkey",
    "open_team_key": "crypto.teamkey",
    "sign_team_key_record": "crypto.teamkey",
    "team_key_commit": "crypto.teamkey",
    "verify_team_key_record": "crypto.teamkey",
    "UserKeyPair": "crypto.user_keys",
    "UserPublicKeys": "crypto.user_keys",
    "WrapPurpose": "crypto.user_keys",
    "unwrap_user_keys": "crypto.user_keys",
    "wrap_user_keys": "crypto.user_keys",
}


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "BadSignature",
    "CryptoError",
    "DecryptionFailed",
    "DocType",
    "ExcessiveKdfParameters",
    "FileManifest",
    "GrantKind",
    "HashProfile",
    "InstructionHeader",
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
    "TeamKeyRecord",
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
    "new_team_key_record",
    "open_grant",
    "open_instruction",
    "open_item",
    "open_team_key",
    "practice_fingerprint",
    "read_unverified_header",
    "read_unverified_instruction_header",
    "seal_grant",
    "seal_instruction",
    "seal_item",
    "sign_team_key_record",
    "team_key_commit",
    "unwrap_user_keys",
    "user_fingerprint",
    "verify_auth_key",
    "verify_instruction",
    "verify_team_key_record",
    "wrap_user_keys",
]
