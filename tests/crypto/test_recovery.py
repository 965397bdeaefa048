"""Recovery codes: printing, forgiving parsing, checksum."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto.errors import InvalidRecoveryCode, MalformedInput
from crypto.recovery import RecoveryCode
from tests.vectors.generate import DeterministicRandom


@given(st.binary(min_size=20, max_size=20))
def test_format_parse_round_trip(raw: bytes) -> None:
    """Any 20 bytes print as 9 groups of 4 and one of 1, and parse back."""
    text = RecoveryCode(raw).format()
    assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){9}[0-9A-HJKMNP-TV-Z]", text)
    assert RecoveryCode.parse(text) == RecoveryCode(raw)


def test_typing_is_forgiven() -> None:
    """Lower case, spaces, no dashes, O for 0 and I/L for 1 are accepted."""
    code = RecoveryCode(bytes(20))
    text = code.format()
    sloppy = text.lower().replace("-", " ").replace("0", "o")
    assert RecoveryCode.parse(sloppy) == code
    ones = RecoveryCode(b"\x08\x42" * 10)
    assert "1" in ones.format()
    assert RecoveryCode.parse(ones.format().replace("1", "i")) == ones
    assert RecoveryCode.parse(ones.format().replace("1", "L")) == ones


def test_generate_key_and_repr() -> None:
    """A generated code uses the injected randomness; its key is 32 bytes, not the raw bytes."""
    code = RecoveryCode.generate(DeterministicRandom("r"))
    assert code.raw == DeterministicRandom("r")(20)
    assert len(code.key.value) == 32
    assert code.raw.hex() not in repr(code)
    assert code.key != RecoveryCode(bytes(20)).key


def test_refusals() -> None:
    """Wrong length, foreign character, checksum and padding-bit errors are refused clearly."""
    text = RecoveryCode(bytes(20)).format()
    bad = [text[:-2], text + "0", "U" + text[1:], "1" + text[1:], text[:-1] + "1"]
    for typed in bad:
        with pytest.raises(InvalidRecoveryCode, match="this recovery code is not valid"):
            RecoveryCode.parse(typed)
    with pytest.raises(MalformedInput):
        RecoveryCode(bytes(19))


def test_recovery_proof_message_layout_and_lengths() -> None:
    """The signed message is label || id || challenge || salt || auth_key || wrapped_kek,
    and a field of the wrong length is refused rather than signed."""
    import uuid

    from crypto.recovery import PROOF_LABEL, recovery_proof_message

    uid = uuid.UUID(int=7)
    parts = (bytes([1]) * 32, bytes([2]) * 16, bytes([3]) * 32, bytes([4]) * 107)
    message = recovery_proof_message(uid, *parts)
    assert message == PROOF_LABEL + uid.bytes + b"".join(parts)
    for i in range(4):
        short = list(parts)
        short[i] = short[i][:-1]
        with pytest.raises(MalformedInput):
            recovery_proof_message(uid, *short)
