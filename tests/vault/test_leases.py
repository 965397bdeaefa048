"""Leases on background jobs (vault/leases.py), between two databases opened on one vault
file: each stands for a server process of its own (its connections, its writer)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.factories import Clock, open_test_vault
from vault import leases
from vault.opening import Vault
from vault.settings import Settings


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def two(initialised: Settings, clock: Clock) -> Iterator[tuple[Vault, Vault]]:
    first = open_test_vault(initialised, now=clock)
    second = open_test_vault(initialised, now=clock)
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def test_a_held_lease_is_refused_to_another_process_until_given_back(
    two: tuple[Vault, Vault],
) -> None:
    a, b = two
    with leases.hold(a.env, "job", 60, holder="a") as held_by_a:
        assert held_by_a
        with leases.hold(b.env, "job", 60, holder="b") as held_by_b:
            assert not held_by_b
    with leases.hold(b.env, "job", 60, holder="b") as held_by_b:
        assert held_by_b


def test_the_lease_of_a_holder_that_died_expires(two: tuple[Vault, Vault], clock: Clock) -> None:
    a, b = two
    now = clock()
    assert a.env.db.write(lambda c: leases.claim(c, "job", "a", now.replace(minute=5), now))
    assert not b.env.db.write(lambda c: leases.claim(c, "job", "b", now.replace(minute=5), now))
    clock.advance(5 * 60)  # a never gave it back: gone at ``until``
    later = clock()
    assert b.env.db.write(lambda c: leases.claim(c, "job", "b", later.replace(minute=9), later))


def test_once_per_runs_once_a_period_whichever_process_comes_first(
    two: tuple[Vault, Vault], clock: Clock
) -> None:
    a, b = two
    ran: list[str] = []
    assert leases.once_per(a.env, "hourly", 3600, lambda: ran.append("a"), holder="a") is None
    assert ran == ["a"]
    clock.advance(1800)
    leases.once_per(b.env, "hourly", 3600, lambda: ran.append("b"), holder="b")
    leases.once_per(a.env, "hourly", 3600, lambda: ran.append("a"), holder="a")  # its own too
    assert ran == ["a"]
    clock.advance(1800)
    leases.once_per(b.env, "hourly", 3600, lambda: ran.append("b"), holder="b")
    leases.once_per(a.env, "hourly", 3600, lambda: ran.append("a"), holder="a")
    assert ran == ["a", "b"]
