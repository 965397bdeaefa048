"""Ed25519 signing keys and verification."""

from __future__ import annotations

import pytest

from crypto.errors import CryptoError, MalformedInput
from crypto.signing import BadSignature, SigningKey, VerifyKey


def test_sign_then_verify() -> None:
    """A signature made with a key verifies under its public key, and the seed stays hidden."""
    key = SigningKey.generate()
    signature = key.sign(b"message")
    key.public_key.verify(b"message", signature)
    assert len(signature) == 64
    assert key.seed.hex() not in repr(key)


@pytest.mark.parametrize("message", [b"massage", b""])
def test_other_message_fails(message: bytes) -> None:
    """The signature of one message does not verify another."""
    key = SigningKey(bytes(32))
    with pytest.raises(BadSignature):
        key.public_key.verify(message, key.sign(b"message"))


def test_wrong_length_signature_fails() -> None:
    """A truncated signature is a bad signature, not a crash."""
    key = SigningKey(bytes(32))
    with pytest.raises(BadSignature):
        key.public_key.verify(b"m", key.sign(b"m")[:-1])


def test_keys_of_wrong_length_are_refused() -> None:
    """Seeds and public keys must be 32 bytes; the error is a CryptoError leaf."""
    with pytest.raises(MalformedInput):
        SigningKey(bytes(31))
    with pytest.raises(CryptoError):
        VerifyKey(bytes(33))
