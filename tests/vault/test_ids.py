"""Identifiers: the canonical UUID text form."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vault.ids import is_uuid, new_uuid


def _canonical(text: object) -> bool:
    """The definition: the text ``uuid.UUID`` reads and writes back unchanged."""
    try:
        return str(uuid.UUID(text)) == text  # type: ignore[arg-type]
    except (ValueError, AttributeError, TypeError):
        return False


@given(st.uuids())
def test_every_canonical_uuid_is_one(value: uuid.UUID) -> None:
    assert is_uuid(str(value))


@given(
    st.one_of(
        st.text(alphabet="0123456789abcdefABCDEF-{}urn:", max_size=45),
        st.uuids().map(lambda u: str(u).upper()),
        st.uuids().map(lambda u: "{" + str(u) + "}"),
        st.uuids().map(lambda u: u.hex),
        st.uuids().map(lambda u: str(u) + "\n"),
    )
)
def test_is_uuid_is_the_round_trip_through_uuid(text: str) -> None:
    """The pattern accepts exactly what ``uuid.UUID`` writes back unchanged (it replaced
    the round trip, issue 18): no braces, capitals, bare hex or trailing newline."""
    assert is_uuid(text) == _canonical(text)


@pytest.mark.parametrize("value", [None, 12, b"0" * 36, ["x"]])
def test_what_is_not_text_is_no_uuid(value: object) -> None:
    assert is_uuid(value) is False  # type: ignore[arg-type]
    assert new_uuid() != value
