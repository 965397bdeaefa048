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


# Any scalar: X25519 clamps it to a multiple of 8, which sends every point of order 1, 2,
# 4 or 8 (on the curve or its twist), the all-zero key among them, to zero.
_LOW_ORDER_PROBE = bytes([0x55]) * KEY_BYTES


def require_x25519_public_key(name: str, public_key: bytes) -> bytes:
    """``public_key`` if it is 32 bytes and not of low order, else ``MalformedInput``.

    A low-order key (all zeros, or another point of a small subgroup) makes every
    shared secret one of a handful of values known to anyone: nothing sealed to it is secret.
    """
    require_length(name, public_key, KEY_BYTES)
    try:
        sodium.crypto_scalarmult(_LOW_ORDER_PROBE, public_key)
    except nacl.exceptions.CryptoError:  # libsodium refuses an all-zero shared secret
        raise MalformedInput(f"{name} is of low order (a key no one holds a secret for)") from None
    return public_key


def require_ed25519_public_key(name: str, public_key: bytes) -> bytes:
    """``public_key`` if it is a canonical Ed25519 point of the prime-order subgroup."""
    require_length(name, public_key, KEY_BYTES)
    if not sodium.crypto_core_ed25519_is_valid_point(public_key):
        raise MalformedInput(f"{name} is not a valid Ed25519 point")
    return public_key


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
