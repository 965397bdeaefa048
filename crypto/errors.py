"""Errors of the crypto package.

``CryptoError`` is the base and is never raised directly; each leaf names a
situation. Every failure to open a ciphertext is ``DecryptionFailed``, with the
same message whatever check failed (no oracle), raised ``from None``.
"""

from __future__ import annotations


class CryptoError(Exception):
    """Base of every error raised by ``crypto``; never raised directly."""


class DecryptionFailed(CryptoError):
    """A ciphertext, wrapped key, grant, envelope or stream did not open."""

    def __init__(self) -> None:
        super().__init__("decryption failed")


class UnsupportedVersion(CryptoError):
    """A structure starts with a version byte this implementation does not know."""

    def __init__(self, version: int) -> None:
        super().__init__(f"unsupported format version {version}")
        self.version = version


class WeakKdfParameters(CryptoError):
    """Key-derivation parameters below the floor (or of an unknown algorithm): refused."""


class ExcessiveKdfParameters(CryptoError):
    """Key-derivation parameters above the ceiling (a demand that would freeze a browser)."""


class InvalidRecoveryCode(CryptoError):
    """A typed recovery code has a wrong length, character or checksum."""

    def __init__(self) -> None:
        super().__init__("this recovery code is not valid")


class InvalidPasswordHash(CryptoError):
    """A stored password hash is not a valid Argon2 PHC string."""


class MalformedInput(CryptoError, ValueError):
    """A caller passed a value of the wrong shape: key or salt length, code format, enum value."""
