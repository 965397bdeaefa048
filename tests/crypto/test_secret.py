"""Secret: masked repr, constant-time equality."""

from __future__ import annotations

from crypto.secret import Secret


def test_repr_and_str_never_show_the_bytes() -> None:
    """Only the length appears when a secret is printed or logged."""
    secret = Secret(b"hunter2-hunter2")
    assert repr(secret) == "Secret(<15 bytes>)"
    assert str(secret) == repr(secret)
    assert "hunter2" not in repr(secret)


def test_equality_and_hash() -> None:
    """Equal bytes are equal secrets, different bytes or other types are not; hash is stable."""
    assert Secret(b"a") == Secret(b"a")
    assert Secret(b"a") != Secret(b"b")
    assert Secret(b"a") != b"a"
    assert hash(Secret(b"a")) == hash(Secret(b"b"))
