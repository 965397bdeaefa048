"""The crypto package's public surface."""

from __future__ import annotations

import crypto
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
from crypto.signing import BadSignature


def test_all_lists_importable_names() -> None:
    """Every name in __all__ exists on the package, and __all__ is sorted without duplicates."""
    for name in crypto.__all__:
        assert hasattr(crypto, name), name
    assert crypto.__all__ == sorted(set(crypto.__all__))


def test_every_error_is_a_crypto_error_leaf() -> None:
    """All leaves derive from CryptoError; DecryptionFailed always says the same thing."""
    for leaf in (
        DecryptionFailed,
        ExcessiveKdfParameters,
        InvalidPasswordHash,
        InvalidRecoveryCode,
        MalformedInput,
        UnsupportedVersion,
        WeakKdfParameters,
        BadSignature,
    ):
        assert issubclass(leaf, CryptoError)
    assert str(DecryptionFailed()) == "decryption failed"
    assert str(UnsupportedVersion(7)) == "unsupported format version 7"
