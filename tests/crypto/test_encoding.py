"""Transport and human encodings: base64url without padding, Crockford base32."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto.encoding import b64url_decode, b64url_encode, crockford_decode, crockford_encode
from crypto.errors import MalformedInput


@given(st.binary(max_size=100))
def test_b64url_round_trip(data: bytes) -> None:
    """Any bytes survive encode then decode, and the text has no padding."""
    text = b64url_encode(data)
    assert "=" not in text
    assert b64url_decode(text) == data


def test_b64url_uses_the_url_alphabet() -> None:
    """0xfb 0xff encodes with '-' and '_' (RFC 4648 §5), not '+' and '/'."""
    assert b64url_encode(b"\xfb\xff") == "-_8"


@pytest.mark.parametrize("text", ["AA==", "A", "AAAAA", "+/8", "ab c", "ab\n", "-_9"])
def test_b64url_refuses_padding_foreign_characters_and_non_canonical(text: str) -> None:
    """Padding, a length of 4n+1, '+' '/', whitespace and non-zero trailing bits are refused."""
    with pytest.raises(MalformedInput):
        b64url_decode(text)


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"))
def test_b64url_accepts_exactly_the_texts_that_encode_back(text: str) -> None:
    """Any text of the alphabet decodes if and only if its bytes encode back to it (the
    decoder checks the last character's spare bits instead of encoding again)."""
    try:
        data = b64url_decode(text)
    except MalformedInput:
        assert len(text) % 4 == 1 or b64url_encode(_lenient_decode(text)) != text
    else:
        assert b64url_encode(data) == text


def _lenient_decode(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@given(st.binary(max_size=40))
def test_crockford_round_trip(data: bytes) -> None:
    """Any bytes survive Crockford encode then decode."""
    assert crockford_decode(crockford_encode(data), len(data)) == data


def test_crockford_known_answer() -> None:
    """Ten 0xff bytes are sixteen 'Z'; 0x00..0x01 pads the last group with zero bits."""
    assert crockford_encode(b"\xff" * 10) == "Z" * 16
    assert crockford_encode(b"\x00\x01") == "000G"


@pytest.mark.parametrize(
    ("text", "length"), [("000", 2), ("00000", 2), ("000U", 2), ("0001", 2), ("000a", 2)]
)
def test_crockford_refuses_bad_input(text: str, length: int) -> None:
    """Wrong length, characters outside the alphabet (U, lower case) and set padding bits fail."""
    with pytest.raises(MalformedInput):
        crockford_decode(text, length)
