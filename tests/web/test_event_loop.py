"""No route blocks the event loop: every database read or write runs in the thread pool.

The vault's database is ``LoopGuardedDatabase``: a synchronous read or write from a
thread running an event loop fails and is recorded. Every route is then called as
every role with plausible bodies (JSON and form), so the handler gets past its parsing
to the vault. One blocking call on the loop stalls every other request of the server
(anonymous ``/login/prelogin`` floods included).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from tests.web.every_route import ROLES, BlockingCallOnLoop, RouteWorld, methods_of, route_world
from web import permissions


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RouteWorld]:
    with route_world(tmp_path_factory.mktemp("loop") / "data") as w:
        yield w


def _plausible(world: RouteWorld) -> dict[str, object]:
    """Fields the routes read, with values that get past their parsing."""
    return {
        "username": "doctor",
        "code": "123456",
        "status": "handled",
        "practice_id": world.practice_id,
        "item_id": world.item_id,
        "size": 10,
        "role": "secretary",
        "display_name": "New Person",
        "secretary_id": world.people["secretary"].account_id,
        "verifier_key": "x",
        "note": "x",
    }


def test_the_guard_catches_a_read_on_the_loop(world: RouteWorld) -> None:
    """The instrument works: a read from a coroutine fails, the same read in a thread passes."""

    async def on_the_loop() -> None:
        world.db.read(lambda conn: conn.execute("SELECT 1").fetchone())

    before = len(world.db.violations)
    with pytest.raises(BlockingCallOnLoop):
        asyncio.run(on_the_loop())
    assert len(world.db.violations) == before + 1
    world.db.violations.clear()
    world.db.read(lambda conn: conn.execute("SELECT 1").fetchone())
    assert world.db.violations == []


def test_no_route_reads_or_writes_the_database_on_the_event_loop(world: RouteWorld) -> None:
    """Every route, every role, JSON and form bodies: no database call from the loop's thread."""
    body = _plausible(world)
    seen = set()
    # Signing out ends nothing here (each request has its own session); walk it last anyway.
    for r in sorted(world.routes, key=lambda r: r.name == "logout"):
        for method in methods_of(r):
            for who in ROLES:
                path = world.path(r)
                if method == "GET":
                    world.request(who, method, path)
                    continue
                world.request(who, method, path, json=body)
                world.request(
                    who,
                    method,
                    path,
                    content=urlencode({k: str(v) for k, v in body.items()}),
                    headers={"content-type": "application/x-www-form-urlencoded"},
                )
            seen.add(r.name)
    assert seen == set(permissions.ALLOWED)
    problems = [v.splitlines()[0] + " in " + _where(v) for v in world.db.violations]
    assert problems == [], "\n".join(problems)


def _where(stack: str) -> str:
    """The innermost frame of ``web/`` in a recorded stack: the handler that made the call."""
    frames = [ln.strip() for ln in stack.splitlines() if ln.strip().startswith('File "')]
    ours = [ln for ln in frames if "/web/" in ln and "/tests/" not in ln]
    return ours[-1] if ours else "?"
