"""Checkpoint bodies (C2SP tlog-checkpoint) and the issuing policy."""

from __future__ import annotations

from datetime import timedelta

import pytest

from audit.checkpoint import Checkpoint, CheckpointPolicy, StoredCheckpoint
from audit.errors import BadCheckpoint
from tests.audit.helpers import T0

ROOT = bytes(range(32))


def test_body_is_origin_size_root_and_extensions() -> None:
    """The body is the three C2SP lines (plus extensions), and parses back to the same value."""
    cp = Checkpoint("example.com/log", 1234, ROOT, ("ext one",))
    body = cp.body()
    assert body == "example.com/log\n1234\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\next one\n"
    assert Checkpoint.parse(body) == cp


@pytest.mark.parametrize(
    "body",
    [
        "example.com/log\n01\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        "example.com/log\n-1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        "example.com/log\n1\nAAECAwQF\n",
        "example.com/log\n1\n",
        "example.com/log\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        "\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
    ],
)
def test_malformed_bodies_are_refused(body: str) -> None:
    """Leading zeros, negative sizes, short roots, missing lines or newline are refused."""
    with pytest.raises(BadCheckpoint):
        Checkpoint.parse(body)


def _stored(size: int) -> StoredCheckpoint:
    cp = Checkpoint("o", size, ROOT)
    return StoredCheckpoint(0, cp, "", T0, "")


def test_policy_is_due_after_n_entries_or_t_seconds_and_never_for_nothing_new() -> None:
    """Due on the first entry, after every_entries new ones, or every_seconds with news."""
    policy = CheckpointPolicy(every_entries=100, every_seconds=60)
    assert not policy.due(0, None, T0)
    assert policy.due(1, None, T0)
    last = _stored(500)
    assert not policy.due(599, last, T0 + timedelta(seconds=59))
    assert policy.due(600, last, T0 + timedelta(seconds=1))
    assert policy.due(501, last, T0 + timedelta(seconds=60))
    assert not policy.due(500, last, T0 + timedelta(days=1))
