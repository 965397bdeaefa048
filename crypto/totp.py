"""Second factor: RFC 6238 TOTP (docs/format.md §7).

HMAC-SHA-1, 6 digits, 30-second steps, 20-byte secrets shown as base32.
``verify`` accepts the current step ±1, returns the step it matched, and
refuses any step not greater than the last one accepted (no replay).
"""

from __future__ import annotations

import base64
import hmac
import os
import time
import urllib.parse
from collections.abc import Callable
from datetime import datetime

import pyotp

from crypto import _primitives
from crypto.secret import Secret

SECRET_BYTES = 20
DIGITS = 6
STEP_SECONDS = 30
ISSUER = "Permanence"

Now = datetime | float | None


def new_totp_secret(randbytes: Callable[[int], bytes] = os.urandom) -> Secret:
    """20 random bytes, the shared secret of a new authenticator."""
    return Secret(randbytes(SECRET_BYTES))


def secret_base32(secret: Secret) -> str:
    """The secret as authenticator apps take it (RFC 4648 base32, 32 characters)."""
    _primitives.require_length("TOTP secret", secret.value, SECRET_BYTES)
    return base64.b32encode(secret.value).decode("ascii")


def provisioning_uri(secret: Secret, username: str) -> str:
    """``otpauth://totp/Permanence:<username>?secret=...&issuer=Permanence`` (for the QR code)."""
    label = urllib.parse.quote(f"{ISSUER}:{username}", safe=":")
    return f"otpauth://totp/{label}?secret={secret_base32(secret)}&issuer={ISSUER}"


def _timestamp(now: Now) -> float:
    if now is None:
        return time.time()
    if isinstance(now, datetime):
        return now.timestamp()
    return now


def step_at(now: Now = None) -> int:
    """The 30-second step number of ``now`` (default: the current time)."""
    return int(_timestamp(now) // STEP_SECONDS)


def code_at_step(secret: Secret, step: int) -> str:
    """The 6-digit code of ``step``."""
    return pyotp.TOTP(secret_base32(secret), digits=DIGITS, interval=STEP_SECONDS).generate_otp(
        step
    )


def code_at(secret: Secret, now: Now = None) -> str:
    """The 6-digit code an authenticator shows at ``now``."""
    return code_at_step(secret, step_at(now))


def verify(secret: Secret, code: str, now: Now = None, last_step: int | None = None) -> int | None:
    """Return the step ``code`` matches (current ±1, after ``last_step``), or ``None``.

    Spaces in ``code`` are ignored. Store the returned step as the new
    ``last_step`` so the same code cannot be used twice.
    """
    typed = code.replace(" ", "")
    if len(typed) != DIGITS or not typed.isascii() or not typed.isdigit():
        return None
    current = step_at(now)
    matched = None
    for step in (current - 1, current, current + 1):
        # Compare every candidate, in constant time, whatever matched before.
        if hmac.compare_digest(code_at_step(secret, step), typed) and (
            last_step is None or step > last_step
        ):
            matched = step if matched is None else matched
    return matched
