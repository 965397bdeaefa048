"""Pseudonyms of typed names: keyed, stable, unlinkable without the server secret."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from crypto.pseudonym import PSEUDONYM_KEY_LABEL, name_pseudonym, pseudonym_key
from crypto.secret import Secret

SECRET = Secret(bytes(range(32)))


def test_the_pseudonym_is_keyed_blake2b_under_a_key_derived_from_the_secret() -> None:
    """Recomputed with hashlib: key = BLAKE2b-256(label; secret), then BLAKE2b-128(name; key)."""
    key = hashlib.blake2b(PSEUDONYM_KEY_LABEL, digest_size=32, key=SECRET.value).digest()
    expected = hashlib.blake2b(b"alicia", digest_size=16, key=key).hexdigest()
    assert pseudonym_key(SECRET).value == key
    assert name_pseudonym(SECRET, "alicia") == expected
    assert key != SECRET.value


def test_it_holds_nothing_of_the_name_and_depends_on_the_secret() -> None:
    """Not the name, not an unkeyed hash of it; another vault gives another pseudonym."""
    typed = "Lune-verte-42!x"  # a password typed into the username field
    pseudonym = name_pseudonym(SECRET, typed)
    assert typed.lower() not in pseudonym.lower()
    assert pseudonym != hashlib.blake2b(typed.encode(), digest_size=16).hexdigest()
    assert pseudonym != name_pseudonym(Secret(bytes(32)), typed)
    assert len(pseudonym) == 32 and int(pseudonym, 16) >= 0


@given(st.text(max_size=80), st.text(max_size=80))
def test_equal_names_and_only_those_share_a_pseudonym(a: str, b: str) -> None:
    """Stable per name (lone surrogates included), distinct between names."""
    assert name_pseudonym(SECRET, a) == name_pseudonym(SECRET, a)
    assert (name_pseudonym(SECRET, a) == name_pseudonym(SECRET, b)) == (a == b)


def test_a_lone_surrogate_has_a_pseudonym() -> None:
    """A string no UTF-8 text holds still gets one, different from its neighbours'."""
    assert name_pseudonym(SECRET, "\ud800") != name_pseudonym(SECRET, "\ud801")
