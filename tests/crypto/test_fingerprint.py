"""Fingerprints of user and practice keys."""

from __future__ import annotations

import re

import pytest

from crypto.errors import MalformedInput
from crypto.fingerprint import practice_fingerprint, user_fingerprint

SHAPE = r"[0-9A-HJKMNP-TV-Z]{4}( [0-9A-HJKMNP-TV-Z]{4}){3}"


def test_shape_and_separation() -> None:
    """Four groups of 4; the same key as user and as practice key gives different prints."""
    a, b = bytes(32), b"\x01" * 32
    assert re.fullmatch(SHAPE, user_fingerprint(a, b))
    assert re.fullmatch(SHAPE, practice_fingerprint(a))
    assert user_fingerprint(a, b) != user_fingerprint(b, a)
    assert practice_fingerprint(a) != practice_fingerprint(b)
    assert practice_fingerprint(a) != user_fingerprint(a, a)


def test_wrong_lengths_are_refused() -> None:
    """Keys must be 32 bytes."""
    with pytest.raises(MalformedInput):
        user_fingerprint(bytes(31), bytes(32))
    with pytest.raises(MalformedInput):
        user_fingerprint(bytes(32), bytes(31))
    with pytest.raises(MalformedInput):
        practice_fingerprint(bytes(33))
