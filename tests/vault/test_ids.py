"""Identifiers: the canonical UUID text form."""

from __future__ import annotations

import uuid
from functools import partial

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vault.ids import is_uuid, new_item_id, new_uuid


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


def test_an_item_id_is_a_uuid7_of_its_millisecond_time() -> None:
    """RFC 9562 §5.7; the same bytes as the browser's ``newItemId`` (tests/js/encoding)."""
    item_id = new_item_id(lambda: 0x0123456789AB / 1000, lambda n: b"\xff" * n)
    assert item_id == "01234567-89ab-7fff-bfff-ffffffffffff"
    assert is_uuid(item_id)
    assert uuid.UUID(new_item_id()).version == 7


@given(st.lists(st.integers(0, 2**48 - 1), min_size=2, max_size=20, unique=True))
def test_item_ids_sort_as_their_times(times: list[int]) -> None:
    ids = {t: new_item_id(partial(float, t / 1000)) for t in times}
    assert [ids[t] for t in sorted(times)] == sorted(ids.values())


@pytest.mark.parametrize("seconds", [-0.001, 2**48 / 1000])
def test_an_item_id_time_out_of_range_is_refused(seconds: float) -> None:
    with pytest.raises(ValueError, match="UUIDv7"):
        new_item_id(lambda: seconds)
