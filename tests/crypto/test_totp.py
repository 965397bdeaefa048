"""TOTP: RFC 6238 codes, ±1 window, replay refusal."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crypto.errors import MalformedInput
from crypto.secret import Secret
from crypto.totp import (
    code_at,
    new_totp_secret,
    provisioning_uri,
    secret_base32,
    step_at,
    verify,
)
from tests.vectors.generate import DeterministicRandom

RFC_SECRET = Secret(b"12345678901234567890")
T = 1111111111.0  # step 37037037


@pytest.mark.parametrize(
    ("now", "code"),
    [(59, "287082"), (1111111109, "081804"), (1234567890, "005924"), (20000000000, "353130")],
)
def test_rfc6238_codes(now: int, code: str) -> None:
    """The codes are the last 6 digits of RFC 6238's SHA-1 test values."""
    assert code_at(RFC_SECRET, now) == code


def test_window_and_returned_step() -> None:
    """Codes of the previous, current and next step verify and return their step; ±2 fails."""
    current = step_at(T)
    for delta in (-1, 0, 1):
        code = code_at(RFC_SECRET, T + 30 * delta)
        assert verify(RFC_SECRET, code, now=T) == current + delta
    for delta in (-2, 2):
        assert verify(RFC_SECRET, code_at(RFC_SECRET, T + 30 * delta), now=T) is None


def test_replay_is_refused() -> None:
    """A step not greater than last_step is refused, even inside the window."""
    code = code_at(RFC_SECRET, T)
    step = verify(RFC_SECRET, code, now=T)
    assert step is not None
    assert verify(RFC_SECRET, code, now=T, last_step=step) is None
    assert verify(RFC_SECRET, code, now=T + 30, last_step=step) is None
    assert verify(RFC_SECRET, code, now=T, last_step=step - 1) == step


@pytest.mark.parametrize("typed", ["050 471", " 050471 ", "05 04 71"])
def test_spaces_are_ignored(typed: str) -> None:
    """Codes typed with spaces verify."""
    assert verify(RFC_SECRET, typed, now=T) == step_at(T)


@pytest.mark.parametrize("typed", ["", "05047", "0504711", "05047a", "٠٥٠٤٧١"])
def test_malformed_codes_fail(typed: str) -> None:
    """Wrong length, letters and non-ASCII digits never verify."""
    assert verify(RFC_SECRET, typed, now=T) is None


def test_now_may_be_a_datetime_or_default() -> None:
    """A datetime gives the same step as its timestamp; the default is the current time."""
    when = datetime.fromtimestamp(T, tz=UTC)
    assert step_at(when) == step_at(T)
    assert verify(RFC_SECRET, code_at(RFC_SECRET), last_step=None) is not None


def test_secret_and_uri() -> None:
    """New secrets are 20 bytes; the URI carries issuer, escaped name and base32 secret."""
    secret = new_totp_secret(DeterministicRandom("totp"))
    assert len(secret.value) == 20
    b32 = secret_base32(secret)
    assert len(b32) == 32
    assert provisioning_uri(secret, "dr martin@x") == (
        f"otpauth://totp/Permanence:dr%20martin%40x?secret={b32}&issuer=Permanence"
    )
    with pytest.raises(MalformedInput):
        secret_base32(Secret(bytes(10)))
