"""Text encodings of format v1: base64url without padding, Crockford base32.

Base64url (RFC 4648 §5, libsodium's ``URLSAFE_NO_PADDING``) is the transport
encoding of binary values; the decoder refuses padding, characters outside the
alphabet and non-zero trailing bits, as libsodium's ``sodium_base642bin`` does.
Crockford base32 is for people: fingerprints and recovery codes.
"""

from __future__ import annotations

import base64
import re

from crypto.errors import MalformedInput

CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_B64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# Bits of the last character that fall outside the data, by length modulo 4 (2 or 3).
_TRAILING_BITS = {2: 0x0F, 3: 0x03}


def b64url_encode(data: bytes) -> str:
    """Base64url of ``data`` without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url; refuse padding, foreign characters, non-canonical input."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise MalformedInput("not unpadded base64url")
    trailing = _TRAILING_BITS.get(len(text) % 4)
    if trailing is not None and _B64URL_ALPHABET.index(text[-1]) & trailing:
        raise MalformedInput("not canonical base64url (non-zero trailing bits)")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def crockford_encode(data: bytes) -> str:
    """Crockford base32 of ``data``, most significant bit first; the last group is zero-padded."""
    bits = len(data) * 8
    number = int.from_bytes(data, "big")
    chars = -(-bits // 5)
    number <<= chars * 5 - bits
    return "".join(CROCKFORD_ALPHABET[(number >> (5 * (chars - 1 - i))) & 31] for i in range(chars))


def crockford_decode(text: str, length: int) -> bytes:
    """Decode exactly ``length`` bytes of canonical Crockford base32 (upper case, no separators).

    Raises ``MalformedInput`` for a wrong length, a foreign character or
    non-zero padding bits.
    """
    chars = -(-length * 8 // 5)
    if len(text) != chars or any(c not in CROCKFORD_ALPHABET for c in text):
        raise MalformedInput("not Crockford base32 of the expected length")
    number = 0
    for c in text:
        number = number << 5 | CROCKFORD_ALPHABET.index(c)
    padding = chars * 5 - length * 8
    if number & ((1 << padding) - 1):
        raise MalformedInput("non-zero padding bits")
    return (number >> padding).to_bytes(length, "big")
