"""``permanence deposit --note``: the call time leaves the body for the signed header."""

from __future__ import annotations

import time

import pytest

from cli.client import ClientError
from cli.items_cmd import _call_time


def test_the_call_time_is_taken_out_of_the_note() -> None:
    note: dict[str, object] = {
        "caller_name": "Mme Roux",
        "call_started_at": "2026-11-27T10:41:05+01:00",
        "call_seconds": 154,
    }
    assert _call_time(note) == (1795772465, 154)  # 2026-11-27T09:41:05Z
    assert note == {"caller_name": "Mme Roux"}  # what the encrypted body keeps


def test_an_absent_call_time_is_now_and_zero() -> None:
    started, seconds = _call_time({})
    assert abs(started - time.time()) < 5 and seconds == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"call_started_at": "2026-11-27T09:41:05"},  # no offset
        {"call_started_at": "yesterday"},
        {"call_started_at": "1969-12-31T23:59:59Z"},
        {"call_seconds": 86401},
        {"call_seconds": "60"},
    ],
)
def test_a_bad_call_time_is_one_sentence(bad: dict[str, object]) -> None:
    with pytest.raises(ClientError, match="call_started_at must be an RFC 3339 time"):
        _call_time(dict(bad))
