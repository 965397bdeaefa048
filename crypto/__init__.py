"""Key derivation, wrapping, envelopes, signatures, password hashing and TOTP.

Pure functions over libsodium (PyNaCl), argon2-cffi and pyotp; no I/O.
"""

from __future__ import annotations

from crypto.errors import CryptoError

__all__ = ["CryptoError"]
