"""Identifiers: the canonical UUID text form."""

from __future__ import annotations

import time
import uuid
from functools import partial

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vault.ids import is_uuid, new_item_id, new_uuid, random_digits


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
    item_id = new_item_id(lambda: 0x0123456789AB, lambda n: b"\xff" * n)
    assert item_id == "01234567-89ab-7fff-bfff-ffffffffffff"
    assert is_uuid(item_id)
    assert uuid.UUID(new_item_id()).version == 7


@given(st.lists(st.integers(0, 2**48 - 1), min_size=2, max_size=20, unique=True))
def test_item_ids_sort_as_their_times(times: list[int]) -> None:
    ids = {t: new_item_id(partial(int, t)) for t in times}
    assert [ids[t] for t in sorted(times)] == sorted(ids.values())


@pytest.mark.parametrize("ms", [-1, 2**48, 1.5, float("nan"), float("inf")])
def test_an_item_id_time_out_of_range_is_refused(ms: float) -> None:
    with pytest.raises(ValueError, match="UUIDv7"):
        new_item_id(lambda: ms)  # type: ignore[arg-type, return-value]


def test_an_item_id_is_timed_by_the_clock_rounded_down() -> None:
    before = time.time_ns() // 1_000_000
    drawn = int(new_item_id().replace("-", "")[:12], 16)
    assert before <= drawn <= time.time_ns() // 1_000_000


@pytest.mark.parametrize(
    ("item_id", "digits"),
    [
        ("0f8fad5b-d9cb-469f-a165-70867728950e", "0f8fad5b"),  # version 4: its start
        ("01234567-89ab-7fff-bfff-ffffffff1234", "ffff1234"),  # version 7: its random end
    ],
)
def test_random_digits_skip_a_version_7_ids_time(item_id: str, digits: str) -> None:
    assert random_digits(item_id, 8) == digits
    assert random_digits(item_id, 2) == digits[:2] if item_id[14] == "4" else digits[-2:]
