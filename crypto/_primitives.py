"""Thin layer over the libsodium primitives of format v1 (see docs/format.md §1).

Every opening failure becomes ``DecryptionFailed`` raised ``from None``.
Modules call these through the module (``_primitives.box_seal``) so that the
test-vector generator can substitute a deterministic sealed box.
"""

from __future__ import annotations

import hashlib

import nacl.bindings as sodium
import nacl.exceptions

from crypto.errors import DecryptionFailed, MalformedInput

KEY_BYTES = 32
NONCE_BYTES = 24
TAG_BYTES = 16
SEAL_OVERHEAD = 48
VERSION = 0x01


def generichash(outlen: int, message: bytes, key: bytes = b"") -> bytes:
    """``crypto_generichash`` (BLAKE2b), keyed when ``key`` is not empty."""
    return hashlib.blake2b(message, digest_size=outlen, key=key).digest()


def require_length(name: str, value: bytes, length: int) -> bytes:
    """Return ``value`` if it is ``length`` bytes, else raise ``MalformedInput``."""
    if len(value) != length:
        raise MalformedInput(f"{name} must be {length} bytes, not {len(value)}")
    return value


def aead_seal(key: bytes, nonce: bytes, message: bytes, ad: bytes) -> bytes:
    """XChaCha20-Poly1305-IETF encryption; the 16-byte tag is appended."""
    require_length("AEAD key", key, KEY_BYTES)
    require_length("AEAD nonce", nonce, NONCE_BYTES)
    return sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(message, ad, nonce, key)


def aead_open(key: bytes, nonce: bytes, ciphertext: bytes, ad: bytes) -> bytes:
    """XChaCha20-Poly1305-IETF decryption, or ``DecryptionFailed``."""
    try:
        return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(ciphertext, ad, nonce, key)
    except nacl.exceptions.CryptoError:
        raise DecryptionFailed from None


def x25519_public_key(secret_key: bytes) -> bytes:
    """The X25519 public key of a 32-byte secret key."""
    require_length("X25519 secret key", secret_key, KEY_BYTES)
    return sodium.crypto_scalarmult_base(secret_key)


def box_seal(message: bytes, public_key: bytes) -> bytes:
    """``crypto_box_seal``: anonymous encryption to an X25519 public key (48 bytes overhead)."""
    require_length("X25519 public key", public_key, KEY_BYTES)
    return sodium.crypto_box_seal(message, public_key)


def box_seal_open(ciphertext: bytes, secret_key: bytes) -> bytes:
    """``crypto_box_seal_open`` with the recipient's secret key, or ``DecryptionFailed``."""
    public_key = x25519_public_key(secret_key)
    try:
        return sodium.crypto_box_seal_open(ciphertext, public_key, secret_key)
    except nacl.exceptions.CryptoError:
        raise DecryptionFailed from None
